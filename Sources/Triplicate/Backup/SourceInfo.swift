// SourceInfo: what lstat says about a source entry, in the form a tree node needs.
#if canImport(Glibc)
@_spi(Benchmarks) internal import TriplicateCore
internal import Glibc
#endif
internal import TriplicateDestinations

/// The metadata of one source entry (from `lstat`; symlinks are not followed).
struct SourceInfo {
    enum Kind { case file, directory, symlink, other }
    var kind: Kind
    var mode: UInt32
    var size: UInt64
    var mtime: Timestamp
    var ctime: Timestamp
    var inode: UInt64

    init(_ st: stat) {
        switch st.st_mode & S_IFMT {
        case S_IFREG: kind = .file
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symlink
        default: kind = .other
        }
        mode = UInt32(st.st_mode & 0o7777)
        size = UInt64(max(st.st_size, 0))
        mtime = Timestamp(seconds: Int64(st.st_mtim.tv_sec), nanoseconds: UInt32(st.st_mtim.tv_nsec))
        ctime = Timestamp(seconds: Int64(st.st_ctim.tv_sec), nanoseconds: UInt32(st.st_ctim.tv_nsec))
        inode = UInt64(st.st_ino)
    }

    /// True when `node` (a file node of a snapshot) describes this file as it is now: the same size, mtime, ctime and
    /// inode, and a ctime that is not zero (a zero ctime marks metadata not to be trusted, FORMAT.md §14.6). The rule by
    /// which a backup reuses a file's chunks without reading it, and by which status counts a file as backed up.
    func isUnchanged(from node: TreeNode) -> Bool {
        guard case let .file(_, _, ctime, inode) = node.content else { return false }
        return node.size == size && node.mtime == mtime && ctime == self.ctime && inode == self.inode
            && ctime != Timestamp(seconds: 0, nanoseconds: 0)
    }

    static func lstatPath(_ path: String) throws(FileSystemError) -> SourceInfo {
        var st = stat()
        guard lstat(path, &st) == 0 else { throw FileSystemError("lstat", path) }
        return SourceInfo(st)
    }

    /// The metadata of what `path` points to (symbolic links followed).
    static func statPath(_ path: String) throws(FileSystemError) -> SourceInfo {
        var st = stat()
        guard stat(path, &st) == 0 else { throw FileSystemError("stat", path) }
        return SourceInfo(st)
    }

    static func fstatFD(_ fd: Int32, path: String) throws(FileSystemError) -> SourceInfo {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FileSystemError("fstat", path) }
        return SourceInfo(st)
    }

    static func readLink(_ path: String) throws(FileSystemError) -> [UInt8] {
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
}
