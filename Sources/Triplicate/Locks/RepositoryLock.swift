// RepositoryLock: the lock files that keep prune (and repair) from deleting what a backup running elsewhere needs
// (FORMAT.md §14.12). Backups, restores and checks hold a shared lock; prune and repair an exclusive one.
@_spi(Benchmarks) internal import TriplicateCore
internal import Foundation
internal import Synchronization
internal import TriplicateSystem

/// What a lock file says: who holds the lock, for what, and when it was last renewed (FORMAT.md §14.12).
struct LockRecord: Sendable, Equatable {
    var exclusive: Bool
    var operation: String
    var hostname: String
    var username: String
    var pid: Int32
    var time: Date
    /// 32 random hex digits, so that two locks never share a name.
    var nonce: String

    /// The largest lock file a reader opens; this implementation's are about 250 bytes.
    static let maxSize: Int64 = 4096

    /// The JSON of FORMAT.md §14.12, keys sorted.
    func encode() -> [UInt8] {
        let object: [String: Any] = [
            "format": "triplicate-lock", "version": 1, "exclusive": exclusive, "operation": operation,
            "hostname": hostname, "username": username, "pid": Int(pid), "time": SnapshotRecord.format(time), "nonce": nonce,
        ]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map(Array.init) ?? []
    }

    /// The record in `bytes`, or nil for anything that is not a version 1 lock file.
    static func decode(_ bytes: [UInt8]) -> LockRecord? {
        guard bytes.count <= maxSize,
              let o = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
              o["format"] as? String == "triplicate-lock", o["version"] as? Int == 1,
              let exclusive = o["exclusive"] as? Bool, let operation = o["operation"] as? String,
              let hostname = o["hostname"] as? String, let username = o["username"] as? String,
              let pid = o["pid"] as? Int, let pid32 = Int32(exactly: pid),
              let timeText = o["time"] as? String, let time = ISOTime.parse(timeText),
              let nonce = o["nonce"] as? String else { return nil }
        return LockRecord(exclusive: exclusive, operation: operation, hostname: hostname, username: username,
                          pid: pid32, time: time, nonce: nonce)
    }

    /// "prune on studio (anna, process 812) since 14:02 UTC".
    var holder: String {
        "\(operation) on \(hostname) (\(username), process \(pid)), renewed \(SnapshotRecord.format(time))"
    }
}

/// A lock held on a repository (every copy of a plan's repository) for the length of one operation.
///
/// Taking it writes a lock file, then lists the lock files of every copy: a live lock that conflicts with it (an
/// exclusive lock conflicts with every other, a shared one with an exclusive one) makes it delete its own file and
/// fail. Two processes that take conflicting locks at the same moment both see each other's file and both give way,
/// so at most one of them ever proceeds, on a store without an atomic create-if-absent (S3, B2) as on a folder.
///
/// While held, the lock is renewed every ``Timing/refreshEvery`` (a new file with the current time, then the old one
/// deleted). Other processes take a lock not renewed for ``Timing/staleAfter`` as abandoned. So that a holder is never
/// taken for abandoned while it still works (a laptop that slept, a destination that hung), the holder gives up its
/// lock once ``Timing/staleAfter`` minus ``Timing/margin`` has passed since the last renewal, and
/// ``ensureHeld(before:)`` then fails: a backup stops before its index files and its snapshot, a prune before it
/// deletes anything.
final class RepositoryLock: Sendable {
    enum Mode: Sendable { case shared, exclusive }

    /// How often a lock is renewed and when it is taken as abandoned.
    struct Timing: Sendable {
        /// A lock not renewed for this long is abandoned (30 minutes).
        var staleAfter: Duration
        /// A held lock is renewed this often (5 minutes).
        var refreshEvery: Duration
        /// The holder gives up this long before others would take its lock as abandoned (5 minutes): room for the
        /// clocks of two computers to differ.
        var margin: Duration

        static let standard = Timing(staleAfter: .seconds(30 * 60), refreshEvery: .seconds(5 * 60), margin: .seconds(5 * 60))
    }

    /// The timing used by locks taken in this task (tests shorten it).
    @TaskLocal static var timing = Timing.standard

    private struct State {
        var name: String
        /// When the lock file now in place was written (its time), on a clock that counts sleep.
        var renewed: ContinuousClock.Instant
        var lost: String?
        var released = false
    }

    let repository: Repository
    let mode: Mode
    let operation: String
    let timing: Timing
    /// The nonce of every file of this lock (its renewals keep it).
    let nonce: String
    private let state: Mutex<State>
    private let refresher = Mutex<Task<Void, Never>?>(nil)

    /// The nonces of the locks this process holds now: a lock file of this computer and this process whose nonce is
    /// not among them was left by an operation of this process that ended without deleting it (a drive unplugged, a
    /// server gone), and is abandoned.
    private static let heldHere = Mutex<Set<String>>([])

    private init(repository: Repository, mode: Mode, operation: String, timing: Timing, nonce: String, name: String,
                 renewed: ContinuousClock.Instant) {
        self.repository = repository
        self.mode = mode
        self.operation = operation
        self.timing = timing
        self.nonce = nonce
        state = Mutex(State(name: name, renewed: renewed))
    }

    /// The lock file this holder has in place now.
    var fileName: String { state.withLock { $0.name } }

    /// Takes a lock on `repository` for `operation` ("backup", "prune"), or fails with
    /// ``TriplicateError/Kind-swift.enum/locked`` naming the holder of a conflicting live lock.
    static func acquire(_ repository: Repository, _ mode: Mode, operation: String) async throws(TriplicateError) -> RepositoryLock {
        let timing = RepositoryLock.timing
        let started = ContinuousClock.now
        let nonce: String
        do { nonce = SigV4Signer.hex(try KeyDerivation.randomBytes(16)) } catch {
            throw TriplicateError(.internalFailure, "cannot draw a lock's nonce: \(error)")
        }
        let (name, bytes) = try newFile(mode: mode, operation: operation, nonce: nonce)
        heldHere.withLock { _ = $0.insert(nonce) }
        do { try await repository.destination.put(name, data: bytes) } catch {
            heldHere.withLock { _ = $0.remove(nonce) }
            throw TriplicateError(error, doing: "cannot take a lock on the repository (\(name))")
        }
        let lock = RepositoryLock(repository: repository, mode: mode, operation: operation, timing: timing, nonce: nonce,
                                  name: name, renewed: started)
        do throws(TriplicateError) {
            if let other = try await lock.conflicts().first {
                await lock.release()
                let what = mode == .exclusive ? "\(operation) needs the repository to itself" : "\(operation) cannot run while the repository is being changed"
                throw TriplicateError(.locked, "\(what), and \(other.name) says it is in use: \(other.record.holder). A lock not renewed for \(minutes(timing.staleAfter)) minutes is taken as abandoned; nothing was changed",
                                      remedy: .retryLater)
            }
        } catch {
            await lock.release()
            throw error
        }
        lock.startRefreshing()
        return lock
    }

    private static func newFile(mode: Mode, operation: String, nonce: String) throws(TriplicateError) -> (String, [UInt8]) {
        let record = LockRecord(exclusive: mode == .exclusive, operation: operation, hostname: Host.currentName,
                                username: Host.userName, pid: FileSystem.processID, time: Date(), nonce: nonce)
        let bytes = record.encode()
        guard !bytes.isEmpty else { throw TriplicateError(.internalFailure, "cannot encode a lock file") }
        return (Layout.lock(SHA256.hash(bytes)), bytes)
    }

    private static func minutes(_ d: Duration) -> Int { Int(d.components.seconds / 60) }

    /// The live lock files of every copy that conflict with this one; abandoned ones are deleted on the way when this
    /// lock is exclusive (nobody else cleans them up).
    private func conflicts() async throws(TriplicateError) -> [(name: String, record: LockRecord)] {
        let mine = fileName
        var found: [(name: String, record: LockRecord)] = []
        for copy in repository.replicas?.readCopies ?? [repository.destination] {
            let infos: [ObjectInfo]
            do { infos = try await copy.list(prefix: Layout.locks) } catch {
                throw TriplicateError(error, doing: "cannot list the locks of \(copy.displayName)")
            }
            for info in infos where info.name != mine && Layout.id(of: info.name).map(Layout.lock) == info.name {
                // A file too large to be a lock, or one that is not a lock, is not one: it locks nothing.
                guard info.size <= LockRecord.maxSize else { continue }
                let bytes: [UInt8]
                do { bytes = try await copy.get(info.name) } catch {
                    if error.kind == .notFound { continue }     // released meanwhile
                    throw TriplicateError(error, doing: "cannot read the lock \(info.name) of \(copy.displayName)")
                }
                guard let record = LockRecord.decode(bytes) else { continue }
                if isAbandoned(record) {
                    if mode == .exclusive { try? await copy.delete(info.name) }
                    continue
                }
                if mode == .exclusive || record.exclusive { found.append((info.name, record)) }
            }
        }
        return found
    }

    /// True for a lock not renewed for ``Timing/staleAfter``, or held by a process of this computer that is gone.
    func isAbandoned(_ record: LockRecord, now: Date = Date()) -> Bool {
        let stale = Double(timing.staleAfter.components.seconds) + Double(timing.staleAfter.components.attoseconds) / 1e18
        if now.timeIntervalSince(record.time) > stale { return true }
        guard record.hostname == Host.currentName else { return false }
        if record.pid == FileSystem.processID { return !Self.heldHere.withLock { $0.contains(record.nonce) } }
        return !FileSystem.processIsRunning(record.pid)
    }

    private func startRefreshing() {
        let every = timing.refreshEvery
        let task = Task { [weak self] in
            while !Task.isCancelled {
                do { try await Task.sleep(for: every) } catch { return }
                guard let self else { return }
                await self.renew()
            }
        }
        refresher.withLock { $0 = task }
    }

    /// The moment after which the holder takes its lock as lost.
    private var deadline: ContinuousClock.Instant {
        state.withLock { $0.renewed } + timing.staleAfter - timing.margin
    }

    /// Writes a lock file with the current time, then deletes the previous one. Too late (past the deadline of the
    /// file in place, before or after writing) the lock is lost: others may have taken it as abandoned meanwhile.
    func renew() async {
        guard state.withLock({ $0.lost == nil && !$0.released }) else { return }
        let limit = deadline
        guard ContinuousClock.now < limit else {
            markLost("it was not renewed for \(Self.minutes(timing.staleAfter - timing.margin)) minutes (the computer slept, or the repository did not answer)")
            return
        }
        // A failed write leaves the old file standing; the next renewal tries again while the deadline allows.
        guard let (old, new) = try? await writeRenewal() else { return }
        if ContinuousClock.now >= limit { markLost("renewing it took longer than the time left (the repository answered too slowly)") }
        try? await repository.destination.delete(old ?? new)
    }

    /// Renews the lock at once and fails unless the old lock file could be deleted: for an operation that must delete
    /// files (prune), so that a key that may only write (an append-only key) is found out before anything is changed.
    func proveDeletes(for operation: String) async throws(TriplicateError) {
        let (old, new) = try await writeRenewal()
        do { try await repository.destination.delete(old ?? new) } catch {
            guard error.kind == .denied else { throw TriplicateError(error, doing: "cannot remove the lock file \(old ?? new)") }
            throw TriplicateError(.destination(.denied), "\(operation) deletes files, and \(repository.destination.displayName) does not let this key delete any (\(error.message)). Backups work with a key that may only write (an append-only key, which a stolen copy cannot use to destroy them); run \(operation) with a key that may also delete files; nothing was changed",
                                  remedy: .credentials)
        }
    }

    /// Writes a lock file with the current time and puts it in place of the previous one, which it returns to be
    /// deleted (nil when the lock was released meanwhile: then the new file is the one to delete).
    private func writeRenewal() async throws(TriplicateError) -> (old: String?, new: String) {
        let started = ContinuousClock.now
        let (name, bytes) = try Self.newFile(mode: mode, operation: operation, nonce: nonce)
        do { try await repository.destination.put(name, data: bytes) } catch {
            throw TriplicateError(error, doing: "cannot renew the lock on the repository (\(name))")
        }
        let old: String? = state.withLock { s in
            guard !s.released else { return nil }
            let old = s.name
            s.name = name
            s.renewed = started
            return old
        }
        return (old, name)
    }

    private func markLost(_ why: String) {
        state.withLock { s in if s.lost == nil { s.lost = why } }
    }

    /// Fails when the lock can no longer be trusted to be held: it was not renewed in time, so another computer may
    /// have taken it as abandoned and changed the repository. `what` is the step about to be taken.
    func ensureHeld(before what: String) throws(TriplicateError) {
        let lost = state.withLock { $0.lost }
        let why = lost ?? (ContinuousClock.now < deadline ? nil : "it was not renewed for \(Self.minutes(timing.staleAfter - timing.margin)) minutes (the computer slept, or the repository did not answer)")
        guard let why else { return }
        throw TriplicateError(.locked, "\(operation) lost its lock on the repository before \(what): \(why). Another computer may have changed the repository meanwhile, so it stops here; what it stored so far is kept",
                              remedy: .runAgain)
    }

    /// Stops renewing and deletes the lock file (from every copy). Safe to call more than once.
    func release() async {
        let task = refresher.withLock { t -> Task<Void, Never>? in
            let task = t
            t = nil
            return task
        }
        task?.cancel()
        await task?.value
        let name: String? = state.withLock { s in
            guard !s.released else { return nil }
            s.released = true
            return s.name
        }
        if let name { await deleteQuietly(name) }
        Self.heldHere.withLock { _ = $0.remove(nonce) }
    }

    private func deleteQuietly(_ name: String) async {
        try? await repository.destination.delete(name)
    }
}

extension Repository {
    /// Runs `body` holding a lock of `mode` on the repository (every copy of a plan's), released afterwards whatever
    /// happens. With `optional`, a lock that cannot be written (a read-only drive, a key that may only read) is done
    /// without, for commands that only read; a conflicting live lock still stops them.
    func withLock<T>(_ mode: RepositoryLock.Mode, operation: String, optional: Bool = false,
                     _ body: (RepositoryLock?) async throws(TriplicateError) -> T) async throws(TriplicateError) -> T {
        let lock: RepositoryLock?
        do { lock = try await RepositoryLock.acquire(self, mode, operation: operation) } catch {
            guard optional, case .destination(let kind) = error.kind, kind == .denied || kind == .permanent else { throw error }
            lock = nil
        }
        do {
            let value = try await body(lock)
            await lock?.release()
            return value
        } catch {
            await lock?.release()
            throw error
        }
    }
}
