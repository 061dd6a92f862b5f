// FileSystem: thin, errno-preserving wrappers over POSIX file calls, shared by the local destinations and the engine.
// TriplicateSystem is the only module of the engine and the destinations that calls the C library for files: a port
// to another system changes this module.
#if canImport(Glibc)
internal import Glibc
#endif

/// A failed system call: which call, on which path, and the errno it returned.
package struct FileSystemError: Error, Sendable, CustomStringConvertible {
    /// The call that failed, e.g. `open`.
    package var operation: String
    /// The path concerned.
    package var path: String
    /// The errno value.
    package var code: Int32

    package init(_ operation: String, _ path: String, code: Int32 = errno) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    /// What kind of failure the errno is, in the terms the destinations and the engine decide by.
    package enum Category: Sendable, Equatable {
        /// No such entry, or a path through something that is not a folder (ENOENT, ENOTDIR).
        case notFound
        /// The file system is full or over quota (ENOSPC, EDQUOT).
        case noSpace
        /// Permission, or a read-only file system (EACCES, EPERM, EROFS).
        case denied
        /// The device or share went away (ENODEV, ENXIO, ENOTCONN, ESTALE).
        case disconnected
        /// A passing condition of this computer, not of the file (EINTR, EAGAIN, ETIMEDOUT, EMFILE, ENFILE, ENOMEM,
        /// ENOBUFS).
        case transient
        /// The entry exists already (EEXIST).
        case exists
        /// A symbolic link or something other than a folder where a folder was to be opened (ELOOP).
        case isALink
        /// The device could not read or write (EIO).
        case ioError
        /// Anything else.
        case other
    }

    /// What kind of failure this is.
    package var category: Category {
        switch code {
        case ENOENT, ENOTDIR: .notFound
        case ENOSPC, EDQUOT: .noSpace
        case EACCES, EPERM, EROFS: .denied
        case ENODEV, ENXIO, ENOTCONN, ESTALE: .disconnected
        case EINTR, EAGAIN, ETIMEDOUT, EMFILE, ENFILE, ENOMEM, ENOBUFS: .transient
        case EEXIST: .exists
        case ELOOP: .isALink
        case EIO: .ioError
        default: .other
        }
    }

    /// The errno values a caller gives a failure it detects itself.
    package static let outOfMemory = ENOMEM
    package static let ioError = EIO
    package static let noSpace = ENOSPC

    /// The system's text for the errno.
    package var reason: String { String(cString: strerror(code)) }

    package var description: String { "\(operation) \(path): \(reason)" }
}

/// POSIX file operations with durable writes. Every function keeps the errno so callers can classify failures.
package enum FileSystem {
    /// A directory entry with the facts `list` needs.
    package struct DirectoryEntry: Sendable {
        package var name: String
        /// False when the on-disk name is not valid UTF-8 (``name`` then holds a repaired copy).
        package var hasValidName: Bool
        package var isDirectory: Bool
        package var size: Int64
    }

    package static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// The absolute path with every symbolic link resolved (`realpath`), or nil when it cannot be resolved.
    package static func resolvedPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    package static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    /// `mkdir -p`: creates `path` and any missing parents (mode 0700: repository folders are private).
    package static func makeDirectories(_ path: String) throws(FileSystemError) {
        if isDirectory(path) { return }
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            try makeDirectories(String(path[..<slash]))
        }
        if mkdir(path, 0o700) != 0 && errno != EEXIST { throw FileSystemError("mkdir", path) }
    }

    /// Flushes a directory's entries to stable storage (after creating, renaming or removing in it).
    package static func syncDirectory(_ path: String) throws(FileSystemError) {
        let fd = open(path.isEmpty ? "/" : path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError("open", path) }
        defer { close(fd) }
        // Some file systems (FUSE, some network shares) do not support fsync on directories; that is not a failure.
        if fsync(fd) != 0 && errno != EINVAL && errno != ENOTSUP && errno != ENOSYS {
            throw FileSystemError("fsync", path)
        }
    }

    /// The device number of the file system holding `path`, or nil when it cannot be reached.
    package static func device(_ path: String) -> UInt64? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return UInt64(st.st_dev)
    }

    /// The device of the file system holding the open file or folder `fd`, or nil when it cannot be told.
    package static func device(of fd: Int32) -> UInt64? {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        return UInt64(st.st_dev)
    }

    /// Bytes free for an unprivileged writer on the file system holding `path`, or nil when unknown.
    package static func freeBytes(_ path: String) -> Int64? {
        var st = statvfs()
        guard statvfs(path, &st) == 0 else { return nil }
        return Int64(st.f_bavail) * Int64(st.f_frsize)
    }

    /// 16 random hex digits for temporary names.
    package static func uniqueSuffix() -> String {
        var g = SystemRandomNumberGenerator()
        let v = g.next() as UInt64
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    /// Writes `data` to a new file at `path` (which must not exist) and fsyncs it.
    package static func writeFile(_ path: String, data: [UInt8], mode: UInt32 = 0o600) throws(FileSystemError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(mode))
        guard fd >= 0 else { throw FileSystemError("open", path) }
        var ok = false
        defer { if !ok { close(fd) } }
        try writeAll(fd, data, path: path)
        if fsync(fd) != 0 { throw FileSystemError("fsync", path) }
        ok = true
        if close(fd) != 0 { throw FileSystemError("close", path) }
    }

    /// Flushes the file at `path` to stable storage.
    package static func syncFile(_ path: String) throws(FileSystemError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError("open", path) }
        defer { close(fd) }
        if fsync(fd) != 0 { throw FileSystemError("fsync", path) }
    }

    /// Copies the file at `from` to a new file at `to` (which must not exist) in 4 MiB pieces, and fsyncs it.
    package static func copyFile(from: String, to: String, mode: UInt32 = 0o600) throws(FileSystemError) {
        let input = open(from, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw FileSystemError("open", from) }
        defer { close(input) }
        let fd = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(mode))
        guard fd >= 0 else { throw FileSystemError("open", to) }
        var ok = false
        defer { if !ok { close(fd) } }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 << 20, alignment: 64)
        defer { buffer.deallocate() }
        guard let base = buffer.baseAddress else { return }
        while true {
            let n = read(input, base, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileSystemError("read", from)
            }
            if n == 0 { break }
            try writeAll(fd, UnsafeRawBufferPointer(rebasing: buffer[0..<n]), path: to)
        }
        if fsync(fd) != 0 { throw FileSystemError("fsync", to) }
        ok = true
        if close(fd) != 0 { throw FileSystemError("close", to) }
    }

    /// Writes every byte of `data` to `fd`, retrying short writes and EINTR.
    package static func writeAll(_ fd: Int32, _ data: [UInt8], path: String) throws(FileSystemError) {
        let r: Result<Void, FileSystemError> = data.withUnsafeBytes { buf in
            do throws(FileSystemError) { return .success(try writeAll(fd, buf, path: path)) } catch { return .failure(error) }
        }
        try r.get()
    }

    /// Writes every byte of `buf` to `fd`, retrying short writes and EINTR.
    package static func writeAll(_ fd: Int32, _ buf: UnsafeRawBufferPointer, path: String) throws(FileSystemError) {
        guard let base = buf.baseAddress else { return }
        var done = 0
        while done < buf.count {
            let n = write(fd, base + done, buf.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileSystemError("write", path)
            }
            if n == 0 { throw FileSystemError("write", path, code: EIO) }
            done += n
        }
    }

    package static func rename(_ from: String, _ to: String) throws(FileSystemError) {
        if Glibc.rename(from, to) != 0 { throw FileSystemError("rename", from) }
    }

    package static func remove(_ path: String) throws(FileSystemError) {
        if unlink(path) != 0 { throw FileSystemError("unlink", path) }
    }

    package static func removeQuietly(_ path: String) { _ = unlink(path) }

    /// Makes `to` a second name of the file at `from` (a hard link); false when the file system cannot.
    package static func hardLink(_ from: String, _ to: String) -> Bool { link(from, to) == 0 }

    package static func size(_ path: String) throws(FileSystemError) -> Int64 {
        var st = stat()
        guard stat(path, &st) == 0 else { throw FileSystemError("stat", path) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw FileSystemError("stat", path, code: EISDIR) }
        return Int64(st.st_size)
    }

    /// Reads a whole regular file.
    package static func readFile(_ path: String) throws(FileSystemError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError("open", path) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FileSystemError("fstat", path) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw FileSystemError("open", path, code: EISDIR) }
        return try readExactly(fd, offset: 0, count: Int(st.st_size), path: path)
    }

    /// Reads bytes `range` of a file; a range past the end is an error (EIO-like short read reported as ERANGE).
    package static func readRange(_ path: String, range: Range<Int64>) throws(FileSystemError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError("open", path) }
        defer { close(fd) }
        return try readExactly(fd, offset: range.lowerBound, count: Int(range.count), path: path)
    }

    /// Reads bytes `range` of a file into `buffer` (exactly `range.count` bytes); a range past the end is ERANGE.
    package static func readRange(_ path: String, range: Range<Int64>, into buffer: UnsafeMutableRawBufferPointer) throws(FileSystemError) {
        guard buffer.count >= Int(range.count) else { throw FileSystemError("read", path, code: EINVAL) }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError("open", path) }
        defer { close(fd) }
        try readFully(fd, offset: range.lowerBound, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<Int(range.count)]), path: path)
    }

    /// Fills `buffer` with pread from `offset`, retrying short reads and EINTR; fewer bytes available is ERANGE.
    package static func readFully(_ fd: Int32, offset: Int64, into buffer: UnsafeMutableRawBufferPointer, path: String) throws(FileSystemError) {
        guard let base = buffer.baseAddress else { return }
        var done = 0
        while done < buffer.count {
            let n = pread(fd, base + done, buffer.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw FileSystemError("read", path)
            }
            if n == 0 { throw FileSystemError("read", path, code: ERANGE) }
            done += n
        }
    }

    /// Reads exactly `count` bytes at `offset` with pread; fewer available is ERANGE.
    package static func readExactly(_ fd: Int32, offset: Int64, count: Int, path: String) throws(FileSystemError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let r: Result<Void, FileSystemError> = out.withUnsafeMutableBytes { buf in
            do throws(FileSystemError) { return .success(try readFully(fd, offset: offset, into: buf, path: path)) } catch { return .failure(error) }
        }
        try r.get()
        return out
    }

    /// Lists a directory (without `.` and `..`), with each entry's kind and size (lstat; symlinks are not followed).
    package static func listDirectory(_ path: String) throws(FileSystemError) -> [DirectoryEntry] {
        guard let d = opendir(path) else { throw FileSystemError("opendir", path) }
        defer { closedir(d) }
        var out: [DirectoryEntry] = []
        while true {
            errno = 0
            guard let ent = readdir(d) else {
                if errno != 0 { throw FileSystemError("readdir", path) }
                break
            }
            let raw = withUnsafeBytes(of: ent.pointee.d_name) { Array($0.prefix(while: { $0 != 0 })) }
            let name = String(decoding: raw, as: UTF8.self)
            if name == "." || name == ".." { continue }
            var st = stat()
            guard lstat(path + "/" + name, &st) == 0 else {
                if errno == ENOENT || Array(name.utf8) != raw {
                    if Array(name.utf8) != raw { out.append(DirectoryEntry(name: name, hasValidName: false, isDirectory: false, size: 0)) }
                    continue
                }
                throw FileSystemError("lstat", path + "/" + name)
            }
            out.append(DirectoryEntry(name: name, hasValidName: Array(name.utf8) == raw,
                                      isDirectory: (st.st_mode & S_IFMT) == S_IFDIR, size: Int64(st.st_size)))
        }
        return out
    }
}
