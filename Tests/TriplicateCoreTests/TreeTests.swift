// TreeTests: the canonical tree encoding — round trip, order independence, rejected encodings, and safe names.

@_spi(Benchmarks) import TriplicateCore
import Testing

@testable import TriplicateCore

/// Sample directory entries covering every node kind.
enum TreeSamples {
    static func id(_ seed: UInt64) -> ObjectID { ObjectID(bytes: pseudoRandomBytes(count: 32, seed: seed)) }

    static let file = TreeNode(
        name: utf8("DSC_0001.NEF"), mode: 0o644, mtime: Timestamp(seconds: 1_764_342_149, nanoseconds: 123_456_789),
        size: 25_000_000,
        content: .file(chunks: [id(1), id(2), id(3)], profile: ChunkingProfile.media.id,
                       ctime: Timestamp(seconds: 1_764_342_150, nanoseconds: 1), inode: 0xFFFF_FFFF_FFFF_FFFF))
    static let emptyFile = TreeNode(
        name: utf8("empty.txt"), mode: 0o600, mtime: Timestamp(seconds: -1, nanoseconds: 999_999_999), size: 0,
        content: .file(chunks: [], profile: ChunkingProfile.general.id, ctime: Timestamp(seconds: 0, nanoseconds: 0),
                       inode: 0))
    static let directory = TreeNode(
        name: utf8("Lightroom"), mode: 0o755, mtime: Timestamp(seconds: 0, nanoseconds: 0), size: 0,
        content: .directory(tree: id(4)))
    static let symlink = TreeNode(
        name: utf8("latest"), mode: 0o777, mtime: Timestamp(seconds: Int64.min, nanoseconds: 0), size: 9,
        content: .symlink(target: utf8("Lightroom")))
    static let unicode = TreeNode(
        name: utf8("Ålesund–夜景.dng"), mode: 0o4755, mtime: Timestamp(seconds: Int64.max, nanoseconds: 5), size: 1,
        content: .file(chunks: [id(5)], profile: ChunkingProfile.media.id,
                       ctime: Timestamp(seconds: 7, nanoseconds: 8), inode: 42))
    /// A name that is not UTF-8: stored and returned as raw bytes.
    static let rawName = TreeNode(
        name: [0x66, 0xFF, 0xFE, 0x80], mode: 0o644, mtime: Timestamp(seconds: 1, nanoseconds: 2), size: 0,
        content: .directory(tree: id(6)))

    static let all = [file, emptyFile, directory, symlink, unicode, rawName]
}

@Suite("Tree encoding")
struct TreeTests {
    @Test("encode then decode gives the same tree, for every node kind and extreme field values")
    func roundTrip() throws {
        let tree = try Tree(nodes: TreeSamples.all)
        let decoded = try Tree.decode(tree.encode(), context: "tree")
        #expect(decoded == tree)
        #expect(decoded.nodes.count == TreeSamples.all.count)
        #expect(try Tree.decode(try Tree(nodes: []).encode(), context: "empty") == (try Tree(nodes: [])))
    }

    @Test("the empty tree encodes as version 1 and a zero count")
    func emptyEncoding() throws {
        #expect(try Tree(nodes: []).encode() == [1, 0, 0, 0, 0])
    }

    @Test("a one-node tree has the documented byte layout")
    func layout() throws {
        let node = TreeNode(
            name: utf8("a"), mode: 0o755, mtime: Timestamp(seconds: 2, nanoseconds: 3), size: 1,
            content: .symlink(target: utf8("b")))
        let expected: [UInt8] =
            [1, 1, 0, 0, 0]  // version, node count
            + [1, 0, 0x61]  // name length, name
            + [3]  // kind: symlink
            + [0xED, 0x01, 0, 0]  // mode 0o755
            + [2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0]  // mtime seconds, nanoseconds
            + [1, 0, 0, 0, 0, 0, 0, 0]  // size
            + [1, 0, 0x62]  // target length, target
        #expect(try Tree(nodes: [node]).encode() == expected)
    }

    @Test("nodes are sorted by name bytes: any input order gives identical bytes")
    func canonical() throws {
        let reference = try Tree(nodes: TreeSamples.all).encode()
        var nodes = TreeSamples.all
        for step in 0..<24 {
            // A deterministic walk through orders: rotate, and every other step reverse.
            nodes = Array(nodes.dropFirst(step % nodes.count + 1) + nodes.prefix(step % nodes.count + 1))
            if step % 2 == 1 { nodes.reverse() }
            #expect(try Tree(nodes: nodes).encode() == reference)
        }
        let names = try Tree(nodes: TreeSamples.all.reversed()).nodes.map(\.name)
        #expect(names == names.sorted { $0.lexicographicallyPrecedes($1) })
        // Byte order, not string order: "B" (0x42) sorts before "a" (0x61), and "a" before "a.b".
        let order = try Tree(nodes: ["a.b", "a", "B", "é", "z"].map { symlinkNode($0) }).nodes.map(\.nameString)
        #expect(order == ["B", "a", "a.b", "z", "é"])
    }

    @Test("two nodes with the same name are refused when building a tree")
    func duplicateOnBuild() {
        expectCoreError(.invalidArgument) { try Tree(nodes: [TreeSamples.file, TreeSamples.directory, TreeSamples.file]) }
    }

    @Test("a tree whose names are unsorted or repeated does not decode")
    func unsortedOrDuplicate() throws {
        let a = symlinkNode("a"), b = symlinkNode("b")
        // Build the encodings by hand: Tree.init would sort them.
        expectCoreError(.malformed, "unsorted") { try Tree.decode(encodeRaw([b, a]), context: "t") }
        expectCoreError(.malformed, "duplicate") { try Tree.decode(encodeRaw([a, a]), context: "t") }
        #expect(try Tree.decode(encodeRaw([a, b]), context: "t").nodes == [a, b])
    }

    @Test("a trailing byte, an unknown kind, an unknown version or any truncation does not decode")
    func damaged() throws {
        let good = try Tree(nodes: TreeSamples.all).encode()
        expectCoreError(.malformed, "trailing byte") { try Tree.decode(good + [0], context: "t") }
        expectCoreError(.malformed, "version 2 body without attribute lists") { try Tree.decode([2] + good.dropFirst(), context: "t") }
        expectCoreError(.malformed, "version 3") { try Tree.decode([3] + good.dropFirst(), context: "t") }
        expectCoreError(.malformed, "version 0") { try Tree.decode([0] + good.dropFirst(), context: "t") }
        for n in 0..<good.count {
            expectCoreError(.malformed, "first \(n) bytes") { try Tree.decode(Array(good.prefix(n)), context: "t") }
        }
        // The kind byte of a single node sits after the count (5 bytes), the name length (2) and the name.
        let one = try Tree(nodes: [TreeSamples.directory]).encode()
        let kindOffset = 5 + 2 + TreeSamples.directory.name.count
        #expect(one[kindOffset] == 2)
        for kind: UInt8 in [0, 4, 0xFF] {
            var bad = one
            bad[kindOffset] = kind
            expectCoreError(.malformed, "kind \(kind)") { try Tree.decode(bad, context: "t") }
        }
    }

    @Test("huge counts in a short encoding are malformed without a large allocation")
    func hostileCounts() throws {
        expectCoreError(.malformed) { try Tree.decode([1, 0xFF, 0xFF, 0xFF, 0xFF], context: "t") }
        // A file node claiming 2^32 - 1 chunks.
        var bad = try Tree(nodes: [TreeSamples.emptyFile]).encode()
        bad.replaceSubrange((bad.count - 4)..., with: [0xFF, 0xFF, 0xFF, 0xFF])
        expectCoreError(.malformed) { try Tree.decode(bad, context: "t") }
    }

    @Test("names and link targets up to 65,535 bytes round-trip; longer ones are refused when building")
    func lengthLimits() throws {
        let longest = [UInt8](repeating: 0x61, count: 65_535)
        let node = TreeNode(name: longest, mode: 0o777, mtime: Timestamp(seconds: 0, nanoseconds: 0), size: 65_535,
                            content: .symlink(target: longest))
        #expect(try Tree.decode(try Tree(nodes: [node]).encode(), context: "t").nodes == [node])
        var longName = node
        longName.name.append(0x61)
        expectCoreError(.invalidArgument) { try Tree(nodes: [longName]) }
        var longTarget = node
        longTarget.content = .symlink(target: longest + [0x61])
        expectCoreError(.invalidArgument) { try Tree(nodes: [longTarget]) }
    }

    @Test("nanosecond fields of a billion or more are refused by Tree and do not decode")
    func nanosecondsRange() throws {
        var mtime = TreeSamples.file
        mtime.mtime.nanoseconds = 1_000_000_000
        expectCoreError(.invalidArgument, "mtime") { try Tree(nodes: [mtime]) }
        var ctime = TreeSamples.file
        ctime.content = .file(chunks: [], profile: 3, ctime: Timestamp(seconds: 0, nanoseconds: .max), inode: 1)
        expectCoreError(.invalidArgument, "ctime") { try Tree(nodes: [ctime]) }
        // Patch a valid encoding: mtime nanoseconds sit after version(1), count(4), name length(2), name, kind(1),
        // mode(4) and mtime seconds(8); ctime nanoseconds after size(8) and ctime seconds(8) more.
        let valid = TreeSamples.file
        let encoded = try Tree(nodes: [valid]).encode()
        let mtimeNanos = 1 + 4 + 2 + valid.name.count + 1 + 4 + 8
        for offset in [mtimeNanos, mtimeNanos + 4 + 8 + 8] {
            var bad = encoded
            bad.replaceSubrange(offset..<(offset + 4), with: [0x00, 0xCA, 0x9A, 0x3B])  // 1_000_000_000 little endian
            expectCoreError(.malformed, "offset \(offset)") { try Tree.decode(bad, context: "t") }
        }
    }

    @Test(
        "isSafeName refuses empty, dot, dot-dot, slashes and NUL",
        arguments: ["", ".", "..", "/", "a/b", "/etc", "../x", "x/", "a\u{0}b", "\u{0}"])
    func unsafeNames(_ name: String) {
        #expect(!TreeNode.isSafeName(utf8(name)))
    }

    @Test(
        "isSafeName accepts ordinary names, UTF-8, spaces and names that merely start with dots",
        arguments: ["a", "DSC_0001.NEF", "Catalog.lrcat", ".hidden", "...", "..x", "..hidden", "x..", "nom café",
                    "夜景", "Ålesund–2026", "back\\slash", "a b"])
    func safeNames(_ name: String) {
        #expect(TreeNode.isSafeName(utf8(name)))
    }

    @Test("isSafeName judges bytes: invalid UTF-8 without slash or NUL is a safe component")
    func rawBytesName() {
        #expect(TreeNode.isSafeName([0xFF, 0xFE]))
        #expect(!TreeNode.isSafeName([0xFF, 0x2F]))
        #expect(!TreeNode.isSafeName([0x2E, 0x2E, 0x00]))
    }

    @Test("timestamps order by seconds, then nanoseconds")
    func timestampOrder() {
        #expect(Timestamp(seconds: 1, nanoseconds: 999) < Timestamp(seconds: 2, nanoseconds: 0))
        #expect(Timestamp(seconds: -1, nanoseconds: 5) < Timestamp(seconds: 0, nanoseconds: 0))
        #expect(Timestamp(seconds: 3, nanoseconds: 1) < Timestamp(seconds: 3, nanoseconds: 2))
    }

    // MARK: helpers

    /// A symlink node named `name` pointing at "t".
    func symlinkNode(_ name: String) -> TreeNode {
        TreeNode(name: utf8(name), mode: 0o777, mtime: Timestamp(seconds: 0, nanoseconds: 0), size: 1,
                 content: .symlink(target: utf8("t")))
    }

    /// Encodes `nodes` in the given order, bypassing the sorting of `Tree.init`.
    func encodeRaw(_ nodes: [TreeNode]) throws -> [UInt8] {
        var encoded: [UInt8] = [1] + [UInt8(nodes.count), 0, 0, 0]
        for n in nodes { encoded += try Tree(nodes: [n]).encode().dropFirst(5) }
        return encoded
    }

    @Test("the smallest node (a one-byte-named link with an empty target) round-trips")
    func tinySymlinkNodeRoundTrips() throws {
        let n = TreeNode(name: Array("a".utf8), mode: 0o777, mtime: Timestamp(seconds: 0, nanoseconds: 0), size: 0,
                         content: .symlink(target: []))
        let tree = try Tree(nodes: [n])
        #expect(try Tree.decode(tree.encode(), context: "t") == tree)
    }

    @Test("Tree refuses out-of-range nanoseconds, as decode does")
    func treeInitRefusesBadNanoseconds() {
        let n = TreeNode(name: Array("a".utf8), mode: 0o644, mtime: Timestamp(seconds: 0, nanoseconds: 1_000_000_000), size: 0,
                         content: .symlink(target: []))
        #expect(throws: CoreError.self) { try Tree(nodes: [n]) }
    }

    @Test("extended attributes: a tree with some is version 2 with a list after every node, a tree without any stays version 1")
    func attributesRoundTrip() throws {
        var tagged = TreeSamples.file
        tagged.attributes = [ExtendedAttribute(name: Array("user.rating".utf8), value: Array("5".utf8)),
                             ExtendedAttribute(name: Array("user.xdg.tags".utf8), value: [])]
        let tree = try Tree(nodes: [tagged, TreeSamples.symlink, TreeSamples.directory])
        let bytes = tree.encode()
        #expect(bytes[0] == 2)
        #expect(try Tree.decode(bytes, context: "t") == tree)
        // Layout of one node: the version 1 node, then u16 count, then per attribute u8 name length, name, u32 value
        // length, value.
        let one = try Tree(nodes: [tagged]).encode()
        let v1 = try Tree(nodes: [TreeSamples.file]).encode()
        #expect(Array(one.dropFirst().prefix(v1.count - 1)) == Array(v1.dropFirst()))
        #expect(Array(one.dropFirst(v1.count)) == [2, 0, 11] + Array("user.rating".utf8) + [1, 0, 0, 0] + Array("5".utf8)
                    + [13] + Array("user.xdg.tags".utf8) + [0, 0, 0, 0])
        #expect(try Tree(nodes: TreeSamples.all).encode()[0] == 1)
    }

    @Test("attribute lists that are unsorted, empty-named, too long, on a link, or in a tree without any do not decode")
    func damagedAttributes() throws {
        var tagged = TreeSamples.emptyFile
        tagged.attributes = [ExtendedAttribute(name: Array("user.a".utf8), value: [1]), ExtendedAttribute(name: Array("user.b".utf8), value: [2])]
        let good = try Tree(nodes: [tagged]).encode()
        // The attribute list starts after the version 1 node.
        let list = try Tree(nodes: [TreeSamples.emptyFile]).encode().count
        var unsorted = good
        unsorted[list + 2 + 1 + 5] = UInt8(ascii: "c")  // user.a -> user.c, before user.b
        expectCoreError(.malformed, "unsorted") { try Tree.decode(unsorted, context: "t") }
        var emptyName = good
        emptyName[list + 2] = 0
        expectCoreError(.malformed, "empty name") { try Tree.decode(emptyName, context: "t") }
        var huge = good
        huge.replaceSubrange((list + 2 + 1 + 6)..<(list + 2 + 1 + 6 + 4), with: [1, 0, 1, 0])  // 65,537 bytes
        expectCoreError(.malformed, "value too long") { try Tree.decode(huge, context: "t") }
        var count = good
        count.replaceSubrange(list..<(list + 2), with: [0xFF, 0xFF])
        expectCoreError(.malformed, "count") { try Tree.decode(count, context: "t") }
        var none = good
        none.replaceSubrange(list..<good.count, with: [0, 0])
        expectCoreError(.malformed, "version 2 without attributes") { try Tree.decode(none, context: "t") }
        for n in 0..<good.count {
            expectCoreError(.malformed, "first \(n) bytes") { try Tree.decode(Array(good.prefix(n)), context: "t") }
        }
        // A link with attributes is refused when building and when decoding.
        var link = TreeSamples.symlink
        link.attributes = [ExtendedAttribute(name: Array("user.a".utf8), value: [])]
        #expect(throws: CoreError.self) { try Tree(nodes: [link]) }
        let linkV2 = [2] + Array(try Tree(nodes: [TreeSamples.symlink]).encode().dropFirst()) + [1, 0, 1, UInt8(ascii: "a"), 0, 0, 0, 0]
        expectCoreError(.malformed, "link with attributes") { try Tree.decode(linkV2, context: "t") }
        var bad = tagged
        bad.attributes = [ExtendedAttribute(name: Array("user.b".utf8), value: []), ExtendedAttribute(name: Array("user.a".utf8), value: [])]
        #expect(throws: CoreError.self) { try Tree(nodes: [bad]) }
        bad.attributes = [ExtendedAttribute(name: Array("user.a".utf8), value: [UInt8](repeating: 0, count: 65_537))]
        #expect(throws: CoreError.self) { try Tree(nodes: [bad]) }
    }
}
