// SHA256: plain SHA-256 through OpenSSL, the function that names repository files by their bytes.
internal import CLibCrypto

/// SHA-256 of a file's bytes, which is that file's name in the repository: anyone can check a file's integrity
/// without the password.
public enum SHA256 {
    /// The SHA-256 digest of `data` as an ``ObjectID``.
    public static func hash(_ data: UnsafeRawBufferPointer) -> ObjectID {
        var out = [UInt8](repeating: 0, count: 32)
        var len: UInt32 = 0
        out.withUnsafeMutableBufferPointer { o in
            // EVP_Digest with SHA-256 cannot fail for in-memory input on a working libcrypto.
            _ = EVP_Digest(data.baseAddress, data.count, o.baseAddress, &len, EVP_sha256(), nil)
        }
        return ObjectID(bytes: out)
    }

    /// The SHA-256 digest of `data`.
    public static func hash(_ data: [UInt8]) -> ObjectID { data.withUnsafeBytes { hash($0) } }
}
