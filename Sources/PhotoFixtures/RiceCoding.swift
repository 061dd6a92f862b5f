// Lossless DNG-like sample coding: predict from the same-colour left neighbour, Rice-code the residuals.

/// An MSB-first bit writer over caller-owned memory. Branch-free: after every code it stores the
/// whole 64-bit buffer and advances by the complete bytes, so it may write up to 8 bytes past
/// `output` (callers reserve that slack).
struct BitWriter {
    /// Pending bits, left-aligned: the next bit goes to position `63 - pending`.
    var accumulator: UInt64 = 0
    /// Bits in `accumulator` not yet counted in `output` (0...7 between calls).
    var pending = 0
    /// Where the next complete byte goes.
    var output: UnsafeMutableRawPointer

    /// Appends the low `length` bits of `value` (`length` at most 32; higher bits of `value` must be zero).
    @inline(__always)
    mutating func put(_ value: UInt64, _ length: Int) {
        pending += length
        accumulator |= value &<< UInt64(64 - pending)
        output.storeBytes(of: accumulator.bigEndian, as: UInt64.self)
        let bytes = pending &>> 3
        output += bytes
        accumulator = accumulator &<< UInt64(bytes &<< 3)
        pending &= 7
    }

    /// Stores the last partial byte, padded with zero bits.
    mutating func finish() {
        if pending > 0 { put(0, 8 - pending) }
    }
}

/// The residual coder of compressed (DNG-like) RAW files.
///
/// Each row is split into blocks of 32 samples. A block starts with a 4-bit Rice parameter `k`
/// (floor of log2 of the block's mean zig-zag residual, at most 11); each residual against the
/// sample two to the left (the same Bayer colour; the first two use half scale) is then coded as
/// `q` zero bits, a one, and the low `k` bits, where `q = z >> k`. When `q` would reach 20, twenty
/// zeros are followed by the residual's 16 raw bits. Rows follow each other without padding.
enum RiceCoding {
    static let blockSize = 32
    private static let escape = 20

    /// Upper bound on the bytes one row can take (plus the writer's 8-byte overhang), for reserving output space.
    static func worstCaseBytes(width: Int) -> Int { width * 5 + 16 }

    /// Appends the codes of one row of `width` samples; `scratch` must hold `width` values.
    static func encodeRow(_ samples: UnsafePointer<UInt16>, width: Int, bitsPerSample: Int,
                          scratch: UnsafeMutablePointer<UInt32>, into writer: inout BitWriter) {
        // Zig-zag residuals against the same-colour neighbour, in a loop the compiler vectorises.
        let mid = Int32(1 << (bitsPerSample - 1))
        let z = scratch
        for i in 0..<min(2, width) {
            let residual = Int32(samples[i]) &- mid
            z[i] = UInt32(bitPattern: (residual &<< 1) ^ (residual &>> 31))
        }
        for i in 2..<width {
            let residual = Int32(samples[i]) &- Int32(samples[i - 2])
            z[i] = UInt32(bitPattern: (residual &<< 1) ^ (residual &>> 31))
        }
        var block = 0
        while block < width {
            var sum: UInt32 = 0
            for i in block..<(block + blockSize) { sum &+= z[i] }
            let mean = sum >> 5
            let k = mean == 0 ? 0 : min(11, 31 - mean.leadingZeroBitCount)
            writer.put(UInt64(k), 4)
            let lowMask = (UInt32(1) << UInt32(k)) &- 1
            let marker = UInt32(1) << UInt32(k)
            for i in block..<(block + blockSize) {
                let zigzag = z[i]
                let quotient = Int(zigzag >> UInt32(k))
                if quotient < escape {
                    writer.put(UInt64(marker | (zigzag & lowMask)), quotient + 1 + k)
                } else {
                    writer.put(0, escape)
                    writer.put(UInt64(zigzag & 0xFFFF), 16)
                }
            }
            block += blockSize
        }
    }

    /// Decodes `rows` rows of `width` samples from `bytes` (the inverse of `encodeRow`, for checks).
    static func decode(_ bytes: [UInt8], width: Int, rows: Int, bitsPerSample: Int) -> [UInt16]? {
        var reader = BitReader(bytes: bytes)
        var samples = [UInt16](repeating: 0, count: width * rows)
        let mid = Int32(1 << (bitsPerSample - 1))
        for row in 0..<rows {
            let base = row * width
            var block = 0
            while block < width {
                guard let k = reader.read(4) else { return nil }
                for i in block..<(block + blockSize) {
                    var quotient = 0
                    while quotient < escape {
                        guard let bit = reader.read(1) else { return nil }
                        if bit == 1 { break }
                        quotient += 1
                    }
                    let zigzag: UInt32
                    if quotient == escape {
                        guard let raw = reader.read(16) else { return nil }
                        zigzag = UInt32(raw)
                    } else {
                        guard let low = reader.read(Int(k)) else { return nil }
                        zigzag = (UInt32(quotient) << UInt32(k)) | UInt32(low)
                    }
                    let residual = Int32(bitPattern: zigzag >> 1) ^ -Int32(bitPattern: zigzag & 1)
                    let prediction = i >= 2 ? Int32(samples[base + i - 2]) : mid
                    samples[base + i] = UInt16(truncatingIfNeeded: prediction &+ residual)
                }
                block += blockSize
            }
        }
        return samples
    }
}

/// An MSB-first bit reader over bytes.
struct BitReader {
    let bytes: [UInt8]
    var position = 0

    /// The next `count` bits (at most 32) as an integer, or nil past the end.
    mutating func read(_ count: Int) -> UInt64? {
        var value: UInt64 = 0
        for _ in 0..<count {
            let byte = position >> 3
            guard byte < bytes.count else { return nil }
            let bit = (bytes[byte] >> (7 - UInt8(position & 7))) & 1
            value = (value << 1) | UInt64(bit)
            position += 1
        }
        return value
    }
}
