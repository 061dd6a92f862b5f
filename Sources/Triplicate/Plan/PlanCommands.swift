// PlanCommands: init, backup, sync, status, restore and check of a plan, each across every destination.
internal import Foundation

/// How one destination stands, as ``PlanSession/status()`` reports it.
public struct DestinationStatus: Sendable, Codable, Equatable {
    /// The destination's name in the plan.
    public var name: String
    /// Its medium and site, from the plan.
    public var media: Media
    public var site: Site
    /// Whether it could be reached now.
    public var reachable: Bool
    /// Why not, when it could not.
    public var problem: String?
    /// Its snapshots (now, or when it was last seen if it is unreachable; nil if never seen).
    public var snapshots: Int?
    /// Its newest snapshot's ID and time.
    public var newestSnapshot: String?
    public var newestSnapshotTime: String?
    /// Snapshots held somewhere else that it lacks, and the bytes it would need to catch up (bytes only when
    /// reachable).
    public var snapshotsBehind: Int?
    public var bytesBehind: Int64?
    /// True when it holds the newest snapshot (and so all of its data).
    public var upToDate: Bool
    /// When `check` last verified it, whether with `--read-data`, and whether it passed.
    public var lastChecked: String?
    public var lastCheckReadData: Bool?
    public var lastCheckPassed: Bool?
    /// When it was last reached, for an unreachable destination.
    public var lastSeen: String?
}

/// The verdict on the 3-2-1 rule.
public struct RuleVerdict: Sendable, Codable, Equatable {
    /// Up-to-date copies of the newest snapshot's data, counting the source files themselves.
    public var copies: Int
    /// Kinds of media among them (the source counts as the internal disk).
    public var mediaKinds: [Media]
    /// Whether one of them is off site.
    public var offsite: Bool
    /// Three copies, two kinds of media, one off site.
    public var holds: Bool
    /// The rule holds and every destination holds the newest snapshot.
    public var allCurrent: Bool
    /// What is wrong, for a person.
    public var problems: [String]
}

/// The whole of ``PlanSession/status()``.
public struct PlanStatus: Sendable, Codable, Equatable {
    /// The newest snapshot anywhere, and its time.
    public var newestSnapshot: String?
    public var newestSnapshotTime: String?
    /// One entry per destination, in the plan's order.
    public var destinations: [DestinationStatus]
    /// The verdict.
    public var verdict: RuleVerdict
}

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

/// One destination's `check`, as ``PlanSession/check(readData:progress:)`` reports it.
public struct DestinationCheck: Sendable {
    /// The destination's name.
    public var name: String
    /// The report, when it was reachable.
    public var report: CheckReport?
    /// Why it was not checked.
    public var problem: String?
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
        let union = try Self.union(places).filter { $0.key == Layout.config || $0.key.hasPrefix(Layout.keys) }
        let reports = await catchUpAll(&places, union: union, progress: progress)
        try? recordSeen(places)
        return reports
    }

    /// Catches up every reachable place (or those named in `names`) with `union`; one report per place concerned.
    private func catchUpAll(_ places: inout [Place], union: [String: Int64], only names: [String]? = nil,
                            progress: (@Sendable (String) -> Void)?) async -> [DestinationReport] {
        var reports: [DestinationReport] = []
        let before = places
        for i in places.indices where names?.contains(places[i].target.name) ?? true {
            guard places[i].reachable else {
                reports.append(DestinationReport(name: places[i].target.name, outcome: .unreachable, problem: places[i].unreachable))
                continue
            }
            reports.append(await catchUp(&places[i], from: before, union: union, progress: progress))
        }
        return reports
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
        let union = try Self.union(places)
        var reports: [String: DestinationReport] = [:]
        for r in await catchUpAll(&places, union: union, progress: progress) { reports[r.name] = r }
        let members = places.filter { reports[$0.target.name]?.outcome == .done }.sorted { $0.speedRank < $1.speedRank }
        guard !members.isEmpty else { throw noneReachable(places, reports: Array(reports.values)) }
        // Packs are staged on the internal disk: in the repository folder when one copy lives there (storing the pack
        // in that copy is then a link, and the others read the same file), else in the temporary folder, so that a
        // NAS or drive that goes away takes only its own copy out of the backup.
        let staging = members.first { $0.target.media == .internalDisk && RepositoryLocation.kind(of: $0.target.repo) == .folder }?
            .destination.stagingDirectory
        let replicas = ReplicaSet(members.map { ReplicaSet.Member(name: $0.target.name, destination: $0.destination) }, staging: staging)
        let repo = try await Repository.open(replicas, password: password)
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
        for p in places {
            guard let folder = p.destination as? LocalDirectory ?? (p.destination as? RemovableDrive)?.folder else { continue }
            if plan.sources.contains(where: { folder.root.hasPrefix($0.path.hasSuffix("/") ? $0.path : $0.path + "/") }) {
                options.excludes.append(folder.root)
            }
        }
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

    private func noneReachable(_ places: [Place], reports: [DestinationReport] = []) -> TriplicateError {
        let reasons = places.map { p in
            "\(p.target.name): \(p.unreachable ?? reports.first { $0.name == p.target.name }?.problem ?? "not usable")"
        }
        return TriplicateError(.destination(.unavailable), "no destination of the plan can be reached (\(reasons.joined(separator: "; ")))")
    }

    // MARK: sync

    /// Brings lagging destinations up to date: copies to each reachable destination (or only those named in
    /// `names`) every repository file another reachable destination holds and it lacks, verifying each, in the
    /// safe order. Never deletes anything; run again after an interruption, it copies what is still missing.
    public func sync(to names: [String]? = nil, progress: (@Sendable (String) -> Void)? = nil) async throws(TriplicateError) -> [DestinationReport] {
        for n in names ?? [] { _ = try plan.destination(named: n) }
        var places = try await survey()
        guard places.contains(where: { $0.reachable && $0.repository != nil }) else { throw noneReachable(places) }
        let union = try Self.union(places)
        let reports = await catchUpAll(&places, union: union, only: names, progress: progress)
        try? recordSeen(places)
        return reports
    }

    // MARK: status

    /// How every destination stands and whether the 3-2-1 rule holds: the newest snapshot anywhere, and for each
    /// destination whether it holds it, how far it lags (snapshots, bytes) and when it was last checked. An
    /// unreachable destination is described as it was last seen and never counts as up to date.
    public func status() async throws(TriplicateError) -> PlanStatus {
        let places = try await survey()
        let state = loadState(places)
        let union = try Self.union(places)
        // The newest snapshot: the latest time among the snapshots of every reachable destination.
        var newest: (id: String, time: String)?
        var snapshotIDs = Set(union.keys.filter { $0.hasPrefix(Layout.snapshots) }.map { String($0.dropFirst(Layout.snapshots.count)) })
        for p in places {
            if let seen = state?.destinations[p.target.name]?.snapshots, !p.reachable { snapshotIDs.formUnion(seen) }
        }
        var times: [String: String] = [:]
        if let reader = places.filter({ $0.reachable }).sorted(by: { $0.speedRank < $1.speedRank }).first(where: { $0.repository != nil })?.repository {
            let listing = try await reader.snapshotListing()
            for s in listing.snapshots { times[s.id.hex] = s.record.time }
        }
        for p in places where p.repository != nil && p.reachable {
            for name in p.objects.keys where name.hasPrefix(Layout.snapshots) {
                let id = String(name.dropFirst(Layout.snapshots.count))
                if times[id] == nil, let oid = ObjectID(hex: id), let s = try? await p.repository?.loadSnapshot(oid) { times[id] = s.record.time }
            }
        }
        for (id, time) in times where newest == nil || time > (newest?.time ?? "") { newest = (id, time) }

        var statuses: [DestinationStatus] = []
        for p in places {
            let seen = state?.destinations[p.target.name]
            var s = DestinationStatus(name: p.target.name, media: p.target.media, site: p.target.site, reachable: p.reachable,
                                      problem: p.unreachable, upToDate: false)
            let held: Set<String>?
            if p.reachable {
                held = p.repository == nil ? [] : Set(p.objects.keys.filter { $0.hasPrefix(Layout.snapshots) }.map { String($0.dropFirst(Layout.snapshots.count)) })
                s.bytesBehind = union.filter { p.objects[$0.key] == nil }.values.reduce(0, +)
            } else {
                held = seen?.snapshots.map(Set.init)
                s.lastSeen = seen?.lastSeen
            }
            if let held {
                s.snapshots = held.count
                s.snapshotsBehind = snapshotIDs.subtracting(held).count
                if let last = held.compactMap({ id in times[id].map { (id, $0) } }).max(by: { $0.1 < $1.1 }) {
                    s.newestSnapshot = String(last.0.prefix(8))
                    s.newestSnapshotTime = last.1
                }
                // Current: reachable, holding the newest snapshot and every other one seen anywhere, and not failing its
                // last check. With no snapshot anywhere yet, nothing is backed up and no copy is current.
                s.upToDate = p.reachable && p.repository != nil && newest.map { held.contains($0.id) } == true
                    && s.snapshotsBehind == 0 && seen?.lastCheckPassed != false
            }
            s.lastChecked = seen?.lastChecked
            s.lastCheckReadData = seen?.lastCheckReadData
            s.lastCheckPassed = seen?.lastCheckPassed
            statuses.append(s)
        }
        return PlanStatus(newestSnapshot: newest.map { String($0.id.prefix(8)) }, newestSnapshotTime: newest?.time,
                          destinations: statuses, verdict: Self.verdict(statuses))
    }

    /// The 3-2-1 verdict over destinations' statuses, counting the source as one copy on the internal disk.
    static func verdict(_ statuses: [DestinationStatus]) -> RuleVerdict {
        let current = statuses.filter(\.upToDate)
        let nothingYet = statuses.allSatisfy { $0.newestSnapshot == nil && ($0.snapshotsBehind ?? 0) == 0 }
        let copies = 1 + current.count
        let media = Set([Media.internalDisk] + current.map(\.media))
        let offsite = current.contains { $0.site == .offsite }
        var problems: [String] = []
        if copies < 3 { problems.append("only \(copies) up-to-date copies counting the source (3 needed)") }
        if media.count < 2 { problems.append("all up-to-date copies are on one kind of medium (2 needed)") }
        if !offsite { problems.append("no up-to-date copy is off site") }
        if nothingYet { problems.append("nothing is backed up yet: run `triplicate backup --plan`") }
        for s in statuses where !s.upToDate && !nothingYet {
            if s.lastCheckPassed == false {
                problems.append("\(s.name) failed its last check: run `triplicate check --plan --read-data` and see what it reports")
            } else if !s.reachable {
                problems.append("\(s.name) could not be reached" + (s.snapshotsBehind.map { $0 > 0 ? " and was \($0) snapshot\($0 == 1 ? "" : "s") behind when last seen" : "" } ?? ""))
            } else {
                problems.append("\(s.name) is \(s.snapshotsBehind ?? 0) snapshot\(s.snapshotsBehind == 1 ? "" : "s") behind; run `triplicate sync --plan`")
            }
        }
        let holds = copies >= 3 && media.count >= 2 && offsite
        return RuleVerdict(copies: copies, mediaKinds: Media.allCases.filter(media.contains), offsite: offsite, holds: holds,
                           allCurrent: holds && current.count == statuses.count, problems: problems)
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

    // MARK: check

    /// Checks every reachable destination (with `readData`, every byte) and records when, for ``status()``.
    public func check(readData: Bool = false, progress: (@Sendable (String) -> Void)? = nil) async throws(TriplicateError) -> [DestinationCheck] {
        let places = try await survey()
        var results: [DestinationCheck] = []
        var state = loadState(places) ?? PlanState()
        for p in places {
            guard let repo = p.repository, p.reachable else {
                results.append(DestinationCheck(name: p.target.name, problem: p.unreachable ?? "holds no repository yet"))
                continue
            }
            progress?("checking \(p.target.name)")
            let report: CheckReport
            do { report = try await repo.check(readData: readData) } catch {
                // One copy going away in the middle of its check does not stop the checks of the others.
                results.append(DestinationCheck(name: p.target.name, problem: "its check stopped: \(error.message)"))
                continue
            }
            results.append(DestinationCheck(name: p.target.name, report: report))
            state.destinations[p.target.name, default: PlanState.Seen()].lastChecked = PlanState.now()
            state.destinations[p.target.name, default: PlanState.Seen()].lastCheckReadData = readData
            state.destinations[p.target.name, default: PlanState.Seen()].lastCheckPassed = report.isHealthy
        }
        try? saveState(state, places)
        try? recordSeen(places)
        return results
    }
}
