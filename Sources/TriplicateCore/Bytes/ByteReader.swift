// ByteReader: reads little-endian integers and byte strings from a buffer, failing cleanly on truncation.

/// A cursor over bytes that decodes little-endian integers; every read checks the remaining length and throws
/// ``CoreError/malformed(_:)`` naming `context` instead of trapping on truncated or hostile input.
package struct ByteReader: Sendable {
    private let data: [UInt8]
    /// The read position, in bytes from the start.
    package private(set) var offset: Int
    private let end: Int
    private let context: String

    /// Creates a reader over `data[range]`; `context` names the object in error messages.
    package init(_ data: [UInt8], range: Range<Int>? = nil, context: String) {
        self.data = data
        let r = range ?? 0..<data.count
        self.offset = r.lowerBound
        self.end = r.upperBound
        self.context = context
    }

    /// Bytes left to read.
    package var remaining: Int { end - offset }

    /// True when every byte has been read.
    package var isAtEnd: Bool { offset == end }

    private mutating func take(_ n: Int) throws(CoreError) -> Range<Int> {
        guard n >= 0, n <= end - offset else {
            throw .malformed("\(context): truncated at byte \(offset) (wanted \(n) more, \(end - offset) left)")
        }
        defer { offset += n }
        return offset..<(offset + n)
    }

    private mutating func readLE<T: FixedWidthInteger>(_: T.Type) throws(CoreError) -> T {
        let r = try take(MemoryLayout<T>.size)
        var v: T = 0
        for i in r.reversed() { v = (v << 8) | T(data[i]) }
        return v
    }

    /// Reads one byte.
    package mutating func u8() throws(CoreError) -> UInt8 { data[try take(1).lowerBound] }
    /// Reads a little-endian UInt16.
    package mutating func u16() throws(CoreError) -> UInt16 { try readLE(UInt16.self) }
    /// Reads a little-endian UInt32.
    package mutating func u32() throws(CoreError) -> UInt32 { try readLE(UInt32.self) }
    /// Reads a little-endian UInt64.
    package mutating func u64() throws(CoreError) -> UInt64 { try readLE(UInt64.self) }
    /// Reads a little-endian two's-complement Int64.
    package mutating func i64() throws(CoreError) -> Int64 { Int64(bitPattern: try readLE(UInt64.self)) }
    /// Reads `n` raw bytes.
    package mutating func bytes(_ n: Int) throws(CoreError) -> [UInt8] { Array(data[try take(n)]) }
    /// Reads a 32-byte object ID.
    package mutating func id() throws(CoreError) -> ObjectID {
        let r = try take(ObjectID.byteCount)
        return data.withUnsafeBytes { ObjectID(UnsafeRawBufferPointer(rebasing: $0[r])) }
    }

    /// Throws unless every byte was consumed (trailing garbage is malformed).
    package func expectEnd() throws(CoreError) {
        guard offset == end else { throw .malformed("\(context): \(end - offset) unexpected trailing bytes") }
    }

    /// Throws a malformed-data error naming this reader's context.
    package func fail(_ message: String) -> CoreError { .malformed("\(context): \(message)") }
}
