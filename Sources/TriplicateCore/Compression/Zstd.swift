// Zstd: zstd compression of blobs through libzstd, with reusable contexts owned by Swift.
internal import CZstd

/// A zstd compression context: owns a `ZSTD_CCtx` and frees it on deinit. Not thread safe: one per worker.
@_spi(Benchmarks) public final class ZstdCompressor {
    private let ctx: OpaquePointer
    /// The compression level in use.
    public let level: Int32

    /// Creates a compressor at `level` (1...19; 3 is zstd's default).
    public init(level: Int32 = 3) throws(CoreError) {
        guard let c = ZSTD_createCCtx() else { throw .library("ZSTD_createCCtx returned NULL (out of memory)") }
        ctx = c
        self.level = level
        let rc = ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level)
        guard ZSTD_isError(rc) == 0 else {
            ZSTD_freeCCtx(c)
            throw .library("ZSTD_CCtx_setParameter(level \(level)): \(String(cString: ZSTD_getErrorName(rc)))")
        }
    }

    deinit { ZSTD_freeCCtx(ctx) }

    /// Compresses `input` into `output`, appending one zstd frame with the content size in its header.
    /// Returns false, leaving `output` as it was, when zstd cannot fit the frame in `limit` bytes (zstd needs a few
    /// bytes of room beyond the frame, so a frame that would be only marginally smaller is also refused).
    public func compress(_ input: UnsafeRawBufferPointer, into output: inout [UInt8], limit: Int) throws(CoreError) -> Bool {
        let start = output.count
        let bound = ZSTD_compressBound(input.count)
        output.append(contentsOf: repeatElement(0, count: bound))
        let written = output.withUnsafeMutableBytes { o in
            ZSTD_compress2(ctx, o.baseAddress.map { $0 + start }, min(bound, max(limit, 0)), input.baseAddress, input.count)
        }
        if ZSTD_isError(written) != 0 {
            output.removeSubrange(start...)
            // "Destination buffer is too small" means the frame would not fit under the limit: keep the raw bytes.
            if ZSTD_getErrorCode(written) == ZSTD_error_dstSize_tooSmall { return false }
            throw .library("ZSTD_compress2: \(String(cString: ZSTD_getErrorName(written)))")
        }
        output.removeSubrange((start + written)...)
        return true
    }

    /// Like ``compress(_:into:limit:)``, with `prefix` referenced as raw content (`ZSTD_CCtx_refPrefix`): the frame
    /// copies what it can from `prefix`, and only the same prefix decompresses it (FORMAT.md §7.2, compression 2). The
    /// prefix applies to this frame only.
    public func compress(_ input: UnsafeRawBufferPointer, against prefix: UnsafeRawBufferPointer, into output: inout [UInt8], limit: Int) throws(CoreError) -> Bool {
        let rc = ZSTD_CCtx_refPrefix(ctx, prefix.baseAddress, prefix.count)
        guard ZSTD_isError(rc) == 0 else { throw .library("ZSTD_CCtx_refPrefix: \(String(cString: ZSTD_getErrorName(rc)))") }
        // Referencing no prefix clears it, whatever the compression did: the next frame is compressed alone.
        defer { ZSTD_CCtx_refPrefix(ctx, nil, 0) }
        return try compress(input, into: &output, limit: limit)
    }

    /// Compresses `input` into a new array (no size limit).
    public func compress(_ input: [UInt8]) throws(CoreError) -> [UInt8] {
        var out: [UInt8] = []
        _ = try input.withUnsafeBytesTyped { (i) throws(CoreError) in try compress(i, into: &out, limit: Int.max) }
        return out
    }
}

/// A zstd decompression context: owns a `ZSTD_DCtx` and frees it on deinit. Not thread safe: one per worker.
@_spi(Benchmarks) public final class ZstdDecompressor {
    private let ctx: OpaquePointer

    /// Creates a decompression context.
    public init() throws(CoreError) {
        guard let c = ZSTD_createDCtx() else { throw .library("ZSTD_createDCtx returned NULL (out of memory)") }
        ctx = c
    }

    deinit { ZSTD_freeDCtx(ctx) }

    /// Decompresses a single frame that must expand to exactly `expectedSize` bytes.
    public func decompress(_ input: UnsafeRawBufferPointer, expectedSize: Int) throws(CoreError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: expectedSize)
        try out.withUnsafeMutableBytesTyped { (o) throws(CoreError) in try decompress(input, into: o, expectedSize: expectedSize) }
        return out
    }

    /// Decompresses a single frame that must expand to exactly `expectedSize` bytes into `output` (at least that
    /// large), without allocating. With `prefix`, the frame is decoded against it as raw content
    /// (`ZSTD_DCtx_refPrefix`), as ``ZstdCompressor/compress(_:against:into:limit:)`` wrote it.
    public func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, expectedSize: Int,
                           prefix: UnsafeRawBufferPointer? = nil) throws(CoreError) {
        let frameSize = ZSTD_findFrameCompressedSize(input.baseAddress, input.count)
        guard ZSTD_isError(frameSize) == 0, frameSize == input.count else {
            throw .malformed("not exactly one zstd frame")
        }
        guard output.count >= expectedSize else { throw .invalidArgument("output buffer of \(output.count) bytes for \(expectedSize)") }
        if let prefix {
            let rc = ZSTD_DCtx_refPrefix(ctx, prefix.baseAddress, prefix.count)
            guard ZSTD_isError(rc) == 0 else { throw .library("ZSTD_DCtx_refPrefix: \(String(cString: ZSTD_getErrorName(rc)))") }
        }
        // A prefix serves one frame; clearing it keeps it from a later frame even when this one fails early.
        defer { if prefix != nil { ZSTD_DCtx_refPrefix(ctx, nil, 0) } }
        let n = ZSTD_decompressDCtx(ctx, output.baseAddress, expectedSize, input.baseAddress, input.count)
        guard ZSTD_isError(n) == 0 else {
            throw .malformed("zstd frame does not decode: \(String(cString: ZSTD_getErrorName(n)))")
        }
        guard n == expectedSize else { throw .malformed("zstd frame decodes to \(n) bytes, expected \(expectedSize)") }
    }

    /// Checks, without decompressing, that `input` is exactly one frame whose header records `contentSize` bytes: what
    /// can be known of a frame compressed against a base whose plaintext is not at hand.
    public static func checkFrame(_ input: UnsafeRawBufferPointer, contentSize: Int) throws(CoreError) {
        let frameSize = ZSTD_findFrameCompressedSize(input.baseAddress, input.count)
        guard ZSTD_isError(frameSize) == 0, frameSize == input.count else { throw .malformed("not exactly one zstd frame") }
        let size = ZSTD_getFrameContentSize(input.baseAddress, input.count)
        guard size == UInt64(contentSize) else { throw .malformed("the zstd frame does not record \(contentSize) bytes") }
    }

    /// Decompresses a single frame whose header records its content size (every frame Triplicate writes does;
    /// the `zstd` CLI records it when compressing a file, not a pipe), refusing frames larger than `maxSize`.
    public func decompress(_ input: [UInt8], maxSize: Int) throws(CoreError) -> [UInt8] {
        try input.withUnsafeBytesTyped { (i) throws(CoreError) -> [UInt8] in
            let size = ZSTD_getFrameContentSize(i.baseAddress, i.count)
            guard size != tri_zstd_contentsize_error() else { throw .malformed("not a zstd frame") }
            guard size != tri_zstd_contentsize_unknown() else { throw .malformed("zstd frame without a content size") }
            guard size <= UInt64(maxSize) else { throw .malformed("zstd frame of \(size) bytes exceeds \(maxSize)") }
            return try decompress(i, expectedSize: Int(size))
        }
    }
}

/// `ZstdCompressor` owns a mutable C context (or buffers) and must stay on one task at a time: not `Sendable`.
@available(*, unavailable)
extension ZstdCompressor: Sendable {}

/// `ZstdDecompressor` owns a mutable C context (or buffers) and must stay on one task at a time: not `Sendable`.
@available(*, unavailable)
extension ZstdDecompressor: Sendable {}
