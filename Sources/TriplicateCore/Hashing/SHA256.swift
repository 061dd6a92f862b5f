// SHA256: plain SHA-256 through OpenSSL, the function that names repository files by their bytes.
internal import CLibCrypto

/// SHA-256 of a file's bytes, which is that file's name in the repository: anyone can check a file's integrity
/// without the password.
package enum SHA256 {
    /// The SHA-256 digest of `data` as an ``ObjectID``.
    package static func hash(_ data: UnsafeRawBufferPointer) -> ObjectID {
        var out = [UInt8](repeating: 0, count: 32)
        var len: UInt32 = 0
        out.withUnsafeMutableBufferPointer { o in
            // EVP_Digest with SHA-256 cannot fail for in-memory input on a working libcrypto.
            _ = EVP_Digest(data.baseAddress, data.count, o.baseAddress, &len, EVP_sha256(), nil)
        }
        return ObjectID(bytes: out)
    }

    /// The SHA-256 digest of `data`.
    package static func hash(_ data: [UInt8]) -> ObjectID { data.withUnsafeBytes { hash($0) } }
}

extension SHA256 {
    /// An incremental SHA-256 (an `EVP_MD_CTX` freed on deinit), for files written piece by piece.
    /// Not thread safe: one per writer.
    package final class Hasher {
        private let ctx: OpaquePointer

        /// Starts a new digest.
        package init() throws(CoreError) {
            guard let c = EVP_MD_CTX_new() else { throw .library("EVP_MD_CTX_new returned NULL") }
            guard EVP_DigestInit_ex(c, EVP_sha256(), nil) == 1 else {
                EVP_MD_CTX_free(c)
                throw .library("EVP_DigestInit_ex(SHA-256) failed")
            }
            ctx = c
        }

        deinit { EVP_MD_CTX_free(ctx) }

        /// Adds `data` to the digest.
        package func update(_ data: UnsafeRawBufferPointer) {
            guard data.count > 0 else { return }
            // EVP_DigestUpdate on an initialised SHA-256 context cannot fail for in-memory input.
            _ = EVP_DigestUpdate(ctx, data.baseAddress, data.count)
        }

        /// The digest of everything added; the hasher must not be used afterwards.
        package func finalize() -> ObjectID {
            var out = [UInt8](repeating: 0, count: 32)
            var len: UInt32 = 0
            out.withUnsafeMutableBufferPointer { o in _ = EVP_DigestFinal_ex(ctx, o.baseAddress, &len) }
            return ObjectID(bytes: out)
        }
    }
}

/// `SHA256.Hasher` owns a mutable C context and must stay on one task at a time: not `Sendable`.
@available(*, unavailable)
extension SHA256.Hasher: Sendable {}

/// MD5, only for the `Content-MD5` header S3 requires of uploads to a bucket with object lock (and checks on every
/// upload it is sent with); never to name or verify repository data.
package enum MD5 {
    /// An incremental MD5, for a file read piece by piece. Not thread safe.
    package final class Hasher {
        private let ctx: OpaquePointer

        /// Starts a new digest.
        package init() throws(CoreError) {
            guard let c = EVP_MD_CTX_new() else { throw .library("EVP_MD_CTX_new returned NULL") }
            guard EVP_DigestInit_ex(c, EVP_md5(), nil) == 1 else {
                EVP_MD_CTX_free(c)
                throw .library("EVP_DigestInit_ex(MD5) failed")
            }
            ctx = c
        }

        deinit { EVP_MD_CTX_free(ctx) }

        /// Adds `data` to the digest.
        package func update(_ data: UnsafeRawBufferPointer) { _ = EVP_DigestUpdate(ctx, data.baseAddress, data.count) }

        /// The 16-byte digest.
        package func finalize() -> [UInt8] {
            var out = [UInt8](repeating: 0, count: 16)
            var len: UInt32 = 0
            out.withUnsafeMutableBufferPointer { o in _ = EVP_DigestFinal_ex(ctx, o.baseAddress, &len) }
            return out
        }
    }

    /// The 16-byte MD5 digest of `data`.
    package static func digest(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 16)
        var len: UInt32 = 0
        data.withUnsafeBytes { d in
            out.withUnsafeMutableBufferPointer { o in
                _ = EVP_Digest(d.baseAddress, d.count, o.baseAddress, &len, EVP_md5(), nil)
            }
        }
        return out
    }
}
