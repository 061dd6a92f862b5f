// BlobClaims: which blobs the repository holds or this backup is storing, so that each is stored once.
@_spi(Benchmarks) internal import TriplicateCore
internal import Synchronization

/// Which blobs the repository has or this backup is storing: the index loaded at the start (read-only) plus
/// every blob claimed since. A blob is packed only by the worker whose claim succeeds.
final class BlobClaims: Sendable {
    private struct State {
        var claimed = Set<ObjectID>()
        /// Blobs of the index found damaged during this backup: stored again when needed.
        var revoked = Set<ObjectID>()
    }
    private let base: MasterIndex
    private let state = Mutex(State())
    /// True once a blob was revoked; until then a blob of the index is found without taking the lock.
    private let anyRevoked = Atomic<Bool>(false)

    init(base: MasterIndex) { self.base = base }

    /// True when the index loaded at the start holds `id` and it was not found damaged since.
    private func inBase(_ id: ObjectID) -> Bool {
        guard base.contains(id) else { return false }
        return !anyRevoked.load(ordering: .acquiring) || !state.withLock { $0.revoked.contains(id) }
    }

    /// True when the caller should store `id`: nobody has it and nobody is storing it yet.
    func claim(_ id: ObjectID) -> Bool {
        if inBase(id) { return false }
        return state.withLock { $0.claimed.insert(id).inserted }
    }

    /// True when the repository holds `id` or this backup stores it.
    func has(_ id: ObjectID) -> Bool {
        inBase(id) || state.withLock { $0.claimed.contains(id) }
    }

    /// Forgets that the repository holds `id` (it was found damaged): whoever needs it next stores it again.
    func revoke(_ id: ObjectID) {
        _ = state.withLock { $0.revoked.insert(id) }
        anyRevoked.store(true, ordering: .releasing)
    }
}
