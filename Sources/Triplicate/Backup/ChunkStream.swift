// ChunkStream: reads a file through one large buffer and cuts it into FastCDC chunks, without copying chunks (the cut
// rule is the backup's own, FastCDC.certainCut), for `triplicate debug chunk`.
@_spi(Benchmarks) internal import TriplicateCore
internal import TriplicateDestinations
internal import TriplicateSystem

/// Streams the chunks of an open file. The buffer must hold at least twice the chunker's maximum size; each
/// chunk returned by ``next()`` points into it and stays valid until the following call.
final class ChunkReader {
    private let fd: Int32
    private let path: String
    private let chunker: FastCDC
    private let buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var filled = 0
    private var eof = false
    /// Offset in the file of the next chunk.
    private(set) var offset: Int64 = 0

    init(fd: Int32, path: String, chunker: FastCDC, buffer: UnsafeMutableRawBufferPointer) {
        self.fd = fd
        self.path = path
        self.chunker = chunker
        self.buffer = buffer
    }

    /// The next chunk, or nil at the end of the file.
    func next() throws(FileSystemError) -> UnsafeRawBufferPointer? {
        while true {
            let window = UnsafeRawBufferPointer(rebasing: buffer[start..<filled])
            if let length = chunker.certainCut(window, atEnd: eof) {
                start += length
                offset += Int64(length)
                return UnsafeRawBufferPointer(rebasing: window[0..<length])
            }
            if eof { return nil }
            try refill()
        }
    }

    private func refill() throws(FileSystemError) {
        guard let base = buffer.baseAddress else { return }
        if start > 0 {
            base.copyMemory(from: base + start, byteCount: filled - start)  // memmove: the regions may overlap
            filled -= start
            start = 0
        }
        while !eof && filled < buffer.count {
            let n = try FileSystem.readSome(fd, into: UnsafeMutableRawBufferPointer(start: base + filled, count: buffer.count - filled), path: path)
            if n == 0 { eof = true } else { filled += n }
        }
    }
}

/// Chunking of a whole file, for `triplicate debug chunk` and tools.
package enum ChunkStream {
    /// Calls `body(offset, length)` for every chunk of the file at `path`, reading it in bounded memory.
    package static func cut(path: String, chunker: FastCDC, _ body: (Int64, Int) throws -> Void) throws {
        let fd: Int32
        do { fd = try FileSystem.openForReading(path) } catch { throw TriplicateError(.sourceUnreadable, "cannot open \(path): \(error.reason)") }
        defer { FileSystem.closeQuietly(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(4 * chunker.parameters.maxSize, 1 << 20), alignment: 64)
        defer { buffer.deallocate() }
        let reader = ChunkReader(fd: fd, path: path, chunker: chunker, buffer: buffer)
        while true {
            let offset = reader.offset
            let chunk: UnsafeRawBufferPointer?
            do { chunk = try reader.next() } catch {
                throw TriplicateError(.sourceUnreadable, "cannot read \(path): \(error.reason)")
            }
            guard let chunk else { break }
            try body(offset, chunk.count)
        }
    }
}
