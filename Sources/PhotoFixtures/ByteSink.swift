// The reusable write buffer RAW files stream through: reserve, fill, commit, flushed in large writes.

/// A reusable write buffer: large sequential writes to one file at a time.
///
/// Hot loops ask for space with `reserve(_:)`, write through the returned pointer, then `commit(_:)`.
/// The buffer is allocated once and reused for every file of a photo set.
final class ByteSink {
    private let buffer: UnsafeMutableRawPointer
    private let capacity: Int
    private var count = 0
    private var flushed: Int64 = 0
    private var file: OutputFile?

    /// A sink with `capacity` bytes of buffer (at least 64 KiB).
    init(capacity: Int = 8 << 20) {
        self.capacity = max(capacity, 1 << 16)
        buffer = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 64)
    }

    deinit { buffer.deallocate() }

    /// Bytes written to the current file so far, including buffered ones.
    var position: Int64 { flushed + Int64(count) }

    /// Starts writing a new file (creating or truncating it).
    func open(_ path: String) throws(PhotoFixtureError) {
        file = try OutputFile(creating: path)
        count = 0
        flushed = 0
    }

    /// A pointer to at least `bytes` writable bytes (flushing first if needed); valid until the next call.
    @inline(__always)
    func reserve(_ bytes: Int) throws(PhotoFixtureError) -> UnsafeMutableRawPointer {
        if count + bytes > capacity { try flush() }
        precondition(bytes <= capacity, "ByteSink reservation larger than its buffer")
        return buffer + count
    }

    /// Marks `bytes` of the last reservation as written.
    @inline(__always)
    func commit(_ bytes: Int) { count += bytes }

    /// Appends `bytes`.
    func append(_ bytes: [UInt8]) throws(PhotoFixtureError) {
        var offset = 0
        while offset < bytes.count {
            let length = min(bytes.count - offset, capacity / 2)
            let target = try reserve(length)
            bytes.withUnsafeBytes { raw in
                if let base = raw.baseAddress { target.copyMemory(from: base + offset, byteCount: length) }
            }
            commit(length)
            offset += length
        }
    }

    /// Appends `length` zero bytes.
    func appendZeros(_ length: Int) throws(PhotoFixtureError) {
        var left = length
        while left > 0 {
            let step = min(left, capacity / 2)
            try reserve(step).initializeMemory(as: UInt8.self, repeating: 0, count: step)
            commit(step)
            left -= step
        }
    }

    /// Writes buffered bytes to the file.
    func flush() throws(PhotoFixtureError) {
        guard count > 0 else { return }
        guard let file else { preconditionFailure("ByteSink written without an open file") }
        try file.write(buffer, count: count)
        flushed += Int64(count)
        count = 0
    }

    /// Overwrites already written bytes at `offset` (used to patch headers once sizes are known).
    func patch(_ bytes: [UInt8], at offset: Int64) throws(PhotoFixtureError) {
        try flush()
        guard let file else { preconditionFailure("ByteSink patched without an open file") }
        try file.write(bytes, at: offset)
    }

    /// Flushes, sets the file's time, closes it, and returns its size.
    @discardableResult
    func close(time: CivilTime) throws(PhotoFixtureError) -> Int64 {
        try flush()
        guard let file else { preconditionFailure("ByteSink closed without an open file") }
        self.file = nil
        try file.setTime(time)
        try file.close()
        return flushed
    }
}
