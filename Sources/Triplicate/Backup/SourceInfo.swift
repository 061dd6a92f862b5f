// SourceInfo: what lstat says about a source entry, in the form a tree node needs.
@_spi(Benchmarks) internal import TriplicateCore
internal import TriplicateSystem

/// The metadata of one source entry (from `lstat`; symlinks are not followed).
struct SourceInfo {
    typealias Kind = FileStatus.Kind
    var kind: Kind
    var mode: UInt32
    var size: UInt64
    var mtime: Timestamp
    var ctime: Timestamp
    var inode: UInt64

    init(_ st: FileStatus) {
        kind = st.kind
        mode = st.mode
        size = st.size
        mtime = Timestamp(seconds: st.mtime.seconds, nanoseconds: st.mtime.nanoseconds)
        ctime = Timestamp(seconds: st.ctime.seconds, nanoseconds: st.ctime.nanoseconds)
        inode = st.inode
    }

    /// True when `node` (a file node of a snapshot) describes this file as it is now: the same size, mtime, ctime and
    /// inode, and a ctime that is not zero (a zero ctime marks metadata not to be trusted, FORMAT.md §14.6). The rule by
    /// which a backup reuses a file's chunks without reading it, and by which status counts a file as backed up.
    func isUnchanged(from node: TreeNode) -> Bool {
        guard case let .file(_, _, ctime, inode) = node.content else { return false }
        return node.size == size && node.mtime == mtime && ctime == self.ctime && inode == self.inode
            && ctime != Timestamp(seconds: 0, nanoseconds: 0)
    }

    static func lstatPath(_ path: String) throws(FileSystemError) -> SourceInfo { SourceInfo(try FileSystem.lstatus(path)) }

    /// The metadata of what `path` points to (symbolic links followed).
    static func statPath(_ path: String) throws(FileSystemError) -> SourceInfo { SourceInfo(try FileSystem.status(path)) }

    static func fstatFD(_ fd: Int32, path: String) throws(FileSystemError) -> SourceInfo { SourceInfo(try FileSystem.status(of: fd, path: path)) }

    static func readLink(_ path: String) throws(FileSystemError) -> [UInt8] { try FileSystem.readLink(path) }
}
