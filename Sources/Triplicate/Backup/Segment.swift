// Segment: the fixed pool of buffers the walk reads files into and the workers hash chunks out of; its size bounds
// the memory of file data in flight.
@_spi(Benchmarks) internal import TriplicateCore
internal import Synchronization

/// A buffer of file data shared by the walk (which fills it) and the workers (which read chunks out of it);
/// it returns to its pool when the last user releases it. The pool's fixed size bounds the backup's memory.
final class Segment: @unchecked Sendable {
    // The buffer is written only by the walk, before a chunk of it is handed to a worker, and read-only after;
    // the channel hand-off orders those accesses. `users` is atomic.
    let buffer: UnsafeMutableRawBufferPointer
    private let users = Atomic<Int>(0)
    // Weak: the pool holds its free segments, so a strong reference back would keep both alive forever.
    private weak var pool: Channel<Segment>?

    init(size: Int, pool: Channel<Segment>) {
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
        self.pool = pool
    }

    deinit { buffer.deallocate() }

    /// Takes a hold: the walk while it fills the segment, and every chunk job pointing into it.
    func retain() { users.wrappingAdd(1, ordering: .acquiringAndReleasing) }

    /// Drops a hold; the last one returns the segment to its pool.
    func release() {
        if users.wrappingSubtract(1, ordering: .acquiringAndReleasing).newValue == 0 { pool?.sendBlocking(self) }
    }
}
