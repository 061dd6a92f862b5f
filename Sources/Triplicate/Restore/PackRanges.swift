// PackRanges: the blobs an operation needs, grouped by pack and merged into few large reads.
@_spi(Benchmarks) internal import TriplicateCore

/// Where one blob's plaintext goes: a file of the operation (by its number) and the offset in it.
struct BlobTarget: Sendable, Hashable {
    var file: Int
    var offset: Int64
}

/// One blob an operation needs from a pack: its ID, where it is in the pack, and every place it goes (a chunk that
/// several files, or one file several times, hold is read once).
struct BlobNeed: Sendable {
    var id: ObjectID
    var entry: PackEntry
    var targets: [BlobTarget]
}

/// A byte range of one pack, read in one request, and the blobs in it that are needed (by offset).
struct PackRange: Sendable {
    var pack: ObjectID
    var start: Int64
    var end: Int64
    var needs: [BlobNeed]

    var count: Int64 { end - start }
}

/// Turns the blobs needed from each pack into ranges: neighbours are merged when the gap between them is at most
/// ``gap`` bytes (reading a gap costs less than another request: 256 KiB is 20 ms at 100 Mbit/s, a request across
/// the internet 20 to 100 ms), and a range ends before it grows past ``maxRange`` bytes, so that a range buffer
/// stays bounded and one pack's ranges can be read at once. A range never splits a blob.
enum PackRangePlanner {
    static let gap: Int64 = 256 << 10
    static let maxRange: Int64 = 8 << 20

    /// The ranges for `needs` of `pack`. With `withHeader` (the pack's key is not known yet), a first range that starts
    /// within ``gap`` of the header is extended to the pack's start, so the header comes with the blobs.
    static func ranges(pack: ObjectID, needs: [BlobNeed], withHeader: Bool, gap: Int64 = gap, maxRange: Int64 = maxRange) -> [PackRange] {
        let sorted = needs.sorted { $0.entry.offset < $1.entry.offset }
        var ranges: [PackRange] = []
        var current: PackRange?
        for need in sorted {
            let start = Int64(need.entry.offset)
            let end = start + Int64(need.entry.storedLength)
            if var r = current, start - r.end <= gap, end - r.start <= maxRange, start >= r.end {
                r.end = end
                r.needs.append(need)
                current = r
            } else {
                if let r = current { ranges.append(r) }
                var begin = start
                if ranges.isEmpty, withHeader, start - Int64(FileHeader.length) <= gap, end <= maxRange { begin = 0 }
                current = PackRange(pack: pack, start: begin, end: end, needs: [need])
            }
        }
        if let r = current { ranges.append(r) }
        return ranges
    }

    /// The ranges of every pack in one order for the readers: the first range of each pack, then the second of each,
    /// and so on, so that the readers work on different packs and a pack's key is known before its later ranges start.
    static func interleaved(_ perPack: [[PackRange]]) -> [PackRange] {
        var out: [PackRange] = []
        out.reserveCapacity(perPack.reduce(0) { $0 + $1.count })
        var round = 0
        while true {
            var any = false
            for ranges in perPack where round < ranges.count {
                out.append(ranges[round])
                any = true
            }
            if !any { break }
            round += 1
        }
        return out
    }
}
