// ReplicaSet: the destinations of a plan that hold the same repository, used by the engine as one destination, so
// that a backup reads, chunks, compresses and encrypts once and writes every object to every copy.
@_spi(Benchmarks) internal import TriplicateCore
internal import Foundation
internal import Synchronization
internal import TriplicateSystem

/// Several destinations holding byte-identical copies of one repository, as one ``Destination``.
///
/// - Writes (put, delete) go to every member still in the run, at the same time; each member keeps its own safe
///   write order because the engine's order (packs, then index files, then the snapshot) is applied to each.
/// - A member whose write fails (after its own retries) is dropped for the rest of the run and named in
///   ``dropped``: it gets nothing more, in particular not the snapshot, so it never holds a snapshot whose data
///   it lacks. The write succeeds while one member remains.
/// - Reads go to the first member in order (the fastest; for reading, the first that holds the object, a copy that
///   lacks it being passed over), and one that turns out unavailable (or keeps failing after its own retries) is dropped. An
///   object read whole that turns out damaged is read again from the next copy by the engine (``readCopies``).
/// - For writing (``Use/writing``), a listing is what every member holds (same name, same size): a file one copy lacks
///   (no copy held it intact when it caught up) is never taken as stored, so the backup stores what it needs of it
///   again instead of writing a snapshot to that copy that points at it. For reading (``Use/reading``), a listing is
///   what any member holds, so the newest snapshot is found even while a copy lags.
final class ReplicaSet: Destination, Sendable {
    struct Member: Sendable {
        var name: String
        var destination: any Destination
    }

    /// What the set is for.
    enum Use: Sendable {
        /// A backup: listings are what every copy holds.
        case writing
        /// Restore, ls, stats: listings are what any copy holds.
        case reading
    }

    private struct State {
        var dropped: [(name: String, error: DestinationError)] = []
        var written: [String: Int64] = [:]
        /// During a backup: each member's queue (``beginQueuedWrites(room:check:)``).
        var queues: [CopyQueue]?
        /// Checked on each copy just before a queued write that is not a pack (the backup's lock).
        var check: (@Sendable (String) throws(DestinationError) -> Void)?
    }

    let members: [Member]
    let stagingDirectory: String?
    let use: Use
    /// For a plan's backup: the plan's side of it (reports, state).
    let run: PlanRun?
    private let state = Mutex(State())

    /// `members` in the order reads should try them; packs are staged in `staging` (nil: the temporary folder).
    init(_ members: [Member], staging: String?, use: Use = .writing, run: PlanRun? = nil) {
        self.members = members
        stagingDirectory = staging
        self.use = use
        self.run = run
    }

    /// The members' destinations, in the order reads try them: the engine reads an object found damaged on the first
    /// again from the others.
    var readCopies: [any Destination] { live.map(\.destination) }

    /// Every member's local folders.
    var localFolders: [String] { run?.localFolders ?? members.flatMap(\.destination.localFolders) }

    /// Every member, anchored.
    func anchored(_ anchor: Anchor) -> any Destination {
        ReplicaSet(members.map { Member(name: $0.name, destination: $0.destination.anchored(anchor)) }, staging: stagingDirectory, use: use, run: run)
    }

    var displayName: String { members.map { "\($0.name) (\($0.destination.displayName))" }.joined(separator: ", ") }

    /// The members dropped so far, with the failure that dropped each.
    var dropped: [(name: String, error: DestinationError)] { state.withLock { $0.dropped } }

    /// The plan's destinations that are not members still in the run (out of reach, or dropped after a failure).
    var missingCopies: [String] {
        guard let plan = run?.session.plan else { return [] }
        let names = Set(live.map(\.name))
        return plan.destinations.map(\.name).filter { !names.contains($0) }
    }

    /// True for a set that writes to every copy of the plan: only then may a command remove files, which a copy left
    /// out would bring back at its next sync.
    var holdsEveryCopy: Bool { use == .writing && run != nil && missingCopies.isEmpty }

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

    /// Runs `read` on the first live member (for reading: the first that holds the object; a member that does not is
    /// passed over, and "missing" is the answer when none does); a member that is unavailable is dropped.
    private func firstAnswer<T: Sendable>(_ object: String,
                                          _ read: (any Destination) async throws(DestinationError) -> T) async throws(DestinationError) -> T {
        var missing: DestinationError?
        var asked = Set<String>()
        while let m = live.first(where: { !asked.contains($0.name) }) {
            asked.insert(m.name)
            do throws(DestinationError) {
                return try await read(m.destination)
            } catch where error.kind == .unavailable || error.kind == .transient {
                drop(m.name, error)
            } catch where error.kind == .notFound && use == .reading {
                if missing == nil { missing = error }
            }
        }
        throw missing ?? noneLeft(object)
    }

    func put(_ name: String, data: [UInt8]) async throws(DestinationError) {
        let write: @Sendable (any Destination) async throws(DestinationError) -> Void = { d throws(DestinationError) in try await d.put(name, data: data) }
        if let queues = queuesFor(name) {
            // An index file is only queued: the snapshot, which waits for it on every copy, says whether it was stored.
            try await inOrder(name, bytes: Int64(data.count), queues: queues, wait: !name.hasPrefix(Layout.index), write)
            return
        }
        try await everywhere(name, bytes: Int64(data.count), write)
    }

    func put(_ name: String, file path: String) async throws(DestinationError) {
        let size = (try? FileSystem.size(path)) ?? 0
        if name.hasPrefix(Layout.data), let queues = queuesFor(name) {
            // The caller removes its file when this returns: each queue reads a link of it, removed by the last one.
            let link = path + ".queued.tmp-" + FileSystem.uniqueSuffix()
            if FileSystem.hardLink(path, link) {
                let open = queues.filter(\.isOpen)
                guard !open.isEmpty else {
                    FileSystem.removeQuietly(link)
                    throw noneLeft(name)
                }
                let shared = SharedStagedFile(path: link, users: open.count)
                for q in open { _ = await q.enqueuePack(name, file: shared, bytes: size) }
                return
            }
            // No hard links where the packs are staged: stored on every copy before this returns, as without queues.
        }
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
        var any: [String: Int64] = [:]
        // In the members' order, so that a name two copies hold with different sizes has the fastest copy's.
        let order = Dictionary(uniqueKeysWithValues: targets.enumerated().map { ($1.name, $0) })
        for l in listings.sorted(by: { order[$0.name] ?? 0 < order[$1.name] ?? 0 }) {
            if let objects = l.objects {
                common = common.map { $0.intersection(objects) } ?? Set(objects)
                for o in objects where any[o.name] == nil { any[o.name] = o.size }
            } else if let e = l.error {
                guard e.kind == .unavailable || e.kind == .transient else { throw e }
                drop(l.name, e)
            }
        }
        guard let common else { throw noneLeft(prefix) }
        switch use {
        case .writing: return Array(common)
        case .reading: return any.map { ObjectInfo(name: $0.key, size: $0.value) }
        }
    }

    func delete(_ name: String) async throws(DestinationError) {
        let write: @Sendable (any Destination) async throws(DestinationError) -> Void = { d throws(DestinationError) in try await d.delete(name) }
        if let queues = queuesFor(name) {
            try await inOrder(name, bytes: 0, queues: queues, wait: true, write)
            return
        }
        try await everywhere(name, bytes: 0, write)
    }

    // MARK: Queued writes

    /// From now on, until ``endQueuedWrites()``, each copy takes what is written from its own queue
    /// (``CopyQueue``), so that a fast copy goes on while a slow one is still storing earlier packs, up to `room` bytes
    /// of staged packs behind, and a copy whose write fails no longer holds up the others. Each copy still gets packs,
    /// then index files, then the snapshot, in the order they were written. `check` runs on each copy just before
    /// each write that is not a pack (the backup's lock, which a slow copy may reach minutes later); when it throws,
    /// that copy is dropped. Lock files are never queued: they go to every copy at once, as before.
    func beginQueuedWrites(room: Int64, check: @escaping @Sendable (String) throws(DestinationError) -> Void) {
        let queues = live.map { m in
            CopyQueue(name: m.name, destination: m.destination, room: room,
                      inFlight: m.destination.placeKind == .objectStore ? 4 : 2,
                      failed: { [weak self] error in self?.drop(m.name, error) },
                      written: { [weak self] n in self?.state.withLock { $0.written[m.name, default: 0] += n } })
        }
        state.withLock { s in
            s.queues = queues
            s.check = check
        }
    }

    /// Ends queued writes: what is still queued is dropped and what is being written is cancelled (after a failed or
    /// interrupted backup; after a snapshot, which waits for every copy, nothing is left). Returns once it has ended.
    func endQueuedWrites() async {
        let queues = state.withLock { s in
            defer {
                s.queues = nil
                s.check = nil
            }
            return s.queues ?? []
        }
        for q in queues { await q.stop() }
    }

    /// The queues a write of `name` goes through; nil when it goes to every copy at once (no queues, or a lock file).
    private func queuesFor(_ name: String) -> [CopyQueue]? {
        guard !name.hasPrefix(Layout.locks) else { return nil }
        return state.withLock { $0.queues }
    }

    /// Queues `write` on every open queue after what was queued before; with `wait`, returns once every copy has
    /// done it (or failed), and fails only when none did.
    private func inOrder(_ name: String, bytes: Int64, queues: [CopyQueue], wait: Bool,
                         _ write: @escaping @Sendable (any Destination) async throws(DestinationError) -> Void) async throws(DestinationError) {
        let check = state.withLock { $0.check }
        let tasks = queues.compactMap { q in
            q.enqueueBarrier(bytes: bytes) { d throws(DestinationError) in
                try check?(name)
                try await write(d)
            }
        }
        guard !tasks.isEmpty else { throw noneLeft(name) }
        guard wait else { return }
        var any = false
        for t in tasks { if await t.value { any = true } }
        if !any { throw dropped.last?.error ?? noneLeft(name) }
    }

    func stat(_ name: String) async throws(DestinationError) -> ObjectInfo {
        try await firstAnswer(name) { d throws(DestinationError) in try await d.stat(name) }
    }

    /// The longest retention of any copy (an object is deleted from every copy or from none).
    func retention() async throws(DestinationError) -> Retention? {
        var longest: Retention?
        for m in live {
            if let r = try await m.destination.retention(), r.days > longest?.days ?? 0 { longest = r }
        }
        return longest
    }

    /// The hidden versions of every copy that keeps them, together.
    func hiddenBytes() async throws(DestinationError) -> Int64? {
        var total: Int64?
        for m in live { if let h = try await m.destination.hiddenBytes() { total = (total ?? 0) + h } }
        return total
    }

    /// What any copy still retains, with the latest end among the copies.
    func retainedUntil(prefix: String) async throws(DestinationError) -> [String: Date] {
        var out: [String: Date] = [:]
        for m in live {
            for (name, until) in try await m.destination.retainedUntil(prefix: prefix) { out[name] = max(out[name] ?? until, until) }
        }
        return out
    }
}
