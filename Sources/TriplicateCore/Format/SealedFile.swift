// SealedFile: single-payload encrypted files (index and snapshot files).

/// An encrypted file holding one payload: header, then AES-256-GCM of `compression byte || payload`.
///
/// The key comes from the header's salt (``RepositoryKeys/fileKey(kind:salt:)``) and is used for this one
/// message only, so the nonce is fixed at twelve zero bytes; the header is the associated data.
public enum SealedFile {
    private static let nonce = [UInt8](repeating: 0, count: AESGCM.nonceLength)

    /// Encodes and seals `payload` as a file of `kind`; compresses it with zstd when that makes it smaller.
    public static func seal(_ payload: [UInt8], kind: FileKind, keys: RepositoryKeys) throws(CoreError) -> [UInt8] {
        let header = try FileHeader.fresh(kind)
        var plain: [UInt8] = [Compression.zstd.rawValue]
        let zstd = try ZstdCompressor(level: 3)
        let shrank = try payload.withUnsafeBytesTyped { (p) throws(CoreError) -> Bool in
            try zstd.compress(p, into: &plain, limit: payload.count - 1)
        }
        if !shrank { plain = [Compression.none.rawValue] + payload }
        var out = header.encoded
        let key = try keys.fileKey(kind: kind, salt: header.salt)
        try plain.withUnsafeBytesTyped { (p) throws(CoreError) in
            try AESGCM().seal(key: key, nonce: nonce, aad: header.encoded, plaintext: p, into: &out)
        }
        return out
    }

    /// Authenticates, decrypts and decompresses a file of `kind`; `context` names it in errors.
    public static func open(_ bytes: [UInt8], kind: FileKind, keys: RepositoryKeys, context: String) throws(CoreError) -> [UInt8] {
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
        case .zstd: return try ZstdDecompressor().decompress(Array(plain.dropFirst()), maxSize: 1 << 31)
        }
    }
}

/// How a blob or file payload is stored.
public enum Compression: UInt8, Sendable {
    /// Stored as is.
    case none = 0
    /// One zstd frame with its content size in the frame header.
    case zstd = 1
}
