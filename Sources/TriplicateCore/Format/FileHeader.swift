// FileHeader: the 44-byte plaintext header (magic, version, salt) that starts every encrypted repository file.

/// The header of every encrypted file: 8 magic bytes, the format version (u32 LE) and a 32-byte random salt.
package struct FileHeader: Sendable, Equatable {
    /// Encoded length in bytes.
    package static let length = 44
    /// The format version this build writes and reads.
    package static let currentVersion: UInt32 = 1

    /// The kind of file.
    package var kind: FileKind
    /// The format version.
    package var version: UInt32
    /// The random salt from which the file's key is derived.
    package var salt: [UInt8]

    /// A new header for a file of `kind` with a fresh random salt.
    package static func fresh(_ kind: FileKind) throws(CoreError) -> FileHeader {
        FileHeader(kind: kind, version: currentVersion, salt: try KeyDerivation.randomBytes(32))
    }

    /// Creates a header.
    package init(kind: FileKind, version: UInt32, salt: [UInt8]) {
        self.kind = kind
        self.version = version
        self.salt = salt
    }

    /// The 44 encoded bytes.
    package var encoded: [UInt8] {
        var w = ByteWriter(capacity: Self.length)
        w.bytes(kind.magic)
        w.u32(version)
        w.bytes(salt)
        return w.bytes
    }

    /// Decodes and checks the header at the start of `bytes`, expecting a file of `kind`.
    package static func decode(_ bytes: [UInt8], expecting kind: FileKind, context: String) throws(CoreError) -> FileHeader {
        var r = ByteReader(bytes, range: 0..<min(bytes.count, length), context: context)
        let magic = try r.bytes(8)
        guard magic == kind.magic else {
            throw .malformed("\(context): not a Triplicate \(kind.label) file (bad magic bytes)")
        }
        let version = try r.u32()
        guard version == currentVersion else {
            throw .malformed("\(context): format version \(version) is not supported by this build (reads version \(currentVersion))")
        }
        return FileHeader(kind: kind, version: version, salt: try r.bytes(32))
    }
}
