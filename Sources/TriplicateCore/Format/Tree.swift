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
    /// Extended attributes (`user.` ones, as a backup keeps them), sorted by name; files and directories only.
    public var attributes: [ExtendedAttribute]

    /// Creates a node.
    public init(name: [UInt8], mode: UInt32, mtime: Timestamp, size: UInt64, content: Content, attributes: [ExtendedAttribute] = []) {
        self.name = name
        self.mode = mode
        self.mtime = mtime
        self.size = size
        self.content = content
        self.attributes = attributes
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

/// One extended attribute of a file or folder: its full name with the namespace (`user.xdg.tags`) and its value, both
/// raw bytes.
public struct ExtendedAttribute: Sendable, Equatable {
    /// The name, 1 to 255 bytes, no NUL.
    public var name: [UInt8]
    /// The value, at most 65,536 bytes.
    public var value: [UInt8]

    /// Creates an attribute.
    public init(name: [UInt8], value: [UInt8]) {
        self.name = name
        self.value = value
    }

    /// The longest value a tree holds (Linux's XATTR_SIZE_MAX).
    public static let maxValue = 65_536
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
    /// Encoding version byte of a tree none of whose nodes has extended attributes (the first release's encoding).
    package static let version: UInt8 = 1
    /// Encoding version byte of a tree in which some node has extended attributes: each node is followed by its list.
    package static let versionWithAttributes: UInt8 = 2
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
            if !n.attributes.isEmpty {
                if case .symlink = n.content { throw .invalidArgument("link \(n.nameString) has extended attributes") }
                guard n.attributes.count <= Int(UInt16.max) else { throw .invalidArgument("\(n.nameString) has more than 65,535 extended attributes") }
                for (i, a) in n.attributes.enumerated() {
                    guard (1...255).contains(a.name.count), !a.name.contains(0), a.value.count <= ExtendedAttribute.maxValue else {
                        throw .invalidArgument("\(n.nameString) has an extended attribute whose name or value is out of bounds")
                    }
                    if i > 0, !n.attributes[i - 1].name.lexicographicallyPrecedes(a.name) {
                        throw .invalidArgument("\(n.nameString): extended attributes not in strictly increasing order of name")
                    }
                }
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
        let withAttributes = nodes.contains { !$0.attributes.isEmpty }
        w.u8(withAttributes ? Self.versionWithAttributes : Self.version)
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
            if withAttributes {
                w.u16(UInt16(n.attributes.count))
                for a in n.attributes {
                    w.u8(UInt8(a.name.count))
                    w.bytes(a.name)
                    w.u32(UInt32(a.value.count))
                    w.bytes(a.value)
                }
            }
        }
        return w.bytes
    }

    /// Decodes a tree; rejects unknown versions, unsorted or duplicate names and trailing bytes. Names are not
    /// judged here (see ``TreeNode/isSafeName(_:)``), so that check can report them.
    package static func decode(_ bytes: [UInt8], context: String) throws(CoreError) -> Tree {
        var r = ByteReader(bytes, context: context)
        let v = try r.u8()
        guard v == version || v == versionWithAttributes else { throw r.fail("tree encoding version \(v) is not supported") }
        let withAttributes = v == versionWithAttributes
        let count = Int(try r.u32())
        // The smallest node: a symbolic link with an empty name and target (and, in version 2, no attributes).
        guard count <= r.remaining / (withAttributes ? 31 : 29) else { throw r.fail("node count \(count) exceeds the tree") }
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
            var attributes: [ExtendedAttribute] = []
            if withAttributes {
                let x = Int(try r.u16())
                guard x <= r.remaining / 6 else { throw r.fail("attribute count \(x) exceeds the tree") }
                if x > 0, kind == 3 { throw r.fail("a symbolic link with extended attributes") }
                attributes.reserveCapacity(x)
                for _ in 0..<x {
                    let n = Int(try r.u8())
                    guard n > 0 else { throw r.fail("an extended attribute with an empty name") }
                    let attributeName = try r.bytes(n)
                    let length = Int(try r.u32())
                    guard length <= ExtendedAttribute.maxValue else { throw r.fail("an extended attribute value of \(length) bytes") }
                    let value = try r.bytes(length)
                    if let last = attributes.last, !last.name.lexicographicallyPrecedes(attributeName) {
                        throw r.fail("extended attributes are not in strictly increasing order of name")
                    }
                    attributes.append(ExtendedAttribute(name: attributeName, value: value))
                }
            }
            nodes.append(TreeNode(name: name, mode: mode, mtime: mtime, size: size, content: content, attributes: attributes))
        }
        try r.expectEnd()
        // One listing, one encoding: version 2 only when some node has attributes.
        if withAttributes, !nodes.contains(where: { !$0.attributes.isEmpty }) {
            throw r.fail("a version 2 tree in which no node has extended attributes")
        }
        var tree = try Tree(nodes: [])
        tree.nodes = nodes
        return tree
    }
}
