// ByteWriter: appends little-endian integers and byte strings to a growing buffer (format encoders).

/// A growable byte buffer with little-endian integer writers, used by every binary encoder in the format.
package struct ByteWriter: Sendable {
    /// The bytes written so far.
    package private(set) var bytes: [UInt8]

    /// Creates an empty writer with room for `capacity` bytes.
    package init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Appends one byte.
    package mutating func u8(_ v: UInt8) { bytes.append(v) }

    /// Appends a 16-bit unsigned integer, little endian.
    package mutating func u16(_ v: UInt16) { appendLE(v) }

    /// Appends a 32-bit unsigned integer, little endian.
    package mutating func u32(_ v: UInt32) { appendLE(v) }

    /// Appends a 64-bit unsigned integer, little endian.
    package mutating func u64(_ v: UInt64) { appendLE(v) }

    /// Appends a 64-bit signed integer, little endian two's complement.
    package mutating func i64(_ v: Int64) { appendLE(UInt64(bitPattern: v)) }

    /// Appends raw bytes.
    package mutating func bytes(_ b: some Sequence<UInt8>) { bytes.append(contentsOf: b) }

    /// Appends an object ID (32 bytes).
    package mutating func id(_ id: ObjectID) { id.withBytes { bytes.append(contentsOf: $0) } }

    private mutating func appendLE<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }
}
