// Survey: a plan's first step in every command: look at every destination at once, reading only each copy's config
// and listing its files; then unlock the repository's keys once, from the nearest copy, for all of them.
@_spi(Benchmarks) internal import TriplicateCore
internal import Foundation

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

extension PlanSession {

    /// One destination as a command found it.
    struct Place: Sendable {
        var target: Plan.Target
        var destination: any Destination
        /// The config of the repository it holds (nil: none yet).
        var config: RepositoryConfig?
        /// The copy as a repository, once the plan's keys are unlocked (see ``PlanSession/unlock(_:)``).
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
        var unusable: [Int: UnusableDestination] = [:]
        for (i, t) in plan.destinations.enumerated() {
            do { destinations.append(try registry.destination(for: t.location, context: try t.context(environment: environment))) } catch {
                let u = UnusableDestination(displayName: t.repo, reason: error.message,
                                            kind: error.kind == .missingCredentials ? .noCredentials : .invalidLocation)
                unusable[i] = u
                destinations.append(u)
            }
        }
        let looked = await withTaskGroup(of: Looked.self) { group in
            for (i, t) in plan.destinations.enumerated() {
                let d = destinations[i]
                if let u = unusable[i] {
                    var place = Place(target: t, destination: d)
                    place.unreachable = u.reason
                    place.reason = u.kind
                    group.addTask { Looked(index: i, place: place) }
                    continue
                }
                group.addTask {
                    let look: @Sendable () async -> Looked = {
                        do throws(TriplicateError) {
                            return Looked(index: i, place: try await self.look(at: t, d, creating: creating))
                        } catch {
                            return Looked(index: i, error: error)
                        }
                    }
                    // Creating a copy (init) takes what it takes; otherwise a copy that has not answered by the
                    // deadline is left out at once, and the others go on without it.
                    if creating { return await look() }
                    let deadline = Self.probeDeadline
                    if let looked = await firstOf(look, deadline: deadline) { return looked }
                    var place = Place(target: t, destination: d)
                    place.unreachable = "did not answer within \(deadline.components.seconds) seconds; the other copies went on without it"
                    place.reason = Self.reason(for: d, "")
                    return Looked(index: i, place: place)
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
        if let first = places.first(where: { $0.config != nil }), let id = first.config?.repositoryID {
            for p in places {
                if let other = p.config?.repositoryID, other != id {
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
        let d = d.anchored(Layout.anchor)
        var place = Place(target: t, destination: d)
        do {
            // Only the config: which repository the copy holds. The keys are unlocked once, for every copy.
            place.config = try await Repository.readConfig(d)
        } catch {
            switch error.kind {
            case .destination(.unavailable) where creating && d.placeKind == .removableDrive,
                 .noRepository where creating:
                // Only init makes a new copy: the folder on a drive that is plugged in (the drive refuses an empty
                // mount point), a folder or a bucket that does not exist yet.
                do throws(TriplicateError) {
                    // A bucket the plan wants locked is created with object lock, before anything is written to it.
                    if let days = t.lockDays {
                        do { try await d.enableRetention(days: days) } catch {
                            throw TriplicateError(error, doing: "\(plan.at(t.line))cannot set up object lock on \(t.name)")
                        }
                    }
                    try await Repository.prepareEmpty(d)
                } catch {
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
                    + "initializing the plan makes a new copy there"
                place.reason = .noCopyYet
                return place
            case .notARepository:
                // Key files without a config: a copy whose seeding was interrupted; it catches up like an empty one.
                if let held = try? await d.list(prefix: ""), !held.isEmpty,
                   held.allSatisfy({ Layout.isRepositoryFile($0.name) && $0.name != Layout.config }) {
                    for info in held { place.objects[info.name] = info.size }
                    return place
                }
                throw TriplicateError(error.kind, "\(plan.at(t.line))destination \"\(t.name)\": \(error.message)")
            default:
                throw TriplicateError(error.kind, "\(plan.at(t.line))destination \"\(t.name)\": \(error.message)")
            }
        }
        do {
            for info in try await d.list(prefix: "") where Layout.isRepositoryFile(info.name) { place.objects[info.name] = info.size }
        } catch {
            place.unreachable = "cannot list \(d.displayName): \(error)"
            return place
        }
        return place
    }

    /// The kind of reason `d` cannot be used, from its type.
    /// How long a command waits for a copy to answer its first question before leaving it out: long enough for a
    /// slow link (B2 answers in under a second), short enough that an unplugged network or a server that accepts
    /// connections and never answers does not hold the other copies back for minutes of retries.
    @TaskLocal static var probeDeadline: Duration = .seconds(15)

    static func reason(for d: any Destination, _ message: String) -> UnreachableReason {
        switch d.placeKind {
        case .removableDrive: return .driveNotConnected
        case .folder: return .folderMissing
        case .objectStore: return .serverUnreachable
        case .other: return .failed
        }
    }

    /// Unlocks the repository's keys once, from the nearest copy whose key files open with the password (a key file
    /// every copy holds is tried once), and gives every reachable copy that holds the repository its ``Place/repository``
    /// with those keys; a drive's marker is checked or written on the way, and a copy that refuses is left out like an
    /// unreachable one. Returns the first copy's repository, or nil when no reachable copy holds the repository yet.
    @discardableResult
    func unlock(_ places: inout [Place]) async throws(TriplicateError) -> Repository? {
        let holders = places.indices.filter { places[$0].reachable && places[$0].config != nil }
            .sorted { places[$0].speedRank < places[$1].speedRank }
        var tried = Set<String>()
        var keys: RepositoryKeys?
        var keyName: String?
        var problems: [String] = []
        var wrong: TriplicateError?
        for i in holders {
            guard let config = places[i].config else { continue }
            do {
                (keys, keyName) = try await Repository.unlock(places[i].destination, config: config, passwords: passwords, tried: &tried)
                break
            } catch {
                switch error.kind {
                case .wrongPassword:
                    if wrong == nil { wrong = error }
                case .destination:
                    places[i].unreachable = error.message
                    places[i].reason = Self.reason(for: places[i].destination, error.message)
                default:
                    // A copy whose key files are missing or damaged: another copy's open, and catching up replaces them.
                    problems.append("\(places[i].target.name): \(error.message)")
                }
            }
        }
        guard let keys else {
            if let wrong {
                let names = holders.map { "\"\(places[$0].target.name)\"" }.joined(separator: ", ")
                throw TriplicateError(.wrongPassword, "\(plan.at(nil))the password opens no key file of the repository on \(names) (is it another repository?): \(wrong.message)")
            }
            if !problems.isEmpty { throw TriplicateError(.corrupt, "\(plan.at(nil))no copy of the repository can be unlocked: \(problems.joined(separator: "; "))") }
            return nil
        }
        var first: Repository?
        for i in holders where places[i].reachable {
            guard let config = places[i].config else { continue }
            do {
                try await Repository.bind(places[i].destination, to: keys.repositoryID, doing: "cannot use \(places[i].destination.displayName)")
            } catch {
                places[i].unreachable = error.message
                if error.kind == .destination(.denied) { places[i].reason = .refused }
                continue
            }
            let repo = Repository(destination: places[i].destination, config: config, keys: keys, openedKey: keyName)
            places[i].repository = repo
            if first == nil { first = repo }
        }
        return first
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
}
