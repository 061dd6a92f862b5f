// An owned file descriptor for writing: sequential and positioned writes, times, and a checked close.

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file open for writing, owned by this object: closed by `close()` or, on an error path, by `deinit`.
final class OutputFile {
    /// The path the file was opened with, for error messages.
    let path: String
    private var descriptor: Int32

    /// Creates or truncates `path` for writing.
    init(creating path: String) throws(PhotoFixtureError) {
        self.path = path
        descriptor = systemOpen(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if descriptor < 0 { throw .system("create file", path: path) }
    }

    deinit {
        if descriptor >= 0 { _ = systemClose(descriptor) }
    }

    /// Writes `count` bytes from `pointer` at the current position, retrying short writes.
    func write(_ pointer: UnsafeRawPointer, count: Int) throws(PhotoFixtureError) {
        var done = 0
        while done < count {
            let result = systemWrite(descriptor, pointer + done, count - done)
            if result < 0 {
                if currentErrno() == EINTR { continue }
                throw .system("write", path: path)
            }
            done += result
        }
    }

    /// Writes `bytes` at the current position.
    func write(_ bytes: [UInt8]) throws(PhotoFixtureError) {
        let failure = bytes.withUnsafeBytes { raw -> PhotoFixtureError? in
            guard let base = raw.baseAddress else { return nil }
            do throws(PhotoFixtureError) { try write(base, count: raw.count) } catch { return error }
            return nil
        }
        if let failure { throw failure }
    }

    /// Writes `bytes` at absolute `offset` without moving the current position.
    func write(_ bytes: [UInt8], at offset: Int64) throws(PhotoFixtureError) {
        let failed = bytes.withUnsafeBytes { raw -> Bool in
            guard let base = raw.baseAddress else { return false }
            var done = 0
            while done < raw.count {
                let result = systemPwrite(descriptor, base + done, raw.count - done, off_t(offset) + off_t(done))
                if result < 0 {
                    if currentErrno() == EINTR { continue }
                    return true
                }
                done += result
            }
            return false
        }
        if failed { throw .system("write", path: path) }
    }

    /// Sets the access and modification times.
    func setTime(_ time: CivilTime) throws(PhotoFixtureError) {
        var times = [timespec(tv_sec: Int(time.seconds), tv_nsec: 0), timespec(tv_sec: Int(time.seconds), tv_nsec: 0)]
        if futimens(descriptor, &times) != 0 { throw .system("set the modification time of", path: path) }
    }

    /// Closes the file, reporting a failed close (which can mean lost data on network volumes).
    func close() throws(PhotoFixtureError) {
        let fd = descriptor
        descriptor = -1
        if systemClose(fd) != 0 { throw .system("close", path: path) }
    }
}
