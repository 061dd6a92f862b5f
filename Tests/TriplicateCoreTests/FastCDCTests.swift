// FastCDCTests: the FastCDC chunker against the reference crate `fastcdc` (v2020): tables, masks, known answers.

@_spi(Benchmarks) import TriplicateCore
import CLibCrypto
import Foundation
import Testing

@testable import TriplicateCore

/// The reference's test image, shared with the Rust crate's own tests (`test/fixtures/SekienAkashita.jpg`).
enum SekienFixture {
    /// Where the fixture is expected: `/work/shared/fixtures/fastcdc/` seen from `Tests/TriplicateCoreTests/`.
    static let path: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .appendingPathComponent("../../../shared/fixtures/fastcdc/SekienAkashita.jpg")
        .standardizedFileURL.path
    /// The fixture's bytes, or nil if it is absent (the tests that need it are then skipped, with the path).
    static let bytes: [UInt8]? = FileManager.default.contents(atPath: path).map { [UInt8]($0) }
    /// The fixture's length in bytes.
    static let length = 109_466
    /// Under `CI=true` nothing is skipped: the fixture must be there, and a test that needs it fails if it is not.
    static let ci = ProcessInfo.processInfo.environment["CI"] == "true"
}

/// One chunk the reference reports: its length and the gear hash at its cut.
struct ReferenceChunk: Sendable {
    var length: Int
    var hash: UInt64
}

/// A published known answer of the reference crate for SekienAkashita.jpg.
struct SekienCase: Sendable, CustomTestStringConvertible {
    var name: String
    var parameters: ChunkerParameters
    var chunks: [ReferenceChunk]
    var testDescription: String { name }
}

/// Deterministic pseudo-random bytes (SplitMix64), so the tests need no fixture for random data.
func pseudoRandomBytes(count: Int, seed: UInt64) -> [UInt8] {
    var state = seed
    var bytes = [UInt8](repeating: 0, count: count)
    var i = 0
    while i < count {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        for k in 0..<min(8, count - i) {
            bytes[i + k] = UInt8(truncatingIfNeeded: z >> (8 * UInt64(k)))
        }
        i += 8
    }
    return bytes
}

/// MD5 of `bytes` through OpenSSL's `EVP_Digest`.
func md5(_ bytes: some Collection<UInt8>) -> [UInt8] {
    let input = Array(bytes)
    var digest = [UInt8](repeating: 0, count: 16)
    var length: UInt32 = 0
    let ok = input.withUnsafeBytes { inBuf in
        digest.withUnsafeMutableBytes { outBuf in
            EVP_Digest(
                inBuf.baseAddress, inBuf.count, outBuf.baseAddress?.assumingMemoryBound(to: UInt8.self), &length,
                EVP_md5(), nil)
        }
    }
    #expect(ok == 1 && length == 16, "EVP_Digest(MD5) failed")
    return digest
}

func hex(_ bytes: [UInt8]) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
}

/// Cuts `data` the way a stream reader would: the chunker only ever sees a window holding the next `maxSize`
/// bytes (fewer at the end of the input), copied out of the input.
func windowedLengths(_ chunker: FastCDC, _ data: [UInt8]) -> [Int] {
    let maxSize = chunker.parameters.maxSize
    let window = UnsafeMutableRawBufferPointer.allocate(byteCount: maxSize, alignment: 16)
    defer { window.deallocate() }
    var lengths: [Int] = []
    var start = 0
    while start < data.count {
        let filled = min(maxSize, data.count - start)
        data.withUnsafeBytes { all in
            window.copyMemory(from: UnsafeRawBufferPointer(rebasing: all[start..<(start + filled)]))
        }
        let length = chunker.cut(UnsafeRawBufferPointer(rebasing: window[0..<filled]))
        lengths.append(length)
        start += length
    }
    return lengths
}

/// Lengths and hashes of all chunks of `data`, through the internal `cutPoint` that also returns the hash.
func referenceStyleChunks(_ chunker: FastCDC, _ data: [UInt8]) -> [ReferenceChunk] {
    var chunks: [ReferenceChunk] = []
    data.withUnsafeBytes { all in
        var start = 0
        while start < all.count {
            let (length, hash) = chunker.cutPoint(UnsafeRawBufferPointer(rebasing: all[start...]))
            chunks.append(ReferenceChunk(length: length, hash: hash))
            start += length
        }
    }
    return chunks
}

/// A plain transcription of the reference's `cut`, one pair index at a time over a Swift array, with the gear
/// table recomputed from MD5: the independent model the optimized `cut` is compared with.
func modelChunks(_ p: ChunkerParameters, _ data: [UInt8]) -> [ReferenceChunk] {
    let gear = (0..<256).map { i in
        md5([UInt8](repeating: UInt8(i), count: 64)).prefix(8).reduce(UInt64(0)) { ($0 << 8) | UInt64($1) } ^ p.seed
    }
    let gearShifted = gear.map { $0 << 1 }
    let bits = Int(log2(Double(p.averageSize)).rounded())
    let maskS = FastCDC.masks[bits + p.normalization]
    let maskL = FastCDC.masks[bits - p.normalization]
    var chunks: [ReferenceChunk] = []
    var start = 0
    while start < data.count {
        let source = Array(data[start...])
        var remaining = source.count
        var chunk = ReferenceChunk(length: remaining, hash: 0)
        if remaining > p.minSize {
            var center = p.averageSize
            if remaining > p.maxSize {
                remaining = p.maxSize
            } else if remaining < center {
                center = remaining
            }
            var hash: UInt64 = 0
            var index = p.minSize / 2
            chunk = ReferenceChunk(length: -1, hash: 0)
            while index < remaining / 2 {
                let mask = index < center / 2 ? maskS : maskL
                let a = index * 2
                hash = (hash << 2) &+ gearShifted[Int(source[a])]
                if hash & (mask << 1) == 0 {
                    chunk = ReferenceChunk(length: a, hash: hash)
                    break
                }
                hash = hash &+ gear[Int(source[a + 1])]
                if hash & mask == 0 {
                    chunk = ReferenceChunk(length: a + 1, hash: hash)
                    break
                }
                index += 1
            }
            if chunk.length < 0 { chunk = ReferenceChunk(length: remaining, hash: hash) }
        }
        chunks.append(chunk)
        start += chunk.length
    }
    return chunks
}

@Suite("FastCDC (v2020) chunker")
struct FastCDCTests {
    // MARK: Tables and masks

    @Test("every gear entry is the first 8 bytes (big-endian) of MD5 of 64 bytes equal to the index")
    func gearTableIsMD5() {
        for i in 0..<256 {
            let digest = md5([UInt8](repeating: UInt8(i), count: 64))
            let expected = digest.prefix(8).reduce(UInt64(0)) { ($0 << 8) | UInt64($1) }
            #expect(FastCDC.referenceGear(i) == expected, "gear[\(i)]")
        }
    }

    @Test("the shifted table matches the reference's GEAR_LS; a seed is XORed in as the reference does")
    func shiftedAndSeededTables() throws {
        // Spot values from the reference's literal GEAR_LS table.
        let referenceShifted: [Int: UInt64] = [
            0: 0x76ba_78fa_40fc_6fb8, 1: 0xf09a_d175_2224_610c, 2: 0x9aa5_101f_105c_e530,
            128: 0x819c_8ff1_1266_c68c, 254: 0xc3b0_61a7_e2d8_bbb6, 255: 0x557a_5654_8a2a_09c2,
        ]
        let plain = try FastCDC(ChunkerParameters(minSize: 4096, averageSize: 16384, maxSize: 65535))
        for (i, value) in referenceShifted {
            #expect(plain.tables.shifted[i] == value, "GEAR_LS[\(i)]")
        }
        let seed: UInt64 = 0xDEAD_BEEF_F00D_CAFE
        let seeded = try FastCDC(ChunkerParameters(minSize: 4096, averageSize: 16384, maxSize: 65535, seed: seed))
        for i in 0..<256 {
            #expect(plain.tables.gear[i] == FastCDC.referenceGear(i))
            #expect(plain.tables.shifted[i] == FastCDC.referenceGear(i) &<< 1)
            #expect(seeded.tables.gear[i] == FastCDC.referenceGear(i) ^ seed)
            #expect(seeded.tables.shifted[i] == plain.tables.shifted[i] ^ (seed &<< 1))
        }
    }

    @Test("masks are chosen by round(log2(average)) ± normalization, as in the reference's test_masks")
    func maskSelection() throws {
        let cases: [(min: Int, avg: Int, max: Int, large: Int, small: Int)] = [
            (64, 256, 1024, 7, 9),
            (8192, 16384, 32768, 13, 15),
            (1_048_576, 4_194_304, 16_777_216, 21, 23),
        ]
        for c in cases {
            let chunker = try FastCDC(ChunkerParameters(minSize: c.min, averageSize: c.avg, maxSize: c.max))
            #expect(chunker.maskL == FastCDC.masks[c.large])
            #expect(chunker.maskS == FastCDC.masks[c.small])
        }
        for level in 0...3 {
            let chunker = try FastCDC(
                ChunkerParameters(minSize: 64, averageSize: 256, maxSize: 1024, normalization: level))
            #expect(chunker.maskS == FastCDC.masks[8 + level])
            #expect(chunker.maskL == FastCDC.masks[8 - level])
        }
        #expect(FastCDC.masks.count == 26)
        for (bits, mask) in FastCDC.masks.enumerated() where bits >= 6 && bits <= 24 {
            #expect(mask.nonzeroBitCount == bits, "mask \(bits) has \(bits) bits set")
        }
    }

    @Test("roundedLog2 equals the reference's f64 log2().round() on every allowed average size")
    func roundedLog2() {
        #expect(FastCDC.roundedLog2(1024) == 10)
        #expect(FastCDC.roundedLog2(1100) == 10)
        #expect(FastCDC.roundedLog2(1500) == 11)
        #expect(FastCDC.roundedLog2(12288) == 14)
        #expect(FastCDC.roundedLog2(16383) == 14)
        #expect(FastCDC.roundedLog2(24576) == 15)
        #expect(FastCDC.roundedLog2(65535) == 16)
        #expect(FastCDC.roundedLog2(4_194_305) == 22)
        var mismatches = 0
        for value in FastCDC.averageSizeRange where FastCDC.roundedLog2(value) != Int(log2(Double(value)).rounded())
        {
            mismatches += 1
        }
        #expect(mismatches == 0)
    }

    // MARK: Known answers

    @Test("10,240 zero bytes with 64/256/1024 give ten 1024-byte chunks (reference test_cut_all_zeros)")
    func allZeros() throws {
        let chunker = try FastCDC(ChunkerParameters(minSize: 64, averageSize: 256, maxSize: 1024))
        let zeros = [UInt8](repeating: 0, count: 10_240)
        #expect(chunker.chunkLengths(of: zeros) == Array(repeating: 1024, count: 10))
        let chunks = referenceStyleChunks(chunker, zeros)
        #expect(chunks.map(\.hash) == Array(repeating: 14_169_102_344_523_991_076, count: 10))
        // Nothing left: an empty remainder is a zero-length cut.
        #expect(chunker.cut(UnsafeRawBufferPointer(start: nil, count: 0)) == 0)
        #expect(chunker.chunkLengths(of: []) == [])
    }

    static let sekienCases: [SekienCase] = [
        SekienCase(
            name: "4096/16384/65535, level 1 (test_cut_sekien_16k_chunks)",
            parameters: ChunkerParameters(minSize: 4096, averageSize: 16384, maxSize: 65535),
            chunks: [
                ReferenceChunk(length: 21325, hash: 17_968_276_318_003_433_923),
                ReferenceChunk(length: 17140, hash: 8_197_189_939_299_398_838),
                ReferenceChunk(length: 28084, hash: 13_019_990_849_178_155_730),
                ReferenceChunk(length: 18217, hash: 4_509_236_223_063_678_303),
                ReferenceChunk(length: 24700, hash: 2_504_464_741_100_432_583),
            ]),
        SekienCase(
            name: "4096/16384/65535, level 1, seed 666 (test_cut_sekien_16k_chunks_seed_666)",
            parameters: ChunkerParameters(minSize: 4096, averageSize: 16384, maxSize: 65535, seed: 666),
            chunks: [
                ReferenceChunk(length: 10605, hash: 9_312_357_714_466_240_148),
                ReferenceChunk(length: 55745, hash: 226_910_853_333_574_584),
                ReferenceChunk(length: 11346, hash: 12_271_755_243_986_371_352),
                ReferenceChunk(length: 5883, hash: 14_153_975_939_352_546_047),
                ReferenceChunk(length: 11586, hash: 5_890_158_701_071_314_778),
                ReferenceChunk(length: 14301, hash: 8_981_594_897_574_481_255),
            ]),
        SekienCase(
            name: "4096/16384/65535, level 0 (test_cut_sekien_16k_nc_0)",
            parameters: ChunkerParameters(minSize: 4096, averageSize: 16384, maxSize: 65535, normalization: 0),
            chunks: [
                ReferenceChunk(length: 6634, hash: 443_122_261_039_895_162),
                ReferenceChunk(length: 59915, hash: 15_733_367_461_443_853_673),
                ReferenceChunk(length: 25597, hash: 10_460_176_299_449_652_894),
                ReferenceChunk(length: 5237, hash: 6_197_802_202_431_009_942),
                ReferenceChunk(length: 12083, hash: 6_321_136_627_705_800_457),
            ]),
        SekienCase(
            name: "8192/16384/32768, level 3 (test_cut_sekien_16k_nc_3)",
            parameters: ChunkerParameters(minSize: 8192, averageSize: 16384, maxSize: 32768, normalization: 3),
            chunks: [
                ReferenceChunk(length: 17350, hash: 10_718_006_254_707_412_376),
                ReferenceChunk(length: 19911, hash: 13_104_072_099_671_895_560),
                ReferenceChunk(length: 17426, hash: 12_322_483_109_039_221_194),
                ReferenceChunk(length: 17519, hash: 16_009_206_469_796_846_404),
                ReferenceChunk(length: 19940, hash: 2_473_608_525_189_754_172),
                ReferenceChunk(length: 17320, hash: 2_504_464_741_100_432_583),
            ]),
        SekienCase(
            name: "8192/32768/131072, level 1 (test_cut_sekien_32k_chunks)",
            parameters: ChunkerParameters(minSize: 8192, averageSize: 32768, maxSize: 131_072),
            chunks: [
                ReferenceChunk(length: 66549, hash: 15_733_367_461_443_853_673),
                ReferenceChunk(length: 42917, hash: 6_321_136_627_705_800_457),
            ]),
        SekienCase(
            name: "16384/65536/262144, level 1 (test_cut_sekien_64k_chunks)",
            parameters: ChunkerParameters(minSize: 16384, averageSize: 65536, maxSize: 262_144),
            chunks: [ReferenceChunk(length: 109_466, hash: 2_504_464_741_100_432_583)]),
    ]

    @Test(
        "SekienAkashita.jpg gives the reference crate's published lengths and hashes",
        .enabled(
            if: SekienFixture.bytes != nil || SekienFixture.ci,
            "fixture not found at \(SekienFixture.path)"),
        arguments: sekienCases)
    func sekien(_ known: SekienCase) throws {
        let data = try #require(SekienFixture.bytes)
        #expect(data.count == SekienFixture.length)
        let chunker = try FastCDC(known.parameters)
        #expect(chunker.chunkLengths(of: data) == known.chunks.map(\.length))
        let chunks = referenceStyleChunks(chunker, data)
        #expect(chunks.map(\.length) == known.chunks.map(\.length))
        #expect(chunks.map(\.hash) == known.chunks.map(\.hash))
        #expect(windowedLengths(chunker, data) == known.chunks.map(\.length))
    }

    @Test(
        "the 16 KiB chunks of SekienAkashita.jpg have the reference's MD5 digests (test_iter_sekien_16k_chunks)",
        .enabled(
            if: SekienFixture.bytes != nil || SekienFixture.ci,
            "fixture not found at \(SekienFixture.path)"))
    func sekienDigests() throws {
        let data = try #require(SekienFixture.bytes)
        let chunker = try FastCDC(ChunkerParameters(minSize: 4096, averageSize: 16384, maxSize: 65535))
        let expected: [(offset: Int, length: Int, md5: String)] = [
            (0, 21325, "2bb52734718194617c957f5e07ee6054"),
            (21325, 17140, "badfb0757fe081c20336902e7131f768"),
            (38465, 28084, "18412d7414de6eb42f638351711f729d"),
            (66549, 18217, "04fe1405fc5f960363bfcd834c056407"),
            (84766, 24700, "1aa7ad95f274d6ba34a983946ebc5af3"),
        ]
        var offset = 0
        let lengths = chunker.chunkLengths(of: data)
        try #require(lengths.count == expected.count)
        for (length, known) in zip(lengths, expected) {
            #expect(offset == known.offset)
            #expect(length == known.length)
            #expect(hex(md5(data[offset..<(offset + length)])) == known.md5)
            offset += length
        }
    }

    // MARK: Streaming and edge cases

    @Test(
        "a window of exactly maxSize bytes gives the same cuts as the whole buffer",
        arguments: [
            ChunkerParameters(minSize: 4096, averageSize: 16384, maxSize: 65535),
            ChunkerParameters(minSize: 4097, averageSize: 12288, maxSize: 40001, normalization: 2, seed: 42),
            ChunkerParameters(minSize: 64, averageSize: 256, maxSize: 1024, normalization: 0),
            ChunkerParameters(minSize: 64, averageSize: 256, maxSize: 1024, normalization: 3),
            ChunkerParameters(minSize: 16384, averageSize: 65536, maxSize: 262_144),
        ])
    func streamingWindow(_ parameters: ChunkerParameters) throws {
        let chunker = try FastCDC(parameters)
        let data = pseudoRandomBytes(count: 1_500_001, seed: 7)
        let whole = chunker.chunkLengths(of: data)
        #expect(windowedLengths(chunker, data) == whole)
        #expect(whole.reduce(0, +) == data.count)
        for length in whole.dropLast() {
            // An odd minSize starts hashing one byte early, exactly as the reference does.
            #expect(length >= (parameters.minSize & ~1) && length <= parameters.maxSize)
        }
        // Zero padding (no cut points) across window boundaries: maxSize chunks, then the remainder.
        let padded = data.prefix(10_000) + [UInt8](repeating: 0, count: 3 * parameters.maxSize + 5)
        #expect(windowedLengths(chunker, Array(padded)) == chunker.chunkLengths(of: Array(padded)))
    }

    @Test("a remainder no longer than minSize is one chunk, with the reference's hash 0")
    func shortRemainder() throws {
        let chunker = try FastCDC(ChunkerParameters(minSize: 4096, averageSize: 16384, maxSize: 65536))
        let data = pseudoRandomBytes(count: 4096, seed: 1)
        #expect(chunker.chunkLengths(of: data) == [4096])
        #expect(chunker.chunkLengths(of: Array(data.prefix(1))) == [1])
        data.withUnsafeBytes { buffer in
            #expect(chunker.cutPoint(buffer) == (4096, 0))
        }
        // One byte more than minSize: a single cut, at most the whole input.
        let longer = pseudoRandomBytes(count: 4097, seed: 1)
        #expect(chunker.chunkLengths(of: longer).reduce(0, +) == 4097)
    }

    @Test(
        "matches a plain model of the reference's cut on random inputs, short, odd-length and longer than maxSize",
        arguments: [
            ChunkerParameters(minSize: 64, averageSize: 256, maxSize: 1024),
            ChunkerParameters(minSize: 97, averageSize: 300, maxSize: 1500, normalization: 0, seed: 3),
            ChunkerParameters(minSize: 128, averageSize: 1000, maxSize: 1024, normalization: 2),
            ChunkerParameters(minSize: 256, averageSize: 512, maxSize: 4096, normalization: 3, seed: .max),
            ChunkerParameters(minSize: 4096, averageSize: 16384, maxSize: 65535),
        ])
    func matchesModel(_ parameters: ChunkerParameters) throws {
        let chunker = try FastCDC(parameters)
        var rng = pseudoRandomBytes(count: 4096, seed: UInt64(parameters.minSize)).makeIterator()
        func next() -> Int { Int(rng.next() ?? 0) }
        for round in 0..<300 {
            // Random bytes, with zero runs so that some windows have no cut point at all.
            var data = pseudoRandomBytes(count: (round * 37) % (parameters.maxSize * 2) + next(), seed: UInt64(round))
            if round % 3 == 0, data.count > 16 {
                let runStart = next() * data.count / 256
                let runEnd = min(data.count, runStart + next() * parameters.maxSize / 128)
                for i in runStart..<runEnd { data[i] = 0 }
            }
            let model = modelChunks(parameters, data)
            #expect(referenceStyleChunks(chunker, data).map(\.length) == model.map(\.length), "round \(round)")
            #expect(referenceStyleChunks(chunker, data).map(\.hash) == model.map(\.hash), "round \(round)")
        }
    }

    @Test("an odd minSize starts hashing at minSize - 1 and can cut there, exactly as the reference does")
    func oddMinSizeQuirk() throws {
        // Choose the seed so that a zero byte at an even offset matches the strict mask straight away: the first
        // byte hashed then ends the chunk. For avg 256 at level 1 the strict mask is MASKS[9].
        let seed = FastCDC.referenceGear(0) & FastCDC.masks[9]
        let zeros = [UInt8](repeating: 0, count: 4096)
        let odd = try FastCDC(ChunkerParameters(minSize: 65, averageSize: 256, maxSize: 1024, seed: seed))
        let even = try FastCDC(ChunkerParameters(minSize: 64, averageSize: 256, maxSize: 1024, seed: seed))
        #expect(odd.chunkLengths(of: zeros) == Array(repeating: 64, count: 64))
        #expect(even.chunkLengths(of: zeros) == Array(repeating: 64, count: 64))
        let unseeded = try FastCDC(ChunkerParameters(minSize: 65, averageSize: 256, maxSize: 1024))
        #expect(unseeded.chunkLengths(of: zeros) == Array(repeating: 1024, count: 4))
    }

    // MARK: Validation

    @Test("parameters at the ends of the allowed ranges are accepted")
    func acceptsBoundaries() throws {
        _ = try FastCDC(ChunkerParameters(minSize: 64, averageSize: 256, maxSize: 1024, normalization: 3))
        _ = try FastCDC(ChunkerParameters(minSize: 64, averageSize: 256, maxSize: 1024, normalization: 0))
        _ = try FastCDC(
            ChunkerParameters(minSize: 1_048_576, averageSize: 4_194_304, maxSize: 16_777_216, normalization: 3))
        _ = try FastCDC(ChunkerParameters(minSize: 524_288, averageSize: 2_097_152, maxSize: 8_388_608))
        _ = try FastCDC(ChunkerParameters(minSize: 4096, averageSize: 4096, maxSize: 4096, seed: .max))
    }

    @Test(
        "out-of-range parameters throw, naming the parameter and the allowed range",
        arguments: [
            (ChunkerParameters(minSize: 63, averageSize: 256, maxSize: 1024), "minSize 63 ", "64...1048576"),
            (
                ChunkerParameters(minSize: 1_048_577, averageSize: 4_194_304, maxSize: 16_777_216),
                "minSize 1048577 ", "64...1048576"
            ),
            (ChunkerParameters(minSize: 64, averageSize: 255, maxSize: 1024), "averageSize 255 ", "256...4194304"),
            (
                ChunkerParameters(minSize: 64, averageSize: 4_194_305, maxSize: 16_777_216),
                "averageSize 4194305 ", "256...4194304"
            ),
            (ChunkerParameters(minSize: 64, averageSize: 256, maxSize: 1023), "maxSize 1023 ", "1024...16777216"),
            (
                ChunkerParameters(minSize: 64, averageSize: 256, maxSize: 16_777_217),
                "maxSize 16777217 ", "1024...16777216"
            ),
            (
                ChunkerParameters(minSize: 64, averageSize: 256, maxSize: 1024, normalization: -1),
                "normalization -1 ", "0...3"
            ),
            (
                ChunkerParameters(minSize: 64, averageSize: 256, maxSize: 1024, normalization: 4),
                "normalization 4 ", "0...3"
            ),
            (
                ChunkerParameters(minSize: 8192, averageSize: 4096, maxSize: 65536),
                "minSize 8192 is larger than averageSize 4096", "minSize must not exceed averageSize"
            ),
            (
                ChunkerParameters(minSize: 4096, averageSize: 65536, maxSize: 32768),
                "averageSize 65536 is larger than maxSize 32768", "averageSize must not exceed maxSize"
            ),
        ])
    func rejects(_ parameters: ChunkerParameters, _ names: String, _ allowed: String) {
        do {
            _ = try FastCDC(parameters)
            Issue.record("accepted invalid parameters \(parameters)")
        } catch {
            // Exhaustive: a new kind of error must be handled here, not pass unnoticed.
            switch error {
            case .invalidParameters(let message):
                #expect(message.contains(names), "\(message)")
                #expect(message.contains(allowed), "\(message)")
            }
        }
    }
}

@Suite("FastCDC: the cut rule of streaming readers")
struct CertainCutTests {
    @Test("reading in uneven pieces and cutting only what is certain gives the whole-file cuts")
    func certainCutsMatchWholeFileCuts() throws {
        let chunker = try FastCDC(ChunkerParameters(minSize: 4096, averageSize: 16384, maxSize: 65536))
        let data = pseudoRandomBytes(count: 700_000, seed: 77)
        var cuts: [Int] = []
        var start = 0, filled = 0
        var step = 0
        data.withUnsafeBytes { all in
            while true {
                let window = UnsafeRawBufferPointer(rebasing: all[start..<filled])
                if let length = chunker.certainCut(window, atEnd: filled == all.count) {
                    cuts.append(length)
                    start += length
                    continue
                }
                if filled == all.count { break }
                // Pieces of odd sizes, some smaller than a chunk, as reads of a pipe or a slow disk return them.
                step += 1
                filled = min(all.count, filled + [1, 777, 4096, 70_000, 12_345][step % 5])
            }
        }
        #expect(cuts == chunker.chunkLengths(of: data))
        #expect(chunker.certainCut(UnsafeRawBufferPointer(start: nil, count: 0), atEnd: true) == nil)
    }
}
