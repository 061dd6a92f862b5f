// FuzzTargets: one entry point per decoder of repository bytes, for libFuzzer (`make fuzz`) and for the deterministic
// mutation loop that `make test` runs over the corpus in Fuzz/corpus.
@_spi(Benchmarks) public import TriplicateCore
internal import Foundation

/// A decoder fed untrusted bytes. Whatever the input, a target must return: a trap, a hang or an unbounded allocation
/// is a finding. Some targets also check a property (a listing that decodes re-encodes to the same bytes).
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// `keys/<id>`: the JSON, its scrypt bounds, and (with cheap parameters) the unwrapping.
    case keyFile = "key-file"
    /// `config`.
    case config
    /// Index, snapshot and damage files: the 44-byte header and GCM opening of the raw input, then the input sealed as a
    /// plaintext (compression flag and payload) and opened again, through zstd and the payload decoder.
    case sealedFile = "sealed-file"
    /// The payload of an index file.
    case index
    /// A pack's table: the trailer and range arithmetic, the plaintext decoder, and a sealed table opened.
    case packTable = "pack-table"
    /// One blob opened in place (GCM, zstd, re-hash) as restore reads it.
    case blob
    /// A tree encoding (a folder listing); one that decodes must re-encode to the same bytes.
    case listing
    /// A snapshot record's JSON.
    case snapshot
    /// A damage record's JSON.
    case damageRecord = "damage-record"
    /// A verification record's JSON.
    case verificationRecord = "verification-record"
    /// A removal record's JSON.
    case removalRecord = "removal-record"

    /// The keys every target uses: a fixed master secret and repository ID.
    package static let keys: RepositoryKeys = {
        do { return try RepositoryKeys(master: [UInt8](repeating: 0x42, count: 32), repositoryID: ObjectID(bytes: [UInt8](repeating: 0x24, count: 32))) } catch {
            fatalError("the fuzz keys cannot be derived: \(error)")
        }
    }()

    /// Runs the decoder on `data`. Errors are expected; returning is all that is asked, except for the properties the
    /// targets check, which stop the process when they do not hold.
    public func run(_ data: [UInt8]) {
        switch self {
        case .keyFile: Self.keyFile(data)
        case .config: _ = try? RepositoryConfig.decode(data)
        case .sealedFile: Self.sealedFile(data)
        case .index: _ = try? IndexFile.decode(data, context: "fuzz")
        case .packTable: Self.packTable(data)
        case .blob: Self.blob(data)
        case .listing: Self.listing(data)
        case .snapshot:
            if let record = try? SnapshotRecord.decode(data, context: "fuzz") { _ = (record.date, record.treeID, record.parentID) }
        case .damageRecord: _ = try? DamageRecord.decode(data, context: "fuzz")
        case .verificationRecord:
            if let record = try? VerificationRecord.decode(data, context: "fuzz") { _ = record.packs.map(\.parsed) }
        case .removalRecord:
            if let record = try? RemovalRecord.decode(data, context: "fuzz") { precondition(record.names.allSatisfy(RemovalRecord.mayName)) }
        }
    }

    private static func keyFile(_ data: [UInt8]) {
        guard let file = try? KeyFile.decode(data, context: "fuzz") else { return }
        let p = KeyDerivation.ScryptParameters(n: file.kdf.n, r: file.kdf.r, p: file.kdf.p)
        // Only cheap parameters are tried: the bounds themselves are what matters for larger ones.
        guard p.isAcceptable, p.n * p.r * p.p <= 1 << 12 else { return }
        _ = try? file.open(password: "fuzz", repositoryID: keys.repositoryID, context: "fuzz")
    }

    private static func sealedFile(_ data: [UInt8]) {
        guard let selector = data.first else { return }
        let kinds: [FileKind] = [.index, .snapshot, .damage]
        let kind = kinds[Int(selector) % kinds.count]
        let rest = Array(data.dropFirst())
        _ = try? SealedFile.open(rest, kind: kind, keys: keys, context: "fuzz")
        // The input as the plaintext of a sealed file: GCM passes, the flag and the zstd frame are what is tested.
        guard let header = try? FileHeader.fresh(kind), let key = try? keys.fileKey(kind: kind, salt: header.salt),
              let sealed = try? AESGCM().seal(key: key, nonce: [UInt8](repeating: 0, count: 12), aad: header.encoded, plaintext: rest),
              let payload = try? SealedFile.open(header.encoded + sealed, kind: kind, keys: keys, context: "fuzz") else { return }
        switch kind {
        case .index: _ = try? IndexFile.decode(payload, context: "fuzz")
        case .snapshot: _ = try? SnapshotRecord.decode(payload, context: "fuzz")
        case .damage: _ = try? DamageRecord.decode(payload, context: "fuzz")
        case .verified: _ = try? VerificationRecord.decode(payload, context: "fuzz")
        case .removed: _ = try? RemovalRecord.decode(payload, context: "fuzz")
        case .pack: break
        }
    }

    private static func packTable(_ data: [UInt8]) {
        guard data.count >= 12 else { return }
        var size: UInt64 = 0
        for b in data.prefix(8).reversed() { size = size << 8 | UInt64(b) }
        let packSize = Int64(bitPattern: size)
        let table = Array(data.dropFirst(8))
        _ = try? PackFormat.tableRange(trailer: Array(table.suffix(4)), packSize: packSize, context: "fuzz")
        _ = try? PackFormat.decodeTable(table, packSize: packSize, context: "fuzz")
        guard let header = try? FileHeader.fresh(.pack), let key = try? keys.fileKey(kind: .pack, salt: header.salt),
              let sealed = try? AESGCM().seal(key: key, nonce: PackFormat.tableNonce, aad: header.encoded, plaintext: table) else { return }
        _ = try? PackFormat.openTable(header: header.encoded, sealedTable: sealed, packSize: packSize, keys: keys, context: "fuzz")
    }

    private static func blob(_ data: [UInt8]) {
        // The first 14 bytes are the entry (type, compression, stored and raw lengths, an offset); the rest is sealed as
        // the blob's stored bytes, so that GCM passes and zstd, the lengths and the re-hash are what is tested. A blob
        // with compression 2 is decoded against a fixed 4 KiB base.
        guard data.count >= 14, let key = try? keys.fileKey(kind: .pack, salt: [UInt8](repeating: 7, count: 32)) else { return }
        var r = ByteReader(data, context: "fuzz")
        guard let type = BlobType(rawValue: ((try? r.u8()) ?? 0) & 1), let compression = Compression(rawValue: ((try? r.u8()) ?? 0) % 3),
              let raw = try? r.u32(), let offset = try? r.u32(), let claimed = try? r.u32() else { return }
        let stored = Array(data.dropFirst(14))
        let id = ObjectID(bytes: Array(repeating: UInt8(truncatingIfNeeded: claimed), count: 32))
        let baseID: ObjectID? = compression == .zstdAgainstBase ? keys.idHasher.id(fuzzBase) : nil
        let aad = PackFormat.blobAAD(type: type, compression: compression, rawLength: raw, id: id, base: baseID)
        guard var sealed = try? AESGCM().seal(key: key, nonce: PackFormat.blobNonce(offset: offset), aad: aad, plaintext: stored),
              let cipher = try? AESGCM(), let zstd = try? ZstdDecompressor() else { return }
        let entry = PackEntry(id: id, type: type, compression: compression, offset: offset, storedLength: UInt32(sealed.count), rawLength: raw,
                              base: baseID)
        // Decompression writes into the scratch: as large as the entry's (valid) plaintext, else a token buffer.
        let valid = PackFormat.isValidLength(stored: entry.storedLength, raw: raw) && compression != .none
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: valid ? max(Int(raw), 1) : 1, alignment: 64)
        defer { scratch.deallocate() }
        sealed.withUnsafeMutableBytes { s in
            fuzzBase.withUnsafeBytes { b in
                _ = try? PackFormat.openBlob(inPlace: s, entry: entry, packKey: key, keys: keys, cipher: cipher, zstd: zstd, scratch: scratch,
                                             base: baseID == nil ? nil : b, context: "fuzz")
            }
        }
    }

    /// The base a fuzzed blob with compression 2 decodes against.
    static let fuzzBase: [UInt8] = (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 7) }

    private static func listing(_ data: [UInt8]) {
        guard let tree = try? Tree.decode(data, context: "fuzz") else { return }
        // Canonical: a listing that decodes is exactly the encoding of what it decodes to.
        guard tree.encode() == data else { fatalError("a listing decodes but does not re-encode to the same bytes") }
        for node in tree.nodes { _ = (TreeNode.isSafeName(node.name), node.nameString) }
    }
}

/// The deterministic mutations of the corpus that `make test` runs (and `triplicate-fuzz` without libFuzzer): flipped
/// bits, boundary integers written over lengths and counts, bytes inserted, removed, repeated, and inputs spliced.
public struct Mutator: Sendable {
    private var state: UInt64

    /// A mutator seeded with `seed`: the same seed gives the same mutations.
    public init(seed: UInt64) { state = seed }

    private mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    private mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }

    private static let boundaries: [UInt64] = [0, 1, 2, 15, 16, 17, 43, 44, 45, 0x7F, 0x80, 0xFF, 0xFFFF, 1 << 20, 1 << 26, (1 << 26) + 16,
                                               0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 1 << 32, 0x7FFF_FFFF_FFFF_FFFF, .max]

    /// `input` changed in one to four ways; `others` are spliced in now and then.
    public mutating func mutate(_ input: [UInt8], others: [[UInt8]]) -> [UInt8] {
        var out = input
        for _ in 0...below(4) {
            switch below(7) {
            case 0 where !out.isEmpty:
                out[below(out.count)] ^= UInt8(1 << below(8))
            case 1 where !out.isEmpty:
                out[below(out.count)] = [0, 1, 0x7F, 0x80, 0xFF][below(5)]
            case 2 where out.count >= 8:
                let width = [1, 2, 4, 8][below(4)]
                let at = below(out.count - width + 1)
                let v = Self.boundaries[below(Self.boundaries.count)]
                for i in 0..<width { out[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) }
            case 3:
                let at = below(out.count + 1)
                out.insert(contentsOf: (0..<(1 + below(16))).map { _ in UInt8(truncatingIfNeeded: next()) }, at: at)
            case 4 where !out.isEmpty:
                let at = below(out.count)
                out.removeSubrange(at..<min(out.count, at + 1 + below(32)))
            case 5 where !out.isEmpty:
                let at = below(out.count)
                let part = out[at..<min(out.count, at + 1 + below(64))]
                out.insert(contentsOf: part, at: below(out.count + 1))
            case 6 where !others.isEmpty:
                let other = others[below(others.count)]
                if !other.isEmpty {
                    let from = below(other.count)
                    out = Array(out.prefix(below(out.count + 1))) + other[from...]
                }
            default:
                out.append(UInt8(truncatingIfNeeded: next()))
            }
        }
        return out
    }
}

extension FuzzTarget {
    /// Valid inputs for the target, made with the fixed keys: the starting corpus (`triplicate-fuzz seeds DIR` writes
    /// them to `DIR/<target>/`).
    public func seeds() throws -> [[UInt8]] {
        let keys = Self.keys
        let a = ObjectID(bytes: [UInt8](repeating: 0xA1, count: 32)), b = ObjectID(bytes: [UInt8](repeating: 0xB2, count: 32))
        let entries = [
            PackEntry(id: a, type: .data, compression: .none, offset: 44, storedLength: 1016, rawLength: 1000),
            PackEntry(id: b, type: .tree, compression: .zstd, offset: 1060, storedLength: 60, rawLength: 200),
            // A block of a database stored against the previous version of it (compression 2).
            PackEntry(id: b, type: .data, compression: .zstdAgainstBase, offset: 1120, storedLength: 40, rawLength: 262_144, base: a),
        ]
        let index = IndexFile(packs: [IndexFile.Pack(id: a, entries: entries), IndexFile.Pack(id: b, entries: [])]).encode()
        let when = Date(timeIntervalSince1970: 1_764_500_000)
        let snapshot = try SnapshotRecord(time: when, tree: a, paths: ["/home/anna/Photos"], hostname: "studio", username: "anna",
                                          tags: ["daily"], excludes: ["*.tmp"], parent: b, summary: SnapshotSummary()).encode()
        let damage = try DamageRecord(time: when, hostname: "studio", found: "check --read-data",
                                      packs: [DamageRecord.Pack(pack: a, blobs: [b], problem: "1 blob fails")]).encode()
        let file = TreeNode(name: Array("DSC_0001.NEF".utf8), mode: 0o644, mtime: Timestamp(seconds: 1_562_241_600, nanoseconds: 5),
                            size: 1000, content: .file(chunks: [a, b], profile: 3, ctime: Timestamp(seconds: 1, nanoseconds: 2), inode: 77))
        let dir = TreeNode(name: Array("2019".utf8), mode: 0o755, mtime: Timestamp(seconds: 0, nanoseconds: 0), size: 0, content: .directory(tree: b))
        let link = TreeNode(name: Array("latest.NEF".utf8), mode: 0o777, mtime: Timestamp(seconds: -1, nanoseconds: 0), size: 4,
                            content: .symlink(target: Array("2019".utf8)))
        let zstd = try ZstdCompressor(level: 3)
        switch self {
        case .keyFile:
            return [try KeyFile.create(master: keys.master, password: "fuzz", repositoryID: keys.repositoryID,
                                       parameters: .init(n: 16, r: 1, p: 1), hostname: "studio", now: when).encode()]
        case .config:
            return [try RepositoryConfig(id: keys.repositoryID).encode()]
        case .sealedFile:
            return [[0, 0] + index, [1, 0] + snapshot, [1, 1] + (try zstd.compress(snapshot)), [2, 0] + damage,
                    [0] + (try SealedFile.seal(index, kind: .index, keys: keys))]
        case .index:
            return [index, IndexFile(packs: []).encode()]
        case .packTable:
            var size = ByteWriter()
            size.u64(1120 + 40)
            return [size.bytes + PackFormat.encodeTable(entries)]
        case .blob:
            var w = ByteWriter()
            w.u8(0)
            w.u8(0)
            w.u32(16)
            w.u32(44)
            w.u32(0xA1)
            let plain = Array("sixteen bytes!!!".utf8)
            var z = ByteWriter()
            z.u8(1)
            z.u8(1)
            z.u32(4096)
            z.u32(1060)
            z.u32(0xB2)
            // Compression 2: the fixed base with a few bytes changed, compressed against it.
            var edited = Self.fuzzBase
            edited[100] ^= 0xFF
            edited[3000] ^= 0xFF
            var frame: [UInt8] = []
            _ = try edited.withUnsafeBytes { e in
                try Self.fuzzBase.withUnsafeBytes { b in try zstd.compress(e, against: b, into: &frame, limit: e.count) }
            }
            var d = ByteWriter()
            d.u8(0)
            d.u8(2)
            d.u32(UInt32(edited.count))
            d.u32(2000)
            d.u32(0xC3)
            return [w.bytes + plain, z.bytes + (try zstd.compress([UInt8](repeating: 0x55, count: 4096))), d.bytes + frame]
        case .listing:
            // A listing with extended attributes (version 2) beside the first release's encoding.
            var tagged = file
            tagged.attributes = [ExtendedAttribute(name: Array("user.rating".utf8), value: Array("5".utf8)),
                                 ExtendedAttribute(name: Array("user.xdg.tags".utf8), value: Array("portfolio".utf8))]
            return [try Tree(nodes: [file, dir, link]).encode(), try Tree(nodes: []).encode(), try Tree(nodes: [tagged, dir, link]).encode()]
        case .snapshot:
            return [snapshot]
        case .damageRecord:
            return [damage]
        case .verificationRecord:
            return [try VerificationRecord(hostname: "studio", packs: [.init(pack: a, time: when), .init(pack: b, time: when)]).encode(),
                    try VerificationRecord(hostname: "studio", packs: []).encode()]
        case .removalRecord:
            return [try RemovalRecord(operation: "forget", hostname: "studio", names: ["snapshots/" + a.hex, "keys/" + b.hex], time: when).encode()]
        }
    }
}
