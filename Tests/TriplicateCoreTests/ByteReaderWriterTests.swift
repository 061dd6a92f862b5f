// ByteReaderWriterTests: the little-endian layout of every width, and truncated reads that throw instead of trapping.

@_spi(Benchmarks) import TriplicateCore
import Testing

@testable import TriplicateCore

@Suite("ByteReader and ByteWriter")
struct ByteReaderWriterTests {
    @Test("each writer width lays its value out little endian")
    func layout() {
        var w = ByteWriter()
        w.u8(0xAB)
        #expect(w.bytes == [0xAB])
        w = ByteWriter()
        w.u16(0x0102)
        #expect(w.bytes == [0x02, 0x01])
        w = ByteWriter()
        w.u32(0x0102_0304)
        #expect(w.bytes == [0x04, 0x03, 0x02, 0x01])
        w = ByteWriter()
        w.u64(0x0102_0304_0506_0708)
        #expect(w.bytes == [0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01])
        w = ByteWriter()
        w.i64(-2)
        #expect(w.bytes == [0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        w = ByteWriter()
        w.i64(Int64.min)
        #expect(w.bytes == [0, 0, 0, 0, 0, 0, 0, 0x80])
        w = ByteWriter()
        let id = ObjectID(bytes: [UInt8](1...32))
        w.id(id)
        #expect(w.bytes == [UInt8](1...32))
        w = ByteWriter(capacity: 0)
        w.bytes([9, 8, 7])
        w.bytes(ArraySlice<UInt8>([6]))
        #expect(w.bytes == [9, 8, 7, 6])
    }

    @Test("writes concatenate in order, and a reader reads back every value")
    func roundTrip() throws {
        var w = ByteWriter()
        let id = ObjectID(bytes: pseudoRandomBytes(count: 32, seed: 5))
        w.u8(0xFF)
        w.u16(.max)
        w.u32(0xDEAD_BEEF)
        w.u64(.max - 1)
        w.i64(.min)
        w.i64(-1)
        w.i64(.max)
        w.id(id)
        w.bytes([1, 2, 3])
        #expect(w.bytes.count == 1 + 2 + 4 + 8 + 8 + 8 + 8 + 32 + 3)
        var r = ByteReader(w.bytes, context: "round trip")
        #expect(try r.u8() == 0xFF)
        #expect(try r.u16() == .max)
        #expect(try r.u32() == 0xDEAD_BEEF)
        #expect(try r.u64() == .max - 1)
        #expect(try r.i64() == .min)
        #expect(try r.i64() == -1)
        #expect(try r.i64() == .max)
        #expect(try r.id() == id)
        #expect(r.remaining == 3 && !r.isAtEnd)
        #expect(try r.bytes(3) == [1, 2, 3])
        #expect(r.isAtEnd && r.remaining == 0)
        try r.expectEnd()
    }

    @Test("a reader decodes fixed little-endian bytes to the expected values")
    func readLayout() throws {
        let bytes: [UInt8] = [0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01]
        var r = ByteReader(bytes, context: "t")
        #expect(try r.u16() == 0x0708)
        r = ByteReader(bytes, context: "t")
        #expect(try r.u32() == 0x0506_0708)
        r = ByteReader(bytes, context: "t")
        #expect(try r.u64() == 0x0102_0304_0506_0708)
        r = ByteReader([0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], context: "t")
        #expect(try r.i64() == -2)
    }

    @Test("every read past the end throws malformed, names the context and leaves the position alone")
    func truncation() throws {
        for available in 0..<32 {
            let data = [UInt8](repeating: 0x5A, count: available)
            func check(_ width: Int, _ read: (inout ByteReader) throws -> Void) {
                var r = ByteReader(data, context: "sample.bin")
                if available >= width {
                    #expect(throws: Never.self) { try read(&r) }
                } else {
                    let error = #expect(throws: CoreError.self, "\(width) from \(available)") { try read(&r) }
                    #expect(error?.kind == .malformed)
                    #expect(error?.description.contains("sample.bin") == true)
                    #expect(r.offset == 0 && r.remaining == available)
                }
            }
            check(1) { _ = try $0.u8() }
            check(2) { _ = try $0.u16() }
            check(4) { _ = try $0.u32() }
            check(8) { _ = try $0.u64() }
            check(8) { _ = try $0.i64() }
            check(32) { _ = try $0.id() }
            check(available + 1) { _ = try $0.bytes(available + 1) }
            check(Int.max) { _ = try $0.bytes(Int.max) }
        }
    }

    @Test("a negative length is malformed, not a trap")
    func negativeLength() {
        var r = ByteReader([1, 2, 3], context: "t")
        expectCoreError(.malformed) { try r.bytes(-1) }
        expectCoreError(.malformed) { try r.bytes(Int.min) }
        #expect(r.offset == 0)
    }

    @Test("a reader over a range reads only that range, and its offsets count from the array's start")
    func range() throws {
        let data: [UInt8] = [0xEE, 0x01, 0x02, 0x03, 0xEE]
        var r = ByteReader(data, range: 1..<4, context: "t")
        #expect(r.offset == 1 && r.remaining == 3)
        #expect(try r.u16() == 0x0201)
        expectCoreError(.malformed) { try r.u16() }
        #expect(try r.u8() == 0x03)
        #expect(r.isAtEnd && r.offset == 4)
        expectCoreError(.malformed) { try r.u8() }
    }

    @Test("expectEnd throws malformed while bytes remain; fail() makes a malformed error with the context")
    func expectEnd() throws {
        var r = ByteReader([1, 2], context: "trailing.bin")
        expectCoreError(.malformed) { try r.expectEnd() }
        _ = try r.u8()
        expectCoreError(.malformed) { try r.expectEnd() }
        _ = try r.u8()
        try r.expectEnd()
        let e = r.fail("bad thing")
        #expect(e.kind == .malformed && e.description.contains("trailing.bin") && e.description.contains("bad thing"))
        try ByteReader([], context: "empty").expectEnd()
    }
}
