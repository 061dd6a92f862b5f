// CopyQueue: during a plan's backup, each copy takes the objects written to it from its own queue, so that a fast copy
// never waits for a slow one pack by pack, and each copy still receives them in the safe order of FORMAT.md §14.2.
internal import Synchronization
internal import TriplicateSystem
@_spi(Benchmarks) internal import TriplicateCore

/// An amount (bytes, or places) shared by async tasks: ``acquire(_:)`` waits until enough is free, first come first
/// served. Closing it lets every waiter (and every later caller) through with false.
final class Allowance: Sendable {
    private struct State {
        var free: Int64
        var waiting: [(amount: Int64, continuation: CheckedContinuation<Bool, Never>)] = []
        var closed = false
    }

    private let total: Int64
    private let state: Mutex<State>

    init(_ total: Int64) {
        self.total = max(total, 1)
        state = Mutex(State(free: max(total, 1)))
    }

    /// Waits until `amount` is free (an amount larger than the whole waits until all of it is free, and takes all of
    /// it) and takes it; false, taking nothing, once closed.
    func acquire(_ amount: Int64) async -> Bool {
        let amount = min(max(amount, 0), total)
        return await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
            let answer: Bool? = state.withLock { s in
                if s.closed { return false }
                if s.waiting.isEmpty, s.free >= amount {
                    s.free -= amount
                    return true
                }
                s.waiting.append((amount, c))
                return nil
            }
            if let answer { c.resume(returning: answer) }
        }
    }

    /// Gives back `amount` taken by ``acquire(_:)`` and lets in the waiters it makes room for, in order.
    func release(_ amount: Int64) {
        let amount = min(max(amount, 0), total)
        let admitted: [CheckedContinuation<Bool, Never>] = state.withLock { s in
            s.free = min(s.free + amount, total)
            var out: [CheckedContinuation<Bool, Never>] = []
            while let first = s.waiting.first, !s.closed, s.free >= first.amount {
                s.free -= first.amount
                out.append(first.continuation)
                s.waiting.removeFirst()
            }
            return out
        }
        for c in admitted { c.resume(returning: true) }
    }

    /// Lets every waiter through with false; later calls to ``acquire(_:)`` return false at once.
    func close() {
        let waiting = state.withLock { s in
            s.closed = true
            defer { s.waiting.removeAll() }
            return s.waiting.map(\.continuation)
        }
        for c in waiting { c.resume(returning: false) }
    }
}

/// A staged file several queues upload: a hard link of the engine's staged pack, removed when the last queue is done
/// with it.
final class SharedStagedFile: Sendable {
    let path: String
    private let users: Mutex<Int>

    init(path: String, users: Int) {
        self.path = path
        self.users = Mutex(users)
    }

    func release() {
        let last = users.withLock { n in
            n -= 1
            return n == 0
        }
        if last { FileSystem.removeQuietly(path) }
    }
}

/// The writes still due to one copy of a plan during a backup, in the order they were made, run as soon as that copy
/// can take them.
///
/// - A pack may be stored while other packs are (up to ``inFlight`` at once), but never before a write made before it
///   that is not a pack.
/// - Every other write (an index file, a damage record, the snapshot) waits until everything made before it is stored
///   on this copy, and everything made after it waits for it: so an index file names only packs this copy holds, and
///   the snapshot comes after every index file. This is the order of FORMAT.md §14.2, kept per copy.
/// - Packs waiting or being stored hold at most ``room`` bytes of staged files (a pack larger than that waits until
///   the queue is empty): the backup waits for a copy only once that copy is this far behind.
/// - The first write that fails (after the destination's own retries) fails the queue: nothing more is written to the
///   copy, in particular not the snapshot, and `failed` is told once.
final class CopyQueue: Sendable {
    let name: String
    let destination: any Destination
    /// Bytes of staged packs this copy may be behind.
    let room: Allowance
    /// Packs stored at once.
    private let inFlight: Allowance
    private let failed: @Sendable (DestinationError) -> Void
    private let written: @Sendable (Int64) -> Void

    private struct State {
        /// The newest write that is not a pack: every later write waits for it.
        var barrier: Task<Bool, Never>?
        /// Packs queued since that barrier: the next barrier waits for them.
        var packs: [Task<Bool, Never>] = []
        /// Every write not finished, by a number, so that ``stop()`` can cancel them.
        var running: [Int: Task<Bool, Never>] = [:]
        var next = 0
        var failed = false
        var stopped = false
    }

    private let state = Mutex(State())

    /// A queue to `destination`: `failed` hears of its first failure, `written` of each byte count stored.
    init(name: String, destination: any Destination, room: Int64, inFlight: Int,
         failed: @escaping @Sendable (DestinationError) -> Void, written: @escaping @Sendable (Int64) -> Void) {
        self.name = name
        self.destination = destination
        self.room = Allowance(room)
        self.inFlight = Allowance(Int64(max(inFlight, 1)))
        self.failed = failed
        self.written = written
    }

    /// False once a write has failed or the queue was stopped: it takes nothing more.
    var isOpen: Bool { state.withLock { !$0.failed && !$0.stopped } }

    private func fail(_ error: DestinationError) {
        let first = state.withLock { s in
            defer { s.failed = true }
            return !s.failed && !s.stopped
        }
        guard first else { return }
        room.close()
        inFlight.close()
        failed(error)
    }

    /// Starts `work` as write number `id`, registered so that ``stop()`` can cancel it; the lock must be held.
    private func start(_ s: inout State, _ work: @escaping @Sendable () async -> Bool) -> Task<Bool, Never> {
        let id = s.next
        s.next += 1
        let task = Task {
            let ok = await work()
            _ = self.state.withLock { $0.running.removeValue(forKey: id) }
            return ok
        }
        s.running[id] = task
        return task
    }

    /// Queues `file` (bytes on disk) to be stored as `name` once room is free, and returns once it is queued; false
    /// when the queue has failed or stopped (the file is released either way once the queue is done with it).
    func enqueuePack(_ name: String, file: SharedStagedFile, bytes: Int64) async -> Bool {
        guard await room.acquire(bytes) else {
            file.release()
            return false
        }
        let queued = state.withLock { s -> Bool in
            guard !s.failed, !s.stopped else { return false }
            let after = s.barrier
            let task = start(&s) { [self] in
                defer {
                    room.release(bytes)
                    file.release()
                }
                guard await after?.value ?? true, isOpen, await inFlight.acquire(1) else { return false }
                defer { inFlight.release(1) }
                guard isOpen else { return false }
                do throws(DestinationError) {
                    try await destination.put(name, file: file.path)
                    written(bytes)
                    return true
                } catch {
                    fail(error)
                    return false
                }
            }
            s.packs.append(task)
            return true
        }
        if !queued {
            room.release(bytes)
            file.release()
        }
        return queued
    }

    /// Queues `work` to run on this copy after every write queued before it, and before every write queued after it;
    /// the task answers true when it ran and succeeded. Nil when the queue has failed or stopped.
    func enqueueBarrier(bytes: Int64,
                        _ work: @escaping @Sendable (any Destination) async throws(DestinationError) -> Void) -> Task<Bool, Never>? {
        state.withLock { s -> Task<Bool, Never>? in
            guard !s.failed, !s.stopped else { return nil }
            let packs = s.packs, previous = s.barrier
            let task = start(&s) { [self] in
                var ok = await previous?.value ?? true
                for p in packs { ok = await p.value && ok }
                guard ok, isOpen else { return false }
                do throws(DestinationError) {
                    try await work(destination)
                    written(bytes)
                    return true
                } catch {
                    fail(error)
                    return false
                }
            }
            s.barrier = task
            s.packs = []
            return task
        }
    }

    /// Waits until every write queued so far has ended; true when all of them succeeded.
    func settle() async -> Bool {
        let (packs, barrier) = state.withLock { ($0.packs, $0.barrier) }
        var ok = await barrier?.value ?? true
        for p in packs { ok = await p.value && ok }
        return ok && isOpen
    }

    /// Stops the queue: writes not started are dropped, those under way are cancelled; returns once all have ended.
    /// The copy is not counted as failed.
    func stop() async {
        let running = state.withLock { s in
            s.stopped = true
            return Array(s.running.values)
        }
        room.close()
        inFlight.close()
        for t in running { t.cancel() }
        for t in running { _ = await t.value }
    }
}
