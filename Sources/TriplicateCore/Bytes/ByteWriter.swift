// ByteWriter: appends little-endian integers and byte strings to a growing buffer (format encoders).

/// A growable byte buffer with little-endian integer writers, used by every binary encoder in the format.
public struct ByteWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8]

    /// Creates an empty writer with room for `capacity` bytes.
    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Appends one byte.
    public mutating func u8(_ v: UInt8) { bytes.append(v) }

    /// Appends a 16-bit unsigned integer, little endian.
    public mutating func u16(_ v: UInt16) { appendLE(v) }

    /// Appends a 32-bit unsigned integer, little endian.
    public mutating func u32(_ v: UInt32) { appendLE(v) }

    /// Appends a 64-bit unsigned integer, little endian.
    public mutating func u64(_ v: UInt64) { appendLE(v) }

    /// Appends a 64-bit signed integer, little endian two's complement.
    public mutating func i64(_ v: Int64) { appendLE(UInt64(bitPattern: v)) }

    /// Appends raw bytes.
    public mutating func bytes(_ b: some Sequence<UInt8>) { bytes.append(contentsOf: b) }

    /// Appends an object ID (32 bytes).
    public mutating func id(_ id: ObjectID) { id.withBytes { bytes.append(contentsOf: $0) } }

    private mutating func appendLE<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }
}
