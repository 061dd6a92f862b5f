// SealedFileTests: index and snapshot files — seal/open round trips, header checks, and tamper detection.

@_spi(Benchmarks) import TriplicateCore
import Foundation
import Testing

@testable import TriplicateCore

@Suite("Sealed files")
struct SealedFileTests {
    static let payloads: [[UInt8]] = [
        [],
        [0x00],
        patternedBytes(count: 50_000),
        pseudoRandomBytes(count: 5000, seed: 21),
        IndexFileTests.sample.encode(),
    ]

    @Test("seal then open returns the payload, for index and snapshot files", arguments: [FileKind.index, .snapshot])
    func roundTrip(kind: FileKind) throws {
        let keys = try testKeys()
        for payload in Self.payloads {
            let sealed = try SealedFile.seal(payload, kind: kind, keys: keys)
            #expect(Array(sealed.prefix(8)) == kind.magic)
            #expect(Array(sealed[8..<12]) == [1, 0, 0, 0])
            #expect(try SealedFile.open(sealed, kind: kind, keys: keys, context: "f") == payload)
        }
    }

    @Test("compressible payloads are stored compressed, incompressible ones at their size plus overhead")
    func compression() throws {
        let keys = try testKeys()
        let text = patternedBytes(count: 50_000)
        #expect(try SealedFile.seal(text, kind: .index, keys: keys).count < 10_000)
        let random = pseudoRandomBytes(count: 5000, seed: 22)
        // Header, compression flag, payload, tag.
        #expect(try SealedFile.seal(random, kind: .index, keys: keys).count == FileHeader.length + 1 + 5000 + 16)
        #expect(try SealedFile.seal([], kind: .snapshot, keys: keys).count == FileHeader.length + 1 + 16)
    }

    @Test("each seal uses a fresh salt, so sealing the same payload twice gives different files")
    func freshSalt() throws {
        let keys = try testKeys()
        let a = try SealedFile.seal(utf8("same"), kind: .index, keys: keys)
        let b = try SealedFile.seal(utf8("same"), kind: .index, keys: keys)
        #expect(a != b)
        #expect(a[12..<44] != b[12..<44])
    }

    @Test("a file opened as the wrong kind fails on its magic bytes")
    func wrongKind() throws {
        let keys = try testKeys()
        let index = try SealedFile.seal(utf8("payload"), kind: .index, keys: keys)
        let snapshot = try SealedFile.seal(utf8("payload"), kind: .snapshot, keys: keys)
        expectCoreError(.malformed) { try SealedFile.open(index, kind: .snapshot, keys: keys, context: "f") }
        expectCoreError(.malformed) { try SealedFile.open(snapshot, kind: .index, keys: keys, context: "f") }
        expectCoreError(.malformed) { try SealedFile.open(index, kind: .pack, keys: keys, context: "f") }
    }

    @Test("a changed version field is refused as an unsupported version")
    func version() throws {
        let keys = try testKeys()
        let sealed = try SealedFile.seal(utf8("payload"), kind: .index, keys: keys)
        for version: [UInt8] in [[0, 0, 0, 0], [2, 0, 0, 0], [1, 0, 0, 1], [0xFF, 0xFF, 0xFF, 0xFF]] {
            var altered = sealed
            altered.replaceSubrange(8..<12, with: version)
            let error = #expect(throws: CoreError.self) { try SealedFile.open(altered, kind: .index, keys: keys, context: "f") }
            #expect(error?.kind == .malformed)
            #expect(error?.description.contains("version") == true)
        }
    }

    @Test("a flipped byte anywhere after the magic and version fails authentication")
    func flippedByte() throws {
        let keys = try testKeys()
        for payload in [utf8("short payload"), patternedBytes(count: 20_000)] {
            let sealed = try SealedFile.seal(payload, kind: .snapshot, keys: keys)
            for i in Set([12, 30, 43, 44, 45, sealed.count / 2, sealed.count - 17, sealed.count - 1]) {
                expectCoreError(.authenticationFailed, "byte \(i) of \(sealed.count)") {
                    try SealedFile.open(flipping(sealed, at: i, bit: i % 8), kind: .snapshot, keys: keys, context: "f")
                }
            }
        }
    }

    @Test("truncated files, a header alone and another repository's keys are refused")
    func truncatedAndForeign() throws {
        let keys = try testKeys()
        let sealed = try SealedFile.seal(utf8("payload"), kind: .index, keys: keys)
        for n in [0, 7, 8, 12, 43] {
            expectCoreError(.malformed, "first \(n) bytes") {
                try SealedFile.open(Array(sealed.prefix(n)), kind: .index, keys: keys, context: "f")
            }
        }
        for n in [44, 45, 59, sealed.count - 1] {
            expectCoreError(.authenticationFailed, "first \(n) bytes") {
                try SealedFile.open(Array(sealed.prefix(n)), kind: .index, keys: keys, context: "f")
            }
        }
        expectCoreError(.authenticationFailed) { try SealedFile.open(sealed, kind: .index, keys: try testKeys(seed: 9), context: "f") }
    }

    @Test("a snapshot record survives sealing, and its JSON decodes to the same record")
    func snapshotRecord() throws {
        var summary = SnapshotSummary()
        summary.files = 3
        summary.bytes = 1 << 40
        let record = SnapshotRecord(
            time: Date(timeIntervalSince1970: 1_795_878_149.123), tree: ObjectID(bytes: [UInt8](1...32)),
            paths: ["/Users/ana/Pictures", "/Volumes/Work/Ålesund"], hostname: "studio", username: "ana",
            tags: ["daily"], excludes: ["*.tmp"], parent: nil, summary: summary)
        #expect(record.time == "2026-11-28T15:02:29.123Z")
        let keys = try testKeys()
        let sealed = try SealedFile.seal(try record.encode(), kind: .snapshot, keys: keys)
        let opened = try SnapshotRecord.decode(try SealedFile.open(sealed, kind: .snapshot, keys: keys, context: "s"), context: "s")
        #expect(opened == record)
        #expect(opened.treeID == ObjectID(bytes: [UInt8](1...32)))
        #expect(opened.parentID == nil)
        #expect(abs(opened.date.timeIntervalSince1970 - 1_795_878_149.123) < 0.001)
    }
}
