// PackTests: PackBuilder → finish → openTable/openBlob round trips, compression choices, tampering and the pack's name.

@_spi(Benchmarks) import TriplicateCore
import Testing

@testable import TriplicateCore

/// A finished pack split into the parts a reader fetches: header, sealed table, and blobs.
struct OpenedPack {
    var id: ObjectID
    var bytes: [UInt8]
    var entries: [PackEntry]
    var keys: RepositoryKeys

    /// Reads the table the way a reader does: header, trailer, then the sealed table before it.
    func table(keys: RepositoryKeys? = nil, bytes: [UInt8]? = nil) throws -> [PackEntry] {
        let b = bytes ?? self.bytes
        let tableLength = try PackFormat.tableLength(trailer: Array(b.suffix(PackFormat.trailerLength)), context: "pack")
        let tableEnd = b.count - PackFormat.trailerLength
        let tableStart = tableEnd - tableLength
        guard tableStart >= FileHeader.length else { throw CoreError.malformed("test: trailer points before the blobs") }
        // `packSize` is where the sealed table starts: the blobs must end exactly there.
        return try PackFormat.openTable(
            header: Array(b.prefix(FileHeader.length)), sealedTable: Array(b[tableStart..<tableEnd]),
            packSize: Int64(tableStart), keys: keys ?? self.keys, context: "pack")
    }

    /// Opens the blob of `entry` from `bytes` (the pack's, unless altered ones are given).
    func blob(_ entry: PackEntry, bytes: [UInt8]? = nil, keys: RepositoryKeys? = nil) throws -> [UInt8] {
        let b = bytes ?? self.bytes
        let k = keys ?? self.keys
        let header = try FileHeader.decode(b, expecting: .pack, context: "pack")
        let packKey = try k.fileKey(kind: .pack, salt: header.salt)
        let range = Int(entry.offset)..<Int(entry.offset + entry.storedLength)
        return try b.withUnsafeBytes { raw in
            try PackFormat.openBlob(UnsafeRawBufferPointer(rebasing: raw[range]), entry: entry, packKey: packKey,
                                    keys: k, cipher: AESGCM(), zstd: ZstdDecompressor(), context: "pack")
        }
    }
}

/// Keys for tests: a master secret of `seed`-derived bytes and a fixed repository ID.
func testKeys(seed: UInt64 = 1) throws -> RepositoryKeys {
    try RepositoryKeys(master: pseudoRandomBytes(count: 32, seed: seed), repositoryID: ObjectID(bytes: [UInt8](repeating: 0xA5, count: 32)))
}

@Suite("Packs")
struct PackTests {
    /// Blobs of every shape: compressible and random data, tiny and large (over 64 KiB, so `.auto` samples them),
    /// plus a tree. Built once.
    static let blobs: [(type: BlobType, data: [UInt8])] = [
        (.data, patternedBytes(count: 100_000)),
        (.data, pseudoRandomBytes(count: 100_000, seed: 11)),
        (.data, patternedBytes(count: 1000)),
        (.data, pseudoRandomBytes(count: 1000, seed: 12)),
        (.data, []),
        (.data, [0x42]),
        (.tree, try! Tree(nodes: TreeSamples.all).encode()),
    ]

    /// One pack built with `.auto`, shared by the tests that only read it.
    static let shared: OpenedPack = try! build(policy: .auto, keys: testKeys()).0

    static func build(policy: CompressionPolicy, keys: RepositoryKeys) throws -> (OpenedPack, [[UInt8]]) {
        let builder = try PackBuilder(keys: keys)
        #expect(builder.isEmpty && builder.size == FileHeader.length)
        var datas: [[UInt8]] = []
        var raw: Int64 = 0
        for (type, data) in blobs {
            let id = keys.idHasher.id(data)
            let entry = try data.withUnsafeBytes { try builder.add(type: type, id: id, data: $0, policy: policy) }
            #expect(entry.id == id && entry.type == type && entry.rawLength == UInt32(data.count))
            #expect(Int(entry.offset) + Int(entry.storedLength) == builder.size)
            datas.append(data)
            raw += Int64(data.count)
        }
        #expect(builder.rawBytes == raw)
        let (id, bytes, entries) = try builder.finish()
        return (OpenedPack(id: id, bytes: bytes, entries: entries, keys: keys), datas)
    }

    @Test(
        "every blob round-trips through the sealed table and openBlob, for each policy",
        arguments: [CompressionPolicy.auto, .always, .never])
    func roundTrip(policy: CompressionPolicy) throws {
        let keys = try testKeys()
        let (pack, datas) = try Self.build(policy: policy, keys: keys)
        let table = try pack.table()
        #expect(table == pack.entries)
        #expect(table.count == datas.count)
        #expect(table.first?.offset == UInt32(FileHeader.length))
        for (entry, data) in zip(table, datas) {
            #expect(try pack.blob(entry) == data)
        }
        #expect(Array(pack.bytes.prefix(8)) == utf8("TRIPPACK"))
    }

    @Test("compression follows the policy: compressible blobs use zstd, incompressible ones are stored as is")
    func compressionChoice() throws {
        let keys = try testKeys()
        // blobs(): 0 compressible large, 1 random large, 2 compressible small, 3 random small, 4 empty, 5 one byte, 6 tree.
        let (auto, _) = try Self.build(policy: .auto, keys: keys)
        #expect(auto.entries.map(\.compression) == [.zstd, .none, .zstd, .none, .none, .none, .zstd])
        let (always, _) = try Self.build(policy: .always, keys: keys)
        #expect(always.entries.map(\.compression) == [.zstd, .none, .zstd, .none, .none, .none, .zstd])
        let (never, _) = try Self.build(policy: .never, keys: keys)
        #expect(never.entries.allSatisfy { $0.compression == .none })
        for e in never.entries { #expect(e.storedLength == e.rawLength + UInt32(AESGCM.tagLength)) }
        for e in auto.entries where e.compression == .zstd { #expect(e.storedLength < e.rawLength) }
    }

    @Test("opening blobs in place, into reused buffers, gives what openBlob gives")
    func openInPlace() throws {
        let keys = try testKeys()
        let (pack, datas) = try Self.build(policy: .auto, keys: keys)
        let header = try FileHeader.decode(pack.bytes, expecting: .pack, context: "pack")
        let packKey = try keys.fileKey(kind: .pack, salt: header.salt)
        let sealedBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { sealedBuffer.deallocate(); scratch.deallocate() }
        let cipher = try AESGCM(), zstd = try ZstdDecompressor()
        for (entry, data) in zip(pack.entries, datas) {
            let sealed = UnsafeMutableRawBufferPointer(rebasing: sealedBuffer[0..<Int(entry.storedLength)])
            pack.bytes.withUnsafeBytes { b in
                sealed.copyMemory(from: UnsafeRawBufferPointer(rebasing: b[Int(entry.offset)..<Int(entry.offset + entry.storedLength)]))
            }
            let plain = try PackFormat.openBlob(inPlace: sealed, entry: entry, packKey: packKey, keys: keys, cipher: cipher,
                                                zstd: zstd, scratch: scratch, context: "pack")
            #expect(Array(plain) == data)
        }
        // A damaged blob fails authentication in place too.
        let entry = pack.entries[0]
        let sealed = UnsafeMutableRawBufferPointer(rebasing: sealedBuffer[0..<Int(entry.storedLength)])
        pack.bytes.withUnsafeBytes { b in
            sealed.copyMemory(from: UnsafeRawBufferPointer(rebasing: b[Int(entry.offset)..<Int(entry.offset + entry.storedLength)]))
        }
        sealed[3] ^= 0x40
        #expect(throws: CoreError.self) {
            _ = try PackFormat.openBlob(inPlace: sealed, entry: entry, packKey: packKey, keys: keys, cipher: cipher,
                                        zstd: zstd, scratch: scratch, context: "pack")
        }
    }

    @Test("a pack streamed blob by blob (larger than a piece), then reset and reused, reads like one built in memory")
    func streamedAndReused() throws {
        let keys = try testKeys()
        let big = pseudoRandomBytes(count: PackBuilder.streamPieceSize * 2 + 12345, seed: 77)
        let items = Self.blobs + [(BlobType.data, big), (.data, patternedBytes(count: PackBuilder.streamPieceSize + 1))]
        let builder = try PackBuilder(keys: keys)
        var previous: ObjectID?
        for _ in 0..<2 {
            var streamed: [UInt8] = []
            for (type, data) in items {
                let id = keys.idHasher.id(data)
                let result = try data.withUnsafeBytes { d in
                    try builder.add(type: type, id: id, data: d, policy: .auto) { (piece: UnsafeRawBufferPointer) throws(CoreError) in
                        #expect(piece.count <= PackBuilder.streamPieceSize)
                        streamed.append(contentsOf: piece)
                    }
                }
                let entry = try result.get()
                #expect(Int(entry.offset) + Int(entry.storedLength) == streamed.count)
                #expect(builder.size == streamed.count)
            }
            let (id, tail, entries) = try builder.finish()
            let pack = OpenedPack(id: id, bytes: streamed + tail, entries: entries, keys: keys)
            #expect(id == SHA256.hash(pack.bytes))
            #expect(try pack.table() == entries)
            for (entry, item) in zip(entries, items) { #expect(try pack.blob(entry) == item.data) }
            #expect(id != previous, "a reset pack has a fresh salt")
            previous = id
            try builder.reset()
            #expect(builder.isEmpty && builder.size == FileHeader.length)
        }
    }

    @Test("a blob copied in its stored form (as prune repacks) keeps its compression and opens to the same bytes")
    func storedFormCopied() throws {
        let keys = try testKeys()
        let compressible = patternedBytes(count: 300_000), random = pseudoRandomBytes(count: 70_000, seed: 12)
        let first = try PackBuilder(keys: keys)
        var bytes: [UInt8] = []
        for data in [compressible, random] {
            _ = try data.withUnsafeBytes { d in
                try builder(first, add: data, d, keys: keys, into: &bytes)
            }
        }
        let (id, tail, entries) = try first.finish()
        let source = OpenedPack(id: id, bytes: bytes + tail, entries: entries, keys: keys)
        #expect(entries.map(\.compression) == [.zstd, .none])
        // Open each blob in place as the scanner does, and copy the stored form into a second pack.
        let second = try PackBuilder(keys: keys)
        var copied: [UInt8] = []
        let packKey = try keys.fileKey(kind: .pack, salt: FileHeader.decode(Array(source.bytes.prefix(FileHeader.length)), expecting: .pack, context: "t").salt)
        for e in entries {
            var sealed = Array(source.bytes[Int(e.offset)..<Int(e.offset + e.storedLength)])
            var scratch = [UInt8](repeating: 0, count: Int(e.rawLength))
            try sealed.withUnsafeMutableBytes { s in
                try scratch.withUnsafeMutableBytes { sc in
                    _ = try PackFormat.openBlob(inPlace: s, entry: e, packKey: packKey, keys: keys, cipher: AESGCM(), zstd: ZstdDecompressor(),
                                                scratch: sc, context: "t")
                    let stored = UnsafeRawBufferPointer(rebasing: s[0..<(Int(e.storedLength) - AESGCM.tagLength)])
                    let result = try second.addStored(type: e.type, id: e.id, payload: stored, compression: e.compression,
                                                      rawLength: Int(e.rawLength)) { (piece: UnsafeRawBufferPointer) throws(CoreError) in
                        copied.append(contentsOf: piece)
                    }
                    let entry = try result.get()
                    #expect(entry.compression == e.compression && entry.storedLength == e.storedLength && entry.rawLength == e.rawLength)
                }
            }
        }
        let (id2, tail2, entries2) = try second.finish()
        let copy = OpenedPack(id: id2, bytes: copied + tail2, entries: entries2, keys: keys)
        #expect(try copy.table() == entries2)
        #expect(try copy.blob(entries2[0]) == compressible && copy.blob(entries2[1]) == random)
        #expect(id2 != id, "sealed again under a fresh pack key")
    }

    private func builder(_ b: PackBuilder, add data: [UInt8], _ d: UnsafeRawBufferPointer, keys: RepositoryKeys, into bytes: inout [UInt8]) throws {
        let result = try b.add(type: .data, id: keys.idHasher.id(data), data: d, policy: .auto) { (piece: UnsafeRawBufferPointer) throws(CoreError) in
            bytes.append(contentsOf: piece)
        }
        _ = try result.get()
    }

    @Test("a block compressed against its previous version is stored with compression 2, names its base in the table and the associated data, and opens only against that base")
    func blobAgainstBase() throws {
        let keys = try testKeys()
        // A 256 KiB block of a database and the same block after an edit of a few bytes here and there.
        let base = pseudoRandomBytes(count: 256 << 10, seed: 21)
        var edited = base
        for i in stride(from: 3000, to: edited.count, by: 50_000) { edited[i] &+= 1 }
        let baseID = keys.idHasher.id(base), editedID = keys.idHasher.id(edited)
        let unrelated = pseudoRandomBytes(count: 256 << 10, seed: 22)
        let b = try PackBuilder(keys: keys, level: 1)
        var bytes: [UInt8] = []
        func add(_ data: [UInt8], against other: [UInt8]?, id otherID: ObjectID) throws -> PackEntry {
            try data.withUnsafeBytes { d in
                try (other ?? []).withUnsafeBytes { o in
                    try b.add(type: .data, id: keys.idHasher.id(data), data: d, policy: .auto, base: other == nil ? nil : (otherID, o)) {
                        (piece: UnsafeRawBufferPointer) throws(CoreError) in bytes.append(contentsOf: piece)
                    }.get()
                }
            }
        }
        let delta = try add(edited, against: base, id: baseID)
        #expect(delta.compression == .zstdAgainstBase && delta.base == baseID && delta.storedLength < 1000, "\(delta)")
        // A block that shares nothing with its base is stored alone (here raw: random bytes do not shrink).
        let alone = try add(unrelated, against: base, id: baseID)
        #expect(alone.compression == .none && alone.base == nil)
        let (id, tail, entries) = try b.finish()
        let pack = OpenedPack(id: id, bytes: bytes + tail, entries: entries, keys: keys)
        #expect(try pack.table() == [delta, alone])
        #expect(PackFormat.encodeTable(entries).count == 4 + 2 * PackFormat.tableEntryLength + 32)
        let header = try FileHeader.decode(pack.bytes, expecting: .pack, context: "t")
        let packKey = try keys.fileKey(kind: .pack, salt: header.salt)
        func open(_ e: PackEntry, base: [UInt8]?) throws -> [UInt8] {
            try pack.bytes.withUnsafeBytes { raw in
                try PackFormat.openBlob(UnsafeRawBufferPointer(rebasing: raw[Int(e.offset)..<Int(e.offset + e.storedLength)]), entry: e,
                                        packKey: packKey, keys: keys, cipher: AESGCM(), zstd: ZstdDecompressor(), base: base, context: "t")
            }
        }
        #expect(try open(delta, base: base) == edited)
        #expect(keys.idHasher.id(try open(delta, base: base)) == editedID)
        // Without its base, or against another block, it does not open.
        expectCoreError(.malformed) { try open(delta, base: nil) }
        expectCoreError(.malformed) { try open(delta, base: unrelated) }
        // The base is authenticated: an entry naming another base, or none, fails before anything is decompressed.
        var renamed = delta
        renamed.base = keys.idHasher.id(unrelated)
        expectCoreError(.authenticationFailed) { try open(renamed, base: base) }
        var stripped = delta
        stripped.compression = .zstd
        stripped.base = nil
        expectCoreError(.authenticationFailed) { try open(stripped, base: nil) }
        // Copied in its stored form (as prune repacks), the blob keeps its base.
        let copy = try PackBuilder(keys: keys)
        var copied: [UInt8] = []
        var sealed = Array(pack.bytes[Int(delta.offset)..<Int(delta.offset + delta.storedLength)])
        var scratch = [UInt8](repeating: 0, count: Int(delta.rawLength))
        try sealed.withUnsafeMutableBytes { s in
            try scratch.withUnsafeMutableBytes { sc in
                try base.withUnsafeBytes { bb in
                    _ = try PackFormat.openBlob(inPlace: s, entry: delta, packKey: packKey, keys: keys, cipher: AESGCM(), zstd: ZstdDecompressor(),
                                                scratch: sc, base: bb, context: "t")
                }
                let stored = UnsafeRawBufferPointer(rebasing: s[0..<(Int(delta.storedLength) - AESGCM.tagLength)])
                let kept = try copy.addStored(type: .data, id: delta.id, payload: stored, compression: delta.compression,
                                              rawLength: Int(delta.rawLength), base: delta.base) { (piece: UnsafeRawBufferPointer) throws(CoreError) in
                    copied.append(contentsOf: piece)
                }.get()
                #expect(kept.base == baseID && kept.compression == .zstdAgainstBase)
                // A base without compression 2, or compression 2 without a base, is refused.
                expectCoreError(.invalidArgument) {
                    _ = try copy.addStored(type: .data, id: delta.id, payload: stored, compression: .zstd, rawLength: Int(delta.rawLength),
                                           base: baseID) { (_: UnsafeRawBufferPointer) throws(CoreError) in }
                }
            }
        }
        let (id2, tail2, entries2) = try copy.finish()
        let second = OpenedPack(id: id2, bytes: copied + tail2, entries: entries2, keys: keys)
        #expect(try second.table().first?.base == baseID)
    }

    @Test("a table or index entry with compression 2 carries its base; a blob named as its own base is malformed")
    func baseInTableAndIndex() throws {
        let id = ObjectID(bytes: [UInt8](repeating: 3, count: 32)), base = ObjectID(bytes: [UInt8](repeating: 4, count: 32))
        let e = PackEntry(id: id, type: .data, compression: .zstdAgainstBase, offset: 44, storedLength: 40, rawLength: 262_144, base: base)
        let table = PackFormat.encodeTable([e])
        #expect(table == [1, 0, 0, 0, 0, 2, 40, 0, 0, 0, 0, 0, 4, 0] + id.bytes + base.bytes)
        #expect(try PackFormat.decodeTable(table, packSize: 84, context: "t") == [e])
        expectCoreError(.malformed) { try PackFormat.decodeTable(Array(table.dropLast(32)), packSize: 84, context: "t") }
        var own = e
        own.base = id
        expectCoreError(.malformed) { try PackFormat.decodeTable(PackFormat.encodeTable([own]), packSize: 84, context: "t") }
        #expect(PackFormat.blobAAD(type: .data, compression: .zstdAgainstBase, rawLength: 262_144, id: id, base: base)
                == [0, 2, 0, 0, 4, 0] + id.bytes + base.bytes)
        let pack = ObjectID(bytes: [UInt8](repeating: 9, count: 32))
        let index = IndexFile(packs: [IndexFile.Pack(id: pack, entries: [e])])
        let encoded = index.encode()
        #expect(encoded == [1, 0, 0, 0] + pack.bytes + [1, 0, 0, 0] + [0, 2, 44, 0, 0, 0, 40, 0, 0, 0, 0, 0, 4, 0] + id.bytes + base.bytes)
        #expect(try IndexFile.decode(encoded, context: "i") == index)
        expectCoreError(.malformed) { try IndexFile.decode(Array(encoded.dropLast(1)), context: "i") }
        expectCoreError(.malformed) { try IndexFile.decode(IndexFile(packs: [IndexFile.Pack(id: pack, entries: [own])]).encode(), context: "i") }
    }

    @Test("a failing sink is returned and the pack is left to be abandoned")
    func failingSink() throws {
        struct Full: Error {}
        let keys = try testKeys()
        let builder = try PackBuilder(keys: keys)
        let data = pseudoRandomBytes(count: 1000, seed: 5)
        let result = try data.withUnsafeBytes { d in
            try builder.add(type: .data, id: keys.idHasher.id(data), data: d, policy: .never) { (_: UnsafeRawBufferPointer) throws(Full) in throw Full() }
        }
        guard case .failure = result else {
            Issue.record("the sink's failure was not returned")
            return
        }
        #expect(builder.isEmpty)
    }

    @Test("the pack's name is the SHA-256 of its bytes, and two packs of the same blobs differ (fresh salt)")
    func name() throws {
        let keys = try testKeys()
        let (a, _) = try Self.build(policy: .auto, keys: keys)
        let (b, _) = try Self.build(policy: .auto, keys: keys)
        #expect(a.id == SHA256.hash(a.bytes))
        #expect(b.id == SHA256.hash(b.bytes))
        #expect(a.id != b.id)
        #expect(a.entries == b.entries)
    }

    @Test("a flipped byte inside any blob makes openBlob fail authentication")
    func flippedBlobByte() throws {
        let pack = Self.shared
        for entry in pack.entries {
            let positions = [0, Int(entry.storedLength) / 2, Int(entry.storedLength) - 1]
            for p in positions {
                let altered = flipping(pack.bytes, at: Int(entry.offset) + p, bit: p % 8)
                expectCoreError(.authenticationFailed, "blob at \(entry.offset), byte \(p)") { try pack.blob(entry, bytes: altered) }
            }
        }
    }

    @Test("opening a blob under another entry's ID, type, compression, length or offset fails")
    func wrongEntry() throws {
        let pack = Self.shared
        let e0 = pack.entries[0], e2 = pack.entries[2]
        var swapped = e0
        swapped.id = e2.id
        expectCoreError(.authenticationFailed, "ID of another blob") { try pack.blob(swapped) }
        var otherType = e0
        otherType.type = .tree
        expectCoreError(.authenticationFailed, "type") { try pack.blob(otherType) }
        var otherCompression = e0
        otherCompression.compression = .none
        expectCoreError(.authenticationFailed, "compression") { try pack.blob(otherCompression) }
        var otherRaw = e0
        otherRaw.rawLength += 1
        expectCoreError(.authenticationFailed, "raw length") { try pack.blob(otherRaw) }
        // The same sealed bytes presented as if they lay at another offset: the nonce differs.
        var moved = pack.entries[3]
        let sealed = Array(pack.bytes[Int(moved.offset)..<Int(moved.offset + moved.storedLength)])
        var relocated = pack.bytes
        moved.offset = pack.entries[1].offset
        relocated.replaceSubrange(Int(moved.offset)..<Int(moved.offset) + sealed.count, with: sealed)
        expectCoreError(.authenticationFailed, "offset") { try pack.blob(moved, bytes: relocated) }
        // A stored length that does not match the slice handed in is malformed before decryption.
        var short = e0
        short.storedLength -= 1
        let b = pack.bytes
        let error = #expect(throws: CoreError.self) {
            try b.withUnsafeBytes { raw in
                try PackFormat.openBlob(
                    UnsafeRawBufferPointer(rebasing: raw[Int(e0.offset)..<Int(e0.offset + e0.storedLength)]),
                    entry: short, packKey: try pack.keys.fileKey(kind: .pack, salt: Array(b[12..<44])), keys: pack.keys,
                    cipher: AESGCM(), zstd: ZstdDecompressor(), context: "pack")
            }
        }
        #expect(error?.kind == .malformed)
    }

    @Test("a blob whose plaintext does not hash to its ID is malformed even though it authenticates")
    func idMismatch() throws {
        let keys = try testKeys()
        let builder = try PackBuilder(keys: keys)
        let data = utf8("content")
        let wrongID = keys.idHasher.id(utf8("other content"))
        _ = try data.withUnsafeBytes { try builder.add(type: .data, id: wrongID, data: $0, policy: .never) }
        let (id, bytes, entries) = try builder.finish()
        let pack = OpenedPack(id: id, bytes: bytes, entries: entries, keys: keys)
        expectCoreError(.malformed) { try pack.blob(entries[0]) }
    }

    @Test("another repository's keys open neither the table nor the blobs")
    func wrongKeys() throws {
        let pack = Self.shared
        let other = try testKeys(seed: 2)
        expectCoreError(.authenticationFailed) { try pack.table(keys: other) }
        expectCoreError(.authenticationFailed) { try pack.blob(pack.entries[0], keys: other) }
    }

    @Test("a damaged header, table or trailer is refused")
    func damagedTable() throws {
        let pack = Self.shared
        let b = pack.bytes
        expectCoreError(.malformed, "magic") { try pack.table(bytes: flipping(b, at: 0)) }
        expectCoreError(.malformed, "version") { try pack.table(bytes: flipping(b, at: 8)) }
        expectCoreError(.authenticationFailed, "salt") { try pack.table(bytes: flipping(b, at: 20)) }
        let tableEnd = b.count - PackFormat.trailerLength
        expectCoreError(.authenticationFailed, "table byte") { try pack.table(bytes: flipping(b, at: tableEnd - 20)) }
        expectCoreError(.authenticationFailed, "table tag") { try pack.table(bytes: flipping(b, at: tableEnd - 1)) }
        // A trailer claiming one byte less hands the reader a table missing its first byte.
        var shortTrailer = b
        shortTrailer[tableEnd] &-= 1
        expectCoreError(.authenticationFailed, "trailer") { try pack.table(bytes: shortTrailer) }
        // A table start that is not where the listed blobs end: too early, or after a gap.
        let header = Array(b.prefix(FileHeader.length))
        let tableLength = try PackFormat.tableLength(trailer: Array(b.suffix(4)), context: "p")
        let tableStart = tableEnd - tableLength
        let sealedTable = Array(b[tableStart..<tableEnd])
        #expect(try PackFormat.openTable(header: header, sealedTable: sealedTable, packSize: Int64(tableStart),
                                         keys: pack.keys, context: "p") == pack.entries)
        for start in [Int64(FileHeader.length) + 10, Int64(tableStart) - 1, Int64(tableStart) + 1] {
            expectCoreError(.malformed, "table start \(start)") {
                try PackFormat.openTable(header: header, sealedTable: sealedTable, packSize: start, keys: pack.keys, context: "p")
            }
        }
        expectCoreError(.malformed, "short trailer") { try PackFormat.tableLength(trailer: [1, 2, 3], context: "p") }
    }

    @Test("the table codec round-trips and rejects truncation, trailing bytes and unknown type or compression")
    func tableCodec() throws {
        let entries = Self.shared.entries
        let plain = PackFormat.encodeTable(entries)
        #expect(plain.count == 4 + entries.count * PackFormat.tableEntryLength)
        // Offsets are rebuilt from the stored lengths; the blobs end where the table starts.
        let end = Int64(FileHeader.length) + entries.reduce(0) { $0 + Int64($1.storedLength) }
        #expect(try PackFormat.decodeTable(plain, packSize: end, context: "p") == entries)
        for n in [0, 3, 4, plain.count - 1] {
            expectCoreError(.malformed, "first \(n)") { try PackFormat.decodeTable(Array(plain.prefix(n)), packSize: end, context: "p") }
        }
        expectCoreError(.malformed) { try PackFormat.decodeTable(plain + [0], packSize: end, context: "p") }
        expectCoreError(.malformed) { try PackFormat.decodeTable(flipping(plain, at: 4, bit: 1), packSize: end, context: "p") }
        expectCoreError(.malformed) { try PackFormat.decodeTable(flipping(plain, at: 5, bit: 1), packSize: end, context: "p") }
        // A stored length below the tag length, or a raw length above the maximum.
        var tiny = entries
        tiny[0].storedLength = 15
        expectCoreError(.malformed) { try PackFormat.decodeTable(PackFormat.encodeTable(tiny), packSize: end, context: "p") }
        var huge = entries
        huge[0].rawLength = UInt32(PackFormat.maxBlobSize) + 1
        expectCoreError(.malformed) { try PackFormat.decodeTable(PackFormat.encodeTable(huge), packSize: end, context: "p") }
        // An empty table belongs to a pack whose table follows the header directly.
        #expect(try PackFormat.decodeTable(PackFormat.encodeTable([]), packSize: Int64(FileHeader.length), context: "p").isEmpty)
    }

    @Test("nonces and associated data have the documented layout; the table nonce is twelve 0xFF bytes")
    func noncesAndAAD() {
        #expect(PackFormat.blobNonce(offset: 44) == [44, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(PackFormat.blobNonce(offset: 0x0102_0304) == [4, 3, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(PackFormat.blobNonce(offset: .max) == [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(PackFormat.tableNonce == [UInt8](repeating: 0xFF, count: 12))
        let id = ObjectID(bytes: [UInt8](1...32))
        #expect(PackFormat.blobAAD(type: .tree, compression: .zstd, rawLength: 0x0A0B, id: id)
                == [1, 1, 0x0B, 0x0A, 0, 0] + [UInt8](1...32))
    }

    @Test("a blob larger than the maximum is refused")
    func oversizedBlob() throws {
        let builder = try PackBuilder(keys: try testKeys())
        let count = PackFormat.maxBlobSize + 1
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 16)
        defer { raw.deallocate() }
        raw.initializeMemory(as: UInt8.self, repeating: 0)
        expectCoreError(.invalidArgument) {
            try builder.add(type: .data, id: ObjectID(bytes: []), data: UnsafeRawBufferPointer(raw), policy: .never)
        }
        #expect(builder.isEmpty)
    }
}
