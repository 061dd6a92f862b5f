// LocalDirectoryTests: storing a staged file (linked, or copied across file systems) and reading ranges into
// a caller's buffer.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Testing
@testable import TriplicateDestinations
import TriplicateSystem
import TriplicateCore

@Suite struct LocalDirectoryTests {
    private func destination(_ t: TempDir) throws -> LocalDirectory {
        let d = LocalDirectory(path: t.sub("repo"))
        try d.createRoot()
        try writeFile(t.sub("repo/config"), [1])
        return d
    }

    @Test func aStagedFileIsLinkedIntoPlaceAndLeftForTheCaller() async throws {
        let t = TempDir("putfile")
        let d = try destination(t)
        let staged = t.sub("repo/pack.tmp-0000000000000001")
        let bytes = pseudoRandomBytes(300_000, seed: 4)
        try writeFile(staged, bytes)
        try await d.put("data/ab/abcd", file: staged)
        #expect(try await d.get("data/ab/abcd") == bytes)
        #expect(FileManager.default.fileExists(atPath: staged), "the staged file is the caller's to remove")
        let links = try FileManager.default.attributesOfItem(atPath: staged)[.referenceCount] as? Int
        #expect(links == 2, "same file system: a hard link, not a copy")
        // Listings never show staged files.
        #expect(try await d.list(prefix: "").map(\.name).sorted() == ["config", "data/ab/abcd"])
        // Putting the same object again is idempotent.
        try await d.put("data/ab/abcd", file: staged)
        #expect(try await d.get("data/ab/abcd") == bytes)
    }

    @Test func copyingAFileGivesTheSameBytes() throws {
        let t = TempDir("copy")
        let bytes = pseudoRandomBytes((9 << 20) + 17, seed: 5)  // more than two 4 MiB pieces
        try writeFile(t.sub("a"), bytes)
        try FileSystem.copyFile(from: t.sub("a"), to: t.sub("b"))
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: t.sub("b")))) == bytes)
        #expect(throws: FileSystemError.self) { try FileSystem.copyFile(from: t.sub("a"), to: t.sub("b")) }
    }

    @Test func rangesAreReadIntoTheCallersBufferExactly() async throws {
        let t = TempDir("getinto")
        let d = try destination(t)
        let bytes = pseudoRandomBytes(100_000, seed: 6)
        try await d.put("data/cd/cdef", data: bytes)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 50_000, alignment: 16)
        defer { buffer.deallocate() }
        try await d.get("data/cd/cdef", range: 12_345..<62_345, into: buffer)
        #expect(Array(buffer) == Array(bytes[12_345..<62_345]))
        await #expect(throws: DestinationError.self) { try await d.get("data/cd/cdef", range: 90_000..<140_000, into: buffer) }
        do {
            try await d.get("data/cd/none", range: 0..<10, into: buffer)
            Issue.record("a missing object was read")
        } catch {
            #expect(error.kind == .notFound)
        }
    }
}
