// ChunkJob: one chunk handed from the walk to a worker, and the chunk IDs of a file filled in as the workers hash them.
@_spi(Benchmarks) internal import TriplicateCore
internal import Synchronization

/// The chunk IDs of one file being backed up, filled in by the workers as they hash its chunks.
final class PendingFile: Sendable {
    private struct State {
        var ids: [ObjectID] = []
        var remaining = 0
    }
    private let state = Mutex(State())
    private static let placeholder = ObjectID(bytes: [UInt8](repeating: 0, count: 32))

    /// Reserves the next chunk's place; returns its index.
    func addSlot() -> Int {
        state.withLock { s in
            s.ids.append(Self.placeholder)
            s.remaining += 1
            return s.ids.count - 1
        }
    }

    /// Records the ID of chunk `slot`.
    func fill(_ slot: Int, _ id: ObjectID) {
        state.withLock { s in
            s.ids[slot] = id
            s.remaining -= 1
        }
    }

    /// True once every reserved chunk has its ID.
    var isComplete: Bool { state.withLock { $0.remaining == 0 } }

    /// The chunk IDs in file order; meaningful once ``isComplete``.
    var ids: [ObjectID] { state.withLock { $0.ids } }
}

/// The blob a block of a database is compressed against: the previous version of that block, with
/// its plaintext (FORMAT.md §7.2).
struct ChunkBase: Sendable {
    let id: ObjectID
    let plaintext: [UInt8]
}

/// One chunk for a worker: where it lies, and where its ID goes.
struct ChunkJob: Sendable {
    let segment: Segment
    let start: Int
    let count: Int
    let file: PendingFile
    let slot: Int
    /// The chunk's ID when the walk hashed it already (a block of a database compared with its previous version).
    var id: ObjectID? = nil
    /// What to compress it against, if anything.
    var base: ChunkBase? = nil
}
