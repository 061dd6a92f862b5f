// CopyQueueTests: during a plan's backup each copy takes its writes from its own queue: a fast copy goes on (and gets
// its snapshot) while a slow one is still storing, a copy only falls this far behind before the backup waits for it,
// each copy still gets packs, then index files, then the snapshot, and a copy that fails in its queue gets nothing more.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Synchronization
import Testing
import TriplicateDestinations
@testable import Triplicate

/// A copy whose puts wait until it is opened (as a slow uplink would), that logs the order puts end in, and that can
/// fail one named put.
private final class SlowCopy: Destination, Sendable {
    let base = MemoryDestination()
    private let opened = Mutex(false)
    private let log = Mutex([String]())
    private let failing = Mutex<String?>(nil)

    var displayName: String { "slow" }
    var stagingDirectory: String? { nil }
    var placeKind: PlaceKind { .objectStore }

    func open() { opened.withLock { $0 = true } }
    func fail(_ name: String) { failing.withLock { $0 = name } }
    /// The names stored, in the order their puts ended.
    var stored: [String] { log.withLock { $0 } }

    private func wait(_ name: String) async throws(DestinationError) {
        while !opened.withLock({ $0 }) {
            do { try await Task.sleep(for: .milliseconds(5)) } catch { throw DestinationError(.cancelled, object: name, "cancelled") }
        }
        if failing.withLock({ $0 }) == name { throw DestinationError(.permanent, object: name, "I/O error (test)") }
    }

    func put(_ name: String, data: [UInt8]) async throws(DestinationError) {
        if !name.hasPrefix("locks/") { try await wait(name) }
        try await base.put(name, data: data)
        log.withLock { $0.append(name) }
    }

    func put(_ name: String, file path: String) async throws(DestinationError) {
        try await wait(name)
        try await base.put(name, file: path)
        log.withLock { $0.append(name) }
    }

    func get(_ name: String) async throws(DestinationError) -> [UInt8] { try await base.get(name) }
    func get(_ name: String, range: Range<Int64>) async throws(DestinationError) -> [UInt8] { try await base.get(name, range: range) }
    func get(_ name: String, range: Range<Int64>, into buffer: UnsafeMutableRawBufferPointer) async throws(DestinationError) {
        nonisolated(unsafe) let buffer = buffer
        try await base.get(name, range: range, into: buffer)
    }
    func list(prefix: String) async throws(DestinationError) -> [ObjectInfo] { try await base.list(prefix: prefix) }
    func delete(_ name: String) async throws(DestinationError) { try await base.delete(name) }
    func stat(_ name: String) async throws(DestinationError) -> ObjectInfo { try await base.stat(name) }
}

@Suite struct CopyQueueTests {
    private let disk = MemoryDestination()
    private let cloud = SlowCopy()
    private let staging = TempDir("queue")
    private let replicas: ReplicaSet

    init() {
        replicas = ReplicaSet([ReplicaSet.Member(name: "disk", destination: disk), ReplicaSet.Member(name: "b2", destination: cloud)],
                              staging: nil)
    }

    /// Stages a pack of `size` bytes and stores it through the set as the backup does: the staged file is removed as
    /// soon as the put returns.
    private func putPack(_ n: Int) async throws {
        try await Self.putPack(n, replicas, staging.path)
    }

    private static func putPack(_ n: Int, _ replicas: ReplicaSet, _ folder: String) async throws {
        let path = folder + "/pack.tmp-\(n)"
        try writeFile(path, [UInt8](repeating: UInt8(n), count: 1000))
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await replicas.put("data/00/\(n)", file: path)
    }

    private func names(_ d: any Destination, _ prefix: String = "") async throws -> [String] {
        try await d.list(prefix: prefix).map(\.name).sorted()
    }

    /// Waits (up to a minute, never as a measure of speed) until `condition` holds.
    private func eventually(_ condition: () async throws -> Bool) async throws {
        for _ in 0..<6000 {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("the condition never held")
    }

    @Test func aFastCopyGetsEverythingAndItsSnapshotWhileASlowOneIsStillStoring() async throws {
        replicas.beginQueuedWrites(room: 1 << 20) { _ throws(DestinationError) in }
        for n in 1...3 { try await putPack(n) }
        try await replicas.put("index/i", data: [9])
        let replicas = self.replicas
        let snapshot = Task { try await replicas.put("snapshots/s", data: [7]) }
        try await eventually { try await names(disk) == ["data/00/1", "data/00/2", "data/00/3", "index/i", "snapshots/s"] }
        #expect(cloud.stored.isEmpty)
        cloud.open()
        try await snapshot.value
        // The slow copy got the same, in the safe order: every pack, then the index file, then the snapshot.
        #expect(Set(cloud.stored.prefix(3)) == ["data/00/1", "data/00/2", "data/00/3"])
        #expect(Array(cloud.stored.suffix(2)) == ["index/i", "snapshots/s"])
        #expect(try await names(disk) == names(cloud.base))
        #expect(replicas.written == ["disk": 3002, "b2": 3002])
        await replicas.endQueuedWrites()
        // The links each queue read are gone with the staged packs.
        #expect(try FileManager.default.contentsOfDirectory(atPath: staging.path).isEmpty)
    }

    @Test func theBackupWaitsForACopyOnlyOnceItIsARoomBehind() async throws {
        replicas.beginQueuedWrites(room: 2000) { _ throws(DestinationError) in }
        let returned = Atomic(0)
        let replicas = self.replicas, folder = staging.path
        let packs = Task {
            for n in 1...4 {
                try await Self.putPack(n, replicas, folder)
                returned.add(1, ordering: .relaxed)
            }
        }
        // The third pack reached the fast copy's queue, then waits for room in the slow one's: two packs are behind.
        try await eventually { try await names(disk, "data/").count == 3 }
        #expect(returned.load(ordering: .relaxed) == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: staging.path).filter { $0.contains(".queued.tmp-") }.count == 3)
        cloud.open()
        try await packs.value
        try await replicas.put("snapshots/s", data: [7])
        #expect(try await names(cloud.base) == names(disk))
        await replicas.endQueuedWrites()
    }

    @Test func aCopyThatFailsInItsQueueGetsNoIndexOrSnapshotAndTheOthersFinish() async throws {
        replicas.beginQueuedWrites(room: 1 << 20) { _ throws(DestinationError) in }
        cloud.fail("data/00/2")
        cloud.open()
        for n in 1...3 { try await putPack(n) }
        try await replicas.put("index/i", data: [9])
        try await replicas.put("snapshots/s", data: [7])
        #expect(replicas.dropped.map(\.name) == ["b2"])
        #expect(try await names(disk) == ["data/00/1", "data/00/2", "data/00/3", "index/i", "snapshots/s"])
        let cloudHolds = try await names(cloud.base)
        #expect(!cloudHolds.contains("index/i") && !cloudHolds.contains("snapshots/s") && !cloudHolds.contains("data/00/2"))
        await replicas.endQueuedWrites()
    }

    @Test func aSlowCopyChecksTheLockWhenItWritesNotWhenTheWriteWasQueued() async throws {
        let lost = Mutex(false)
        replicas.beginQueuedWrites(room: 1 << 20) { name throws(DestinationError) in
            if lost.withLock({ $0 }) { throw DestinationError(.permanent, object: name, "the backup lost its lock (test)") }
        }
        try await putPack(1)
        try await replicas.put("index/i", data: [9])
        try await eventually { try await names(disk, "index/") == ["index/i"] }
        // By the time the slow copy gets to the index file, the lock is lost: it writes no index file and no snapshot.
        lost.withLock { $0 = true }
        cloud.open()
        await #expect(throws: DestinationError.self) { try await replicas.put("snapshots/s", data: [7]) }
        #expect(try await names(cloud.base) == ["data/00/1"])
        #expect(Set(replicas.dropped.map(\.name)) == ["disk", "b2"])
        await replicas.endQueuedWrites()
    }

    @Test func endingTheQueuesStopsWhatASlowCopyStillHadToDo() async throws {
        replicas.beginQueuedWrites(room: 1 << 20) { _ throws(DestinationError) in }
        for n in 1...3 { try await putPack(n) }
        try await replicas.put("index/i", data: [9])
        try await eventually { try await names(disk).count == 4 }
        await replicas.endQueuedWrites()
        cloud.open()
        #expect(cloud.stored.isEmpty)
        #expect(replicas.dropped.isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: staging.path).isEmpty)
        // Without queues, writes go to every copy at once again.
        try await replicas.put("snapshots/s", data: [7])
        #expect(cloud.stored == ["snapshots/s"])
    }

    @Test func lockFilesAreNeverQueuedBehindPacks() async throws {
        replicas.beginQueuedWrites(room: 1 << 20) { _ throws(DestinationError) in }
        try await putPack(1)
        try await replicas.put("locks/l", data: [1])
        #expect(cloud.stored == ["locks/l"])
        cloud.open()
        try await replicas.put("snapshots/s", data: [7])
        await replicas.endQueuedWrites()
    }
}
