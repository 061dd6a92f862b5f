// FileHashing: the SHA-256 and MD5 of a staged file, which an object store is sent with each upload.
@_spi(Benchmarks) internal import TriplicateCore
internal import TriplicateSystem

extension FileSystem {
    /// The size, SHA-256 (lowercase hex) and MD5 (base64, as `Content-MD5` takes it) of the file at `path`, or of the
    /// bytes `range` of it, read once in 1 MiB pieces; a range reaching past the end of the file is an error.
    static func sha256(_ path: String, range: Range<Int64>? = nil) throws(FileSystemError) -> (size: Int64, hex: String, md5: String) {
        let fd = try openForReading(path)
        defer { closeQuietly(fd) }
        let hasher: SHA256.Hasher, md5: MD5.Hasher
        do {
            hasher = try SHA256.Hasher()
            md5 = try MD5.Hasher()
        } catch { throw FileSystemError("hash", path, code: FileSystemError.outOfMemory) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        var offset = range?.lowerBound ?? 0
        let end = range?.upperBound ?? Int64.max
        while offset < end {
            let want = Int(min(Int64(buffer.count), end - offset))
            let n = try readSome(fd, at: offset, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]), path: path)
            if n == 0 {
                guard range == nil else { throw FileSystemError("read", path, code: FileSystemError.ioError) }
                break
            }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            md5.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            offset += Int64(n)
        }
        return (offset - (range?.lowerBound ?? 0), hasher.finalize().hex, base64(md5.finalize()))
    }

    /// `bytes` in base64 (RFC 4648, with padding).
    static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let a = UInt32(bytes[i]), b = i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0, c = i + 2 < bytes.count ? UInt32(bytes[i + 2]) : 0
            let n = a << 16 | b << 8 | c
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(i + 1 < bytes.count ? alphabet[Int(n >> 6 & 63)] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.count ? alphabet[Int(n & 63)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
