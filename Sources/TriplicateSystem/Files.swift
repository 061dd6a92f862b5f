// Files: open descriptors, reading and writing them, their metadata, and the advice given to the kernel's cache.
#if canImport(Glibc)
internal import Glibc
#endif
internal import CTriplicateSystem

/// What `stat` says about an entry, in the platform's neutral terms.
package struct FileStatus: Sendable {
    /// Kinds of entries a backup tells apart.
    package enum Kind: Sendable, Equatable { case file, directory, symlink, other }
    package var kind: Kind
    /// Permission bits (with set-user-ID, set-group-ID and sticky), without the kind.
    package var mode: UInt32
    package var size: UInt64
    /// Last modification and last status change, as seconds and nanoseconds since 1970.
    package var mtime: (seconds: Int64, nanoseconds: UInt32)
    package var ctime: (seconds: Int64, nanoseconds: UInt32)
    package var inode: UInt64

    init(_ st: stat) {
        switch st.st_mode & S_IFMT {
        case S_IFREG: kind = .file
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symlink
        default: kind = .other
        }
        mode = UInt32(st.st_mode & 0o7777)
        size = UInt64(max(st.st_size, 0))
        mtime = (Int64(st.st_mtim.tv_sec), UInt32(st.st_mtim.tv_nsec))
        ctime = (Int64(st.st_ctim.tv_sec), UInt32(st.st_ctim.tv_nsec))
        inode = UInt64(st.st_ino)
    }
}

extension FileSystem {
    /// The metadata of `path` itself (a symbolic link is not followed).
    package static func lstatus(_ path: String) throws(FileSystemError) -> FileStatus {
        var st = stat()
        guard lstat(path, &st) == 0 else { throw FileSystemError("lstat", path) }
        return FileStatus(st)
    }

    /// The metadata of what `path` points to (symbolic links followed).
    package static func status(_ path: String) throws(FileSystemError) -> FileStatus {
        var st = stat()
        guard stat(path, &st) == 0 else { throw FileSystemError("stat", path) }
        return FileStatus(st)
    }

    /// The metadata of an open file.
    package static func status(of fd: Int32, path: String) throws(FileSystemError) -> FileStatus {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FileSystemError("fstat", path) }
        return FileStatus(st)
    }

    /// The target of the symbolic link at `path`, as raw bytes (at most 4,096).
    package static func readLink(_ path: String) throws(FileSystemError) -> [UInt8] {
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = buf.withUnsafeMutableBufferPointer { b in
            b.withMemoryRebound(to: CChar.self) { c in
                guard let base = c.baseAddress else { return -1 }
                return readlink(path, base, c.count)
            }
        }
        guard n >= 0 else { throw FileSystemError("readlink", path) }
        return Array(buf[0..<n])
    }

    /// Opens a file for reading; with `followLink` false, a symbolic link at `path` is refused (ELOOP).
    package static func openForReading(_ path: String, followLink: Bool = true) throws(FileSystemError) -> Int32 {
        let fd = open(path, O_RDONLY | O_CLOEXEC | (followLink ? 0 : O_NOFOLLOW))
        guard fd >= 0 else { throw FileSystemError("open", path) }
        return fd
    }

    /// Creates a new file at `path` (which must not exist) for writing.
    package static func createExclusive(_ path: String, mode: UInt32 = 0o600) throws(FileSystemError) -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(mode))
        guard fd >= 0 else { throw FileSystemError("open", path) }
        return fd
    }

    /// Reads what is there, up to `buffer.count` bytes, at the file position; 0 at the end. EINTR is retried.
    package static func readSome(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String) throws(FileSystemError) -> Int {
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return 0 }
        while true {
            let n = read(fd, base, buffer.count)
            if n >= 0 { return n }
            if errno != EINTR { throw FileSystemError("read", path) }
        }
    }

    /// Reads what is there, up to `buffer.count` bytes, at `offset`; 0 at the end. EINTR is retried.
    package static func readSome(_ fd: Int32, at offset: Int64, into buffer: UnsafeMutableRawBufferPointer, path: String) throws(FileSystemError) -> Int {
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return 0 }
        while true {
            let n = pread(fd, base, buffer.count, off_t(offset))
            if n >= 0 { return n }
            if errno != EINTR { throw FileSystemError("read", path) }
        }
    }

    /// Moves the file position back to the start, to read the file again.
    package static func rewind(_ fd: Int32, path: String) throws(FileSystemError) {
        if lseek(fd, 0, SEEK_SET) != 0 { throw FileSystemError("lseek", path) }
    }

    /// Flushes an open file to stable storage.
    package static func sync(_ fd: Int32, path: String) throws(FileSystemError) {
        if fsync(fd) != 0 { throw FileSystemError("fsync", path) }
    }

    /// Writes every byte of `buf` to `fd` at `offset` (the file position is not used), retrying short writes and EINTR.
    package static func writeAll(_ fd: Int32, _ buf: UnsafeRawBufferPointer, at offset: Int64, path: String) throws(FileSystemError) {
        guard let base = buf.baseAddress else { return }
        var done = 0
        while done < buf.count {
            let n = pwrite(fd, base + done, buf.count - done, off_t(offset + Int64(done)))
            if n < 0 {
                if errno == EINTR { continue }
                throw FileSystemError("write", path)
            }
            if n == 0 { throw FileSystemError("write", path, code: EIO) }
            done += n
        }
    }

    /// Sets the size of an open file (a larger size leaves a hole, read as zeros).
    package static func setSize(_ fd: Int32, _ size: Int64, path: String) throws(FileSystemError) {
        if ftruncate(fd, off_t(size)) != 0 { throw FileSystemError("ftruncate", path) }
    }

    /// Flushes every written file and directory change of the file system holding `fd` to stable storage in one call
    /// (`syncfs`), when that file system is known to honour it and to report a failed write back to the caller: ext4,
    /// XFS, Btrfs, F2FS, tmpfs. Returns false, having done nothing, on any other file system (FUSE, network shares,
    /// FAT and exFAT), where each file must be flushed on its own. Throws when the flush itself fails.
    package static func syncFileSystem(of fd: Int32, path: String) throws(FileSystemError) -> Bool {
        let trusted: Set<UInt> = [0xEF53, 0x5846_5342, 0x9123_683E, 0xF2F5_2010, 0x0102_1994]
        guard trusted.contains(UInt(UInt32(truncatingIfNeeded: triplicate_fs_type(fd)))) else { return false }
        if triplicate_syncfs(fd) != 0 { throw FileSystemError("syncfs", path) }
        return true
    }

    /// Raises this process's limit on open descriptors toward `wanted` (as far as the hard limit allows) and returns the
    /// limit now in force.
    package static func raiseOpenFileLimit(to wanted: Int) -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < rlim_t(wanted) {
            var raised = limit
            raised.rlim_cur = min(rlim_t(wanted), limit.rlim_max)
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
    }

    /// Where the file's next run of data and the hole after it are, from `offset` on: `data` is the first byte of data at or
    /// after `offset` (nil: only a hole from there to the end), `hole` the first hole after `data` (the end counts as one).
    /// A file system that does not know holes reports the whole file as data. Moves the file position.
    package static func dataRun(_ fd: Int32, from offset: Int64) -> (data: Int64?, hole: Int64)? {
        let data = triplicate_seek_data(fd, offset)
        if data < 0 { return errno == ENXIO ? (nil, offset) : nil }
        let hole = triplicate_seek_hole(fd, data)
        guard hole >= data else { return nil }
        return (data, hole)
    }

    /// Moves the file position to `offset`.
    package static func seek(_ fd: Int32, to offset: Int64, path: String) throws(FileSystemError) {
        if lseek(fd, off_t(offset), SEEK_SET) != offset { throw FileSystemError("lseek", path) }
    }

    /// Closes a descriptor that was written to: an error here can be a write that failed late (NFS, FUSE).
    package static func closeWritten(_ fd: Int32, path: String) throws(FileSystemError) {
        if Glibc.close(fd) != 0 { throw FileSystemError("close", path) }
    }

    /// Closes a descriptor, ignoring what it says (only read from, or abandoned after an error).
    package static func closeQuietly(_ fd: Int32) { _ = Glibc.close(fd) }

    /// Tells the kernel the file is read once from start to end (read ahead more).
    package static func adviseSequential(_ fd: Int32) { _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL) }

    /// Tells the kernel to drop the file's cached pages, so that the next read comes from the device itself.
    package static func adviseDropCache(_ fd: Int32) { _ = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) }

    /// Sets an open file's permission bits and its access and modification times; failures leave them as they are.
    package static func setModeAndTime(_ fd: Int32, mode: UInt32, seconds: Int64, nanoseconds: UInt32) {
        _ = fchmod(fd, mode_t(mode))
        var times = [timespec(tv_sec: Int(seconds), tv_nsec: Int(nanoseconds)), timespec(tv_sec: Int(seconds), tv_nsec: Int(nanoseconds))]
        _ = futimens(fd, &times)
    }

    /// Whether `text` matches the shell glob `pattern` (`fnmatch`); with `pathname`, `*` and `?` do not match `/`; with
    /// `ignoringCase`, a letter matches either case.
    package static func globMatches(_ pattern: String, _ text: String, pathname: Bool = false, ignoringCase: Bool = false) -> Bool {
        // FNM_CASEFOLD is 1 << 4 in glibc and on Darwin; glibc declares it only under _GNU_SOURCE, which Swift does not set.
        fnmatch(pattern, text, (pathname ? FNM_PATHNAME : 0) | (ignoringCase ? 1 << 4 : 0)) == 0
    }
}
