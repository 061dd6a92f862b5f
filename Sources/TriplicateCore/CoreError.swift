// CoreError: the one error type of the pure core (codecs, crypto, compression).

/// An error raised by Triplicate's core: a failed authentication, a malformed encoding, or a C library failure.
///
/// Errors are permanent by nature: retrying the same bytes gives the same answer. The engine attaches the file
/// or object name that was being read when it reports one.
public enum CoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// AES-GCM refused the ciphertext: the bytes were altered, or the key (password) is wrong. Names what was opened.
    case authenticationFailed(String)
    /// Bytes that decrypted correctly, or a plaintext header, do not follow the format. Names what and where.
    case malformed(String)
    /// A C library (OpenSSL, libzstd, libb2) reported a failure it should not have. Names the call.
    case library(String)
    /// A caller passed a value outside the allowed range. Names the parameter.
    case invalidArgument(String)

    /// A message for a person: what failed and where.
    public var description: String {
        switch self {
        case .authenticationFailed(let what): "authentication failed for \(what): the data was altered or the key is wrong"
        case .malformed(let what): "malformed data: \(what)"
        case .library(let what): "library failure: \(what)"
        case .invalidArgument(let what): "invalid argument: \(what)"
        }
    }
}
