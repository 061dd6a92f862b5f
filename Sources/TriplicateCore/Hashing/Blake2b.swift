// Blake2b: keyed BLAKE2b-256 (RFC 7693) through libb2, the hash that names chunks and trees.
internal import CBlake2

/// Keyed BLAKE2b with a 32-byte output: the chunk and tree ID function.
///
/// The key is a repository secret, so IDs do not reveal which known files a repository holds.
@_spi(Benchmarks) public struct KeyedBlake2b: Sendable {
    private let key: [UInt8]

    /// Creates a hasher with `key` (1 to 64 bytes).
    public init(key: [UInt8]) throws(CoreError) {
        guard (1...64).contains(key.count) else { throw .invalidArgument("BLAKE2b key must be 1-64 bytes, got \(key.count)") }
        self.key = key
    }

    /// The 32-byte keyed BLAKE2b digest of `data`.
    public func id(_ data: UnsafeRawBufferPointer) -> ObjectID {
        var out = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        withUnsafeMutableBytes(of: &out) { o in
            key.withUnsafeBytes { k in
                // libb2 only fails on invalid lengths, which init and the fixed 32-byte output rule out.
                _ = blake2b(o.baseAddress?.assumingMemoryBound(to: UInt8.self), data.baseAddress, k.baseAddress,
                            32, data.count, k.count)
            }
        }
        return withUnsafeBytes(of: out) { ObjectID($0) }
    }

    /// The 32-byte keyed BLAKE2b digest of `data`.
    public func id(_ data: [UInt8]) -> ObjectID { data.withUnsafeBytes { id($0) } }

    /// Unkeyed or keyed BLAKE2b of any output length 1...64, for known-answer tests against RFC 7693 and the
    /// reference vectors.
    public static func digest(_ data: [UInt8], key: [UInt8] = [], outputLength: Int = 64) throws(CoreError) -> [UInt8] {
        guard (1...64).contains(outputLength), key.count <= 64 else {
            throw .invalidArgument("BLAKE2b output 1-64 bytes and key at most 64 bytes")
        }
        var out = [UInt8](repeating: 0, count: outputLength)
        let rc = out.withUnsafeMutableBytes { o in
            data.withUnsafeBytes { d in
                key.withUnsafeBytes { k in
                    blake2b(o.baseAddress?.assumingMemoryBound(to: UInt8.self), d.baseAddress,
                            key.isEmpty ? nil : k.baseAddress, outputLength, d.count, key.count)
                }
            }
        }
        guard rc == 0 else { throw .library("blake2b returned \(rc)") }
        return out
    }
}
