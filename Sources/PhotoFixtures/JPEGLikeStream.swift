// JPEG-like previews: real JPEG markers around a high-entropy body, as embedded in RAWs and `.lrprev` files.

/// Writes byte streams that look like baseline JPEGs to anything that inspects them: SOI, JFIF,
/// quantisation and Huffman tables, a frame header, a scan whose entropy-coded body is random
/// (with JPEG's `FF 00` byte stuffing), and EOI. They are not decodable images.
enum JPEGLikeStream {
    /// The markers before the scan data for a `width` x `height` image at `quality` (1-100).
    static func header(width: Int, height: Int, quality: Int) -> [UInt8] {
        var bytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10]
        bytes += Array("JFIF".utf8) + [0, 1, 1, 1, 0, 72, 0, 72, 0, 0]
        let scale = quality < 50 ? 5000 / max(quality, 1) : 200 - quality * 2
        for table in 0..<2 {
            bytes += [0xFF, 0xDB, 0x00, 0x43, UInt8(table)]
            for index in 0..<64 {
                let base = table == 0 ? 16 + index * 3 / 2 : 17 + index * 2
                bytes.append(UInt8(max(1, min(255, (base * scale + 50) / 100))))
            }
        }
        bytes += [0xFF, 0xC0, 0x00, 0x11, 0x08]
        bytes.appendBigEndian(UInt16(clamping: height))
        bytes.appendBigEndian(UInt16(clamping: width))
        bytes += [0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01]
        let dcCounts: [UInt8] = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
        let acCounts: [UInt8] = [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7D]
        for (index, counts) in [dcCounts, acCounts, dcCounts, acCounts].enumerated() {
            let symbols = counts.reduce(0) { $0 + Int($1) }
            bytes += [0xFF, 0xC4]
            bytes.appendBigEndian(UInt16(2 + 1 + 16 + symbols))
            bytes.append(UInt8((index & 1) << 4 | index >> 1))
            bytes += counts
            for symbol in 0..<symbols { bytes.append(UInt8(truncatingIfNeeded: symbol &* 37 &+ index)) }
        }
        bytes += [0xFF, 0xDA, 0x00, 0x0C, 0x03, 0x01, 0x00, 0x02, 0x11, 0x03, 0x11, 0x00, 0x3F, 0x00]
        return bytes
    }

    /// Appends a stream of exactly `length` bytes (at least the header plus 16) to `sink`.
    static func write(length: Int, width: Int, height: Int, quality: Int,
                      using rng: inout FixtureRandom, to sink: ByteSink) throws(PhotoFixtureError) {
        let head = header(width: width, height: height, quality: quality)
        try sink.append(head)
        var body = max(2, length - head.count - 2)
        var previousWasFF = false
        while body > 0 {
            let step = min(body, 1 << 16)
            let target = try sink.reserve(step)
            fillEntropy(target, count: step, previousWasFF: &previousWasFF, isLast: step == body, using: &rng)
            sink.commit(step)
            body -= step
        }
        try sink.append([0xFF, 0xD9])
    }

    /// A stream of exactly `length` bytes as an array.
    static func bytes(length: Int, width: Int, height: Int, quality: Int, using rng: inout FixtureRandom) -> [UInt8] {
        var result = header(width: width, height: height, quality: quality)
        let body = max(2, length - result.count - 2)
        let start = result.count
        result += [UInt8](repeating: 0, count: body)
        var previousWasFF = false
        result.withUnsafeMutableBytes { raw in
            if let base = raw.baseAddress { fillEntropy(base + start, count: body, previousWasFF: &previousWasFF, isLast: true, using: &rng) }
        }
        result += [0xFF, 0xD9]
        return result
    }

    /// Random bytes in which every `FF` is followed by `00`, as in JPEG entropy-coded data.
    private static func fillEntropy(_ target: UnsafeMutableRawPointer, count: Int, previousWasFF: inout Bool,
                                    isLast: Bool, using rng: inout FixtureRandom) {
        var offset = 0
        while offset + 8 <= count {
            target.storeBytes(of: rng.next(), toByteOffset: offset, as: UInt64.self)
            offset += 8
        }
        if offset < count {
            var tail = rng.next()
            while offset < count {
                target.storeBytes(of: UInt8(truncatingIfNeeded: tail), toByteOffset: offset, as: UInt8.self)
                tail >>= 8
                offset += 1
            }
        }
        let bytes = target.bindMemory(to: UInt8.self, capacity: count)
        var stuffing = previousWasFF
        for index in 0..<count {
            if stuffing {
                bytes[index] = 0
                stuffing = false
            } else if bytes[index] == 0xFF {
                stuffing = true
            }
        }
        // Never end the body on a bare FF, which would merge with the EOI marker.
        if isLast && stuffing {
            bytes[count - 1] = 0xFE
            stuffing = false
        }
        previousWasFF = stuffing
    }
}
