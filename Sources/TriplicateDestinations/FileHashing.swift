// FileHashing: the SHA-256 and MD5 of a staged file, which an object store is sent with each upload.
@_spi(Benchmarks) internal import TriplicateCore
internal import Foundation
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
        return (offset - (range?.lowerBound ?? 0), hasher.finalize().hex, Data(md5.finalize()).base64EncodedString())
    }
}
