// IndexProbe: the in-memory index, reachable from the benchmark package (an SPI, not part of the public API).
@_spi(Benchmarks) internal import TriplicateCore

/// A ``MasterIndex`` for benchmarks: fill it as a long backup history would, then look blobs up.
@_spi(Benchmarks)
public struct IndexProbe: Sendable {
    private var index = MasterIndex()

    /// An empty index.
    public init() {}

    /// Number of distinct blobs.
    public var count: Int { index.count }

    /// Adds the blobs of one pack, as a backup does after each upload.
    public mutating func add(pack: ObjectID, entries: [PackEntry]) { index.add(pack: pack, entries: entries) }

    /// Makes room for `count` blobs before ``appendForLoading(pack:entries:)`` calls.
    public mutating func reserveForLoading(_ count: Int) { index.reserveForLoading(count) }

    /// Appends a pack's blobs as loading index files does; lookups work after ``finishLoading()``.
    public mutating func appendForLoading(pack: ObjectID, entries: [PackEntry]) { index.appendForLoading(pack: pack, entries: entries) }

    /// Sorts what was appended.
    public mutating func finishLoading() { index.finishLoading() }

    /// True when `id` is indexed (the deduplication question).
    public func contains(_ id: ObjectID) -> Bool { index.contains(id) }

    /// What prune does once it has read the snapshots' listings: marks each blob `next` names (until it returns nil)
    /// in a bit per blob, then sums per pack what is marked. Returns the blobs marked and the packs with any.
    public mutating func markAndCount(_ next: () -> ObjectID?) -> (marked: Int, packsUsed: Int) {
        index.compact()
        var marks = BlobMarks(count: index.count)
        var marked = 0
        while let id = next() {
            if let p = index.position(of: id), marks.insert(p) { marked += 1 }
        }
        let (count, _) = index.usage(of: marks)
        return (marked, count.filter { $0 > 0 }.count)
    }
}
