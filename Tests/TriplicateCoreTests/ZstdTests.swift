// ZstdTests: zstd frames written by the real `zstd` CLI decode exactly; compression round-trips and its limits hold.

@_spi(Benchmarks) import TriplicateCore
import Foundation
import Testing

@testable import TriplicateCore

/// Frames made once with the zstd 1.5.4 command-line tool, embedded as literals.
enum ZstdFixture {
    /// The plaintext: `printf 'Triplicate zstd known answer %.0s' {1..40}`, 1,160 bytes.
    static let plaintext: [UInt8] = Array(
        String(repeating: "Triplicate zstd known answer ", count: 40).utf8)

    /// `zstd -19 -c plain.txt | xxd -i` with the plaintext in a file: the header records the content size
    /// (descriptor 0x64: two-byte size 0x0388 + 256 = 1160, single segment, with a content checksum).
    static let frame: [UInt8] = [
        0x28, 0xb5, 0x2f, 0xfd, 0x64, 0x88, 0x03, 0x2d, 0x01, 0x00, 0xe8, 0x54,
        0x72, 0x69, 0x70, 0x6c, 0x69, 0x63, 0x61, 0x74, 0x65, 0x20, 0x7a, 0x73,
        0x74, 0x64, 0x20, 0x6b, 0x6e, 0x6f, 0x77, 0x6e, 0x20, 0x61, 0x6e, 0x73,
        0x77, 0x65, 0x72, 0x20, 0x01, 0x00, 0xa1, 0x01, 0x7e, 0xe5, 0x04, 0x70,
        0x28, 0x15, 0xb1,
    ]

    /// `zstd -19 -c < plain.txt | xxd -i`: the same data read from a pipe, so the CLI could not know its size
    /// and the header has none (descriptor 0x04, window descriptor 0x68).
    static let frameWithoutSize: [UInt8] = [
        0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x68, 0x2d, 0x01, 0x00, 0xe8, 0x54, 0x72,
        0x69, 0x70, 0x6c, 0x69, 0x63, 0x61, 0x74, 0x65, 0x20, 0x7a, 0x73, 0x74,
        0x64, 0x20, 0x6b, 0x6e, 0x6f, 0x77, 0x6e, 0x20, 0x61, 0x6e, 0x73, 0x77,
        0x65, 0x72, 0x20, 0x01, 0x00, 0xa1, 0x01, 0x7e, 0xe5, 0x04, 0x70, 0x28,
        0x15, 0xb1,
    ]
}

@Suite("zstd")
struct ZstdTests {
    @Test("a frame written by the zstd CLI decodes to exactly its plaintext")
    func cliFrame() throws {
        #expect(ZstdFixture.plaintext.count == 1160)
        let d = try ZstdDecompressor()
        #expect(try d.decompress(ZstdFixture.frame, maxSize: 1160) == ZstdFixture.plaintext)
        #expect(try d.decompress(ZstdFixture.frame, maxSize: 1 << 20) == ZstdFixture.plaintext)
        let bySize = try ZstdFixture.frame.withUnsafeBytes { try d.decompress($0, expectedSize: 1160) }
        #expect(bySize == ZstdFixture.plaintext)
    }

    @Test("a frame without a content size is refused by size-checked decoding but opens with a known size")
    func frameWithoutContentSize() throws {
        let d = try ZstdDecompressor()
        expectCoreError(.malformed) { try d.decompress(ZstdFixture.frameWithoutSize, maxSize: 1 << 20) }
        let bySize = try ZstdFixture.frameWithoutSize.withUnsafeBytes { try d.decompress($0, expectedSize: 1160) }
        #expect(bySize == ZstdFixture.plaintext)
    }

    @Test("a frame larger than maxSize is malformed, before anything is allocated for it")
    func tooLarge() throws {
        let d = try ZstdDecompressor()
        expectCoreError(.malformed) { try d.decompress(ZstdFixture.frame, maxSize: 1159) }
        expectCoreError(.malformed) { try d.decompress(ZstdFixture.frame, maxSize: 0) }
    }

    @Test("every truncation of the frame is malformed")
    func truncated() throws {
        let d = try ZstdDecompressor()
        for n in 0..<ZstdFixture.frame.count {
            expectCoreError(.malformed, "first \(n) bytes") { try d.decompress(Array(ZstdFixture.frame.prefix(n)), maxSize: 1 << 20) }
        }
    }

    @Test("a wrong expected size, a corrupted checksum and bytes that are not zstd are malformed")
    func otherDamage() throws {
        let d = try ZstdDecompressor()
        for size in [0, 1159, 1161] {
            expectCoreError(.malformed, "expected \(size)") {
                try ZstdFixture.frame.withUnsafeBytes { try d.decompress($0, expectedSize: size) }
            }
        }
        let badChecksum = flipping(ZstdFixture.frame, at: ZstdFixture.frame.count - 1)
        expectCoreError(.malformed, "checksum") { try d.decompress(badChecksum, maxSize: 1 << 20) }
        let badLiteral = flipping(ZstdFixture.frame, at: 12)
        expectCoreError(.malformed, "literal") { try d.decompress(badLiteral, maxSize: 1 << 20) }
        expectCoreError(.malformed, "not zstd") { try d.decompress(utf8("plain text, not a frame"), maxSize: 1 << 20) }
        // The context recovers from the failures.
        #expect(try d.decompress(ZstdFixture.frame, maxSize: 1160) == ZstdFixture.plaintext)
    }

    @Test("input must be exactly one frame: trailing bytes or a second frame are malformed")
    func exactlyOneFrame() throws {
        let d = try ZstdDecompressor()
        for input in [ZstdFixture.frame + [0], ZstdFixture.frame + ZstdFixture.frame, ZstdFixture.frame + [0x28, 0xb5, 0x2f, 0xfd]] {
            expectCoreError(.malformed, "\(input.count) bytes") { try d.decompress(input, maxSize: 1 << 20) }
            expectCoreError(.malformed, "\(input.count) bytes, expected size") {
                try input.withUnsafeBytes { try d.decompress($0, expectedSize: 1160) }
            }
        }
    }

    @Test("two megabytes of patterned data round-trip and shrink; the frame records its size")
    func roundTrip() throws {
        let data = patternedBytes(count: 2 << 20)
        let c = try ZstdCompressor()
        #expect(c.level == 3)
        let frame = try c.compress(data)
        #expect(frame.count < data.count / 10)
        let d = try ZstdDecompressor()
        #expect(try d.decompress(frame, maxSize: data.count) == data)
        expectCoreError(.malformed) { try d.decompress(frame, maxSize: data.count - 1) }
        // One compressor serves many inputs, including empty ones.
        for input in [[], [0x41], Array(data.prefix(1000)), Array(data.prefix(200_000))] as [[UInt8]] {
            #expect(try d.decompress(try c.compress(input), maxSize: data.count) == input)
        }
    }

    @Test("incompressible data under a limit of its own size: false, and the output is left as it was")
    func incompressibleLimit() throws {
        let c = try ZstdCompressor(level: 19)
        let prefix: [UInt8] = [1, 2, 3]
        for count in [1, 100, 4096, 200_000] {
            let random = pseudoRandomBytes(count: count, seed: UInt64(count))
            var out = prefix
            let shrank = try random.withUnsafeBytes { try c.compress($0, into: &out, limit: random.count) }
            #expect(!shrank, "\(count) random bytes")
            #expect(out == prefix, "\(count) random bytes")
        }
    }

    @Test("compressible data under a limit: appended after existing bytes as one decodable frame")
    func compressInto() throws {
        let c = try ZstdCompressor()
        let data = patternedBytes(count: 10_000)
        var out: [UInt8] = [9, 9]
        let shrank = try data.withUnsafeBytes { try c.compress($0, into: &out, limit: data.count - 1) }
        #expect(shrank)
        #expect(out.prefix(2) == [9, 9])
        #expect(try ZstdDecompressor().decompress(Array(out.dropFirst(2)), maxSize: data.count) == data)
        // A limit the frame cannot meet leaves the output alone; zero and negative limits are "never".
        let frameLength = out.count - 2
        for limit in [frameLength - 1, 0, -5] {
            var again: [UInt8] = [9, 9]
            let ok = try data.withUnsafeBytes { try c.compress($0, into: &again, limit: limit) }
            #expect(!ok, "limit \(limit)")
            #expect(again == [9, 9], "limit \(limit)")
        }
    }
}

/// A frame compressed against a base, made once with `zstd -19 --patch-from=base.txt new.txt` (zstd 1.5.4), which loads
/// the base as raw content, as compression 2 of a blob does (FORMAT.md §7.2).
enum ZstdPatchFixture {
    /// The base: `Triplicate base block, page NNN: rating 0 flag 0\n` for NNN = 000…039, 1,960 bytes.
    static let base: [UInt8] = Array((0..<40).map { String(format: "Triplicate base block, page %03d: rating 0 flag 0\n", $0) }.joined().utf8)
    /// The new version: page 007 rated 5, page 031 rated 3 and flagged.
    static let plaintext: [UInt8] = Array(String(decoding: base, as: UTF8.self)
        .replacingOccurrences(of: "page 007: rating 0", with: "page 007: rating 5")
        .replacingOccurrences(of: "page 031: rating 0 flag 0", with: "page 031: rating 3 flag 1").utf8)
    /// The 32-byte frame.
    static let frame: [UInt8] = [
        0x28, 0xb5, 0x2f, 0xfd, 0x64, 0xa8, 0x06, 0x95, 0x00, 0x00, 0x20, 0x54,
        0x35, 0x33, 0x31, 0x04, 0x40, 0x01, 0x86, 0x40, 0x01, 0x8c, 0x12, 0xf0,
        0xef, 0xad, 0xae, 0xe6, 0x13, 0x4b, 0x14, 0xc8,
    ]
}

@Suite("zstd against a base")
struct ZstdPrefixTests {
    @Test("a frame written by zstd --patch-from decodes against its base, and only against it")
    func patchFromFrame() throws {
        #expect(ZstdPatchFixture.base.count == 1960 && ZstdPatchFixture.plaintext.count == 1960)
        let d = try ZstdDecompressor()
        var out = [UInt8](repeating: 0, count: 1960)
        try ZstdPatchFixture.frame.withUnsafeBytes { f in
            try ZstdPatchFixture.base.withUnsafeBytes { b in
                try out.withUnsafeMutableBytes { o in try d.decompress(f, into: o, expectedSize: 1960, prefix: b) }
            }
        }
        #expect(out == ZstdPatchFixture.plaintext)
        // Without the base the frame refers to bytes it does not have.
        expectCoreError(.malformed) {
            _ = try ZstdPatchFixture.frame.withUnsafeBytes { f in try d.decompress(f, expectedSize: 1960) }
        }
        // The prefix served one frame only: the same context decodes an ordinary frame afterwards.
        #expect(try d.decompress(ZstdFixture.frame, maxSize: 1160) == ZstdFixture.plaintext)
    }

    @Test("compressing against a base round-trips, shrinks far below compressing alone, and treats a base that starts like a zstd dictionary as raw bytes")
    func roundTripAgainstBase() throws {
        // A base whose first four bytes are zstd's dictionary magic: loaded as a dictionary, it would not parse.
        var base = [0x37, 0xA4, 0x30, 0xEC] + pseudoRandomBytes(count: 200_000, seed: 5)
        let plain = { () -> [UInt8] in
            var p = base
            for i in stride(from: 1000, to: p.count, by: 40_000) { p[i] ^= 0xFF }
            return p
        }()
        let c = try ZstdCompressor(level: 1)
        var against: [UInt8] = [], alone: [UInt8] = []
        let shrank = try plain.withUnsafeBytes { p in
            try base.withUnsafeBytes { b in try c.compress(p, against: b, into: &against, limit: p.count - 1) }
        }
        #expect(shrank)
        // The prefix applied to that frame only: this one is compressed alone (random data does not shrink).
        let aloneShrank = try plain.withUnsafeBytes { p in try c.compress(p, into: &alone, limit: p.count - 1) }
        #expect(!aloneShrank)
        #expect(against.count < 2_000, "\(against.count) bytes")
        let d = try ZstdDecompressor()
        var out = [UInt8](repeating: 0, count: plain.count)
        try against.withUnsafeBytes { f in
            try base.withUnsafeBytes { b in
                try out.withUnsafeMutableBytes { o in try d.decompress(f, into: o, expectedSize: plain.count, prefix: b) }
            }
        }
        #expect(out == plain)
        // Against a different base the frame decodes to other bytes or not at all, never to the plaintext.
        base[100] ^= 1
        let decoded: Bool
        do {
            try against.withUnsafeBytes { f in
                try base.withUnsafeBytes { b in
                    try out.withUnsafeMutableBytes { o in try d.decompress(f, into: o, expectedSize: plain.count, prefix: b) }
                }
            }
            decoded = true
        } catch { decoded = false }
        #expect(!decoded || out != plain)
    }
}
