// Pack: the packfile codec — blobs compressed, sealed and concatenated, then an encrypted table and a trailer.

/// What a blob holds.
@_spi(Benchmarks) public enum BlobType: UInt8, Sendable, Hashable {
    /// File content: one chunk.
    case data = 0
    /// A directory listing (a tree).
    case tree = 1
}

/// Where one blob lies inside a pack, and how to open it.
@_spi(Benchmarks) public struct PackEntry: Sendable, Hashable {
    /// The blob's ID: keyed BLAKE2b-256 of its plaintext.
    public var id: ObjectID
    /// Data or tree.
    public var type: BlobType
    /// How the plaintext was stored before sealing.
    public var compression: Compression
    /// Byte offset of the sealed blob in the pack (also its nonce counter).
    public var offset: UInt32
    /// Length of the sealed blob: stored bytes plus the 16-byte tag.
    public var storedLength: UInt32
    /// Length of the plaintext (the chunk or tree encoding).
    public var rawLength: UInt32
    /// The blob whose plaintext this one is compressed against (compression ``Compression/zstdAgainstBase``), nil
    /// otherwise.
    public var base: ObjectID?

    /// Creates an entry.
    public init(id: ObjectID, type: BlobType, compression: Compression, offset: UInt32, storedLength: UInt32, rawLength: UInt32,
                base: ObjectID? = nil) {
        self.id = id
        self.type = type
        self.compression = compression
        self.offset = offset
        self.storedLength = storedLength
        self.rawLength = rawLength
        self.base = base
    }
}

/// When to compress a blob.
@_spi(Benchmarks) public enum CompressionPolicy: Sendable {
    /// Compress when a sample shows the data shrinks; store raw otherwise (already-compressed RAW, JPEG).
    case auto
    /// Always try zstd on the whole blob; keep it only if it shrinks.
    case always
    /// Never compress.
    case never
}

/// The constants and codecs of the packfile format (FORMAT.md, "Packs").
@_spi(Benchmarks) public enum PackFormat {
    /// Largest plaintext blob accepted, in bytes.
    public static let maxBlobSize = 64 << 20
    /// Largest pack a writer may produce.
    public static let maxPackSize: Int64 = Int64(UInt32.max)
    /// Blobs up to this length are always tried with zstd; longer ones are sampled first (FORMAT.md §13).
    public static let alwaysTryLength = 64 << 10
    /// Length of each sampled slice of a longer blob.
    public static let sampleSliceLength = 8 << 10
    /// Number of slices sampled: the first, the last, and evenly spaced ones between.
    public static let sampleSlices = 4
    /// Length of the trailer (the u32 LE length of the sealed table).
    public static let trailerLength = 4
    /// Encoded length of one table entry (an entry with compression 2 adds its base's 32-byte ID).
    public static let tableEntryLength = 42
    /// The most links from a blob to the first blob of its chain of bases stored without a base (FORMAT.md §7.2):
    /// readers refuse longer chains (a loop of bases is an endless one).
    public static let maxBaseChain = 64

    /// True when a blob record's lengths are possible (FORMAT.md §7.4): the plaintext is at most ``maxBlobSize``
    /// bytes, and the sealed blob holds at least its tag and at most the plaintext plus the tag (a stored zstd frame
    /// is always shorter than the plaintext). So no index entry or table can make a reader allocate more than
    /// 64 MiB and 16 bytes for one blob, whatever size it claims.
    public static func isValidLength(stored: UInt32, raw: UInt32) -> Bool {
        Int(raw) <= maxBlobSize && stored >= UInt32(AESGCM.tagLength) && UInt64(stored) <= UInt64(raw) + UInt64(AESGCM.tagLength)
    }

    /// The nonce of the blob sealed at `offset`: the offset as u64 LE, then four zero bytes.
    public static func blobNonce(offset: UInt32) -> [UInt8] {
        var w = ByteWriter(capacity: 12)
        w.u64(UInt64(offset))
        w.u32(0)
        return w.bytes
    }

    /// The nonce of the pack table: twelve 0xFF bytes, which no blob offset can produce.
    public static let tableNonce = [UInt8](repeating: 0xFF, count: 12)

    /// The associated data of a blob: type, compression, raw length (u32 LE) and ID, then the base's ID for a blob
    /// compressed against one.
    public static func blobAAD(type: BlobType, compression: Compression, rawLength: UInt32, id: ObjectID, base: ObjectID? = nil) -> [UInt8] {
        var w = ByteWriter(capacity: 70)
        w.u8(type.rawValue)
        w.u8(compression.rawValue)
        w.u32(rawLength)
        w.id(id)
        if let base { w.id(base) }
        return w.bytes
    }

    /// Encodes the plaintext table of `entries`.
    public static func encodeTable(_ entries: [PackEntry]) -> [UInt8] {
        var w = ByteWriter(capacity: 4 + entries.reduce(0) { $0 + tableEntryLength + ($1.base == nil ? 0 : 32) })
        w.u32(UInt32(entries.count))
        for e in entries {
            w.u8(e.type.rawValue)
            w.u8(e.compression.rawValue)
            w.u32(e.storedLength)
            w.u32(e.rawLength)
            w.id(e.id)
            if let base = e.base { w.id(base) }
        }
        return w.bytes
    }

    /// Reads the base ID that follows an entry with compression 2 (and nothing for the others); throws when a blob
    /// names itself as its base.
    static func decodeBase(_ r: inout ByteReader, compression: Compression, id: ObjectID) throws(CoreError) -> ObjectID? {
        guard compression == .zstdAgainstBase else { return nil }
        let base = try r.id()
        guard base != id else { throw r.fail("blob \(id.short) is compressed against itself") }
        return base
    }

    /// Decodes a plaintext table; offsets are rebuilt from the stored lengths, starting after the header.
    /// `packSize` is where the sealed table starts: the blobs must end exactly there.
    public static func decodeTable(_ bytes: [UInt8], packSize: Int64, context: String) throws(CoreError) -> [PackEntry] {
        var r = ByteReader(bytes, context: context + " (pack table)")
        let count = Int(try r.u32())
        guard count <= r.remaining / tableEntryLength else { throw r.fail("entry count \(count) exceeds the table") }
        var entries: [PackEntry] = []
        entries.reserveCapacity(count)
        var offset = Int64(FileHeader.length)
        for _ in 0..<count {
            guard let type = BlobType(rawValue: try r.u8()) else { throw r.fail("unknown blob type") }
            guard let compression = Compression(rawValue: try r.u8()) else { throw r.fail("unknown compression") }
            let stored = try r.u32()
            let raw = try r.u32()
            let id = try r.id()
            let base = try decodeBase(&r, compression: compression, id: id)
            guard isValidLength(stored: stored, raw: raw) else { throw r.fail("blob lengths out of range") }
            guard offset + Int64(stored) <= min(packSize, Int64(UInt32.max)) else {
                throw r.fail("blob at \(offset) runs past the end of the pack")
            }
            entries.append(PackEntry(id: id, type: type, compression: compression, offset: UInt32(offset),
                                     storedLength: stored, rawLength: raw, base: base))
            offset += Int64(stored)
        }
        try r.expectEnd()
        guard offset == packSize else { throw r.fail("the blobs end at \(offset) but the table starts at \(packSize)") }
        return entries
    }

    /// Reads the sealed table's length from the pack's last four bytes.
    public static func tableLength(trailer: [UInt8], context: String) throws(CoreError) -> Int {
        var r = ByteReader(trailer, context: context + " (trailer)")
        return Int(try r.u32())
    }

    /// True when `entry` can lie in a pack of `packSize` bytes (as a listing gives it): a pack ends with at least the
    /// tag of its sealed table and the 4-byte trailer after its last blob, so an entry ending past `packSize − 20` is cut
    /// off (FORMAT.md §9, "Packs that are gone").
    public static func fits(_ entry: PackEntry, packSize: Int64) -> Bool {
        Int64(entry.offset) + Int64(entry.storedLength) <= packSize - Int64(trailerLength + AESGCM.tagLength)
    }

    /// Where the sealed table lies in a pack of `packSize` bytes whose last four bytes are `trailer`; throws
    /// when the pack is too short to be one or the table length does not fit between header and trailer.
    public static func tableRange(trailer: [UInt8], packSize: Int64, context: String) throws(CoreError) -> Range<Int64> {
        guard packSize >= Int64(FileHeader.length + trailerLength + AESGCM.tagLength + 4) else {
            throw .malformed("\(context): truncated to \(packSize) bytes")
        }
        let length = Int64(try tableLength(trailer: trailer, context: context))
        let end = packSize - Int64(trailerLength)
        guard length >= Int64(AESGCM.tagLength), length <= end - Int64(FileHeader.length) else {
            throw .malformed("\(context): its table length \(length) does not fit in \(packSize) bytes")
        }
        return (end - length)..<end
    }

    /// Authenticates and decodes a pack's table, given its header and the sealed table bytes.
    public static func openTable(header: [UInt8], sealedTable: [UInt8], packSize: Int64, keys: RepositoryKeys, context: String) throws(CoreError) -> [PackEntry] {
        let h = try FileHeader.decode(header, expecting: .pack, context: context)
        let key = try keys.fileKey(kind: .pack, salt: h.salt)
        let plain = try AESGCM().open(key: key, nonce: tableNonce, aad: h.encoded, sealed: sealedTable,
                                      what: context + " (pack table)")
        return try decodeTable(plain, packSize: packSize, context: context)
    }

    /// ``openBlob(_:entry:packKey:keys:cipher:zstd:base:context:)`` without allocating: `sealed` (exactly the entry's
    /// stored bytes) is decrypted in place, a compressed blob is decompressed into `scratch` (at least
    /// ``maxBlobSize`` bytes, or the raw length), and the plaintext returned points into one of the two; it is
    /// valid until either is reused.
    ///
    /// A blob compressed against a base (``PackEntry/base``) needs `base`: that blob's plaintext, already opened and
    /// checked against its ID by the caller (a wrong base makes the blob fail its own ID check, never pass it).
    public static func openBlob(
        inPlace sealed: UnsafeMutableRawBufferPointer, entry: PackEntry, packKey: [UInt8], keys: RepositoryKeys,
        cipher: AESGCM, zstd: ZstdDecompressor, scratch: UnsafeMutableRawBufferPointer, base: UnsafeRawBufferPointer? = nil,
        context: @autoclosure () -> String
    ) throws(CoreError) -> UnsafeRawBufferPointer {
        let n = try authenticate(inPlace: sealed, entry: entry, packKey: packKey, cipher: cipher, context: context())
        let plain: UnsafeRawBufferPointer
        switch entry.compression {
        case .none:
            plain = UnsafeRawBufferPointer(rebasing: sealed[0..<n])
        case .zstd:
            try zstd.decompress(UnsafeRawBufferPointer(rebasing: sealed[0..<n]), into: scratch, expectedSize: Int(entry.rawLength))
            plain = UnsafeRawBufferPointer(rebasing: scratch[0..<Int(entry.rawLength)])
        case .zstdAgainstBase:
            guard let base else {
                throw .malformed("\(context()): blob \(entry.id.short) needs its base \(entry.base?.short ?? "?") to be read")
            }
            try zstd.decompress(UnsafeRawBufferPointer(rebasing: sealed[0..<n]), into: scratch, expectedSize: Int(entry.rawLength),
                                prefix: base)
            plain = UnsafeRawBufferPointer(rebasing: scratch[0..<Int(entry.rawLength)])
        }
        guard plain.count == Int(entry.rawLength) else {
            throw .malformed("\(context()): blob \(entry.id.short) has \(plain.count) bytes, expected \(entry.rawLength)")
        }
        guard keys.idHasher.id(plain) == entry.id else {
            throw .malformed("\(context()): blob \(entry.id.short) does not hash to its ID")
        }
        return plain
    }

    /// Authenticates and decrypts one blob in place, without decompressing it: returns the length of its stored form,
    /// which then fills the start of `sealed`. Lengths and the entry's base are checked first; the frame of a blob stored
    /// against a base is checked to be exactly one frame recording rawLength bytes (all that can be known of it while
    /// its base's plaintext is not at hand; ``openBlob(inPlace:entry:packKey:keys:cipher:zstd:scratch:base:context:)``
    /// goes on to decompress and re-hash).
    public static func authenticate(
        inPlace sealed: UnsafeMutableRawBufferPointer, entry: PackEntry, packKey: [UInt8], cipher: AESGCM, context: @autoclosure () -> String
    ) throws(CoreError) -> Int {
        guard sealed.count == Int(entry.storedLength) else {
            throw .malformed("\(context()): blob \(entry.id.short) has \(sealed.count) bytes, expected \(entry.storedLength)")
        }
        guard isValidLength(stored: entry.storedLength, raw: entry.rawLength) else {
            throw .malformed("\(context()): blob \(entry.id.short) has impossible lengths (\(entry.storedLength) stored, \(entry.rawLength) plain)")
        }
        guard (entry.compression == .zstdAgainstBase) == (entry.base != nil) else {
            throw .malformed("\(context()): blob \(entry.id.short) names a base only with compression 2")
        }
        let aad = blobAAD(type: entry.type, compression: entry.compression, rawLength: entry.rawLength, id: entry.id, base: entry.base)
        let n = try cipher.open(key: packKey, nonce: blobNonce(offset: entry.offset), aad: aad, sealed: UnsafeRawBufferPointer(sealed),
                                into: sealed, what: "\(context()) blob \(entry.id.short)")
        if entry.compression == .zstdAgainstBase {
            do { try ZstdDecompressor.checkFrame(UnsafeRawBufferPointer(rebasing: sealed[0..<n]), contentSize: Int(entry.rawLength)) } catch {
                throw .malformed("\(context()): blob \(entry.id.short): \(error)")
            }
        }
        return n
    }

    /// Authenticates, decrypts and decompresses one blob and checks that its plaintext hashes to its ID.
    ///
    /// - Parameters:
    ///   - sealed: exactly the entry's `storedLength` bytes at its offset.
    ///   - packKey: the pack's key (``RepositoryKeys/fileKey(kind:salt:)`` with the header's salt).
    ///   - base: for a blob compressed against a base, that blob's plaintext (checked against its ID by the caller).
    public static func openBlob(
        _ sealed: UnsafeRawBufferPointer, entry: PackEntry, packKey: [UInt8], keys: RepositoryKeys,
        cipher: AESGCM, zstd: ZstdDecompressor, base: [UInt8]? = nil, context: @autoclosure () -> String
    ) throws(CoreError) -> [UInt8] {
        // A copy to open in place, and room for the plaintext when it is compressed.
        var copy = Array(sealed)
        var scratch = [UInt8](repeating: 0, count: entry.compression == .none ? 0 : Int(min(entry.rawLength, UInt32(maxBlobSize))))
        return try copy.withUnsafeMutableBytesTyped { (c) throws(CoreError) -> [UInt8] in
            try scratch.withUnsafeMutableBytesTyped { (s) throws(CoreError) -> [UInt8] in
                guard let base else {
                    return Array(try openBlob(inPlace: c, entry: entry, packKey: packKey, keys: keys, cipher: cipher, zstd: zstd,
                                              scratch: s, context: context()))
                }
                return try base.withUnsafeBytesTyped { (b) throws(CoreError) -> [UInt8] in
                    Array(try openBlob(inPlace: c, entry: entry, packKey: packKey, keys: keys, cipher: cipher, zstd: zstd,
                                       scratch: s, base: b, context: context()))
                }
            }
        }
    }
}

/// Builds one pack: compresses, seals and appends blobs, then seals the table.
///
/// The pack's bytes accumulate in memory until ``drain(_:)`` hands them out, so a writer can stream a pack to
/// a file blob by blob and hold only one sealed blob in memory; the SHA-256 that names the pack is computed as the
/// bytes pass. A caller that never drains gets the whole pack from ``finish()``.
///
/// Not thread safe; one builder per worker. The pack key comes from a fresh random salt, so a rebuilt pack
/// never reuses a (key, nonce) pair.
@_spi(Benchmarks) public final class PackBuilder {
    private let keys: RepositoryKeys
    private var header: FileHeader
    private var packKey: [UInt8]
    private let cipher: AESGCM
    private let zstd: ZstdCompressor
    private let probe: ZstdCompressor
    private var hasher: SHA256.Hasher
    private var scratch: [UInt8] = []
    /// The frame against a base, when a blob has one.
    private var baseScratch: [UInt8] = []
    /// Where a frame against a base is decoded again before it is kept.
    private var verifyScratch: [UInt8] = []
    private var unzstd: ZstdDecompressor?
    /// Where ``add(type:id:data:policy:sink:)`` seals, one piece at a time.
    private var sealBuffer: UnsafeMutableRawBufferPointer?
    /// Size of the pieces a streamed blob is sealed in.
    public static let streamPieceSize = 1 << 20
    /// Bytes produced but not yet handed out by ``drain(_:)``.
    private var pending: [UInt8]
    /// Bytes already handed out.
    private var drained = 0
    /// The entries added so far.
    public private(set) var entries: [PackEntry] = []
    /// Sum of the plaintext lengths added.
    public private(set) var rawBytes: Int64 = 0

    /// Starts a new pack. `reserve` is the capacity to set aside for the bytes held between drains.
    public init(keys: RepositoryKeys, level: Int32 = 3, reserve: Int = 0) throws(CoreError) {
        self.keys = keys
        header = try FileHeader.fresh(.pack)
        packKey = try keys.fileKey(kind: .pack, salt: header.salt)
        cipher = try AESGCM()
        zstd = try ZstdCompressor(level: level)
        probe = try ZstdCompressor(level: 1)
        hasher = try SHA256.Hasher()
        pending = header.encoded
        pending.reserveCapacity(reserve)
    }

    deinit { sealBuffer?.deallocate() }

    /// Starts the next pack with a fresh salt (so a fresh key), keeping the buffers and compression contexts.
    public func reset() throws(CoreError) {
        header = try FileHeader.fresh(.pack)
        packKey = try keys.fileKey(kind: .pack, salt: header.salt)
        hasher = try SHA256.Hasher()
        pending.removeAll(keepingCapacity: true)
        pending.append(contentsOf: header.encoded)
        drained = 0
        entries = []
        rawBytes = 0
    }

    /// Current size of the pack in bytes (before the table), drained or not.
    public var size: Int { drained + pending.count }

    /// True when no blob has been added.
    public var isEmpty: Bool { entries.isEmpty }

    /// Hands the bytes produced since the last drain to `body` (in pack order) and forgets them.
    public func drain<E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> Void) throws(E) {
        guard !pending.isEmpty else { return }
        try pending.withUnsafeBytesTyped { (p) throws(E) in
            hasher.update(p)
            try body(p)
        }
        drained += pending.count
        pending.removeAll(keepingCapacity: true)
    }

    /// Decides whether compressing `data` is worth it: blobs up to 64 KiB are simply tried; for larger ones four
    /// 8 KiB slices spread over the blob (its start, its end, and two evenly between) are compressed at zstd
    /// level 1, and the blob is compressed only if together they shrank by at least 3%. Slices from the whole
    /// blob, not just its start, matter for RAW files: their first chunk begins with an embedded JPEG preview
    /// that does not shrink, followed by sensor data that does. The cost on already-compressed data stays
    /// about 2% of a full compression.
    private func worthCompressing(_ data: UnsafeRawBufferPointer) throws(CoreError) -> Bool {
        let slice = PackFormat.sampleSliceLength, slices = PackFormat.sampleSlices
        guard data.count > PackFormat.alwaysTryLength else { return true }
        var compressed = 0
        for k in 0..<slices {
            let start = (data.count - slice) * k / (slices - 1)
            scratch.removeAll(keepingCapacity: true)
            let sample = UnsafeRawBufferPointer(rebasing: data[start..<(start + slice)])
            // A slice that does not shrink at all counts at its full length.
            compressed += try probe.compress(sample, into: &scratch, limit: slice - 1) ? scratch.count : slice
        }
        return compressed <= slice * slices * 97 / 100
    }

    /// Compresses `data` into `scratch` when `policy` and the data call for it; returns the compression used.
    private func compressIfWorthIt(_ data: UnsafeRawBufferPointer, policy: CompressionPolicy) throws(CoreError) -> Compression {
        guard data.count <= PackFormat.maxBlobSize else { throw .invalidArgument("blob of \(data.count) bytes exceeds the maximum") }
        guard Int64(size) + Int64(data.count) + 1024 < PackFormat.maxPackSize else {
            throw .invalidArgument("pack would exceed 4 GiB")
        }
        scratch.removeAll(keepingCapacity: true)
        let tryIt: Bool
        switch policy {
        case .never: tryIt = false
        case .always: tryIt = true
        case .auto: tryIt = try worthCompressing(data)
        }
        if tryIt {
            scratch.removeAll(keepingCapacity: true)
            if try zstd.compress(data, into: &scratch, limit: data.count - 1) { return .zstd }
        }
        return .none
    }

    /// Compresses `data` against `base` into `baseScratch` when that beats what ``compressIfWorthIt(_:policy:)`` left in
    /// `scratch` (compression `alone`) by at least half (FORMAT.md §13): a blob that has drifted far from its base is
    /// stored alone, and becomes the base of its next version.
    private func compressAgainst(_ base: UnsafeRawBufferPointer, _ data: UnsafeRawBufferPointer, alone: Compression) throws(CoreError) -> Bool {
        let limit = (alone == .zstd ? scratch.count : data.count) / 2
        baseScratch.removeAll(keepingCapacity: true)
        guard limit > 0, try zstd.compress(data, against: base, into: &baseScratch, limit: limit) else { return false }
        // Decoded again against the same base before it is kept: a reader can check such a blob only once it has read
        // the base's whole chain, so the writer makes sure now.
        let decoder: ZstdDecompressor
        if let d = unzstd { decoder = d } else {
            decoder = try ZstdDecompressor()
            unzstd = decoder
        }
        if verifyScratch.count < data.count { verifyScratch = [UInt8](repeating: 0, count: data.count) }
        let same = try baseScratch.withUnsafeBytesTyped { (frame) throws(CoreError) -> Bool in
            try verifyScratch.withUnsafeMutableBytesTyped { (out) throws(CoreError) -> Bool in
                do { try decoder.decompress(frame, into: out, expectedSize: data.count, prefix: base) } catch { return false }
                return UnsafeRawBufferPointer(rebasing: out[0..<data.count]).elementsEqual(data)
            }
        }
        return same
    }

    private func record(type: BlobType, id: ObjectID, compression: Compression, offset: UInt32, rawLength: Int, base: ObjectID? = nil) -> PackEntry {
        let entry = PackEntry(id: id, type: type, compression: compression, offset: offset,
                              storedLength: UInt32(size) - offset, rawLength: UInt32(rawLength), base: base)
        entries.append(entry)
        rawBytes += Int64(rawLength)
        return entry
    }

    /// Compresses (per `policy`), seals and appends one blob; returns its entry.
    @discardableResult
    public func add(type: BlobType, id: ObjectID, data: UnsafeRawBufferPointer, policy: CompressionPolicy) throws(CoreError) -> PackEntry {
        let compression = try compressIfWorthIt(data, policy: policy)
        let offset = UInt32(size)
        let aad = PackFormat.blobAAD(type: type, compression: compression, rawLength: UInt32(data.count), id: id)
        let nonce = PackFormat.blobNonce(offset: offset)
        if compression == .zstd {
            try scratch.withUnsafeBytesTyped { (s) throws(CoreError) in
                try cipher.seal(key: packKey, nonce: nonce, aad: aad, plaintext: s, into: &pending)
            }
        } else {
            try cipher.seal(key: packKey, nonce: nonce, aad: aad, plaintext: data, into: &pending)
        }
        return record(type: type, id: id, compression: compression, offset: offset, rawLength: data.count)
    }

    /// Like ``add(type:id:data:policy:)``, but hands the pack's bytes to `sink` as they are produced: first any
    /// bytes not yet drained, then the sealed blob in pieces of ``streamPieceSize``. The builder then holds no
    /// more than one piece (plus the compressed blob, for data that shrinks). A failure of `sink` is returned,
    /// and the pack must then be abandoned.
    ///
    /// With `base` (the ID and plaintext of another blob: the previous version of this block of a database), the blob
    /// is compressed against it when that takes at most half of what compressing it alone would and the frame decodes
    /// back to the blob (FORMAT.md §13), and stored with compression 2.
    public func add<E: Error>(
        type: BlobType, id: ObjectID, data: UnsafeRawBufferPointer, policy: CompressionPolicy,
        base: (id: ObjectID, plaintext: UnsafeRawBufferPointer)? = nil,
        sink: (UnsafeRawBufferPointer) throws(E) -> Void
    ) throws(CoreError) -> Result<PackEntry, E> {
        let compression = try compressIfWorthIt(data, policy: policy)
        if let base, base.id != id, try compressAgainst(base.plaintext, data, alone: compression) {
            return try baseScratch.withUnsafeBytesTyped { (s) throws(CoreError) in
                try append(type: type, id: id, payload: s, compression: .zstdAgainstBase, rawLength: data.count, base: base.id, sink: sink)
            }
        }
        if compression == .zstd {
            return try scratch.withUnsafeBytesTyped { (s) throws(CoreError) in
                try append(type: type, id: id, payload: s, compression: compression, rawLength: data.count, sink: sink)
            }
        }
        return try append(type: type, id: id, payload: data, compression: .none, rawLength: data.count, sink: sink)
    }

    /// Like ``add(type:id:data:policy:sink:)`` for a blob already in its stored form: `payload` is what another pack
    /// held for it once opened (compressed when `compression` is zstd, of `rawLength` bytes uncompressed). Prune copies
    /// the blobs it keeps this way, re-sealed under this pack's key without compressing them again; the caller has
    /// verified the blob (opened, decompressed, re-hashed).
    /// A blob stored against a base keeps it: `base` is the entry's ``PackEntry/base``.
    public func addStored<E: Error>(
        type: BlobType, id: ObjectID, payload: UnsafeRawBufferPointer, compression: Compression, rawLength: Int, base: ObjectID? = nil,
        sink: (UnsafeRawBufferPointer) throws(E) -> Void
    ) throws(CoreError) -> Result<PackEntry, E> {
        guard rawLength <= PackFormat.maxBlobSize, payload.count <= rawLength else {
            throw .invalidArgument("stored blob of \(payload.count) bytes (\(rawLength) plain) exceeds the maximum")
        }
        guard (compression == .zstdAgainstBase) == (base != nil) else {
            throw .invalidArgument("blob \(id.short): a base goes with compression 2 and only with it")
        }
        guard Int64(size) + Int64(payload.count) + 1024 < PackFormat.maxPackSize else { throw .invalidArgument("pack would exceed 4 GiB") }
        return try append(type: type, id: id, payload: payload, compression: compression, rawLength: rawLength, base: base, sink: sink)
    }

    /// Seals `payload` as the next blob, handing the bytes to `sink` in pieces.
    private func append<E: Error>(
        type: BlobType, id: ObjectID, payload: UnsafeRawBufferPointer, compression: Compression, rawLength: Int, base: ObjectID? = nil,
        sink: (UnsafeRawBufferPointer) throws(E) -> Void
    ) throws(CoreError) -> Result<PackEntry, E> {
        do { try drain(sink) } catch { return .failure(error) }
        let buffer: UnsafeMutableRawBufferPointer
        if let b = sealBuffer { buffer = b } else {
            buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.streamPieceSize, alignment: 64)
            sealBuffer = buffer
        }
        let offset = UInt32(size)
        let aad = PackFormat.blobAAD(type: type, compression: compression, rawLength: UInt32(rawLength), id: id, base: base)
        let nonce = PackFormat.blobNonce(offset: offset)
        let hasher = self.hasher
        var written = 0
        func emit(_ piece: UnsafeRawBufferPointer) throws(E) {
            hasher.update(piece)
            written += piece.count
            try sink(piece)
        }
        let result = try cipher.seal(key: packKey, nonce: nonce, aad: aad, plaintext: payload, through: buffer, emit: emit)
        drained += written
        if case .failure(let e) = result { return .failure(e) }
        return .success(record(type: type, id: id, compression: compression, offset: offset, rawLength: rawLength, base: base))
    }

    /// Seals the table, appends it and the trailer, and returns the pack's name (SHA-256 of all its bytes), the
    /// bytes not yet drained (the whole pack when ``drain(_:)`` was never called) and the entries.
    /// The builder must not be used afterwards.
    public func finish() throws(CoreError) -> (id: ObjectID, bytes: [UInt8], entries: [PackEntry]) {
        let table = PackFormat.encodeTable(entries)
        let before = pending.count
        try table.withUnsafeBytesTyped { (t) throws(CoreError) in
            try cipher.seal(key: packKey, nonce: PackFormat.tableNonce, aad: header.encoded, plaintext: t, into: &pending)
        }
        var w = ByteWriter(capacity: 4)
        w.u32(UInt32(pending.count - before))
        pending.append(contentsOf: w.bytes)
        let tail = pending
        pending = []
        tail.withUnsafeBytesTyped { hasher.update($0) }
        return (hasher.finalize(), tail, entries)
    }
}

/// `PackBuilder` owns a mutable C context (or buffers) and must stay on one task at a time: not `Sendable`.
@available(*, unavailable)
extension PackBuilder: Sendable {}
