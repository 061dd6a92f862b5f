// ObjectID: the 32-byte name of a blob or file in a repository, with hex conversion.

/// A 32-byte identifier: a chunk or tree ID (keyed BLAKE2b-256) or a file name (SHA-256 of its bytes).
///
/// Stored as four words so that hashing and comparison are cheap; ordering is the lexicographic order of the bytes.
public struct ObjectID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Size of an ID in bytes.
    public static let byteCount = 32
    // Big-endian words, so that comparing words compares the bytes lexicographically.
    @usableFromInline let w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    /// Creates an ID from exactly 32 bytes (extra bytes are ignored; fewer are zero-padded).
    public init(_ bytes: UnsafeRawBufferPointer) {
        func word(_ i: Int) -> UInt64 {
            var v: UInt64 = 0
            for j in 0..<8 {
                let k = i * 8 + j
                v = (v << 8) | UInt64(k < bytes.count ? bytes[k] : 0)
            }
            return v
        }
        w0 = word(0); w1 = word(1); w2 = word(2); w3 = word(3)
    }

    /// The first eight bytes as a big-endian number: IDs sort as these do (then by the rest), and for hash-named
    /// IDs they are uniformly spread, which fan-out tables and interpolation searches use.
    @inlinable public var leadingWord: UInt64 { w0 }

    /// Creates an ID from a byte array of length 32.
    public init(bytes: [UInt8]) {
        self = bytes.withUnsafeBytes { ObjectID($0) }
    }

    /// Parses 64 lowercase or uppercase hex digits; nil for anything else.
    public init?(hex: some StringProtocol) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 64 else { return nil }
        var out = [UInt8](repeating: 0, count: 32)
        for i in 0..<32 {
            guard let hi = Self.nibble(utf8[2 * i]), let lo = Self.nibble(utf8[2 * i + 1]) else { return nil }
            out[i] = hi << 4 | lo
        }
        self.init(bytes: out)
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Calls `body` with the 32 bytes of the ID.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let t = (w0.bigEndian, w1.bigEndian, w2.bigEndian, w3.bigEndian)
        return try withUnsafeBytes(of: t) { try body($0) }
    }

    /// The 32 bytes of the ID.
    public var bytes: [UInt8] { withBytes { Array($0) } }

    /// The ID as 64 lowercase hex digits: the form used in file names and by the CLI.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        withBytes { b in
            for x in b {
                out.append(digits[Int(x >> 4)])
                out.append(digits[Int(x & 15)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The first 8 hex digits, used to show an ID to a person.
    public var short: String { String(hex.prefix(8)) }

    /// The 64 hex digits.
    public var description: String { hex }

    /// Byte-lexicographic order.
    public static func < (a: ObjectID, b: ObjectID) -> Bool {
        (a.w0, a.w1, a.w2, a.w3) < (b.w0, b.w1, b.w2, b.w3)
    }
}
