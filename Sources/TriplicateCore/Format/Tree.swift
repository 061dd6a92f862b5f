// Tree: the canonical binary encoding of one directory listing (a tree blob).

/// One entry of a directory: a file, a subdirectory or a symbolic link, with its metadata.
public struct TreeNode: Sendable, Equatable {
    /// What the entry is, with the data only that kind has.
    public enum Content: Sendable, Equatable {
        /// A regular file: its chunk IDs in order, the chunking profile used, and the change-detection fields.
        case file(chunks: [ObjectID], profile: UInt8, ctime: Timestamp, inode: UInt64)
        /// A directory: the ID of its tree blob.
        case directory(tree: ObjectID)
        /// A symbolic link: its target, as raw bytes.
        case symlink(target: [UInt8])
    }

    /// The name as raw bytes (normally UTF-8), a single path component.
    public var name: [UInt8]
    /// Permission bits (`st_mode & 0o7777`).
    public var mode: UInt32
    /// Modification time.
    public var mtime: Timestamp
    /// Size in bytes (files: content length; directories: 0; symlinks: target length).
    public var size: UInt64
    /// Kind-specific content.
    public var content: Content

    /// Creates a node.
    public init(name: [UInt8], mode: UInt32, mtime: Timestamp, size: UInt64, content: Content) {
        self.name = name
        self.mode = mode
        self.mtime = mtime
        self.size = size
        self.content = content
    }

    /// The name as a string (invalid UTF-8 is repaired for display only).
    public var nameString: String { String(decoding: name, as: UTF8.self) }

    /// True when `name` is a single safe path component: not empty, not `.` or `..`, no `/` and no NUL.
    /// Restore refuses every other name, whatever the repository says.
    public static func isSafeName(_ name: [UInt8]) -> Bool {
        guard !name.isEmpty, name != [0x2E], name != [0x2E, 0x2E] else { return false }
        return !name.contains(0x2F) && !name.contains(0)
    }

    /// The kind byte of the encoding.
    var kindByte: UInt8 {
        switch content {
        case .file: 1
        case .directory: 2
        case .symlink: 3
        }
    }
}

/// A point in time: seconds since the Unix epoch and nanoseconds.
public struct Timestamp: Sendable, Hashable, Comparable {
    /// Whole seconds since 1970-01-01T00:00:00Z (may be negative).
    public var seconds: Int64
    /// Nanoseconds, 0...999_999_999.
    public var nanoseconds: UInt32

    /// Creates a timestamp.
    public init(seconds: Int64, nanoseconds: UInt32) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    /// Chronological order.
    public static func < (a: Timestamp, b: Timestamp) -> Bool {
        (a.seconds, a.nanoseconds) < (b.seconds, b.nanoseconds)
    }
}

/// A directory listing: nodes sorted by name bytes, encoded canonically so that the same directory always
/// gives the same bytes and therefore the same tree ID (FORMAT.md, "Trees").
package struct Tree: Sendable, Equatable {
    /// Encoding version byte.
    package static let version: UInt8 = 1
    /// The entries, in strictly increasing order of name bytes.
    package private(set) var nodes: [TreeNode]

    /// Creates a tree, sorting `nodes` by name. Throws if two nodes share a name.
    package init(nodes: [TreeNode]) throws(CoreError) {
        for n in nodes {
            guard n.name.count <= Int(UInt16.max) else { throw .invalidArgument("a name longer than 65,535 bytes") }
            guard n.mtime.nanoseconds < 1_000_000_000 else { throw .invalidArgument("\(n.nameString): mtime nanoseconds out of range") }
            if case .file(_, _, let ctime, _) = n.content, ctime.nanoseconds >= 1_000_000_000 {
                throw .invalidArgument("\(n.nameString): ctime nanoseconds out of range")
            }
            if case .symlink(let target) = n.content, target.count > Int(UInt16.max) {
                throw .invalidArgument("link \(n.nameString) has a target longer than 65,535 bytes")
            }
            if case .file(let chunks, _, _, _) = n.content, chunks.count > Int(UInt32.max) {
                throw .invalidArgument("file \(n.nameString) has too many chunks")
            }
        }
        let sorted = nodes.sorted { $0.name.lexicographicallyPrecedes($1.name) }
        for i in sorted.indices.dropFirst() where sorted[i - 1].name == sorted[i].name {
            throw .invalidArgument("two entries named \(sorted[i].nameString) in one directory")
        }
        self.nodes = sorted
    }

    /// The canonical encoding.
    package func encode() -> [UInt8] {
        var w = ByteWriter(capacity: 5 + nodes.count * 96)
        w.u8(Self.version)
        w.u32(UInt32(nodes.count))
        for n in nodes {
            w.u16(UInt16(n.name.count))
            w.bytes(n.name)
            w.u8(n.kindByte)
            w.u32(n.mode)
            w.i64(n.mtime.seconds)
            w.u32(n.mtime.nanoseconds)
            w.u64(n.size)
            switch n.content {
            case let .file(chunks, profile, ctime, inode):
                w.i64(ctime.seconds)
                w.u32(ctime.nanoseconds)
                w.u64(inode)
                w.u8(profile)
                w.u32(UInt32(chunks.count))
                for c in chunks { w.id(c) }
            case let .directory(tree):
                w.id(tree)
            case let .symlink(target):
                w.u16(UInt16(target.count))
                w.bytes(target)
            }
        }
        return w.bytes
    }

    /// Decodes a tree; rejects unknown versions, unsorted or duplicate names and trailing bytes. Names are not
    /// judged here (see ``TreeNode/isSafeName(_:)``), so that check can report them.
    package static func decode(_ bytes: [UInt8], context: String) throws(CoreError) -> Tree {
        var r = ByteReader(bytes, context: context)
        let v = try r.u8()
        guard v == version else { throw r.fail("tree encoding version \(v) is not supported") }
        let count = Int(try r.u32())
        guard count <= r.remaining / 29 else { throw r.fail("node count \(count) exceeds the tree") }
        var nodes: [TreeNode] = []
        nodes.reserveCapacity(count)
        for _ in 0..<count {
            let name = try r.bytes(Int(try r.u16()))
            let kind = try r.u8()
            let mode = try r.u32()
            let mtime = Timestamp(seconds: try r.i64(), nanoseconds: try r.u32())
            guard mtime.nanoseconds < 1_000_000_000 else { throw r.fail("mtime nanoseconds out of range") }
            let size = try r.u64()
            let content: TreeNode.Content
            switch kind {
            case 1:
                let ctime = Timestamp(seconds: try r.i64(), nanoseconds: try r.u32())
                guard ctime.nanoseconds < 1_000_000_000 else { throw r.fail("ctime nanoseconds out of range") }
                let inode = try r.u64()
                let profile = try r.u8()
                let n = Int(try r.u32())
                guard n <= r.remaining / ObjectID.byteCount else { throw r.fail("chunk count \(n) exceeds the tree") }
                var chunks: [ObjectID] = []
                chunks.reserveCapacity(n)
                for _ in 0..<n { chunks.append(try r.id()) }
                content = .file(chunks: chunks, profile: profile, ctime: ctime, inode: inode)
            case 2:
                content = .directory(tree: try r.id())
            case 3:
                content = .symlink(target: try r.bytes(Int(try r.u16())))
            default:
                throw r.fail("unknown node kind \(kind)")
            }
            if let last = nodes.last, !last.name.lexicographicallyPrecedes(name) {
                throw r.fail("names are not in strictly increasing order")
            }
            nodes.append(TreeNode(name: name, mode: mode, mtime: mtime, size: size, content: content))
        }
        try r.expectEnd()
        var tree = try Tree(nodes: [])
        tree.nodes = nodes
        return tree
    }
}
