// ReplicaSetTests: the rules of the replica set that writes a plan's backup to every copy: a copy that fails a write
// gets nothing more, reads go to the first copy that answers, a listing is what every copy holds.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Testing
@testable import Triplicate

@Suite struct ReplicaSetTests {
    private func set(_ names: [String]) -> (ReplicaSet, [MemoryDestination]) {
        let stores = names.map { _ in MemoryDestination() }
        return (ReplicaSet(zip(names, stores).map { ReplicaSet.Member(name: $0.0, destination: $0.1) }, staging: nil), stores)
    }

    @Test func aCopyThatFailsAWriteIsDroppedAndGetsNothingMore() async throws {
        let (replicas, stores) = set(["disk", "usb", "b2"])
        try await replicas.put("data/00/a", data: [1])
        stores[1].failAll(with: DestinationError(.unavailable, object: nil, "unplugged"))
        try await replicas.put("data/00/b", data: [2])
        #expect(replicas.dropped.map(\.name) == ["usb"])
        // Plugged back in, it still gets nothing from this run: it must not receive a snapshot whose packs it missed.
        stores[1].failAll(with: nil)
        try await replicas.put("snapshots/c", data: [3])
        #expect(try await stores[1].list(prefix: "").map(\.name) == ["data/00/a"])
        #expect(try await stores[0].list(prefix: "").map(\.name).sorted() == ["data/00/a", "data/00/b", "snapshots/c"])
        #expect(replicas.written == ["disk": 3, "b2": 3, "usb": 1])
    }

    @Test func aWriteSucceedsWhileOneCopyIsLeftAndFailsWhenNoneIs() async throws {
        let (replicas, stores) = set(["disk", "usb"])
        stores[0].failAll(with: DestinationError(.noSpace, object: nil, "full"))
        try await replicas.put("data/00/a", data: [1])
        stores[1].failAll(with: DestinationError(.permanent, object: nil, "I/O error"))
        await #expect(throws: DestinationError.self) { try await replicas.put("data/00/b", data: [2]) }
        #expect(Set(replicas.dropped.map(\.name)) == ["disk", "usb"])
        await #expect(throws: DestinationError.self) { try await replicas.put("data/00/c", data: [3]) }
    }

    @Test func readsGoToTheFirstCopyThatAnswers() async throws {
        let (replicas, stores) = set(["disk", "nas"])
        try await stores[0].put("index/a", data: [1])
        try await stores[1].put("index/a", data: [2])
        #expect(try await replicas.get("index/a") == [1])
        // An unavailable copy is dropped and the next one asked; a missing object is an answer, not a drop.
        stores[0].failAll(with: DestinationError(.unavailable, object: nil, "share gone"))
        #expect(try await replicas.get("index/a") == [2])
        #expect(replicas.dropped.map(\.name) == ["disk"])
        await #expect { try await replicas.get("index/none") } throws: { ($0 as? DestinationError)?.kind == .notFound }
        #expect(replicas.dropped.map(\.name) == ["disk"])
    }

    @Test func aListingIsWhatEveryCopyHolds() async throws {
        let (replicas, stores) = set(["disk", "usb"])
        for s in stores { try await s.put("data/00/a", data: [1]) }
        try await stores[0].put("data/00/b", data: [2])  // the drive never got it
        try await stores[1].put("data/00/c", data: [3, 3])
        try await stores[0].put("data/00/c", data: [3])  // sizes differ: one is damaged
        #expect(try await replicas.list(prefix: "data/").map(\.name) == ["data/00/a"])
    }
}

@Suite struct ReplicaSetReadingTests {
    @Test func forReadingAListingIsWhatAnyCopyHoldsAndAMissingFileIsReadFromTheNext() async throws {
        let stores = [MemoryDestination(), MemoryDestination()]
        let replicas = ReplicaSet(zip(["disk", "nas"], stores).map { ReplicaSet.Member(name: $0.0, destination: $0.1) },
                                  staging: nil, use: .reading)
        try await stores[0].put("snapshots/a", data: [1])
        try await stores[1].put("snapshots/a", data: [1, 1])  // sizes differ: the nearest copy's is listed
        try await stores[1].put("snapshots/b", data: [2])     // the disk lags
        let listed = try await replicas.list(prefix: "snapshots/").sorted { $0.name < $1.name }
        #expect(listed == [ObjectInfo(name: "snapshots/a", size: 1), ObjectInfo(name: "snapshots/b", size: 1)])
        #expect(try await replicas.get("snapshots/a") == [1])
        #expect(try await replicas.get("snapshots/b") == [2])
        #expect(try await replicas.stat("snapshots/b").size == 1)
        // Missing everywhere is missing; no copy is dropped for lacking a file.
        await #expect { try await replicas.get("snapshots/none") } throws: { ($0 as? DestinationError)?.kind == .notFound }
        #expect(replicas.dropped.isEmpty)
        #expect(replicas.readCopies.count == 2)
    }
}
