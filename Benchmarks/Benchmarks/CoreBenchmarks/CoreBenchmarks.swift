// CoreBenchmarks: throughput of the backup hot path's stages (chunking, hashing, compression, sealing, packing).
import Benchmark
@_spi(Benchmarks) import Triplicate
@_spi(Benchmarks) import TriplicateCore

/// 64 MiB of deterministic high-entropy bytes (like compressed RAW data).
let noise: [UInt8] = {
    var state: UInt64 = 0x5EED
    var out = [UInt8](repeating: 0, count: 64 << 20)
    out.withUnsafeMutableBytes { raw in
        let words = raw.bindMemory(to: UInt64.self)
        for i in words.indices {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            words[i] = z ^ (z >> 31)
        }
    }
    return out
}()

/// 64 MiB of 12-bit-like sensor samples in 16-bit words (compressible, like uncompressed NEF data).
let sensor: [UInt8] = {
    var out = [UInt8](repeating: 0, count: 64 << 20)
    var state: UInt32 = 1
    for i in stride(from: 0, to: out.count, by: 2) {
        state = state &* 1_103_515_245 &+ 12345
        let v = UInt16(2048 + Int((i / 2) % 4096) / 4 + Int(state >> 24) % 64) & 0x0FFF
        out[i] = UInt8(v & 0xFF)
        out[i + 1] = UInt8(v >> 8)
    }
    return out
}()

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.throughput, .wallClock, .peakMemoryResident], maxDuration: .seconds(3))
    let mib = noise.count >> 20

    Benchmark("FastCDC media profile (64 MiB)", configuration: .init(scalingFactor: .one)) { benchmark in
        let chunker = try FastCDC(ChunkingProfile.media.parameters(seed: 0x1234))
        for _ in benchmark.scaledIterations {
            noise.withUnsafeBytes { all in
                var start = 0
                while start < all.count {
                    start += chunker.cut(UnsafeRawBufferPointer(rebasing: all[start...]))
                }
                blackHole(start)
            }
        }
        benchmark.measurement(.custom("MiB/iteration"), mib)
    }

    Benchmark("keyed BLAKE2b-256 (64 MiB in 2 MiB chunks)") { benchmark in
        let hasher = try KeyedBlake2b(key: [UInt8](repeating: 7, count: 32))
        for _ in benchmark.scaledIterations {
            noise.withUnsafeBytes { all in
                for start in stride(from: 0, to: all.count, by: 2 << 20) {
                    blackHole(hasher.id(UnsafeRawBufferPointer(rebasing: all[start..<(start + (2 << 20))])))
                }
            }
        }
    }

    for level: Int32 in [1, 3] {
        Benchmark("zstd level \(level) on sensor data (64 MiB in 2 MiB chunks)") { benchmark in
            let zstd = try ZstdCompressor(level: level)
            var out: [UInt8] = []
            var stored = 0
            for _ in benchmark.scaledIterations {
                stored = 0
                try sensor.withUnsafeBytesTyped { (all) throws(CoreError) in
                    for start in stride(from: 0, to: all.count, by: 2 << 20) {
                        out.removeAll(keepingCapacity: true)
                        _ = try zstd.compress(UnsafeRawBufferPointer(rebasing: all[start..<(start + (2 << 20))]), into: &out, limit: 2 << 20)
                        stored += out.count
                    }
                }
            }
            benchmark.measurement(.custom("stored MiB"), stored >> 20)
        }
    }

    Benchmark("zstd decompression of sensor data (64 MiB in 2 MiB frames)") { benchmark in
        let zstd = try ZstdCompressor(level: 1)
        let frames: [[UInt8]] = try sensor.withUnsafeBytesTyped { (all) throws(CoreError) in
            try stride(from: 0, to: all.count, by: 2 << 20).map { start throws(CoreError) in
                var out: [UInt8] = []
                _ = try zstd.compress(UnsafeRawBufferPointer(rebasing: all[start..<(start + (2 << 20))]), into: &out, limit: 4 << 20)
                return out
            }
        }
        let decompressor = try ZstdDecompressor()
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 2 << 20, alignment: 64)
        defer { output.deallocate() }
        // Into one reused buffer, as restore does.
        for _ in benchmark.scaledIterations {
            for f in frames {
                try f.withUnsafeBytesTyped { (b) throws(CoreError) in try decompressor.decompress(b, into: output, expectedSize: 2 << 20) }
            }
        }
    }

    Benchmark("AES-256-GCM open in place (64 MiB in 2 MiB chunks)") { benchmark in
        let gcm = try AESGCM()
        let key = [UInt8](repeating: 1, count: 32)
        let sealed: [[UInt8]] = try noise.withUnsafeBytesTyped { (all) throws(CoreError) in
            try stride(from: 0, to: all.count, by: 2 << 20).map { start throws(CoreError) in
                var out: [UInt8] = []
                try gcm.seal(key: key, nonce: PackFormat.blobNonce(offset: UInt32(start)), aad: [],
                             plaintext: UnsafeRawBufferPointer(rebasing: all[start..<(start + (2 << 20))]), into: &out)
                return out
            }
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: (2 << 20) + 16, alignment: 64)
        defer { buffer.deallocate() }
        // Copied into one reused buffer and opened in place, as restore does (the copy stands for the read).
        for _ in benchmark.scaledIterations {
            for (i, s) in sealed.enumerated() {
                s.withUnsafeBytes { buffer.copyMemory(from: $0) }
                let region = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<s.count])
                blackHole(try gcm.open(key: key, nonce: PackFormat.blobNonce(offset: UInt32(i * (2 << 20))), aad: [],
                                       sealed: UnsafeRawBufferPointer(region), into: region, what: "chunk"))
            }
        }
    }

    Benchmark("AES-256-GCM seal (64 MiB in 2 MiB chunks)") { benchmark in
        let gcm = try AESGCM()
        let key = [UInt8](repeating: 1, count: 32)
        var out: [UInt8] = []
        out.reserveCapacity((2 << 20) + 16)
        for _ in benchmark.scaledIterations {
            try noise.withUnsafeBytesTyped { (all) throws(CoreError) in
                for start in stride(from: 0, to: all.count, by: 2 << 20) {
                    out.removeAll(keepingCapacity: true)
                    try gcm.seal(key: key, nonce: PackFormat.blobNonce(offset: UInt32(start)), aad: [],
                                 plaintext: UnsafeRawBufferPointer(rebasing: all[start..<(start + (2 << 20))]), into: &out)
                }
            }
        }
    }

    // The compression decision, measured: the same pack built with every policy, on incompressible data
    // (compressed RAW/DNG) and on sensor-like data that shrinks (uncompressed NEF/ARW).
    for (label, data) in [("incompressible", noise), ("sensor-like", sensor)] {
        for (policyName, policy) in [("auto (sample)", CompressionPolicy.auto), ("always", .always), ("never", .never)] {
            Benchmark("pack of \(label) data, compression \(policyName) (64 MiB)") { benchmark in
                let keys = try RepositoryKeys(master: [UInt8](repeating: 3, count: 32), repositoryID: ObjectID(bytes: [UInt8](repeating: 4, count: 32)))
                for _ in benchmark.scaledIterations {
                    let pack = try PackBuilder(keys: keys, level: BackupOptions.defaultCompressionLevel, reserve: data.count + (1 << 20))
                    try data.withUnsafeBytesTyped { (all) throws(CoreError) in
                        for start in stride(from: 0, to: all.count, by: 2 << 20) {
                            let chunk = UnsafeRawBufferPointer(rebasing: all[start..<(start + (2 << 20))])
                            try pack.add(type: .data, id: keys.idHasher.id(chunk), data: chunk, policy: policy)
                        }
                    }
                    let finished = try pack.finish()
                    benchmark.measurement(.custom("stored MiB"), finished.bytes.count >> 20)
                }
            }
        }
    }

    // One worker's whole job on one core, as a backup runs it: cut, hash, sample, seal, and stream the sealed
    // bytes out in 1 MiB pieces (here to nowhere instead of a staging file), naming the pack with SHA-256.
    Benchmark("pack building, RAW-like data (64 MiB: chunk, hash, sample, seal, stream)") { benchmark in
        let keys = try RepositoryKeys(master: [UInt8](repeating: 3, count: 32), repositoryID: ObjectID(bytes: [UInt8](repeating: 4, count: 32)))
        let chunker = try FastCDC(ChunkingProfile.media.parameters(seed: keys.chunkerSeed))
        let pack = try PackBuilder(keys: keys, level: BackupOptions.defaultCompressionLevel)
        for _ in benchmark.scaledIterations {
            try pack.reset()
            var streamed = 0
            try noise.withUnsafeBytesTyped { (all) throws(CoreError) in
                var start = 0
                while start < all.count {
                    let length = chunker.cut(UnsafeRawBufferPointer(rebasing: all[start...]))
                    let chunk = UnsafeRawBufferPointer(rebasing: all[start..<(start + length)])
                    _ = try pack.add(type: .data, id: keys.idHasher.id(chunk), data: chunk, policy: .auto) { (piece: UnsafeRawBufferPointer) throws(CoreError) in
                        streamed += piece.count
                    }.get()
                    start += length
                }
            }
            blackHole(streamed)
            blackHole(try pack.finish().id)
        }
    }
}
