// PlanCommands: init, backup, sync and restore of a plan, and the plan's repository for every other command: one
// Repository over the copies, so that each command has one implementation for one copy and for a plan.
@_spi(Benchmarks) internal import TriplicateCore
internal import Foundation

/// What ``PlanSession/restore(_:to:from:options:progress:)`` did.
public struct PlanRestoreResult: Sendable {
    /// The destinations the snapshot was read from, nearest first: each file comes from the nearest that holds it
    /// intact.
    public var destinations: [String]
    /// The restore's result.
    public var result: RestoreResult
}

extension PlanSession {
    // MARK: init

    /// Creates the repository on every reachable destination: on the first (in the plan's order) if none holds it
    /// yet, then copies its config and key files to the others, so that every copy is the same repository with
    /// one identity and one set of keys. Destinations that already hold it are left as they are; unreachable ones
    /// are reported and catch up at the next backup or sync.
    public func initialize(options: Repository.InitOptions = Repository.InitOptions(),
                           progress: ProgressHandler? = nil) async throws(TriplicateError) -> [DestinationReport] {
        var places = try await survey(creating: true)
        if !places.contains(where: { $0.config != nil }) {
            guard let first = places.firstIndex(where: { $0.reachable }) else { throw noneReachable(places) }
            let repo = try await Repository.initialize(on: places[first].destination, password: password, options: options)
            places[first].repository = repo
            places[first].config = repo.config
            for info in (try? await places[first].destination.list(prefix: "")) ?? [] where Layout.isRepositoryFile(info.name) {
                places[first].objects[info.name] = info.size
            }
            progress?(ProgressEvent(.initialize, destination: places[first].target.name, message: "created repository \(repo.id.short)"))
        } else {
            // The password must open the repository the other copies get.
            try await unlock(&places)
        }
        // Only the identity (config and key files, never a removed one) is copied here; data catches up at the next
        // backup or sync.
        let removed = await removals(in: places).names
        let union = Self.union(places).files.filter { ($0.key == Layout.config || $0.key.hasPrefix(Layout.keys)) && removed[$0.key] == nil }
        let reports = await catchUpAll(&places, union: union, log: HealLog(), progress: progress)
        try? recordSeen(places)
        return reports
    }

    /// Catches up every reachable place (or those named in `names`) with `union`; one report per place concerned, with
    /// the files of that place healed on the way (from `log`).
    private func catchUpAll(_ places: inout [Place], union: [String: Int64], only names: [String]? = nil, log: HealLog,
                            cancellation: Cancellation? = nil, progress: ProgressHandler?) async -> [DestinationReport] {
        var reports: [DestinationReport] = []
        let before = places
        for i in places.indices where names?.contains(places[i].target.name) ?? true {
            guard places[i].reachable else {
                reports.append(DestinationReport(name: places[i].target.name, outcome: .unreachable, problem: places[i].unreachable,
                                                 reason: places[i].reason))
                continue
            }
            reports.append(await catchUp(&places[i], from: before, union: union, log: log, cancellation: cancellation, progress: progress))
        }
        // Packs that no copy holds intact are recorded as damaged everywhere, so that backups store their data again.
        let lost = Set(reports.flatMap(\.lost)).filter { $0.hasPrefix(Layout.data) }.sorted()
        if !lost.isEmpty, let name = await recordLostPacks(lost, places: places) {
            progress?(ProgressEvent(.catchUp, message: "\(lost.count) pack\(lost.count == 1 ? "" : "s") no copy holds intact: recorded as damaged in \(name); the next backup stores that data again"))
        }
        let healed = log.all
        for i in reports.indices { reports[i].healed = healed.filter { $0.destination == reports[i].name } }
        // A copy healed as a source (its file was damaged, another copy's was not) is reported too.
        for p in places where !reports.contains(where: { $0.name == p.target.name }) {
            let mine = healed.filter { $0.destination == p.target.name }
            if !mine.isEmpty { reports.append(DestinationReport(name: p.target.name, outcome: .done, healed: mine)) }
        }
        return reports
    }

    /// The union of what the reachable places hold, after the files two copies hold with different sizes were checked
    /// and the damaged ones replaced (names no copy holds rightly are left out, with a warning in `progress`).
    private func healedUnion(_ places: inout [Place], log: HealLog,
                             progress: ProgressHandler?) async throws(TriplicateError) -> [String: Int64] {
        for name in try await healConflicts(&places, log: log) {
            progress?(ProgressEvent(.catchUp, message: "\(name) differs between the copies and none of them holds it intact; a check that reads the data says what depends on it"))
        }
        return Self.union(places).files
    }

    /// Catches the reachable copies (or those named in `names`) up with each other (see ``sync(to:progress:)``),
    /// carrying removals too (FORMAT.md §9.3): snapshot files another copy's forget removed go first, then the files
    /// any copy lacks are copied (never a removed one), then key files another copy's key removal removed go.
    private func catchUpWithRemovals(_ places: inout [Place], only names: [String]? = nil, log: HealLog,
                                     cancellation: Cancellation?, progress: ProgressHandler?) async throws(TriplicateError) -> [DestinationReport] {
        let (removed, problems) = await removals(in: places)
        for p in problems { progress?(ProgressEvent(.catchUp, message: p)) }
        var gone = await applyRemovals(removed, folder: Layout.snapshots, to: &places, progress: progress)
        let union = try await healedUnion(&places, log: log, progress: progress).filter { removed[$0.key] == nil }
        var reports = await catchUpAll(&places, union: union, only: names, log: log, cancellation: cancellation, progress: progress)
        for (copy, keys) in await applyRemovals(removed, folder: Layout.keys, to: &places, progress: progress) { gone[copy, default: []] += keys }
        for i in reports.indices { reports[i].removed = gone[reports[i].name] ?? [] }
        return reports
    }

    // MARK: backup

    /// Backs up the plan's sources once to every reachable destination: ``openForBackup(progress:)``,
    /// then ``Repository/backup(paths:options:)`` of the sources, with every source's exclusions applied to all of them.
    public func backup(options: BackupOptions = BackupOptions(),
                       progress: ProgressHandler? = nil) async throws(TriplicateError) -> PlanBackupResult {
        guard !plan.sources.isEmpty else { throw TriplicateError(.invalidArgument, "\(plan.at(nil))the plan names no [[source]] to back up") }
        try plan.requireNoEmptySource()
        // A dry run only reads: no copy catches up or is healed first.
        let repo = try await options.dryRun ? openRepository() : openForBackup(progress: progress)
        var options = options
        for s in plan.sources { options.excludes += s.excludes.filter { !options.excludes.contains($0) } }
        let result = try await repo.backup(paths: plan.sources.map(\.path), options: options)
        return PlanBackupResult(backup: result, destinations: result.destinations)
    }

    /// The plan's repository for a backup: one ``Repository`` that writes every object to every reachable copy.
    ///
    /// First every reachable destination that lacks something another holds catches up (see ``sync(to:progress:)``),
    /// so that all of them are the same before the backup; a file two copies hold differently is healed. The backup
    /// then reads, chunks, compresses and encrypts once and writes each new object to all of them, each in the safe
    /// order (packs, index files, the snapshot). A destination that cannot be reached is skipped; one that fails part
    /// way is left out of the rest and does not get the snapshot; the backup fails only when no destination gets it.
    /// ``BackupResult/destinations`` says what happened at each; a copy that lives inside a folder being backed up is
    /// left out of the backup.
    public func openForBackup(progress: ProgressHandler? = nil) async throws(TriplicateError) -> Repository {
        try await followingTaskCancellation { cancellation throws(TriplicateError) in
            try await openForBackup(cancellation: cancellation, progress: progress)
        }
    }

    /// ``openForBackup`` with the flag that stops it.
    func openForBackup(cancellation: Cancellation?,
                              progress: ProgressHandler? = nil) async throws(TriplicateError) -> Repository {
        var places = try await survey()
        guard let model = try await unlock(&places) else {
            if places.contains(where: { $0.reachable }) {
                throw TriplicateError(.noRepository, "no destination of the plan holds the repository yet",
                                      remedy: .initialize)
            }
            throw noneReachable(places)
        }
        let log = HealLog()
        var reports: [String: DestinationReport] = [:]
        try await whileCatchingUp(places, model: model, operation: "backup") { () throws(TriplicateError) in
            for r in try await catchUpWithRemovals(&places, log: log, cancellation: cancellation, progress: progress) { reports[r.name] = r }
        }
        if cancellation?.isCancelled == true {
            throw TriplicateError(.cancelled, "backup interrupted while the copies caught up; nothing was lost, run it again")
        }
        let members = places.filter { reports[$0.target.name]?.outcome == .done }.sorted { $0.speedRank < $1.speedRank }
        guard !members.isEmpty else { throw noneReachable(places, reports: Array(reports.values)) }
        // Packs are staged on the internal disk: in the repository folder when one copy lives there (storing the pack
        // in that copy is then a link, and the others read the same file), else in the temporary folder, so that a
        // NAS or drive that goes away takes only its own copy out of the backup.
        let staging = members.first { $0.target.media == .internalDisk && $0.target.location.scheme == "local" }?
            .destination.stagingDirectory
        let run = PlanRun(session: self, places: places, reports: reports)
        let replicas = ReplicaSet(members.map { ReplicaSet.Member(name: $0.target.name, destination: $0.destination) },
                                  staging: staging, run: run)
        progress?(ProgressEvent(.backup, message: "backing up to \(members.map(\.target.name).joined(separator: ", "))"))
        return Repository(replicas: replicas, config: model.config, keys: model.keys, openedKey: model.openedKey)
    }

    /// Runs `body` holding a shared lock on every reachable copy that holds the repository: catching up writes packs,
    /// index files and snapshots as a backup does, and must not run while a prune deletes them (FORMAT.md §14.12).
    private func whileCatchingUp(_ places: [Place], model: Repository, operation: String,
                                 _ body: () async throws(TriplicateError) -> Void) async throws(TriplicateError) {
        let holders = places.filter { $0.reachable && $0.config != nil }
        guard !holders.isEmpty else { return try await body() }
        let copies = ReplicaSet(holders.map { ReplicaSet.Member(name: $0.target.name, destination: $0.destination) }, staging: nil)
        let repo = Repository(replicas: copies, config: model.config, keys: model.keys, openedKey: model.openedKey)
        try await repo.withLock(.shared, operation: operation, optional: true) { _ throws(TriplicateError) in try await body() }
    }

    func noneReachable(_ places: [Place], reports: [DestinationReport] = []) -> TriplicateError {
        let reasons = places.map { p in
            "\(p.target.name): \(p.unreachable ?? reports.first { $0.name == p.target.name }?.problem ?? "not usable")"
        }
        return TriplicateError(.destination(.unavailable), "no destination of the plan can be reached (\(reasons.joined(separator: "; ")))")
    }

    // MARK: sync

    /// Brings lagging destinations up to date: copies to each reachable destination (or only those named in
    /// `names`) every repository file another reachable destination holds and it lacks, verifying each, in the
    /// safe order. Deletes only the snapshot and key files that removal records name (what another copy's forget or
    /// password change removed while this one was out of reach, FORMAT.md §9.3), and never copies them; run again
    /// after an interruption, it copies what is still missing.
    public func sync(to names: [String]? = nil, progress: ProgressHandler? = nil) async throws(TriplicateError) -> [DestinationReport] {
        try await followingTaskCancellation { cancellation throws(TriplicateError) in
            try await sync(to: names, cancellation: cancellation, progress: progress)
        }
    }

    /// ``sync`` with the flag that stops it.
    func sync(to names: [String]? = nil, cancellation: Cancellation?,
                     progress: ProgressHandler? = nil) async throws(TriplicateError) -> [DestinationReport] {
        for n in names ?? [] { _ = try plan.destination(named: n) }
        var places = try await survey()
        guard let model = try await unlock(&places) else { throw noneReachable(places) }
        let log = HealLog()
        var reports: [DestinationReport] = []
        try await whileCatchingUp(places, model: model, operation: "sync") { () throws(TriplicateError) in
            reports = try await catchUpWithRemovals(&places, only: names, log: log, cancellation: cancellation, progress: progress)
        }
        if cancellation?.isCancelled == true {
            throw TriplicateError(.cancelled, "sync interrupted; what was copied so far stays, the next sync copies the rest")
        }
        try? recordSeen(places)
        return reports
    }

    // MARK: reading

    /// The plan's repository, for every command that reads (restore, snapshots, ls, stats, find): one ``Repository``
    /// over every reachable copy that holds it (or only the one named `from`), nearest first (internal disk, NAS,
    /// drive, cloud). Its snapshots are those any copy holds, so the newest is found while a copy lags; each file is
    /// read from the nearest copy that holds it, and one found missing or damaged there is read from the next.
    public func openRepository(from: String? = nil) async throws(TriplicateError) -> Repository {
        if let from { _ = try plan.destination(named: from) }
        var places = try await survey()
        guard let model = try await unlock(&places) else { throw noneReachable(places) }
        let readers = places.filter { $0.reachable && $0.repository != nil && (from == nil || $0.target.name == from) }
            .sorted { $0.speedRank < $1.speedRank }
        guard !readers.isEmpty else {
            let p = places.first { $0.target.name == from }
            throw TriplicateError(.destination(.unavailable), "\(plan.at(p?.target.line))destination \"\(from ?? "")\" cannot be read: \(p?.unreachable ?? "it holds no copy of the repository yet")")
        }
        let replicas = ReplicaSet(readers.map { ReplicaSet.Member(name: $0.target.name, destination: $0.destination) }, staging: nil,
                                  use: .reading, run: PlanRun(session: self, places: places, reports: [:]))
        return Repository(replicas: replicas, config: model.config, keys: model.keys, openedKey: model.openedKey)
    }

    // MARK: restore

    /// Restores what `selector` names into `target` from the plan's repository (``openRepository(from:)``): `latest`
    /// is the newest snapshot any copy holds; each file is read from the nearest copy that holds it intact, or only
    /// from the destination named `from`. `options` as for ``Repository/restore(_:path:to:options:progress:)``.
    public func restore(_ selector: SnapshotSelector, to target: String, from: String? = nil, options: RestoreOptions = RestoreOptions(),
                        progress: ProgressHandler? = nil) async throws(TriplicateError) -> PlanRestoreResult {
        try await followingTaskCancellation { cancellation throws(TriplicateError) in
            try await restore(selector, to: target, from: from, options: options, cancellation: cancellation, progress: progress)
        }
    }

    /// ``restore`` with the flag that stops it.
    func restore(_ selector: SnapshotSelector, to target: String, from: String? = nil, options: RestoreOptions = RestoreOptions(),
                 cancellation: Cancellation?, progress: ProgressHandler? = nil) async throws(TriplicateError) -> PlanRestoreResult {
        let repo = try await openRepository(from: from)
        let snapshot = try await repo.findSnapshot(selector)
        let result = try await repo.restore(snapshot, path: selector.path, to: target, options: options, cancellation: cancellation, progress: progress)
        return PlanRestoreResult(destinations: repo.copyNames, result: result)
    }
}
