// Folder: an open folder that every operation is relative to (openat and friends), so that a restore never follows a
// symbolic link out of its target.
#if canImport(Glibc)
internal import Glibc
#endif

/// An open folder. Names are raw bytes and a NUL (``cName(_:)``), never strings, so that two different names stay
/// two names whatever their encoding. The owner closes it with ``close()``.
package struct Folder: Sendable {
    /// The descriptor.
    package let fd: Int32

    /// Opens the folder at `path` (symbolic links on the way followed: the user named it).
    package init(path: String) throws(FileSystemError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError("open", path) }
        self.fd = fd
    }

    private init(fd: Int32) { self.fd = fd }

    /// A name as the system calls take it: the bytes and a NUL.
    package static func cName(_ bytes: [UInt8]) -> [CChar] { bytes.map { CChar(bitPattern: $0) } + [0] }

    /// True when an open failed because the entry is a symbolic link or not a folder.
    package static func isNotAFolder(_ e: FileSystemError) -> Bool { e.code == ELOOP || e.code == ENOTDIR }

    package func close() { _ = Glibc.close(fd) }

    /// Creates the folder `name` here (mode `mode`) unless an entry of that name exists.
    package func makeFolder(_ name: [CChar], mode: UInt32 = 0o700) throws(FileSystemError) {
        if mkdirat(fd, name, mode_t(mode)) != 0 && errno != EEXIST { throw FileSystemError("mkdir", String(cString: name)) }
    }

    /// Opens the folder `name` here, refusing a symbolic link or anything that is not a folder (``isNotAFolder(_:)``).
    package func openFolder(_ name: [CChar]) throws(FileSystemError) -> Folder {
        let child = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard child >= 0 else { throw FileSystemError("open", String(cString: name)) }
        return Folder(fd: child)
    }

    /// Creates the new file `name` here for writing (refusing an existing entry or a link).
    package func createFile(_ name: String, mode: UInt32 = 0o600) throws(FileSystemError) -> Int32 {
        let file = openat(fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode_t(mode))
        guard file >= 0 else { throw FileSystemError("open", name) }
        return file
    }

    /// Creates the symbolic link `name` here, pointing at `target` (raw bytes and a NUL).
    package func makeLink(_ name: String, to target: [CChar]) throws(FileSystemError) {
        if symlinkat(target, fd, name) != 0 { throw FileSystemError("symlink", name) }
    }

    /// Sets the times of the entry `name` itself (a link is not followed); failures leave them.
    package func setTimes(_ name: String, seconds: Int64, nanoseconds: UInt32) {
        var times = [timespec(tv_sec: Int(seconds), tv_nsec: Int(nanoseconds)), timespec(tv_sec: Int(seconds), tv_nsec: Int(nanoseconds))]
        _ = utimensat(fd, name, &times, AT_SYMLINK_NOFOLLOW)
    }

    /// Renames the entry `from` here over `to` here.
    package func rename(_ from: String, to: [CChar]) throws(FileSystemError) {
        if renameat(fd, from, fd, to) != 0 { throw FileSystemError("rename", from) }
    }

    /// Removes the entry `name` (not a folder), ignoring failures.
    package func removeQuietly(_ name: String) { _ = unlinkat(fd, name, 0) }

    /// Removes the entry `name` (raw bytes and a NUL; not a folder), ignoring failures.
    package func removeQuietly(_ name: [CChar]) { _ = unlinkat(fd, name, 0) }

    /// The inode of the entry `name` (not followed), or nil when there is none.
    package func inode(_ name: [CChar]) -> UInt64? {
        var st = stat()
        return fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? UInt64(st.st_ino) : nil
    }

    /// What is at `name` (not followed): whether it is a regular file, its size and its modification time; nil when
    /// there is nothing.
    package func entry(_ name: [CChar]) -> (isFile: Bool, size: Int64, seconds: Int64, nanoseconds: UInt32)? {
        var st = stat()
        guard fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
        return ((st.st_mode & S_IFMT) == S_IFREG, Int64(st.st_size), Int64(st.st_mtim.tv_sec), UInt32(clamping: st.st_mtim.tv_nsec))
    }

    /// The names of the entries here (raw bytes), without `.` and `..`; empty when the folder cannot be read.
    package func entryNames() -> [[UInt8]] {
        let copy = dup(fd)
        guard copy >= 0 else { return [] }
        guard let dir = fdopendir(copy) else {
            _ = Glibc.close(copy)
            return []
        }
        defer { closedir(dir) }
        rewinddir(dir)
        var names: [[UInt8]] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if name != [0x2E] && name != [0x2E, 0x2E] { names.append(name) }
        }
        return names
    }

    /// Gives the folder itself permission bits (its times are set with ``FileSystem/setModeAndTime(_:mode:seconds:nanoseconds:)``).
    package func setMode(_ mode: UInt32) { _ = fchmod(fd, mode_t(mode)) }

    /// Flushes the folder's entries to stable storage; file systems that cannot flush a folder (FUSE, some shares)
    /// are not a failure.
    package func sync(path: String) throws(FileSystemError) {
        if fsync(fd) != 0 && errno != EINVAL && errno != ENOTSUP && errno != ENOSYS { throw FileSystemError("fsync", path) }
    }
}
