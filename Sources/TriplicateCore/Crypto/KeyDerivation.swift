// KeyDerivation: HKDF-SHA256, scrypt and secure random bytes through OpenSSL.
internal import CLibCrypto

/// Key-derivation and randomness primitives.
public enum KeyDerivation {
    /// HKDF-SHA256 (RFC 5869): extract with `salt`, expand with `info` to `length` bytes.
    package static func hkdfSHA256(ikm: [UInt8], salt: [UInt8], info: [UInt8], length: Int) throws(CoreError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: length)
        let ok = out.withUnsafeMutableBufferPointer { o in
            tri_hkdf_sha256(ikm, ikm.count, salt, salt.count, info, info.count, o.baseAddress, length)
        }
        guard ok == 1 else { throw .library("HKDF-SHA256 derivation failed") }
        return out
    }

    /// HKDF-SHA256 with an ASCII `info` label.
    package static func hkdfSHA256(ikm: [UInt8], salt: [UInt8], info: String, length: Int) throws(CoreError) -> [UInt8] {
        try hkdfSHA256(ikm: ikm, salt: salt, info: Array(info.utf8), length: length)
    }

    /// Parameters of scrypt (RFC 7914).
    public struct ScryptParameters: Sendable, Hashable, Codable {
        /// CPU/memory cost, a power of two.
        public var n: UInt64
        /// Block size.
        public var r: UInt64
        /// Parallelism.
        public var p: UInt64
        /// Creates parameters.
        public init(n: UInt64, r: UInt64, p: UInt64) { self.n = n; self.r = r; self.p = p }
        /// The default for new key files: N = 2^15, r = 8, p = 2: the work of N = 2^16 with p = 1 (about 0.2 s
        /// here) in half its memory (32 MiB), so opening a repository never needs more memory than a backup does.
        public static let `default` = ScryptParameters(n: 1 << 15, r: 8, p: 2)
        /// Memory scrypt needs with these parameters, in bytes (128·r·(N + p + 1) plus slack).
        public var memoryBytes: UInt64 { 128 &* r &* (n &+ p &+ 2) }
        /// True when the parameters are within the bounds a reader accepts: N a power of two in 2...2^20,
        /// r in 1...16, p in 1...16, N·r·p at most 2^24 (about 30 times the default work) and at most 1 GiB (plus
        /// 1 MiB) of memory, so N = 2^20 with r = 8 is accepted. The bounds stop a planted key file from making `open` take minutes or exhaust memory.
        public var isAcceptable: Bool {
            n >= 2 && n & (n - 1) == 0 && n <= 1 << 20 && (1...16).contains(r) && (1...16).contains(p)
                && n * r * p <= 1 << 24 && memoryBytes <= (1 << 30) + (1 << 20)
        }
    }

    /// scrypt (RFC 7914) of `password` with `salt`, giving `length` bytes.
    package static func scrypt(password: [UInt8], salt: [UInt8], parameters: ScryptParameters, length: Int) throws(CoreError) -> [UInt8] {
        let p = parameters
        guard p.isAcceptable else {
            throw .invalidArgument("scrypt parameters out of range (N=\(p.n), r=\(p.r), p=\(p.p)); accepted: N a power of two up to 2^20, r and p 1-16, N·r·p up to 2^24, at most 1 GiB of memory")
        }
        var out = [UInt8](repeating: 0, count: length)
        let rc = out.withUnsafeMutableBufferPointer { o in
            password.withUnsafeBufferPointer { pw in
                pw.withMemoryRebound(to: CChar.self) { pwc in
                    EVP_PBE_scrypt(pwc.baseAddress, pwc.count, salt, salt.count, p.n, p.r, p.p,
                                   p.memoryBytes + (1 << 20), o.baseAddress, length)
                }
            }
        }
        guard rc == 1 else { throw .library("scrypt derivation failed (N=\(p.n), r=\(p.r), p=\(p.p))") }
        return out
    }

    /// `count` bytes from OpenSSL's CSPRNG.
    package static func randomBytes(_ count: Int) throws(CoreError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let rc = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        guard rc == 1 else { throw .library("RAND_bytes failed: the system random generator is unavailable") }
        return out
    }
}
