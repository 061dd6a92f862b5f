// RepositoryKeysTests: sub-key derivation is deterministic, separated by master, repository, file kind and salt.

@_spi(Benchmarks) import TriplicateCore
import Testing

@testable import TriplicateCore

@Suite("Repository keys")
struct RepositoryKeysTests {
    static let masterA = [UInt8](repeating: 0x11, count: 32)
    static let masterB = [UInt8](repeating: 0x22, count: 32)
    static let repoX = ObjectID(bytes: [UInt8](repeating: 0x33, count: 32))
    static let repoY = ObjectID(bytes: [UInt8](repeating: 0x44, count: 32))

    @Test("the same master and repository ID always give the same chunker seed, chunk IDs and file keys")
    func deterministic() throws {
        let a = try RepositoryKeys(master: Self.masterA, repositoryID: Self.repoX)
        let b = try RepositoryKeys(master: Self.masterA, repositoryID: Self.repoX)
        #expect(a.chunkerSeed == b.chunkerSeed)
        #expect(a.idHasher.id(utf8("chunk")) == b.idHasher.id(utf8("chunk")))
        let salt = [UInt8](repeating: 0x55, count: 32)
        #expect(try a.fileKey(kind: .pack, salt: salt) == b.fileKey(kind: .pack, salt: salt))
        #expect(a.master == Self.masterA && a.repositoryID == Self.repoX)
    }

    @Test("a different master or a different repository ID changes the seed and the chunk IDs")
    func separation() throws {
        let base = try RepositoryKeys(master: Self.masterA, repositoryID: Self.repoX)
        for other in [try RepositoryKeys(master: Self.masterB, repositoryID: Self.repoX),
                      try RepositoryKeys(master: Self.masterA, repositoryID: Self.repoY)] {
            #expect(other.chunkerSeed != base.chunkerSeed)
            #expect(other.idHasher.id(utf8("chunk")) != base.idHasher.id(utf8("chunk")))
        }
        // Chunk IDs are keyed: they are not the plain BLAKE2b-256 of the data.
        #expect(base.idHasher.id(utf8("chunk")).bytes != (try KeyedBlake2b.digest(utf8("chunk"), outputLength: 32)))
    }

    @Test("file keys differ per kind and per salt, and are 32 bytes")
    func fileKeys() throws {
        let keys = try RepositoryKeys(master: Self.masterA, repositoryID: Self.repoX)
        let s1 = [UInt8](repeating: 1, count: 32), s2 = [UInt8](repeating: 2, count: 32)
        var seen: Set<[UInt8]> = []
        for kind in FileKind.allCases {
            for salt in [s1, s2] {
                let key = try keys.fileKey(kind: kind, salt: salt)
                #expect(key.count == 32)
                seen.insert(key)
            }
        }
        #expect(seen.count == FileKind.allCases.count * 2)
        let other = try RepositoryKeys(master: Self.masterB, repositoryID: Self.repoX)
        #expect(try other.fileKey(kind: .index, salt: s1) != keys.fileKey(kind: .index, salt: s1))
        // File keys do not depend on the repository ID: the salt alone separates files.
        let sameMasterOtherRepo = try RepositoryKeys(master: Self.masterA, repositoryID: Self.repoY)
        #expect(try sameMasterOtherRepo.fileKey(kind: .index, salt: s1) == keys.fileKey(kind: .index, salt: s1))
    }

    @Test("file keys are HKDF-SHA256 of the master with the salt and the label triplicate/v1/<kind>")
    func fileKeyDefinition() throws {
        let keys = try RepositoryKeys(master: Self.masterA, repositoryID: Self.repoX)
        let salt = [UInt8](repeating: 7, count: 32)
        for kind in FileKind.allCases {
            let expected = try KeyDerivation.hkdfSHA256(ikm: Self.masterA, salt: salt, info: "triplicate/v1/" + kind.label, length: 32)
            #expect(try keys.fileKey(kind: kind, salt: salt) == expected)
        }
    }

    @Test("a master secret that is not 32 bytes is refused; random masters are 32 bytes and differ")
    func masterLength() throws {
        for n in [0, 16, 31, 33, 64] {
            expectCoreError(.invalidArgument, "\(n) bytes") {
                try RepositoryKeys(master: [UInt8](repeating: 1, count: n), repositoryID: Self.repoX)
            }
        }
        let a = try RepositoryKeys.randomMaster(), b = try RepositoryKeys.randomMaster()
        #expect(a.count == 32 && b.count == 32 && a != b)
    }

    @Test("file kinds have distinct magic bytes, labels and folders")
    func fileKinds() {
        #expect(FileKind.pack.magic == utf8("TRIPPACK"))
        #expect(FileKind.index.magic == utf8("TRIPINDX"))
        #expect(FileKind.snapshot.magic == utf8("TRIPSNAP"))
        #expect(FileKind.damage.magic == utf8("TRIPDAMG"))
        #expect(FileKind.verified.magic == utf8("TRIPVRFY"))
        #expect(FileKind.removed.magic == utf8("TRIPRMVD"))
        #expect(FileKind.allCases.map(\.label) == ["pack", "index", "snapshot", "damage", "verified", "removed"])
        #expect(FileKind.allCases.map(\.folder) == ["data", "index", "snapshots", "damage", "verified", "removed"])
        #expect(FileKind.allCases.allSatisfy { $0.magic.count == 8 })
    }
}
