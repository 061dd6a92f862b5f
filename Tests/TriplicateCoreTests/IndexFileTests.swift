// IndexFileTests: the index-file payload codec — round trip, byte layout, truncation and out-of-range records.

@_spi(Benchmarks) import TriplicateCore
import Testing

@testable import TriplicateCore

@Suite("Index file payload")
struct IndexFileTests {
    static func id(_ seed: UInt64) -> ObjectID { ObjectID(bytes: pseudoRandomBytes(count: 32, seed: seed)) }

    static let sample = IndexFile(packs: [
        IndexFile.Pack(id: id(100), entries: [
            PackEntry(id: id(1), type: .data, compression: .none, offset: 44, storedLength: 1_000_016, rawLength: 1_000_000),
            PackEntry(id: id(2), type: .data, compression: .zstd, offset: 1_000_060, storedLength: 516, rawLength: 65_536),
            PackEntry(id: id(3), type: .tree, compression: .zstd, offset: 1_000_576, storedLength: 16, rawLength: 0),
        ]),
        IndexFile.Pack(id: id(101), entries: []),
        IndexFile.Pack(id: id(102), entries: [
            PackEntry(id: id(4), type: .tree, compression: .none, offset: 44, storedLength: UInt32(PackFormat.maxBlobSize) + 16,
                      rawLength: UInt32(PackFormat.maxBlobSize)),
        ]),
    ])

    @Test("encode then decode gives the same packs and entries")
    func roundTrip() throws {
        let bytes = Self.sample.encode()
        #expect(bytes.count == 4 + 3 * 36 + 4 * IndexFile.entryLength)
        #expect(try IndexFile.decode(bytes, context: "index") == Self.sample)
        let empty = IndexFile(packs: [])
        #expect(empty.encode() == [0, 0, 0, 0])
        #expect(try IndexFile.decode(empty.encode(), context: "index") == empty)
    }

    @Test("one record has the documented layout: type, compression, offset, stored and raw length, ID")
    func layout() throws {
        let blob = Self.id(9), pack = Self.id(8)
        let file = IndexFile(packs: [IndexFile.Pack(id: pack, entries: [
            PackEntry(id: blob, type: .tree, compression: .zstd, offset: 0x0102_0304, storedLength: 0x20,
                      rawLength: 0x0A0B),
        ])])
        let expected: [UInt8] = [1, 0, 0, 0] + pack.bytes + [1, 0, 0, 0]
            + [1, 1] + [4, 3, 2, 1] + [0x20, 0, 0, 0] + [0x0B, 0x0A, 0, 0] + blob.bytes
        #expect(file.encode() == expected)
    }

    @Test("every truncation and a trailing byte are malformed")
    func truncation() throws {
        let bytes = Self.sample.encode()
        for n in 0..<bytes.count {
            expectCoreError(.malformed, "first \(n) bytes") { try IndexFile.decode(Array(bytes.prefix(n)), context: "i") }
        }
        expectCoreError(.malformed) { try IndexFile.decode(bytes + [0], context: "i") }
    }

    @Test("unknown blob types and compressions, and lengths or offsets out of range, are malformed")
    func outOfRange() throws {
        func encoded(_ edit: (inout PackEntry) -> Void) -> [UInt8] {
            var e = PackEntry(id: Self.id(1), type: .data, compression: .none, offset: 44, storedLength: 100, rawLength: 84)
            edit(&e)
            return IndexFile(packs: [IndexFile.Pack(id: Self.id(2), entries: [e])]).encode()
        }
        #expect(throws: Never.self) { try IndexFile.decode(encoded { _ in }, context: "i") }
        expectCoreError(.malformed, "stored < tag") { try IndexFile.decode(encoded { $0.storedLength = 15 }, context: "i") }
        expectCoreError(.malformed, "raw too large") {
            try IndexFile.decode(encoded { $0.rawLength = UInt32(PackFormat.maxBlobSize) + 1 }, context: "i")
        }
        expectCoreError(.malformed, "offset inside header") { try IndexFile.decode(encoded { $0.offset = 43 }, context: "i") }
        // A sealed blob is never longer than its plaintext and tag, so no entry can make a reader allocate 4 GiB.
        #expect(throws: Never.self) { try IndexFile.decode(encoded { $0.storedLength = 100; $0.rawLength = 84 }, context: "i") }
        expectCoreError(.malformed, "stored > raw + 16") { try IndexFile.decode(encoded { $0.storedLength = 101 }, context: "i") }
        expectCoreError(.malformed, "4 GiB claimed") { try IndexFile.decode(encoded { $0.storedLength = .max }, context: "i") }
        expectCoreError(.malformed, "past 2^32") {
            try IndexFile.decode(encoded { $0.offset = .max - 50; $0.storedLength = 100 }, context: "i")
        }
        // Type and compression bytes are at 4 + 36 and 4 + 37.
        var badType = encoded { _ in }
        badType[40] = 2
        expectCoreError(.malformed, "type 2") { try IndexFile.decode(badType, context: "i") }
        var badCompression = encoded { _ in }
        badCompression[41] = 2
        expectCoreError(.malformed, "compression 2") { try IndexFile.decode(badCompression, context: "i") }
    }

    @Test("huge pack and entry counts in a short payload are malformed without a large allocation")
    func hostileCounts() {
        expectCoreError(.malformed) { try IndexFile.decode([0xFF, 0xFF, 0xFF, 0xFF], context: "i") }
        let pack = [1, 0, 0, 0] + Self.id(1).bytes + [0xFF, 0xFF, 0xFF, 0xFF]
        expectCoreError(.malformed) { try IndexFile.decode(pack, context: "i") }
    }
}
