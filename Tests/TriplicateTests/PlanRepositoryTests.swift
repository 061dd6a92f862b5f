// PlanRepositoryTests: a plan is one repository over its copies: the keys are unlocked once for all of them, reads go
// to the nearest copy that holds each file and fall back to the next one on a missing or damaged file, and the newest
// snapshot any copy holds is found while another copy lags.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Synchronization
import Testing
@testable import Triplicate

/// A destination in memory that counts the key files read from it and the configs.
final class CountingDestination: Destination {
    let inner = MemoryDestination()
    private let counts = Mutex<[String: Int]>([:])

    var displayName: String { "counting" }
    /// How many times a name starting with `prefix` was read.
    func reads(_ prefix: String) -> Int { counts.withLock { $0.filter { $0.key.hasPrefix(prefix) }.values.reduce(0, +) } }
    func resetCounts() { counts.withLock { $0 = [:] } }
    private func count(_ name: String) { counts.withLock { $0[name, default: 0] += 1 } }

    func put(_ name: String, data: [UInt8]) async throws(DestinationError) { try await inner.put(name, data: data) }
    func get(_ name: String) async throws(DestinationError) -> [UInt8] {
        count(name)
        return try await inner.get(name)
    }
    func get(_ name: String, range: Range<Int64>) async throws(DestinationError) -> [UInt8] {
        count(name)
        return try await inner.get(name, range: range)
    }
    func list(prefix: String) async throws(DestinationError) -> [ObjectInfo] { try await inner.list(prefix: prefix) }
    func delete(_ name: String) async throws(DestinationError) { try await inner.delete(name) }
    func stat(_ name: String) async throws(DestinationError) -> ObjectInfo { try await inner.stat(name) }
}

/// `mem:NAME` locations, each one counting destination.
struct CountingFactory: DestinationFactory {
    let stores: [String: CountingDestination]
    func destination(for location: RepositoryLocation, context: DestinationContext) throws(TriplicateError) -> any Destination {
        guard case .custom(_, let name) = location, let d = stores[name] else { throw TriplicateError(.invalidArgument, "no such store") }
        return d
    }
}

@Suite struct PlanRepositoryTests {
    @Test func everyPlanCommandReadsEachConfigAndUnlocksTheKeysOnce() async throws {
        let t = TempDir("plan-unlock-once")
        try writeFile(t.sub("Pictures/DSC_0001.NEF"), pseudoRandomBytes(200_000, seed: 9101))
        let stores = ["a": CountingDestination(), "b": CountingDestination(), "c": CountingDestination()]
        var registry = DestinationRegistry.standard
        registry.register(scheme: "mem", CountingFactory(stores: stores))
        let plan = try Plan(sources: [Plan.Source(path: t.sub("Pictures"))], destinations: ["a", "b", "c"].map {
            Plan.Target(name: $0, location: .custom(scheme: "mem", address: $0), media: $0 == "c" ? .cloud : .nas, site: $0 == "c" ? .offsite : .onsite)
        })
        let session = PlanSession(plan: plan, password: TestKeys.password, environment: [:], stateDirectory: t.sub("state"),
                                  registry: registry)
        _ = try await session.initialize(options: TestKeys.cheap)
        func keyReads() -> Int { stores.values.map { $0.reads("keys/") }.reduce(0, +) }
        func reset() { for s in stores.values { s.resetCounts() } }

        reset()
        let backup = try await session.backup()
        #expect(backup.reachedEveryDestination)
        // One key file read and opened for the three copies; each copy's config read once.
        #expect(keyReads() == 1, "\(stores.mapValues { $0.reads("keys/") })")
        #expect(stores.values.allSatisfy { $0.reads("config") == 1 })
        for run in 0..<4 {
            reset()
            switch run {
            case 0: _ = try await session.status()
            case 1: _ = try await session.sync()
            case 2: _ = try await session.check()
            default: _ = try await session.restore(.latest, to: t.sub("out"))
            }
            // check also reads every copy's key file to compare it with its name (no key is derived from it then).
            #expect(keyReads() == (run == 2 ? 1 + 3 : 1), "command \(run): \(stores.mapValues { $0.reads("keys/") })")
        }

        // A wrong password is told once, naming the copies, after one try of the key file they share.
        reset()
        let wrong = PlanSession(plan: plan, password: "not it", environment: [:], stateDirectory: t.sub("state"), registry: registry)
        await #expect {
            _ = try await wrong.backup()
        } throws: { e in
            guard let e = e as? TriplicateError else { return false }
            return e.kind == .wrongPassword && e.message.contains("\"a\", \"b\", \"c\"")
        }
        #expect(keyReads() == 1)
    }

    /// A plan of two folder copies, the internal disk first, backed up once.
    private func twoCopies(_ t: TempDir) async throws -> PlanSession {
        try writeFile(t.sub("Pictures/2026/DSC_0001.NEF"), pseudoRandomBytes(3_000_000, seed: 9201))
        try writeFile(t.sub("Pictures/2026/DSC_0001.xmp"), Array("<x:xmpmeta rating=\"5\"/>".utf8))
        let plan = try Plan(sources: [Plan.Source(path: t.sub("Pictures"))], destinations: [
            Plan.Target(name: "disk", location: .folder(path: t.sub("disk")), media: .internalDisk, site: .onsite),
            Plan.Target(name: "nas", location: .folder(path: t.sub("nas")), media: .nas, site: .onsite),
        ])
        let session = PlanSession(plan: plan, password: TestKeys.password, environment: [:], stateDirectory: t.sub("state"))
        _ = try await session.initialize(options: TestKeys.cheap)
        #expect(try await session.backup().reachedEveryDestination)
        return session
    }

    @Test func aFileDamagedOnTheNearestCopyIsReadFromTheNextAndNothingIsRecordedLost() async throws {
        let t = TempDir("plan-read-fallback")
        let session = try await twoCopies(t)
        // Every pack and the snapshot of the internal disk's copy have a byte flipped in the middle.
        for name in try await objects(t.sub("disk"), "data/") + objects(t.sub("disk"), "snapshots/") {
            let path = t.sub("disk/" + name)
            var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
            bytes[bytes.count / 2] ^= 0x20
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
        let restored = try await session.restore(.latest, to: t.sub("out"))
        #expect(restored.result.errors.isEmpty, "\(restored.result.errors)")
        #expect(restored.destinations == ["disk", "nas"])
        #expect(try TreeFingerprint.of(t.sub("out/Pictures")) == TreeFingerprint.of(t.sub("Pictures")))
        // The nas holds every blob intact: nothing is lost, so nothing is recorded as damaged.
        #expect(try await objects(t.sub("disk"), "damage/").isEmpty)
        #expect(try await objects(t.sub("nas"), "damage/").isEmpty)
        // From the damaged copy alone, the same restore fails, and says so.
        await #expect(throws: TriplicateError.self) { _ = try await session.restore(.latest, to: t.sub("out-disk"), from: "disk") }
    }

    @Test func theNewestSnapshotAnyCopyHoldsIsRestoredWhileTheNearestLags() async throws {
        let t = TempDir("plan-lagging-read")
        let session = try await twoCopies(t)
        // The internal disk's copy is away during the second backup (a renamed folder stands for an unmounted disk).
        try FileManager.default.moveItem(atPath: t.sub("disk"), toPath: t.sub("disk-away"))
        settleTimestamps()
        try writeFile(t.sub("Pictures/2026/DSC_0002.NEF"), pseudoRandomBytes(1_000_000, seed: 9202))
        let second = try await session.backup()
        #expect(second.destinations.map(\.outcome) == [.unreachable, .done])
        try FileManager.default.moveItem(atPath: t.sub("disk-away"), toPath: t.sub("disk"))
        // Without a sync: the disk lacks the newest snapshot and its new pack; the nas provides both.
        let repo = try await session.openRepository()
        #expect(try await repo.snapshots().count == 2)
        let restored = try await session.restore(.latest, to: t.sub("out"))
        #expect(restored.result.errors.isEmpty, "\(restored.result.errors)")
        #expect(try TreeFingerprint.of(t.sub("out/Pictures")) == TreeFingerprint.of(t.sub("Pictures")))
        // The first snapshot restores from the lagging copy alone.
        let first = try await repo.snapshots().first
        let old = try await session.restore(SnapshotSelector(.idPrefix(try #require(first).id.hex)), to: t.sub("old"), from: "disk")
        #expect(old.result.errors.isEmpty && !FileManager.default.fileExists(atPath: t.sub("old/Pictures/2026/DSC_0002.NEF")))
    }

    @Test func theSnapshotSelectorReadsWhatEveryRestorePathTakes() throws {
        #expect(try SnapshotSelector("latest") == .latest)
        #expect(try SnapshotSelector("3F2A:Pictures/2026") == SnapshotSelector(.idPrefix("3f2a"), path: "Pictures/2026"))
        #expect(try SnapshotSelector("latest:/home/jose/a:b.NEF").path == "/home/jose/a:b.NEF")
        #expect(try SnapshotSelector("3f2a:Pictures").description == "3f2a:Pictures")
        for bad in ["", "newest", "3g", "latest:", ":x"] {
            #expect(throws: TriplicateError.self, "\(bad)") { _ = try SnapshotSelector(bad) }
        }
    }
}
