// ReplicaSet: the destinations of a plan that hold the same repository, used by the engine as one destination, so
// that a backup reads, chunks, compresses and encrypts once and writes every object to every copy.
internal import Foundation
internal import Synchronization

/// Several destinations holding byte-identical copies of one repository, as one ``Destination``.
///
/// - Writes (put, delete) go to every member still in the run, at the same time; each member keeps its own safe
///   write order because the engine's order (packs, then index files, then the snapshot) is applied to each.
/// - A member whose write fails (after its own retries) is dropped for the rest of the run and named in
///   ``dropped``: it gets nothing more, in particular not the snapshot, so it never holds a snapshot whose data
///   it lacks. The write succeeds while one member remains.
/// - Reads go to the first member in order (the fastest); one that turns out unavailable (or keeps failing after
///   its own retries) is dropped and the next is asked.
/// - A listing is what every member holds (same name, same size): a file one copy lacks (no copy held it intact when
///   it caught up) is never taken as stored, so the backup stores what it needs of it again instead of writing a
///   snapshot to that copy that points at it.
final class ReplicaSet: Destination, Sendable {
    struct Member: Sendable {
        var name: String
        var destination: any Destination
    }

    private struct State {
        var dropped: [(name: String, error: DestinationError)] = []
        var written: [String: Int64] = [:]
    }

    let members: [Member]
    let stagingDirectory: String?
    private let state = Mutex(State())

    /// `members` in the order reads should try them; packs are staged in `staging` (nil: the temporary folder).
    init(_ members: [Member], staging: String?) {
        self.members = members
        stagingDirectory = staging
    }

    /// Every member's local folders.
    var localFolders: [String] { members.flatMap(\.destination.localFolders) }

    /// Every member, anchored.
    func anchored(_ anchor: Anchor) -> any Destination {
        ReplicaSet(members.map { Member(name: $0.name, destination: $0.destination.anchored(anchor)) }, staging: stagingDirectory)
    }

    var displayName: String { members.map { "\($0.name) (\($0.destination.displayName))" }.joined(separator: ", ") }

    /// The members dropped so far, with the failure that dropped each.
    var dropped: [(name: String, error: DestinationError)] { state.withLock { $0.dropped } }

    /// Bytes written to each member so far.
    var written: [String: Int64] { state.withLock { $0.written } }

    private var live: [Member] {
        let gone = Set(state.withLock { $0.dropped.map(\.name) })
        return members.filter { !gone.contains($0.name) }
    }

    private func drop(_ name: String, _ error: DestinationError) {
        state.withLock { s in
            if !s.dropped.contains(where: { $0.name == name }) { s.dropped.append((name, error)) }
        }
    }

    /// Runs `write` on every live member at once; drops those that fail; fails only when none is left.
    private func everywhere(_ object: String, bytes: Int64,
                            _ write: @escaping @Sendable (any Destination) async throws(DestinationError) -> Void) async throws(DestinationError) {
        let targets = live
        guard !targets.isEmpty else { throw noneLeft(object) }
        struct Outcome: Sendable {
            var name: String
            var error: DestinationError?
        }
        let outcomes = await withTaskGroup(of: Outcome.self) { group in
            for m in targets {
                group.addTask {
                    do throws(DestinationError) {
                        try await write(m.destination)
                        return Outcome(name: m.name, error: nil)
                    } catch {
                        return Outcome(name: m.name, error: error)
                    }
                }
            }
            var all: [Outcome] = []
            for await o in group { all.append(o) }
            return all
        }
        for o in outcomes {
            if let e = o.error { drop(o.name, e) } else { state.withLock { $0.written[o.name, default: 0] += bytes } }
        }
        if outcomes.allSatisfy({ $0.error != nil }) {
            throw outcomes.first?.error ?? noneLeft(object)
        }
    }

    private func noneLeft(_ object: String) -> DestinationError {
        let reasons = dropped.map { "\($0.name): \($0.error)" }.joined(separator: "; ")
        return DestinationError(.unavailable, object: object, "no destination of the plan is left to write to (\(reasons))")
    }

    /// Runs `read` on the first live member; a member that is unavailable is dropped and the next one asked.
    private func firstAnswer<T: Sendable>(_ object: String,
                                          _ read: (any Destination) async throws(DestinationError) -> T) async throws(DestinationError) -> T {
        while let m = live.first {
            do throws(DestinationError) {
                return try await read(m.destination)
            } catch where error.kind == .unavailable || error.kind == .transient {
                drop(m.name, error)
            }
        }
        throw noneLeft(object)
    }

    func put(_ name: String, data: [UInt8]) async throws(DestinationError) {
        try await everywhere(name, bytes: Int64(data.count)) { d throws(DestinationError) in try await d.put(name, data: data) }
    }

    func put(_ name: String, file path: String) async throws(DestinationError) {
        let size = (try? FileSystem.size(path)) ?? 0
        try await everywhere(name, bytes: size) { d throws(DestinationError) in try await d.put(name, file: path) }
    }

    func get(_ name: String) async throws(DestinationError) -> [UInt8] {
        try await firstAnswer(name) { d throws(DestinationError) in try await d.get(name) }
    }

    func get(_ name: String, range: Range<Int64>) async throws(DestinationError) -> [UInt8] {
        try await firstAnswer(name) { d throws(DestinationError) in try await d.get(name, range: range) }
    }

    func get(_ name: String, range: Range<Int64>, into buffer: UnsafeMutableRawBufferPointer) async throws(DestinationError) {
        nonisolated(unsafe) let buffer = buffer
        try await firstAnswer(name) { d throws(DestinationError) in try await d.get(name, range: range, into: buffer) }
    }

    func list(prefix: String) async throws(DestinationError) -> [ObjectInfo] {
        struct Listing: Sendable {
            var name: String
            var objects: [ObjectInfo]?
            var error: DestinationError?
        }
        let targets = live
        let listings = await withTaskGroup(of: Listing.self) { group in
            for m in targets {
                group.addTask {
                    do throws(DestinationError) { return Listing(name: m.name, objects: try await m.destination.list(prefix: prefix)) } catch {
                        return Listing(name: m.name, error: error)
                    }
                }
            }
            var all: [Listing] = []
            for await l in group { all.append(l) }
            return all
        }
        var common: Set<ObjectInfo>?
        for l in listings {
            if let objects = l.objects {
                common = common.map { $0.intersection(objects) } ?? Set(objects)
            } else if let e = l.error {
                guard e.kind == .unavailable || e.kind == .transient else { throw e }
                drop(l.name, e)
            }
        }
        guard let common else { throw noneLeft(prefix) }
        return Array(common)
    }

    func delete(_ name: String) async throws(DestinationError) {
        try await everywhere(name, bytes: 0) { d throws(DestinationError) in try await d.delete(name) }
    }

    func stat(_ name: String) async throws(DestinationError) -> ObjectInfo {
        try await firstAnswer(name) { d throws(DestinationError) in try await d.stat(name) }
    }
}
