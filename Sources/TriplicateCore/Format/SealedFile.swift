// SealedFile: single-payload encrypted files (index and snapshot files).

/// An encrypted file holding one payload: header, then AES-256-GCM of `compression byte || payload`.
///
/// The key comes from the header's salt (``RepositoryKeys/fileKey(kind:salt:)``) and is used for this one
/// message only, so the nonce is fixed at twelve zero bytes; the header is the associated data.
package enum SealedFile {
    private static let nonce = [UInt8](repeating: 0, count: AESGCM.nonceLength)

    /// Encodes and seals `payload` as a file of `kind`; with `compress`, compresses it with zstd when that makes it
    /// smaller.
    package static func seal(_ payload: [UInt8], kind: FileKind, keys: RepositoryKeys, compress: Bool = true) throws(CoreError) -> [UInt8] {
        let header = try FileHeader.fresh(kind)
        var plain: [UInt8] = [Compression.zstd.rawValue]
        let zstd = try ZstdCompressor(level: 3)
        var shrank = false
        if compress {
            shrank = try payload.withUnsafeBytesTyped { (p) throws(CoreError) -> Bool in
                try zstd.compress(p, into: &plain, limit: payload.count - 1)
            }
        }
        if !shrank { plain = [Compression.none.rawValue] + payload }
        var out = header.encoded
        let key = try keys.fileKey(kind: kind, salt: header.salt)
        try plain.withUnsafeBytesTyped { (p) throws(CoreError) in
            try AESGCM().seal(key: key, nonce: nonce, aad: header.encoded, plaintext: p, into: &out)
        }
        return out
    }

    /// The largest file of `kind` a reader accepts, in bytes (FORMAT.md §6.3): whatever a repository says, reading
    /// one never allocates more than this. Index files may be large (a pack of many small blobs takes 46 bytes per
    /// blob); a snapshot or a damage record is a small JSON record.
    package static func maxFileSize(_ kind: FileKind) -> Int64 {
        switch kind {
        case .index: 1 << 30
        case .snapshot: 16 << 20
        case .damage, .verified, .removed: 64 << 20
        case .pack: PackFormat.maxPackSize
        }
    }

    /// The largest payload a reader decompresses from a file of `kind` that is `fileLength` bytes long (FORMAT.md
    /// §6.3). An index payload is mostly random IDs, which zstd cannot shrink by more than a third, so a frame that
    /// claims more than eight times its file plus 1 MiB is not one a writer made; a snapshot or a damage record has
    /// a fixed ceiling. Both keep a small crafted file from making a reader allocate gigabytes.
    package static func maxPayload(_ kind: FileKind, fileLength: Int) -> Int {
        switch kind {
        case .index: min(8 * fileLength + (1 << 20), 1 << 31)
        case .snapshot: 16 << 20
        case .damage, .verified, .removed: 64 << 20
        case .pack: 0
        }
    }

    /// Authenticates, decrypts and decompresses a file of `kind`; `context` names it in errors. A file larger than
    /// ``maxFileSize(_:)`` or a payload larger than ``maxPayload(_:fileLength:)`` is malformed.
    package static func open(_ bytes: [UInt8], kind: FileKind, keys: RepositoryKeys, context: String) throws(CoreError) -> [UInt8] {
        guard Int64(bytes.count) <= maxFileSize(kind) else {
            throw .malformed("\(context): \(bytes.count) bytes is more than a \(kind.label) file may hold (\(maxFileSize(kind)))")
        }
        let header = try FileHeader.decode(bytes, expecting: kind, context: context)
        let key = try keys.fileKey(kind: kind, salt: header.salt)
        let plain = try bytes.withUnsafeBytesTyped { (b) throws(CoreError) -> [UInt8] in
            try AESGCM().open(key: key, nonce: nonce, aad: header.encoded,
                              sealed: UnsafeRawBufferPointer(rebasing: b[FileHeader.length...]), what: context)
        }
        guard let flag = plain.first, let compression = Compression(rawValue: flag) else {
            throw .malformed("\(context): unknown compression flag")
        }
        switch compression {
        case .none: return Array(plain.dropFirst())
        case .zstd: return try ZstdDecompressor().decompress(Array(plain.dropFirst()), maxSize: maxPayload(kind, fileLength: bytes.count))
        case .zstdAgainstBase: throw .malformed("\(context): compression flag 2 is for blobs only")
        }
    }
}

/// How a blob or file payload is stored.
@_spi(Benchmarks) public enum Compression: UInt8, Sendable {
    /// Stored as is.
    case none = 0
    /// One zstd frame with its content size in the frame header.
    case zstd = 1
    /// Blobs only: one zstd frame that decodes against the plaintext of another blob, its base, referenced as raw
    /// content (FORMAT.md §7.2). The entry names the base, which may itself be stored against a base: a chain of at
    /// most ``PackFormat/maxBaseChain`` links.
    case zstdAgainstBase = 2
}
