// IndexFile: the payload of an index file — which blobs each named pack holds, and where.

/// The content of one index file: a list of packs with their blob entries (FORMAT.md, "Index files").
package struct IndexFile: Sendable, Equatable {
    /// One pack and its blobs.
    package struct Pack: Sendable, Equatable {
        /// The pack's ID (SHA-256 of its bytes, its file name).
        package var id: ObjectID
        /// Its blobs.
        package var entries: [PackEntry]
        /// Creates a pack record.
        package init(id: ObjectID, entries: [PackEntry]) {
            self.id = id
            self.entries = entries
        }
    }

    /// The packs this index file describes.
    package var packs: [Pack]

    /// Creates an index file.
    package init(packs: [Pack]) { self.packs = packs }

    /// Encoded length of one blob record (a record with compression 2 adds its base's 32-byte ID).
    package static let entryLength = 46

    /// The binary payload (before sealing).
    package func encode() -> [UInt8] {
        var w = ByteWriter(capacity: 4 + packs.reduce(0) { $0 + 36 + $1.entries.reduce(0) { $0 + Self.entryLength + ($1.base == nil ? 0 : 32) } })
        w.u32(UInt32(packs.count))
        for p in packs {
            w.id(p.id)
            w.u32(UInt32(p.entries.count))
            for e in p.entries {
                w.u8(e.type.rawValue)
                w.u8(e.compression.rawValue)
                w.u32(e.offset)
                w.u32(e.storedLength)
                w.u32(e.rawLength)
                w.id(e.id)
                if let base = e.base { w.id(base) }
            }
        }
        return w.bytes
    }

    /// Decodes a payload; `context` names the file in errors.
    package static func decode(_ bytes: [UInt8], context: String) throws(CoreError) -> IndexFile {
        var r = ByteReader(bytes, context: context)
        let packCount = Int(try r.u32())
        guard packCount <= r.remaining / 36 else { throw r.fail("pack count \(packCount) exceeds the file") }
        var packs: [Pack] = []
        packs.reserveCapacity(packCount)
        for _ in 0..<packCount {
            let id = try r.id()
            let n = Int(try r.u32())
            guard n <= r.remaining / entryLength else { throw r.fail("entry count \(n) exceeds the file") }
            var entries: [PackEntry] = []
            entries.reserveCapacity(n)
            for _ in 0..<n {
                guard let type = BlobType(rawValue: try r.u8()) else { throw r.fail("unknown blob type") }
                guard let compression = Compression(rawValue: try r.u8()) else { throw r.fail("unknown compression") }
                let offset = try r.u32(), stored = try r.u32(), raw = try r.u32()
                let blobID = try r.id()
                let base = try PackFormat.decodeBase(&r, compression: compression, id: blobID)
                guard PackFormat.isValidLength(stored: stored, raw: raw), offset >= UInt32(FileHeader.length),
                      UInt64(offset) + UInt64(stored) <= UInt64(UInt32.max) else { throw r.fail("blob record out of range") }
                entries.append(PackEntry(id: blobID, type: type, compression: compression, offset: offset,
                                         storedLength: stored, rawLength: raw, base: base))
            }
            packs.append(Pack(id: id, entries: entries))
        }
        try r.expectEnd()
        return IndexFile(packs: packs)
    }
}
