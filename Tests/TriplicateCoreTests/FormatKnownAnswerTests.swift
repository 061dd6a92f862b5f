// FormatKnownAnswerTests: the repository format pinned by answers computed independently of this code, in Python.

@_spi(Benchmarks) import TriplicateCore
import Foundation
import Testing

@testable import TriplicateCore

/// A fixed repository and files written for it by an independent implementation of the format.
///
/// Every literal here was computed once with Python 3 (`hashlib`, `hmac`, the `cryptography` package's AESGCM
/// and the `zstd` 1.5.4 CLI), following the layouts in the doc comments of `Sources/TriplicateCore/Format`, not
/// by running Triplicate. The construction, so that it can be repeated:
///
/// - master secret = bytes 0x01…0x20; repository ID = bytes 0xA0…0xBF.
/// - HKDF-SHA256 (RFC 5869, HMAC-SHA256 extract then expand) with ikm = master:
///   chunk-ID key = HKDF(salt = repository ID, info = "triplicate/v1/chunk-id", 32 bytes);
///   chunker seed = HKDF(salt = repository ID, info = "triplicate/v1/chunker-seed", 8 bytes) as u64 LE;
///   file key = HKDF(salt = the file's header salt, info = "triplicate/v1/" + pack|index|snapshot, 32 bytes).
/// - chunk or tree ID = blake2b(plaintext, key = chunk-ID key, digest_size = 32).
/// - header = magic (8 ASCII bytes) || u32 LE 1 || salt (32 bytes).
/// - pack (salt 0x55 × 32): header; then each blob sealed with AES-256-GCM under the pack key, nonce = offset as
///   u64 LE || 4 zero bytes, AAD = type u8 || compression u8 || raw length u32 LE || ID; then the table
///   (u32 LE count, then per blob type u8, compression u8, stored length u32, raw length u32, ID) sealed with
///   nonce 0xFF × 12 and AAD = header; then the sealed table's length as u32 LE. Blob 1 is data "triplicate"
///   stored as is; blob 2 is ``tree`` compressed by `zstd -19` from a file.
/// - index file (salt 0x66 × 32) and snapshot file (salt 0x77 × 32): header || AES-256-GCM(file key,
///   nonce = 12 zero bytes, AAD = header, plaintext = compression flag || payload). The index payload is stored
///   as is (flag 0); the snapshot's JSON is zstd-compressed (flag 1).
enum FormatKAT {
    static let master = [UInt8](0x01...0x20)
    static let repositoryID = ObjectID(bytes: [UInt8](0xA0...0xBF))
    static func keys() throws -> RepositoryKeys { try RepositoryKeys(master: master, repositoryID: repositoryID) }

    /// keyed BLAKE2b-256 of the ASCII bytes "triplicate".
    static let chunkID = "e95677400be60656cb8ef569d97b41b275d08418e19a740c366f4110d01f4612"
    /// HKDF bytes a5 55 ec 21 78 cc 1a c0, read little endian.
    static let chunkerSeed: UInt64 = 0xC01A_CC78_21EC_55A5

    /// A three-node tree: a file of six identical chunks, a symlink and a directory.
    static let tree = unhex("""
        01030000000d00436174616c6f672e6c7263617401a401000085b92969000000
        0015cd5b073c0000000000000085b92969000000000700000032790600000000
        000106000000e95677400be60656cb8ef569d97b41b275d08418e19a740c366f
        4110d01f4612e95677400be60656cb8ef569d97b41b275d08418e19a740c366f
        4110d01f4612e95677400be60656cb8ef569d97b41b275d08418e19a740c366f
        4110d01f4612e95677400be60656cb8ef569d97b41b275d08418e19a740c366f
        4110d01f4612e95677400be60656cb8ef569d97b41b275d08418e19a740c366f
        4110d01f4612e95677400be60656cb8ef569d97b41b275d08418e19a740c366f
        4110d01f461204006c696e6b03ed010000ffffffffffffffff000000000d0000
        00000000000d00436174616c6f672e6c72636174030073756202c00100000000
        000000000000ffc99a3b00000000000000001111111111111111111111111111
        111111111111111111111111111111111111
        """)
    static let treeID = "5c9cecb5f3758834da266421bb52edc2db4d4db0650ca1202a628481253b9dba"

    /// The tree above, as values.
    static func treeValue() throws -> Tree {
        let chunk = try #require(ObjectID(hex: chunkID))
        return try Tree(nodes: [
            TreeNode(name: utf8("sub"), mode: 0o700, mtime: Timestamp(seconds: 0, nanoseconds: 999_999_999), size: 0,
                     content: .directory(tree: ObjectID(bytes: [UInt8](repeating: 0x11, count: 32)))),
            TreeNode(name: utf8("link"), mode: 0o755, mtime: Timestamp(seconds: -1, nanoseconds: 0), size: 13,
                     content: .symlink(target: utf8("Catalog.lrcat"))),
            TreeNode(name: utf8("Catalog.lrcat"), mode: 0o644,
                     mtime: Timestamp(seconds: 1_764_342_149, nanoseconds: 123_456_789), size: 60,
                     content: .file(chunks: Array(repeating: chunk, count: 6), profile: 1,
                                    ctime: Timestamp(seconds: 1_764_342_149, nanoseconds: 7), inode: 424_242)),
        ])
    }

    /// The pack key: file key of kind pack with salt 0x55 × 32.
    static let packKey = "ee11508c09b8f9090d9f4870e4eed805f771c55a07d8c6a24b487785d200cb85"

    static let pack = unhex("""
        545249505041434b010000005555555555555555555555555555555555555555
        5555555555555555555555554cbd5a05c4bcff2270243680383d4e9e62286d6f
        9d7635bd5d5438c40a565133141ab13bd1da9505795fc20be345cacce8675593
        d181110fc0847cba48f751bc30d841b9fe6055ec5b40c2c2b9c4c0838c74f33d
        c221e5d0d1ba5a27180062939d99951e26469274e4c1f449bdc30e429b9ad9f7
        8e8554fdf7822ccc85b7fa313e6dff075125a49996de2dccc2aa494b8d87bd38
        8f8551a003e202228b945aeeb1759fa05fa35f01908e2557c28e2f92f674ecfd
        c0d4cf6f80927e8230e5d9edd1fd7e823631f9cdad987656da81ff98432782e2
        b79316fc1d7e19dfc6f78224e5d092ec1779fbf0b6fe4dd6f2b9ef70b2057e02
        db8952126a8ddd151e4d02d6d9a52ae411955c8d89b41493ec682c9b5e6389e9
        d4f1e548aaaabcaea89797e544903db202612e246c542c77247ae45999680000
        00
        """)
    /// SHA-256 of ``pack``: its file name.
    static let packID = "257b83185c2fa8ac30542cc7cbe661ba85e44e3b290f6959545091e6a1f325be"

    static func packEntries() throws -> [PackEntry] {
        [
            PackEntry(id: try #require(ObjectID(hex: chunkID)), type: .data, compression: .none, offset: 44,
                      storedLength: 26, rawLength: 10),
            PackEntry(id: try #require(ObjectID(hex: treeID)), type: .tree, compression: .zstd, offset: 70,
                      storedLength: 175, rawLength: 370),
        ]
    }

    /// An index file listing ``pack`` and its two blobs.
    static let indexFile = unhex("""
        54524950494e4458010000006666666666666666666666666666666666666666
        666666666666666666666666ff2048ef77a55ff9f477ef5dda4d8535e5d25ac9
        584b594005bfe8ec4dcb29d47d89ac436215a9eb99c43366baadedc1bb2d9719
        3a0eb34bc626dd65996d30b2763e372b27cda89995e8b3f30fe5be66f4672d4f
        4a82725d5956d4e8e2dd93fe59587b6f13d86004ae2d20b42abaed594bbedaad
        6bb811855061b68538c1977ab6ad1919e53bc04d20c53458b1a4a23d9bdc880a
        73
        """)

    /// A snapshot file whose record points at ``treeID``.
    static let snapshotFile = unhex("""
        54524950534e4150010000007777777777777777777777777777777777777777
        777777777777777777777777f6948307e83fb5b55fb0b97cb10058274e9771cf
        76f271a570588a8a87ad428c5db4b10129aa431094ee3efc806e5668311623e5
        c4fe66b28dbd06957bb095f0bec3df2b9c388d9da795b3711bdc12064c4d6415
        0725ff0b51682e1a09774985c3a077a693cf25d8c3845a3fe2ea5de3d6511473
        97c97048afd90c6dab6acaeed97799987a5c22695f4822e872d6786d44456d2e
        342ad7ee4c6078cabdd47afb1dc9b1971bc6d06edcb743c38d5d5999ba197b03
        e64e538a1710877ada4ed86af20efe3c031829c7a442e7c75f9df8966888ee58
        e0434f70010a04753cc951b4e8a87abb629f7f30189da4d9beaf9f5dddea6587
        a8c1a8007f82d1ace9320b2a9a18985752270faf490ecef29c1cf030ceb4c356
        ac1d8edb0c50be0031fea4388dde30f734399cf3
        """)
}

@Suite("Format known answers (independent implementation)")
struct FormatKnownAnswerTests {
    @Test("the chunk ID of \"triplicate\" and the chunker seed of the fixed repository")
    func derivation() throws {
        let keys = try FormatKAT.keys()
        #expect(keys.idHasher.id(utf8("triplicate")).hex == FormatKAT.chunkID)
        #expect(keys.chunkerSeed == FormatKAT.chunkerSeed)
    }

    @Test("the pack key of a header salt")
    func packKey() throws {
        let key = try FormatKAT.keys().fileKey(kind: .pack, salt: [UInt8](repeating: 0x55, count: 32))
        #expect(key == unhex(FormatKAT.packKey))
    }

    @Test("the tree encoding: values encode to the independent bytes, and the bytes decode to the values")
    func treeEncoding() throws {
        let tree = try FormatKAT.treeValue()
        #expect(tree.encode() == FormatKAT.tree)
        #expect(try Tree.decode(FormatKAT.tree, context: "kat tree") == tree)
        #expect(try FormatKAT.keys().idHasher.id(FormatKAT.tree).hex == FormatKAT.treeID)
    }

    @Test("a pack written independently: its name, table and both blobs open")
    func pack() throws {
        let keys = try FormatKAT.keys()
        let bytes = FormatKAT.pack
        #expect(SHA256.hash(bytes).hex == FormatKAT.packID)
        let opened = OpenedPack(id: SHA256.hash(bytes), bytes: bytes, entries: [], keys: keys)
        let table = try opened.table()
        #expect(table == (try FormatKAT.packEntries()))
        #expect(try opened.blob(table[0]) == utf8("triplicate"))
        let treeBytes = try opened.blob(table[1])
        #expect(treeBytes == FormatKAT.tree)
        #expect(try Tree.decode(treeBytes, context: "kat tree") == (try FormatKAT.treeValue()))
    }

    @Test("an index file written independently opens and lists the pack")
    func indexFile() throws {
        let keys = try FormatKAT.keys()
        let payload = try SealedFile.open(FormatKAT.indexFile, kind: .index, keys: keys, context: "kat index")
        let index = try IndexFile.decode(payload, context: "kat index")
        #expect(index == IndexFile(packs: [
            IndexFile.Pack(id: try #require(ObjectID(hex: FormatKAT.packID)), entries: try FormatKAT.packEntries()),
        ]))
    }

    @Test("a snapshot file written independently (zstd payload) opens to its record")
    func snapshotFile() throws {
        let keys = try FormatKAT.keys()
        let payload = try SealedFile.open(FormatKAT.snapshotFile, kind: .snapshot, keys: keys, context: "kat snapshot")
        let record = try SnapshotRecord.decode(payload, context: "kat snapshot")
        #expect(record.version == 1)
        #expect(record.time == "2026-11-28T15:02:29.123Z")
        #expect(record.treeID?.hex == FormatKAT.treeID)
        #expect(record.paths == ["/Users/ana/Pictures"])
        #expect(record.hostname == "studio" && record.username == "ana")
        #expect(record.tags == ["daily"] && record.excludes.isEmpty && record.parent == nil)
        #expect(record.summary.files == 1 && record.summary.directories == 1 && record.summary.symlinks == 1)
        #expect(record.summary.bytes == 60 && record.summary.filesRead == 1 && record.summary.bytesRead == 60)
        #expect(record.summary.blobsAdded == 2 && record.summary.bytesAdded == 380)
        #expect(record.summary.bytesStored == 353 && record.summary.errors == 0)
        #expect(abs(record.date.timeIntervalSince1970 - 1_795_878_149.123) < 0.001)
    }

    @Test("the independent files refuse another repository's keys")
    func otherKeys() throws {
        let other = try RepositoryKeys(master: [UInt8](0x02...0x21), repositoryID: FormatKAT.repositoryID)
        expectCoreError(.authenticationFailed) {
            try SealedFile.open(FormatKAT.indexFile, kind: .index, keys: other, context: "kat index")
        }
        expectCoreError(.authenticationFailed) {
            try OpenedPack(id: SHA256.hash(FormatKAT.pack), bytes: FormatKAT.pack, entries: [], keys: other).table()
        }
    }
}
