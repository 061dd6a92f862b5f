// ObjectIDTests: ObjectID's hex form, byte round trip, byte-lexicographic ordering and refusal of bad hex.

@_spi(Benchmarks) import TriplicateCore
import Testing

@testable import TriplicateCore

@Suite("ObjectID")
struct ObjectIDTests {
    static let sample = [UInt8](0x00...0x1F).map { $0 &* 37 &+ 5 }

    @Test("bytes → hex → ID → bytes is the identity, and hex is 64 lowercase digits")
    func hexRoundTrip() throws {
        for seed in 0..<50 {
            let bytes = pseudoRandomBytes(count: 32, seed: UInt64(seed))
            let id = ObjectID(bytes: bytes)
            #expect(id.bytes == bytes)
            #expect(id.hex == hex(bytes))
            #expect(id.hex.count == 64 && id.hex == id.hex.lowercased())
            #expect(ObjectID(hex: id.hex) == id)
            #expect(ObjectID(hex: id.hex.uppercased()) == id)
            #expect(id.description == id.hex)
            #expect(id.short == String(id.hex.prefix(8)))
            #expect(id.withBytes { Array($0) } == bytes)
            #expect(bytes.withUnsafeBytes { ObjectID($0) } == id)
        }
    }

    @Test("a fixed ID has the expected hex, and hex parsing accepts mixed case and substrings")
    func fixedHex() throws {
        let id = ObjectID(bytes: Self.sample)
        #expect(id.hex == "052a4f7499bee3082d52779cc1e60b30557a9fc4e90e33587da2c7ec11365b80")
        let mixed = "052A4f7499BEE3082d52779CC1E60B30557A9FC4e90e33587DA2C7EC11365B80"
        #expect(ObjectID(hex: mixed) == id)
        let padded = "  " + id.hex + "  "
        #expect(ObjectID(hex: padded.dropFirst(2).dropLast(2)) == id)
    }

    @Test("fewer than 32 bytes are zero-padded and extra bytes ignored")
    func shortAndLongInput() {
        #expect(ObjectID(bytes: [0xAB]).hex == "ab" + String(repeating: "0", count: 62))
        #expect(ObjectID(bytes: Self.sample + [0xFF, 0xFF]) == ObjectID(bytes: Self.sample))
    }

    @Test(
        "anything but exactly 64 hex digits is nil",
        arguments: [
            "",
            String(repeating: "0", count: 63),
            String(repeating: "0", count: 65),
            String(repeating: "0", count: 128),
            String(repeating: "0", count: 63) + "g",
            "0x" + String(repeating: "0", count: 62),
            " " + String(repeating: "0", count: 63),
            String(repeating: "0", count: 62) + "-1",
            String(repeating: "0", count: 62) + "é",
            String(repeating: "é", count: 32),
            String(repeating: "٠", count: 32),
        ])
    func invalidHex(_ text: String) {
        #expect(ObjectID(hex: text) == nil)
    }

    @Test("ordering is the lexicographic order of the bytes, including across the 8-byte words")
    func ordering() {
        var ids: [[UInt8]] = []
        for position in [0, 7, 8, 15, 16, 24, 31] {
            for value: UInt8 in [0x00, 0x01, 0x7F, 0x80, 0xFF] {
                var b = [UInt8](repeating: 0x80, count: 32)
                b[position] = value
                ids.append(b)
            }
        }
        for seed in 0..<40 { ids.append(pseudoRandomBytes(count: 32, seed: 1000 + UInt64(seed))) }
        // Byte patterns where a signed comparison would disagree with an unsigned one.
        ids.append([0x7F] + [UInt8](repeating: 0xFF, count: 31))
        ids.append([0x80] + [UInt8](repeating: 0x00, count: 31))
        for a in ids {
            for b in ids {
                let x = ObjectID(bytes: a), y = ObjectID(bytes: b)
                #expect((x < y) == a.lexicographicallyPrecedes(b), "\(hex(a)) vs \(hex(b))")
                #expect((x == y) == (a == b))
            }
        }
        let sorted = ids.map { ObjectID(bytes: $0) }.sorted().map(\.bytes)
        #expect(sorted == ids.sorted { $0.lexicographicallyPrecedes($1) })
    }

    @Test("equal IDs hash equally, so they work as set members and dictionary keys")
    func hashing() {
        let a = ObjectID(bytes: Self.sample), b = ObjectID(hex: ObjectID(bytes: Self.sample).hex)
        #expect(Set([a, b].compactMap { $0 }).count == 1)
        #expect(Set((0..<100).map { ObjectID(bytes: pseudoRandomBytes(count: 32, seed: UInt64($0))) }).count == 100)
    }
}
