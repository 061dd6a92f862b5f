// RepositoryKeys: the master secret of a repository and every sub-key derived from it by HKDF.

/// The secrets of one repository: the random master secret and the keys derived from it (FORMAT.md, "Key derivation").
///
/// Every sub-key is HKDF-SHA256 with the master secret as input keying material. Repository-wide keys use the
/// repository ID as salt; per-file keys use the file's random 32-byte salt.
@_spi(Benchmarks) public struct RepositoryKeys: Sendable {
    /// Format version whose derivation labels these keys use.
    public static let labelPrefix = "triplicate/v1/"
    /// Length of the master secret.
    public static let masterLength = 32

    /// The 32-byte master secret.
    public let master: [UInt8]
    /// The repository ID (the salt of repository-wide keys).
    public let repositoryID: ObjectID
    /// The keyed BLAKE2b that names chunks and trees.
    public let idHasher: KeyedBlake2b
    /// The FastCDC gear-table seed of this repository.
    public let chunkerSeed: UInt64

    /// Derives every repository-wide key from `master` and `repositoryID`.
    public init(master: [UInt8], repositoryID: ObjectID) throws(CoreError) {
        guard master.count == Self.masterLength else { throw .invalidArgument("master secret must be 32 bytes") }
        self.master = master
        self.repositoryID = repositoryID
        let idKey = try KeyDerivation.hkdfSHA256(
            ikm: master, salt: repositoryID.bytes, info: Self.labelPrefix + "chunk-id", length: 32)
        idHasher = try KeyedBlake2b(key: idKey)
        let seedBytes = try KeyDerivation.hkdfSHA256(
            ikm: master, salt: repositoryID.bytes, info: Self.labelPrefix + "chunker-seed", length: 8)
        var seed: UInt64 = 0
        for b in seedBytes.reversed() { seed = seed << 8 | UInt64(b) }
        chunkerSeed = seed
    }

    /// A fresh random master secret.
    public static func randomMaster() throws(CoreError) -> [UInt8] { try KeyDerivation.randomBytes(masterLength) }

    /// The AES-256 key of one encrypted file of `kind` with its header `salt`.
    public func fileKey(kind: FileKind, salt: [UInt8]) throws(CoreError) -> [UInt8] {
        try KeyDerivation.hkdfSHA256(ikm: master, salt: salt, info: Self.labelPrefix + kind.label, length: 32)
    }
}

/// The kinds of encrypted repository file, each with its magic bytes and its HKDF label.
@_spi(Benchmarks) public enum FileKind: Sendable, CaseIterable {
    /// A packfile: encrypted blobs and their table.
    case pack
    /// An index file: which blobs each pack holds.
    case index
    /// A snapshot: the commit record of one backup.
    case snapshot
    /// A damage record: blobs found damaged in their packs, which no command uses again (FORMAT.md §9.1).
    case damage
    /// A verification record: when packs of one copy were last read whole and found intact (FORMAT.md §9.2).
    case verified
    /// A removal record: snapshot and key files a command removed from a plan's copies (FORMAT.md §9.3).
    case removed

    /// The 8 ASCII magic bytes that begin a file of this kind.
    public var magic: [UInt8] {
        switch self {
        case .pack: Array("TRIPPACK".utf8)
        case .index: Array("TRIPINDX".utf8)
        case .snapshot: Array("TRIPSNAP".utf8)
        case .damage: Array("TRIPDAMG".utf8)
        case .verified: Array("TRIPVRFY".utf8)
        case .removed: Array("TRIPRMVD".utf8)
        }
    }

    /// The HKDF info label suffix (after `triplicate/v1/`).
    public var label: String {
        switch self {
        case .pack: "pack"
        case .index: "index"
        case .snapshot: "snapshot"
        case .damage: "damage"
        case .verified: "verified"
        case .removed: "removed"
        }
    }

    /// The repository folder that holds files of this kind.
    public var folder: String {
        switch self {
        case .pack: "data"
        case .index: "index"
        case .snapshot: "snapshots"
        case .damage: "damage"
        case .verified: "verified"
        case .removed: "removed"
        }
    }
}
