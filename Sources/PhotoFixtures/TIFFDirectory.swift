// Little-endian TIFF image file directories: building them for RAW headers and reading them back for edits.

/// A TIFF field type and its element size.
enum TIFFType: UInt16 {
    case byte = 1, ascii = 2, short = 3, long = 4, rational = 5, undefined = 7, signedRational = 10

    var size: Int {
        switch self {
        case .byte, .ascii, .undefined: return 1
        case .short: return 2
        case .long: return 4
        case .rational, .signedRational: return 8
        }
    }
}

/// One directory entry. Values of more than four bytes live after the directory, unless `external`
/// says they live elsewhere in the file (then the entry only records their offset).
struct TIFFEntry {
    var tag: UInt16
    var type: TIFFType
    var count: UInt32
    /// The encoded values (`count * type.size` bytes), or empty for external values.
    var payload: [UInt8]
    /// Offset of a value stored outside this directory's value area.
    var external: UInt32?

    static func ascii(_ tag: UInt16, _ text: String) -> TIFFEntry {
        let bytes = Array(text.utf8) + [0]
        return TIFFEntry(tag: tag, type: .ascii, count: UInt32(bytes.count), payload: bytes)
    }

    static func short(_ tag: UInt16, _ values: [UInt16]) -> TIFFEntry {
        var bytes: [UInt8] = []
        for value in values { bytes.appendLittleEndian(value) }
        return TIFFEntry(tag: tag, type: .short, count: UInt32(values.count), payload: bytes)
    }

    static func long(_ tag: UInt16, _ values: [UInt32]) -> TIFFEntry {
        var bytes: [UInt8] = []
        for value in values { bytes.appendLittleEndian(value) }
        return TIFFEntry(tag: tag, type: .long, count: UInt32(values.count), payload: bytes)
    }

    static func rational(_ tag: UInt16, _ values: [(UInt32, UInt32)]) -> TIFFEntry {
        var bytes: [UInt8] = []
        for (numerator, denominator) in values {
            bytes.appendLittleEndian(numerator)
            bytes.appendLittleEndian(denominator)
        }
        return TIFFEntry(tag: tag, type: .rational, count: UInt32(values.count), payload: bytes)
    }

    static func signedRational(_ tag: UInt16, _ values: [(Int32, Int32)]) -> TIFFEntry {
        var bytes: [UInt8] = []
        for (numerator, denominator) in values {
            bytes.appendLittleEndian(UInt32(bitPattern: numerator))
            bytes.appendLittleEndian(UInt32(bitPattern: denominator))
        }
        return TIFFEntry(tag: tag, type: .signedRational, count: UInt32(values.count), payload: bytes)
    }

    static func bytes(_ tag: UInt16, _ type: TIFFType, _ values: [UInt8]) -> TIFFEntry {
        TIFFEntry(tag: tag, type: type, count: UInt32(values.count), payload: values)
    }

    /// A value stored elsewhere in the file (XMP packet, preview, strips).
    static func external(_ tag: UInt16, _ type: TIFFType, count: UInt32, offset: UInt32) -> TIFFEntry {
        TIFFEntry(tag: tag, type: type, count: count, payload: [], external: offset)
    }
}

/// An image file directory: entries sorted by tag, followed by their out-of-line values.
struct TIFFDirectory {
    var entries: [TIFFEntry]

    /// Encoded size in bytes: the directory plus its value area. Independent of the values themselves.
    var encodedSize: Int {
        var size = 2 + 12 * entries.count + 4
        for entry in entries where entry.external == nil && entry.payload.count > 4 {
            size += (entry.payload.count + 1) & ~1
        }
        return size
    }

    /// Replaces the value of `tag` with one LONG (for offsets filled in once the layout is known).
    mutating func setLong(_ tag: UInt16, _ value: UInt32) {
        guard let index = entries.firstIndex(where: { $0.tag == tag }) else { return }
        entries[index] = .long(tag, [value])
    }

    /// Replaces the offset of an external value.
    mutating func setExternal(_ tag: UInt16, count: UInt32, offset: UInt32) {
        guard let index = entries.firstIndex(where: { $0.tag == tag }) else { return }
        entries[index].count = count
        entries[index].external = offset
    }

    /// The directory encoded for placement at file offset `offset`.
    func encode(at offset: Int) -> [UInt8] {
        let sorted = entries.sorted { $0.tag < $1.tag }
        var head: [UInt8] = []
        var values: [UInt8] = []
        let valueBase = offset + 2 + 12 * sorted.count + 4
        head.appendLittleEndian(UInt16(sorted.count))
        for entry in sorted {
            head.appendLittleEndian(entry.tag)
            head.appendLittleEndian(entry.type.rawValue)
            head.appendLittleEndian(entry.count)
            if let external = entry.external {
                head.appendLittleEndian(external)
            } else if entry.payload.count <= 4 {
                head.append(contentsOf: entry.payload)
                head.append(contentsOf: [UInt8](repeating: 0, count: 4 - entry.payload.count))
            } else {
                head.appendLittleEndian(UInt32(valueBase + values.count))
                values.append(contentsOf: entry.payload)
                if values.count & 1 == 1 { values.append(0) }
            }
        }
        head.appendLittleEndian(UInt32(0))
        return head + values
    }
}

/// A directory entry as found in an existing file.
struct TIFFField {
    var tag: UInt16
    var type: UInt16
    var count: UInt32
    /// Position of the entry's 4-byte value/offset field in the file.
    var valuePosition: Int
    /// The value/offset field read as a LONG.
    var value: UInt32

    /// Whether the values are stored out of line (so `value` is an offset).
    var isOffset: Bool {
        let size = TIFFType(rawValue: type)?.size ?? 1
        return Int(count) * size > 4
    }
}

/// Reading little-endian TIFF structure from the head of a file.
enum TIFFReader {
    /// The offset of the first directory, or nil if `bytes` does not start with `II*\0`.
    static func firstDirectoryOffset(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 8, bytes[0] == 0x49, bytes[1] == 0x49, bytes[2] == 42, bytes[3] == 0 else { return nil }
        return Int(bytes.readLittleEndianUInt32(at: 4))
    }

    /// The entries of the directory at `offset`, or nil if it does not fit in `bytes`.
    static func directory(_ bytes: [UInt8], at offset: Int) -> [TIFFField]? {
        guard offset >= 8, offset + 2 <= bytes.count else { return nil }
        let count = Int(bytes.readLittleEndianUInt16(at: offset))
        guard offset + 2 + 12 * count + 4 <= bytes.count else { return nil }
        var fields: [TIFFField] = []
        for index in 0..<count {
            let position = offset + 2 + 12 * index
            fields.append(TIFFField(
                tag: bytes.readLittleEndianUInt16(at: position),
                type: bytes.readLittleEndianUInt16(at: position + 2),
                count: bytes.readLittleEndianUInt32(at: position + 4),
                valuePosition: position + 8,
                value: bytes.readLittleEndianUInt32(at: position + 8)))
        }
        return fields
    }
}

extension Array where Element == UInt8 {
    mutating func appendLittleEndian(_ value: UInt16) {
        append(UInt8(truncatingIfNeeded: value))
        append(UInt8(truncatingIfNeeded: value >> 8))
    }

    mutating func appendLittleEndian(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    mutating func appendBigEndian(_ value: UInt16) {
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value))
    }

    mutating func appendBigEndian(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    func readLittleEndianUInt16(at offset: Int) -> UInt16 {
        UInt16(self[offset]) | UInt16(self[offset + 1]) << 8
    }

    func readLittleEndianUInt32(at offset: Int) -> UInt32 {
        UInt32(self[offset]) | UInt32(self[offset + 1]) << 8 | UInt32(self[offset + 2]) << 16 | UInt32(self[offset + 3]) << 24
    }

    mutating func writeLittleEndian(_ value: UInt32, at offset: Int) {
        for index in 0..<4 { self[offset + index] = UInt8(truncatingIfNeeded: value >> UInt32(8 * index)) }
    }
}
