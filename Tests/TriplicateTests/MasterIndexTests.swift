// MasterIndexTests: the compact sorted index finds every blob, keeps one location per blob, and stays 48 bytes a blob.
@_spi(Benchmarks) import TriplicateCore
import Testing
@testable import Triplicate

@Suite struct MasterIndexTests {
    func entry(_ i: Int, type: BlobType = .data, compression: Compression = .none) -> PackEntry {
        let id = ObjectID(bytes: pseudoRandomBytes(32, seed: UInt64(i) &+ 1))
        return PackEntry(id: id, type: type, compression: compression, offset: UInt32(44 + i), storedLength: UInt32(16 + i % 7),
                         rawLength: UInt32(i))
    }

    func pack(_ n: Int) -> ObjectID { ObjectID(bytes: pseudoRandomBytes(32, seed: 1_000_000_000 + UInt64(n))) }

    @Test func aBlobStoredAgainstABaseIsIndexedOnlyWhileItsWholeChainIsReadable() {
        let base = entry(1, compression: .zstd), other = entry(2)
        func delta(_ i: Int, against b: ObjectID) -> PackEntry {
            var e = entry(i, compression: .zstdAgainstBase)
            e.base = b
            return e
        }
        let usable = delta(3, against: base.id), chained = delta(5, against: usable.id)
        let orphan = delta(4, against: ObjectID(bytes: [UInt8](repeating: 0xEE, count: 32))), onOrphan = delta(6, against: orphan.id)
        // A loop of two, and a chain one link longer than readers follow.
        let loopA = delta(7, against: entry(8).id), loopB = delta(8, against: loopA.id)
        var long = [delta(100, against: base.id)]
        for i in 101...(100 + PackFormat.maxBaseChain) { long.append(delta(i, against: long[long.count - 1].id)) }
        // The base's own location, stored against nothing, wins over a copy of it stored against a base elsewhere.
        let baseAsDelta = delta(1, against: other.id)
        var index = MasterIndex()
        index.appendForLoading(pack: pack(2), entries: [baseAsDelta, other])
        index.appendForLoading(pack: pack(1), entries: [base, usable, chained, orphan, onOrphan, loopA, loopB] + long)
        index.finishLoading()
        #expect(index.location(base.id)?.entry == base)
        #expect(index.location(usable.id)?.entry.base == base.id)
        #expect(index.chainLength(base.id) == 0 && index.chainLength(usable.id) == 1 && index.chainLength(chained.id) == 2)
        #expect(index.chainLength(long[long.count - 2].id) == PackFormat.maxBaseChain)
        #expect(index.chainLength(long[long.count - 1].id) == nil && index.chainLength(loopA.id) == nil)
        #expect(index.dropUnreadableDeltas() == 5)
        #expect(index.contains(usable.id) && index.contains(chained.id) && index.contains(base.id) && index.contains(other.id))
        #expect(!index.contains(orphan.id) && !index.contains(onOrphan.id) && !index.contains(loopA.id) && !index.contains(loopB.id))
        #expect(index.contains(long[long.count - 2].id) && !index.contains(long[long.count - 1].id))
        #expect(index.location(usable.id)?.entry == usable)
    }

    @Test func aRecordIs48Bytes() {
        #expect(MemoryLayout<IndexRecord>.stride == 48)
    }

    @Test func incrementalAddsAcrossSeveralMergesFindEveryBlob() {
        var index = MasterIndex()
        let total = 200_000  // crosses the 65,536-record merge threshold several times
        var batch: [PackEntry] = []
        for i in 0..<total {
            batch.append(entry(i, type: i % 5 == 0 ? .tree : .data, compression: i % 3 == 0 ? .zstd : .none))
            if batch.count == 1000 {
                index.add(pack: pack(i / 1000), entries: batch)
                batch.removeAll()
            }
        }
        #expect(index.count == total)
        for i in stride(from: 0, to: total, by: 997) {
            let e = entry(i, type: i % 5 == 0 ? .tree : .data, compression: i % 3 == 0 ? .zstd : .none)
            let loc = index.location(e.id)
            #expect(loc?.entry == e)
            #expect(loc.map { index.packID($0.pack) } == pack(i / 1000))
        }
        #expect(!index.contains(ObjectID(bytes: [UInt8](repeating: 0xEE, count: 32))))
    }

    @Test func lookupsAtTheEdgesOfFanOutBucketsAndOfTheIDSpace() {
        // Crowded buckets, empty ones, the smallest and largest IDs, and IDs that differ only after the first
        // word: interpolation inside a bucket must still land on the exact record, and misses must stay misses.
        func id(_ first: UInt64, _ rest: UInt64) -> ObjectID {
            var b = [UInt8](repeating: 0, count: 32)
            for k in 0..<8 { b[k] = UInt8(truncatingIfNeeded: first >> (56 - 8 * UInt64(k))) }
            for k in 0..<8 { b[24 + k] = UInt8(truncatingIfNeeded: rest >> (56 - 8 * UInt64(k))) }
            return ObjectID(bytes: b)
        }
        var ids: [ObjectID] = [id(0, 0), id(0, 1), id(UInt64.max, UInt64.max), id(UInt64.max, 0)]
        for k in 0..<3000 { ids.append(id(0x1234_0000_0000_0000 | UInt64(k * 7919 % 65536) << 32, UInt64(k))) }
        for k in 0..<200 { ids.append(id(0xABCD_5555_0000_0000, UInt64(k) * 3)) }
        for k in 0..<500 { ids.append(id(UInt64(k) << 48 | 0xFFFF_FFFF_FFFF, 9)) }
        var index = MasterIndex()
        index.loadForTest([(pack: pack(1), entries: ids.enumerated().map { i, x in
            PackEntry(id: x, type: .data, compression: .none, offset: UInt32(44 + i), storedLength: 16, rawLength: 0)
        })])
        for x in ids { #expect(index.contains(x)) }
        let absent = [id(0, 2), id(UInt64.max, 1), id(0xABCD_5555_0000_0000, 1), id(0xABCD_5555_0000_0000, 600),
                      id(0x1234_0000_0000_0000, 5000), id(0x0001_0000_0000_0000, 0), id(17 << 48 | 0xFFFF_FFFF_FFFF, 8)]
        for x in absent { #expect(!index.contains(x)) }
    }

    @Test func aBlobIndexedTwiceIsKeptOnce() {
        var index = MasterIndex()
        let shared = entry(7)
        index.add(pack: pack(1), entries: [shared, entry(8)])
        index.add(pack: pack(2), entries: [shared, entry(9)])
        index.add(pack: pack(1), entries: [shared])  // the same pack named by a second index file
        #expect(index.count == 3)
        #expect(index.location(shared.id).map { index.packID($0.pack) } == pack(1))
        var bulk = MasterIndex()
        bulk.loadForTest([(pack(1), [shared, entry(8)]), (pack(2), [shared, entry(9)])])
        #expect(bulk.count == 3)
        #expect(bulk.contains(entry(9).id) && bulk.contains(shared.id))
        let grouped = bulk.entriesByPack()
        #expect(grouped.values.reduce(0) { $0 + $1.count } == 3)
        var seen = 0
        bulk.forEachLocation { _ in seen += 1 }
        #expect(seen == 3)
    }
}

extension MasterIndex {
    /// Loads packs the way loading index files does: room reserved once, entries appended, one sort.
    mutating func loadForTest(_ list: [(pack: ObjectID, entries: [PackEntry])]) {
        reserveForLoading(list.reduce(0) { $0 + $1.entries.count })
        for (pack, entries) in list { appendForLoading(pack: pack, entries: entries) }
        finishLoading()
    }
}
