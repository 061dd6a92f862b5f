// DestinationConformance: the checks every Destination must pass, shared by the tests of every destination
// (and usable by a library user testing a destination of their own).
public import TriplicateCore
import Foundation

/// A violation of the ``Destination`` contract, naming the check and what was seen.
public struct ConformanceFailure: Error, Sendable, CustomStringConvertible {
    /// The check that failed.
    public var check: String
    /// What was expected and what happened.
    public var message: String
    public var description: String { "\(check): \(message)" }
}

/// One check of the ``Destination`` contract. Run each on a fresh destination that is ready to store objects and
/// empty below `conformance/`, where every check keeps its objects. With Swift Testing: `@Test(arguments: ConformanceCheck.all) func conforms(_ c: ConformanceCheck)`.
public struct ConformanceCheck: Sendable, CustomStringConvertible {
    /// A short name for test reports.
    public let name: String
    private let body: @Sendable (any Destination, Context) async throws -> Void

    public var description: String { name }

    init(_ name: String, _ body: @escaping @Sendable (any Destination, Context) async throws -> Void) {
        self.name = name
        self.body = body
    }

    /// Runs the check on `destination`; throws ``ConformanceFailure`` (or the destination's unexpected error).
    public func run(on destination: any Destination) async throws {
        let context = Context(check: name)
        defer { context.cleanUp() }
        try await body(destination, context)
    }

    /// Every check.
    public static let all: [ConformanceCheck] = [
        putAndGet, rangedGets, missingObjects, idempotentPut, putFromFile, largeObject, listMany, delete,
        concurrentOperations, names, stagingDirectory,
    ]
}

/// Helpers for one check: failures with its name, deterministic bytes, temporary local files.
final class Context: @unchecked Sendable {
    // Touched by the one task running the check.
    let check: String
    private var files: [String] = []

    init(check: String) { self.check = check }

    func fail(_ message: String) -> ConformanceFailure { ConformanceFailure(check: check, message: message) }

    func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw fail(message()) }
    }

    /// Expects `operation` to fail with `kind`.
    func expectError<T>(_ kind: DestinationError.Kind, _ what: String, _ operation: () async throws(DestinationError) -> T) async throws {
        do {
            _ = try await operation()
            throw fail("\(what) succeeded; expected \(kind)")
        } catch let e as DestinationError {
            try expect(e.kind == kind, "\(what) failed with \(e.kind) (\(e)); expected \(kind)")
        }
    }

    /// `count` bytes that differ with `seed`.
    func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 &+ 1
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { raw in
            for i in 0..<raw.count {
                if i % 8 == 0 {
                    state &+= 0x9E37_79B9_7F4A_7C15
                    var z = state
                    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                    state = z
                }
                raw[i] = UInt8(truncatingIfNeeded: state >> UInt64((i % 8) * 8))
            }
        }
        return out
    }

    /// A local file holding `bytes`, in `directory` (default: the temporary folder); removed after the check.
    func localFile(_ bytes: [UInt8], in directory: String? = nil) throws -> String {
        let dir = directory ?? FileManager.default.temporaryDirectory.path
        let path = dir + "/conformance.tmp-" + UUID().uuidString.lowercased()
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { throw fail("cannot create \(path)") }
        files.append(path)
        return path
    }

    func cleanUp() { for f in files { try? FileManager.default.removeItem(atPath: f) } }
}

extension ConformanceCheck {
    static let putAndGet = ConformanceCheck("put then get returns the same bytes, stat the size") { d, c in
        for (i, size) in [0, 1, 1000, 65_537, 1 << 20].enumerated() {
            let name = "conformance/put/object-\(i)"
            let data = c.bytes(size, seed: UInt64(i))
            try await d.put(name, data: data)
            try c.expect(try await d.get(name) == data, "\(name): get returned other bytes")
            let info = try await d.stat(name)
            try c.expect(info.size == Int64(size) && info.name == name, "\(name): stat says \(info), expected \(size) bytes")
        }
    }

    static let rangedGets = ConformanceCheck("ranged gets return exactly the range; past the end is an error") { d, c in
        let name = "conformance/range/object"
        let data = c.bytes(100_000, seed: 7)
        try await d.put(name, data: data)
        for r in [0..<1, 0..<100_000, 12_345..<12_346, 99_000..<100_000, 50_000..<50_000] as [Range<Int>] {
            let got = try await d.get(name, range: Int64(r.lowerBound)..<Int64(r.upperBound))
            try c.expect(got == Array(data[r]), "range \(r) returned \(got.count) other bytes")
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(r.count, 1), alignment: 16)
            defer { buffer.deallocate() }
            try await d.get(name, range: Int64(r.lowerBound)..<Int64(r.upperBound), into: buffer)
            try c.expect(Array(buffer.prefix(r.count)) == Array(data[r]), "range \(r) read into a buffer differs")
        }
        do {
            _ = try await d.get(name, range: 99_999..<100_001)
            throw c.fail("a range past the end succeeded")
        } catch let e as DestinationError {
            try c.expect(e.kind != .notFound, "a range past the end of an existing object reported notFound")
        }
    }

    static let missingObjects = ConformanceCheck("a missing object is notFound for get, ranged get and stat; delete succeeds") { d, c in
        let name = "conformance/missing/none"
        try await c.expectError(.notFound, "get") { () throws(DestinationError) in try await d.get(name) }
        try await c.expectError(.notFound, "ranged get") { () throws(DestinationError) in try await d.get(name, range: 0..<1) }
        try await c.expectError(.notFound, "stat") { () throws(DestinationError) in try await d.stat(name) }
        try await d.delete(name)
        try c.expect(try await d.list(prefix: "conformance/missing/").isEmpty, "list shows a missing object")
    }

    static let idempotentPut = ConformanceCheck("putting the same bytes again succeeds and changes nothing") { d, c in
        let name = "conformance/again/object"
        let data = c.bytes(5000, seed: 3)
        try await d.put(name, data: data)
        try await d.put(name, data: data)
        let file = try c.localFile(data)
        try await d.put(name, file: file)
        try c.expect(try await d.get(name) == data, "the object changed")
        let listed = try await d.list(prefix: "conformance/again/")
        try c.expect(listed == [ObjectInfo(name: name, size: 5000)], "list shows \(listed)")
    }

    static let putFromFile = ConformanceCheck("put from a file stores its bytes and leaves the file") { d, c in
        let data = c.bytes(300_001, seed: 11)
        let file = try c.localFile(data)
        try await d.put("conformance/file/object", file: file)
        try c.expect(try await d.get("conformance/file/object") == data, "the object differs from the file")
        try c.expect(FileManager.default.fileExists(atPath: file), "the source file was removed")
        try c.expect((try? Data(contentsOf: URL(fileURLWithPath: file))) == Data(data), "the source file was changed")
    }

    static let largeObject = ConformanceCheck("a 24 MiB object round-trips, and its last bytes read by range") { d, c in
        let data = c.bytes(24 << 20, seed: 13)
        let file = try c.localFile(data)
        let name = "conformance/large/object"
        try await d.put(name, file: file)
        try c.expect(try await d.stat(name).size == Int64(data.count), "stat of the large object is wrong")
        let tail = try await d.get(name, range: Int64(data.count - 4096)..<Int64(data.count))
        try c.expect(tail == Array(data.suffix(4096)), "the last 4 KiB differ")
        try c.expect(try await d.get(name) == data, "the large object differs")
    }

    static let listMany = ConformanceCheck("list returns every one of 2,500 objects under a prefix, and only those") { d, c in
        var expected: [String: Int64] = [:]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for batch in 0..<25 {
                group.addTask {
                    for i in 0..<100 {
                        let n = batch * 100 + i
                        let name = "conformance/list/\(n % 2 == 0 ? "a" : "b")/\(String(format: "%02x", n % 256))/object-\(n)"
                        try await d.put(name, data: [UInt8](repeating: UInt8(n % 251), count: n % 7))
                    }
                }
            }
            try await group.waitForAll()
        }
        for n in 0..<2500 {
            expected["conformance/list/\(n % 2 == 0 ? "a" : "b")/\(String(format: "%02x", n % 256))/object-\(n)"] = Int64(n % 7)
        }
        let all = try await d.list(prefix: "conformance/list/")
        try c.expect(all.count == 2500, "list returned \(all.count) objects, expected 2,500")
        try c.expect(Dictionary(all.map { ($0.name, $0.size) }, uniquingKeysWith: { a, _ in a }) == expected, "list returned other names or sizes")
        let a = try await d.list(prefix: "conformance/list/a/")
        try c.expect(a.count == 1250 && a.allSatisfy { $0.name.hasPrefix("conformance/list/a/") }, "prefix a/ returned \(a.count)")
        let one = try await d.list(prefix: "conformance/list/b/0f/")
        try c.expect(one.count == expected.keys.filter { $0.hasPrefix("conformance/list/b/0f/") }.count, "a two-level prefix returned \(one.count)")
        try c.expect(try await d.list(prefix: "conformance/list/c/").isEmpty, "an unused prefix listed objects")
    }

    static let delete = ConformanceCheck("delete removes the object and is idempotent") { d, c in
        let name = "conformance/delete/object"
        try await d.put(name, data: c.bytes(100, seed: 5))
        try await d.put("conformance/delete/other", data: [1])
        try await d.delete(name)
        try await d.delete(name)
        try await c.expectError(.notFound, "get after delete") { () throws(DestinationError) in try await d.get(name) }
        let left = try await d.list(prefix: "conformance/delete/").map(\.name)
        try c.expect(left == ["conformance/delete/other"], "list after delete shows \(left)")
    }

    static let concurrentOperations = ConformanceCheck("64 puts and 64 gets at once all succeed with the right bytes") { d, c in
        let datas = (0..<64).map { c.bytes(10_000 + $0 * 1000, seed: 100 + UInt64($0)) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (i, data) in datas.enumerated() {
                group.addTask { try await d.put("conformance/concurrent/object-\(i)", data: data) }
            }
            try await group.waitForAll()
        }
        let results = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            for (i, data) in datas.enumerated() {
                group.addTask { (i, try await d.get("conformance/concurrent/object-\(i)") == data) }
            }
            var ok: [Int: Bool] = [:]
            for try await (i, same) in group { ok[i] = same }
            return ok
        }
        try c.expect(results.count == 64 && results.values.allSatisfy { $0 }, "some concurrent reads returned other bytes")
    }

    static let names = ConformanceCheck("invalid names are refused with invalidName; valid edge names work") { d, c in
        for bad in ["", "/conformance/abs", "conformance/../escape", "conformance//double", "conformance/UPPER",
                    "conformance/sp ace", "conformance/co:lon", "conformance/back\\slash", "conformance/.", "conformance/trailing/"] {
            try await c.expectError(.invalidName, "put \(String(reflecting: bad))") { () throws(DestinationError) in try await d.put(bad, data: [1]) }
            try await c.expectError(.invalidName, "get \(String(reflecting: bad))") { () throws(DestinationError) in try await d.get(bad) }
            try await c.expectError(.invalidName, "stat \(String(reflecting: bad))") { () throws(DestinationError) in try await d.stat(bad) }
            try await c.expectError(.invalidName, "delete \(String(reflecting: bad))") { () throws(DestinationError) in try await d.delete(bad) }
        }
        let good = ["conformance/names/" + String(repeating: "ab", count: 32), "conformance/names/a.b_c-d", "conformance/names/0"]
        for name in good {
            try await d.put(name, data: [2])
            try c.expect(try await d.get(name) == [2], "\(name) did not round-trip")
        }
        try c.expect(Set(try await d.list(prefix: "conformance/names/").map(\.name)) == Set(good), "the valid names are not all listed")
    }

    static let stagingDirectory = ConformanceCheck("a staging folder, if offered, takes files that put from a file stores") { d, c in
        guard let staging = d.stagingDirectory else { return }
        var isDirectory: ObjCBool = false
        try c.expect(FileManager.default.fileExists(atPath: staging, isDirectory: &isDirectory) && isDirectory.boolValue,
                     "the staging folder \(staging) does not exist")
        let data = c.bytes(70_000, seed: 17)
        let file = try c.localFile(data, in: staging)
        try await d.put("conformance/staged/object", file: file)
        try c.expect(try await d.get("conformance/staged/object") == data, "an object put from the staging folder differs")
        let listed = try await d.list(prefix: "").map(\.name)
        try c.expect(!listed.contains { $0.contains(".tmp-") }, "list shows a staged file")
    }
}
