// PlanCommands: init, backup, sync, status, restore and check of a plan, each across every destination.
internal import Foundation

/// The copy ``PlanSession/openFastest()`` opened.
public struct OpenedCopy: Sendable {
    /// The destination's name in the plan.
    public var destination: String
    /// The repository there.
    public var repository: Repository
}

/// What ``PlanSession/restore(_:to:from:cancellation:progress:)`` did.
public struct PlanRestoreResult: Sendable {
    /// The destination the snapshot was restored from.
    public var destination: String
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
                           progress: (@Sendable (String) -> Void)? = nil) async throws(TriplicateError) -> [DestinationReport] {
        var places = try await survey(creating: true)
        if !places.contains(where: { $0.repository != nil }) {
            guard let first = places.firstIndex(where: { $0.reachable }) else { throw noneReachable(places) }
            let repo = try await Repository.initialize(on: places[first].destination, password: password, options: options)
            places[first].repository = repo
            for info in (try? await places[first].destination.list(prefix: "")) ?? [] where Self.isRepositoryFile(info.name) {
                places[first].objects[info.name] = info.size
            }
            progress?("\(places[first].target.name): created repository \(repo.id.short)")
        }
        // Only the identity (config and key files) is copied here; data catches up at the next backup or sync.
        let union = Self.union(places).files.filter { $0.key == Layout.config || $0.key.hasPrefix(Layout.keys) }
        let reports = await catchUpAll(&places, union: union, log: HealLog(), progress: progress)
        try? recordSeen(places)
        return reports
    }

    /// Catches up every reachable place (or those named in `names`) with `union`; one report per place concerned, with
    /// the files of that place healed on the way (from `log`).
    private func catchUpAll(_ places: inout [Place], union: [String: Int64], only names: [String]? = nil, log: HealLog,
                            cancellation: Cancellation? = nil, progress: (@Sendable (String) -> Void)?) async -> [DestinationReport] {
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
            progress?("\(lost.count) pack\(lost.count == 1 ? "" : "s") no copy holds intact: recorded as damaged in \(name); the next backup stores that data again")
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
                             progress: (@Sendable (String) -> Void)?) async throws(TriplicateError) -> [String: Int64] {
        for name in try await healConflicts(&places, log: log) {
            progress?("\(name) differs between the copies and none of them holds it intact; run `triplicate check --plan --read-data`")
        }
        return Self.union(places).files
    }

    // MARK: backup

    /// Backs up the plan's sources once to every reachable destination.
    ///
    /// First every reachable destination that lacks something another holds catches up (see ``sync(to:progress:)``),
    /// so that all of them are the same before the backup; then the backup reads, chunks, compresses and
    /// encrypts once and writes each new object to all of them, each in the safe order (packs, index files,
    /// the snapshot). A destination that cannot be reached is skipped; one that fails part way is left out of
    /// the rest and does not get the snapshot. The backup fails only when no destination gets the snapshot.
    /// The sources' exclusions all apply to every source.
    public func backup(options: BackupOptions = BackupOptions(),
                       progress: (@Sendable (String) -> Void)? = nil) async throws(TriplicateError) -> PlanBackupResult {
        guard !plan.sources.isEmpty else { throw TriplicateError(.invalidArgument, "\(plan.at(nil))the plan names no [[source]] to back up") }
        var places = try await survey()
        guard places.contains(where: { $0.reachable && $0.repository != nil }) else {
            if places.contains(where: { $0.reachable }) {
                throw TriplicateError(.noRepository, "no destination of the plan holds the repository yet; run `triplicate init --plan \(plan.file ?? "FILE")`")
            }
            throw noneReachable(places)
        }
        let log = HealLog()
        let union = try await healedUnion(&places, log: log, progress: progress)
        var reports: [String: DestinationReport] = [:]
        for r in await catchUpAll(&places, union: union, log: log, cancellation: options.cancellation, progress: progress) { reports[r.name] = r }
        if options.cancellation?.isCancelled == true {
            throw TriplicateError(.cancelled, "backup interrupted while the copies caught up; nothing was lost, run it again")
        }
        let members = places.filter { reports[$0.target.name]?.outcome == .done }.sorted { $0.speedRank < $1.speedRank }
        guard !members.isEmpty else { throw noneReachable(places, reports: Array(reports.values)) }
        // Packs are staged on the internal disk: in the repository folder when one copy lives there (storing the pack
        // in that copy is then a link, and the others read the same file), else in the temporary folder, so that a
        // NAS or drive that goes away takes only its own copy out of the backup.
        let staging = members.first { $0.target.media == .internalDisk && $0.target.location.scheme == "local" }?
            .destination.stagingDirectory
        let replicas = ReplicaSet(members.map { ReplicaSet.Member(name: $0.target.name, destination: $0.destination) }, staging: staging)
        let repo = try await Repository.open(replicas, passwords: passwords)
        var options = options
        if let report = options.progress {
            options.progress = { p in
                var p = p
                p.storedPerDestination = replicas.written
                report(p)
            }
        }
        for s in plan.sources { options.excludes += s.excludes.filter { !options.excludes.contains($0) } }
        // A copy that lives inside a source folder (a repository in ~/Backups while ~ is backed up) is never backed
        // up into itself.
        let roots = places.flatMap(\.destination.localFolders)
        options.excludedFolders += Repository.repositoryFolders(roots, under: plan.sources.map(\.path)).inside
        progress?("backing up to \(members.map(\.target.name).joined(separator: ", "))")
        let result = try await repo.backup(paths: plan.sources.map(\.path), options: options)
        let written = replicas.written
        for (name, error) in replicas.dropped {
            reports[name]?.outcome = .failed
            reports[name]?.problem = error.description
        }
        for m in members { reports[m.target.name]?.bytesWritten = written[m.target.name] ?? 0 }
        // What each destination now holds, for status when it is next unreachable.
        let snapshotName = Layout.snapshot(result.snapshot.id)
        for i in places.indices where reports[places[i].target.name]?.outcome == .done {
            places[i].objects[snapshotName] = 0
        }
        try? recordSeen(places)
        return PlanBackupResult(backup: result, destinations: plan.destinations.compactMap { reports[$0.name] })
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
    /// safe order. Never deletes anything; run again after an interruption, it copies what is still missing.
    public func sync(to names: [String]? = nil, cancellation: Cancellation? = nil,
                     progress: (@Sendable (String) -> Void)? = nil) async throws(TriplicateError) -> [DestinationReport] {
        for n in names ?? [] { _ = try plan.destination(named: n) }
        var places = try await survey()
        guard places.contains(where: { $0.reachable && $0.repository != nil }) else { throw noneReachable(places) }
        let log = HealLog()
        let union = try await healedUnion(&places, log: log, progress: progress)
        let reports = await catchUpAll(&places, union: union, only: names, log: log, cancellation: cancellation, progress: progress)
        if cancellation?.isCancelled == true {
            throw TriplicateError(.cancelled, "sync interrupted; what was copied so far stays, the next sync copies the rest")
        }
        try? recordSeen(places)
        return reports
    }

    // MARK: reading

    /// Opens the fastest reachable copy of the repository (internal disk, NAS, drive, cloud), for commands that
    /// only read (snapshots, ls, stats).
    public func openFastest() async throws(TriplicateError) -> OpenedCopy {
        let places = try await survey().sorted { $0.speedRank < $1.speedRank }
        guard let p = places.first(where: { $0.reachable && $0.repository != nil }), let repo = p.repository else {
            throw noneReachable(places)
        }
        return OpenedCopy(destination: p.target.name, repository: repo)
    }

    // MARK: restore

    /// Restores `snapshot` (`latest` or an ID prefix, optionally `:PATH`) into `target` from the fastest
    /// reachable destination that holds it (internal disk, NAS, drive, cloud), or from the one named `from`.
    /// Returns the destination used and the restore's result.
    public func restore(_ spec: String, to target: String, from: String? = nil, cancellation: Cancellation? = nil,
                        progress: (@Sendable (RestoreResult) -> Void)? = nil) async throws(TriplicateError) -> PlanRestoreResult {
        if let from { _ = try plan.destination(named: from) }
        let places = try await survey().filter { from == nil || $0.target.name == from }.sorted { $0.speedRank < $1.speedRank }
        var reasons: [String] = []
        var snapshotPart = spec.split(separator: ":", maxSplits: 1).first.map(String.init) ?? spec
        if snapshotPart == "latest" {
            // The newest snapshot anywhere, not the newest of the fastest copy (which may lag).
            var newest: Snapshot?
            for p in places where p.reachable {
                if let s = try? await p.repository?.findSnapshot("latest"), s.record.time > (newest?.record.time ?? "") { newest = s }
            }
            if let newest { snapshotPart = newest.id.hex }
        }
        let path = spec.contains(":") ? String(spec.split(separator: ":", maxSplits: 1).last ?? "") : nil
        for p in places {
            guard let repo = p.repository, p.reachable else {
                reasons.append("\(p.target.name): \(p.unreachable ?? "holds no repository")")
                continue
            }
            let snapshot: Snapshot
            do { snapshot = try await repo.findSnapshot(snapshotPart) } catch {
                reasons.append("\(p.target.name): \(error.message)")
                continue
            }
            let result = try await repo.restore(snapshot, path: path, to: target, cancellation: cancellation, progress: progress)
            return PlanRestoreResult(destination: p.target.name, result: result)
        }
        throw TriplicateError(.invalidArgument, "no reachable destination holds snapshot \(snapshotPart) (\(reasons.joined(separator: "; ")))")
    }
}
