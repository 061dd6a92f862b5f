// DestinationConformanceTests: every destination passes the same contract checks (DestinationConformance).
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Testing
import DestinationConformance
import Triplicate

@Suite struct LocalDirectoryConformance {
    @Test(arguments: ConformanceCheck.all) func conforms(_ check: ConformanceCheck) async throws {
        let t = TempDir("conformance-local")
        let d = LocalDirectory(path: t.sub("repo"))
        try d.createRoot()
        try await d.put("config", data: [1])  // a repository folder: puts need its config
        try await check.run(on: d)
    }
}

@Suite struct MemoryDestinationConformance {
    @Test(arguments: ConformanceCheck.all) func conforms(_ check: ConformanceCheck) async throws {
        try await check.run(on: MemoryDestination())
    }
}

/// A destination that breaks the contract in small ways, to show the checks catch them.
private final class SloppyDestination: Destination, @unchecked Sendable {
    let inner = MemoryDestination()
    let flaw: String
    init(flaw: String) { self.flaw = flaw }
    var displayName: String { "sloppy" }
    func put(_ name: String, data: [UInt8]) async throws(DestinationError) {
        if flaw == "accepts uppercase", name.contains("UPPER") { return }
        try await inner.put(name, data: flaw == "truncates" && data.count > 1000 ? Array(data.prefix(1000)) : data)
    }
    func get(_ name: String) async throws(DestinationError) -> [UInt8] { try await inner.get(name) }
    func get(_ name: String, range: Range<Int64>) async throws(DestinationError) -> [UInt8] { try await inner.get(name, range: range) }
    func list(prefix: String) async throws(DestinationError) -> [ObjectInfo] {
        let all = try await inner.list(prefix: prefix)
        return flaw == "pages once" ? Array(all.prefix(1000)) : all
    }
    func delete(_ name: String) async throws(DestinationError) {
        if flaw == "delete fails when missing", (try? await inner.stat(name)) == nil {
            throw DestinationError(.notFound, object: name, "gone")
        }
        try await inner.delete(name)
    }
    func stat(_ name: String) async throws(DestinationError) -> ObjectInfo { try await inner.stat(name) }
}

@Suite struct ConformanceChecksCatchFlaws {
    @Test(arguments: [("truncates", "put then get returns the same bytes, stat the size"),
                      ("pages once", "list returns every one of 2,500 objects under a prefix, and only those"),
                      ("accepts uppercase", "invalid names are refused with invalidName; valid edge names work"),
                      ("delete fails when missing", "delete removes the object and is idempotent")])
    func aFlawFailsItsCheck(flaw: String, checkName: String) async throws {
        let check = try #require(ConformanceCheck.all.first { $0.name == checkName })
        await #expect(throws: (any Error).self) { try await check.run(on: SloppyDestination(flaw: flaw)) }
    }
}
