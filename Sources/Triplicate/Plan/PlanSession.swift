// PlanSession: the 3-2-1 plan at work: create the repository everywhere, back up once to every destination,
// catch up lagging copies, say whether the rule holds, restore from the fastest copy, check every copy.
internal import Foundation

/// What happened at one destination of a plan during a command.
public struct DestinationReport: Sendable, Codable, Equatable {
    /// What became of the destination.
    public enum Outcome: String, Sendable, Codable {
        /// It holds everything the command wrote (and what it lacked before).
        case done
        /// It could not be reached (a drive in a drawer, no network); nothing was written to it.
        case unreachable
        /// It failed part way (unplugged, full, server gone) and was left out of the rest of the command.
        case failed
    }

    /// The destination's name in the plan.
    public var name: String
    /// What became of it.
    public var outcome: Outcome
    /// Why it is unreachable or failed.
    public var problem: String?
    /// The kind of reason it is unreachable.
    public var reason: UnreachableReason?
    /// Objects copied to it to catch up with the others, and their bytes.
    public var objectsCopied: Int = 0
    public var bytesCopied: Int64 = 0
    /// Bytes the backup wrote to it.
    public var bytesWritten: Int64 = 0
    /// Its files that were damaged (or disagreed with the other copies) and were replaced by the intact file of the
    /// same name from another copy.
    public var healed: [HealedFile] = []
    /// Files it lacks that no copy holds intact: left out (the catch-up goes on without them) and, for packs, recorded
    /// as damaged (FORMAT.md §9.1).
    public var lost: [String] = []
}

/// The result of ``PlanSession/backup(options:)``.
public struct PlanBackupResult: Sendable {
    /// The backup itself (its snapshot is on every destination whose outcome is `done`).
    public var backup: BackupResult
    /// One report per destination, in the plan's order.
    public var destinations: [DestinationReport]
    /// True when every destination holds the new snapshot.
    public var reachedEveryDestination: Bool { destinations.allSatisfy { $0.outcome == .done } }
}

/// Why a destination of a plan cannot be used now; `status` tells a drive in a drawer from a key missing in a cron
/// job's environment.
public enum UnreachableReason: String, Sendable, Codable, Equatable {
    /// The location needs credentials (a key, a region) this environment lacks.
    case noCredentials = "no-credentials"
    /// The location cannot be used as written (a typo, a relative drive path).
    case invalidLocation = "invalid-location"
    /// A removable drive that is not plugged in (nothing mounted at its folder).
    case driveNotConnected = "drive-not-connected"
    /// A folder or share that is not there (a NAS that is not mounted, a wrong path).
    case folderMissing = "folder-missing"
    /// A server that did not answer, after every retry.
    case serverUnreachable = "server-unreachable"
    /// The server or the file system refused (credentials or permissions).
    case refused = "refused"
    /// Reachable, but it holds no copy of the repository yet (`init --plan` makes one).
    case noCopyYet = "no-copy-yet"
    /// Anything else (the message says what).
    case failed = "failed"

    /// A few words for a person.
    public var summary: String {
        switch self {
        case .noCredentials: "no credentials in this environment"
        case .invalidLocation: "its location is not usable as written"
        case .driveNotConnected: "drive not connected"
        case .folderMissing: "folder not there (is the disk or share mounted?)"
        case .serverUnreachable: "server not reachable"
        case .refused: "access refused"
        case .noCopyYet: "holds no copy of the repository yet"
        case .failed: "not usable"
        }
    }
}

/// A destination whose location could not be set up (no credentials): every operation says why.
struct UnusableDestination: Destination {
    let displayName: String
    let reason: String
    let kind: UnreachableReason

    private var failure: DestinationError { DestinationError(.unavailable, object: nil, reason) }
    func put(_ name: String, data: [UInt8]) async throws(DestinationError) { throw failure }
    func put(_ name: String, file path: String) async throws(DestinationError) { throw failure }
    var stagingDirectory: String? { nil }
    func get(_ name: String) async throws(DestinationError) -> [UInt8] { throw failure }
    func get(_ name: String, range: Range<Int64>) async throws(DestinationError) -> [UInt8] { throw failure }
    func get(_ name: String, range: Range<Int64>, into buffer: UnsafeMutableRawBufferPointer) async throws(DestinationError) { throw failure }
    func list(prefix: String) async throws(DestinationError) -> [ObjectInfo] { throw failure }
    func delete(_ name: String) async throws(DestinationError) { throw failure }
    func stat(_ name: String) async throws(DestinationError) -> ObjectInfo { throw failure }
}

/// A plan at work, with the password that opens its repository.
///
/// Every command first looks at every destination at once: a destination that cannot be reached is left out
/// with a reason, one that holds a different repository is an error naming its line in the plan. The copies
/// are kept byte-identical: the same file names with the same bytes everywhere (each drive's own marker file
/// `drive` aside).
public final class PlanSession: Sendable {
    /// The plan.
    public let plan: Plan
    let password: String
    /// Every password to try when opening a copy, `password` first.
    let passwords: [String]
    let environment: [String: String]
    /// Turns the plan's locations into destinations.
    let registry: DestinationRegistry
    /// The folder where the session records what it learned about each destination (when its data was last
    /// checked, which snapshots it held when last seen), one JSON file per repository; nil records nothing.
    public let stateDirectory: String?

    /// A session for `plan` with `password`; locations are resolved with `environment` (credentials; nil: this
    /// process's environment), and what is learned is recorded in `stateDirectory` (nil: the default,
    /// ``defaultStateDirectory(environment:)``).
    /// Locations of schemes a library user added are made with `registry`.
    public convenience init(plan: Plan, password: String, environment: [String: String]? = nil, stateDirectory: String? = nil,
                            registry: DestinationRegistry = .standard) {
        self.init(plan: plan, passwords: [password], environment: environment, stateDirectory: stateDirectory, registry: registry)
    }

    /// A session that opens the copies with the first of `passwords` that works (the CLI adds how an earlier version
    /// read the same password file); new copies and keys use the first.
    package init(plan: Plan, passwords: [String], environment: [String: String]? = nil, stateDirectory: String? = nil,
                 registry: DestinationRegistry = .standard) {
        let environment = environment ?? ProcessInfo.processInfo.environment
        self.registry = registry
        self.plan = plan
        self.password = passwords.first ?? ""
        self.passwords = passwords
        self.environment = environment
        self.stateDirectory = stateDirectory ?? PlanSession.defaultStateDirectory(environment: environment)
    }

    /// `$XDG_STATE_HOME/triplicate`, else `$HOME/.local/state/triplicate`.
    public static func defaultStateDirectory(environment: [String: String]) -> String? {
        if let x = environment["XDG_STATE_HOME"], x.hasPrefix("/") { return x + "/triplicate" }
        if let home = environment["HOME"], home.hasPrefix("/") { return home + "/.local/state/triplicate" }
        return nil
    }

    // MARK: Looking at every destination

    /// One destination as a command found it.
    struct Place: Sendable {
        var target: Plan.Target
        var destination: any Destination
        var repository: Repository?
        /// Why it cannot be used (unreachable); nil when reachable.
        var unreachable: String? {
            didSet { if unreachable == nil { reason = nil } }
        }
        /// The kind of that reason.
        var reason: UnreachableReason?
        /// The repository files it holds, with sizes (empty when it holds no repository yet).
        var objects: [String: Int64] = [:]

        var reachable: Bool { unreachable == nil }

        /// Reads try the fastest copy first: the internal disk, a NAS, a drive, the cloud.
        var speedRank: Int {
            switch target.location {
            case .folder: target.media == .internalDisk ? 0 : 1
            case .drive: 2
            case .objectStore: 3
            case .custom: 4
            }
        }
    }

    static func isRepositoryFile(_ name: String) -> Bool { Layout.isRepositoryFile(name) }

    private struct Looked: Sendable {
        var index: Int
        var place: Place?
        var error: TriplicateError?
    }

    /// Looks at every destination at once. With `creating` (init), a folder that does not exist yet is created.
    func survey(creating: Bool = false) async throws(TriplicateError) -> [Place] {
        // A destination that cannot even be set up (no credentials in a cron job's environment) is left out with the
        // reason, like one that cannot be reached: the others still get their backup.
        var destinations: [any Destination] = []
        for t in plan.destinations {
            do { destinations.append(try registry.destination(for: t.location, context: DestinationContext(environment: environment))) } catch {
                destinations.append(UnusableDestination(displayName: t.repo, reason: error.message,
                                                        kind: error.kind == .missingCredentials ? .noCredentials : .invalidLocation))
            }
        }
        let looked = await withTaskGroup(of: Looked.self) { group in
            for (i, t) in plan.destinations.enumerated() {
                let d = destinations[i]
                group.addTask {
                    do throws(TriplicateError) {
                        return Looked(index: i, place: try await self.look(at: t, d, creating: creating))
                    } catch {
                        return Looked(index: i, error: error)
                    }
                }
            }
            var all: [Looked] = []
            for await l in group { all.append(l) }
            return all.sorted { $0.index < $1.index }
        }
        var places: [Place] = []
        for l in looked {
            if let e = l.error { throw e }
            if let p = l.place { places.append(p) }
        }
        // Every copy must be the same repository.
        if let first = places.first(where: { $0.repository != nil }), let id = first.repository?.id {
            for p in places {
                if let other = p.repository?.id, other != id {
                    throw TriplicateError(.invalidArgument, "\(plan.at(p.target.line))destination \"\(p.target.name)\" (\(p.destination.displayName)) holds a different repository (\(other.short)) from \"\(first.target.name)\" (\(id.short)); give it an empty folder or bucket of its own")
                }
            }
        }
        return places
    }

    private func look(at t: Plan.Target, _ d: any Destination, creating: Bool) async throws(TriplicateError) -> Place {
        var place = try await inspect(t, d, creating: creating)
        if place.unreachable != nil, place.reason == nil { place.reason = Self.reason(for: d, place.unreachable ?? "") }
        return place
    }

    private func inspect(_ t: Plan.Target, _ d: any Destination, creating: Bool) async throws(TriplicateError) -> Place {
        var place = Place(target: t, destination: d)
        do {
            place.repository = try await Repository.open(d, passwords: passwords)
        } catch {
            switch error.kind {
            case .destination(.unavailable) where creating && d.placeKind == .removableDrive,
                 .noRepository where creating:
                // Only init makes a new copy: the folder on a drive that is plugged in (the drive refuses an empty
                // mount point), a folder or a bucket that does not exist yet.
                do { try await Repository.prepareEmpty(d) } catch {
                    place.unreachable = error.message
                }
                return place
            case .destination(let kind):
                // Not reachable (a drive in a drawer, no network), or refusing (credentials): left out with the reason.
                place.unreachable = error.message
                if kind == .denied { place.reason = .refused }
                return place
            case .noRepository:
                // Backup and sync never make a new copy: an empty folder may be a share that is not mounted (filling it
                // would fill the internal disk), and a missing bucket may be a typo.
                place.unreachable = "\(d.displayName) holds no copy of the repository yet (is the disk or share mounted?); "
                    + "`triplicate init --plan \(plan.file ?? "FILE")` makes a new copy there"
                place.reason = .noCopyYet
                return place
            case .notARepository:
                // Key files without a config: a copy whose seeding was interrupted; it catches up like an empty one.
                if let held = try? await d.list(prefix: ""), !held.isEmpty,
                   held.allSatisfy({ Self.isRepositoryFile($0.name) && $0.name != Layout.config }) {
                    for info in held { place.objects[info.name] = info.size }
                    return place
                }
                throw TriplicateError(error.kind, "\(plan.at(t.line))destination \"\(t.name)\": \(error.message)")
            case .wrongPassword:
                throw TriplicateError(.wrongPassword, "\(plan.at(t.line))destination \"\(t.name)\": the password does not open the repository at \(d.displayName) (is it another repository?)")
            default:
                throw TriplicateError(error.kind, "\(plan.at(t.line))destination \"\(t.name)\": \(error.message)")
            }
        }
        do {
            for info in try await d.list(prefix: "") where Self.isRepositoryFile(info.name) { place.objects[info.name] = info.size }
        } catch {
            place.unreachable = "cannot list \(d.displayName): \(error)"
            return place
        }
        return place
    }

    /// The kind of reason `d` cannot be used, from its type.
    static func reason(for d: any Destination, _ message: String) -> UnreachableReason {
        if let u = d as? UnusableDestination { return u.kind }
        switch d.placeKind {
        case .removableDrive: return .driveNotConnected
        case .folder: return .folderMissing
        case .objectStore: return .serverUnreachable
        case .other: return .failed
        }
    }

    /// Every repository file held by some reachable place, with its size, and the names that two places hold with
    /// different sizes (one of them is damaged; ``healConflicts(_:log:)`` finds which and replaces it).
    static func union(_ places: [Place]) -> (files: [String: Int64], conflicts: [String]) {
        var all: [String: Int64] = [:]
        var conflicts = Set<String>()
        for p in places where p.reachable {
            for (name, size) in p.objects {
                if let known = all[name], known != size { conflicts.insert(name) }
                if all[name] == nil { all[name] = size }
            }
        }
        return (all, conflicts.sorted())
    }

    // MARK: Catching up

    /// Copies to `target` every object of `union` it lacks, from the fastest place that has it, in the safe order
    /// (key files, config, packs, index files, snapshots), checking each object's content against its name
    /// before writing it and its size after. Never deletes anything; an interrupted catch-up resumes where it
    /// stopped, because every object is written whole or not at all.
    func catchUp(_ target: inout Place, from places: [Place], union: [String: Int64], log: HealLog,
                 cancellation: Cancellation? = nil, progress: (@Sendable (String) -> Void)?) async -> DestinationReport {
        var report = DestinationReport(name: target.target.name, outcome: .done)
        let missing = union.keys.filter { target.objects[$0] == nil }
        guard !missing.isEmpty else { return report }
        let sources = places.filter { $0.reachable && $0.target.name != target.target.name }.sorted { $0.speedRank < $1.speedRank }
        func phase(_ name: String) -> Int { Layout.copyPhase(name) }
        let ordered = missing.sorted { (phase($0), $0) < (phase($1), $1) }
        do throws(TriplicateError) {
            // A new copy was made ready (folder or bucket created, found empty) when init surveyed it.
            progress?("\(target.target.name): copying \(ordered.count) files (\(Self.bytes(ordered.reduce(Int64(0)) { $0.saturatingAdd(max(union[$1] ?? 0, 0)) })))")
            var start = 0
            while start < ordered.count {
                // One phase at a time, so that nothing is written before what it depends on.
                let p = phase(ordered[start])
                var end = start
                while end < ordered.count, phase(ordered[end]) == p { end += 1 }
                try await copy(Array(ordered[start..<end]), to: target, from: sources, union: union, log: log,
                               cancellation: cancellation, report: &report)
                for name in ordered[start..<end] where !report.lost.contains(name) { target.objects[name] = union[name] }
                if end < ordered.count {
                    progress?("\(target.target.name): \(report.objectsCopied) of \(ordered.count) files copied (\(Self.bytes(report.bytesCopied)))")
                }
                if p == 1, target.repository == nil {
                    // With its config the copy is a repository; opening it also writes a drive's marker.
                    target.repository = try await Repository.open(target.destination, passwords: passwords)
                }
                start = end
            }
        } catch {
            report.outcome = .failed
            report.problem = error.message
        }
        return report
    }

    private struct Copied: Sendable {
        var name: String
        var bytes: Int64
        var error: TriplicateError?
        /// No copy that holds the file could provide it intact: each holds it damaged or cannot read it.
        var damagedEverywhere = false
    }

    /// Copies `names` (of one phase) to `target`, four at a time. A file that every copy holds damaged is left out and
    /// named in the report's ``DestinationReport/lost``; any other failure stops the phase (thrown).
    private func copy(_ names: [String], to target: Place, from sources: [Place], union: [String: Int64], log: HealLog,
                      cancellation: Cancellation?, report: inout DestinationReport) async throws(TriplicateError) {
        var results: [Copied] = []
        await forEachConcurrently(names, limit: 4, { name in
            await self.copyOne(name, to: target, from: sources, size: union[name] ?? -1, log: log)
        }, collect: { r in
            results.append(r)
            return (r.error == nil || r.damagedEverywhere) && cancellation?.isCancelled != true
        })
        for r in results {
            if r.error == nil {
                report.objectsCopied += 1
                report.bytesCopied += r.bytes
            } else if r.damagedEverywhere {
                report.lost.append(r.name)
            }
        }
        if let failure = results.lazy.filter({ !$0.damagedEverywhere }).compactMap(\.error).first { throw failure }
        if cancellation?.isCancelled == true {
            throw TriplicateError(.cancelled, "interrupted; what was copied so far stays, the next sync copies the rest")
        }
    }

    private func copyOne(_ name: String, to target: Place, from sources: [Place], size: Int64, log: HealLog) async -> Copied {
        do throws(TriplicateError) {
            // The fastest copy that holds the file first, streamed through a staging file and checked against its name;
            // a copy that cannot be read or whose file is damaged is passed over for the next (and healed from it), and
            // only when none has a good file is this copy left behind.
            var problems: [String] = []
            var damaged: [(Place, String)] = []
            let repositoryID = sources.lazy.compactMap(\.repository).first?.id
            for source in sources where source.objects[name] == size {
                let path: String
                switch try await stage(name, size: size, from: source, repository: repositoryID, in: target.destination.stagingDirectory) {
                case .intact(let p): path = p
                case .damaged(let why):
                    problems.append("\"\(source.target.name)\" holds a damaged copy (\(why))")
                    damaged.append((source, why))
                    continue
                case .unreadable(let why):
                    problems.append(why)
                    continue
                }
                defer { FileSystem.removeQuietly(path) }
                do throws(DestinationError) {
                    try await target.destination.put(name, file: path)
                    let stored = try await target.destination.stat(name)
                    guard stored.size == size else {
                        throw DestinationError(.permanent, object: name, "holds \(stored.size) bytes after writing \(size)")
                    }
                } catch {
                    throw TriplicateError(error, doing: "cannot copy \(name) to \"\(target.target.name)\"")
                }
                // The copies passed over because their file was damaged get the right one too.
                for (bad, why) in damaged {
                    do throws(TriplicateError) {
                        try await place(path, as: name, size: size, on: bad, repository: repositoryID)
                        log.add(HealedFile(file: name, destination: bad.target.name, source: source.target.name, problem: why))
                    } catch {
                        // Healing the other copy is a bonus; its check reports what is still wrong.
                    }
                }
                return Copied(name: name, bytes: size)
            }
            let error = TriplicateError(.corrupt, "\(name) could not be copied: " + (problems.isEmpty ? "no reachable destination holds it any more" : problems.joined(separator: "; ")))
            return Copied(name: name, bytes: 0, error: error, damagedEverywhere: !problems.isEmpty)
        } catch {
            return Copied(name: name, bytes: 0, error: error)
        }
    }

    static func bytes(_ n: Int64) -> String {
        n >= 1 << 30 ? String(format: "%.1f GiB", Double(n) / Double(1 << 30))
            : n >= 1 << 20 ? String(format: "%.1f MiB", Double(n) / Double(1 << 20)) : "\(n) bytes"
    }
}
