// CorruptionTests: damaged packs, index files and snapshots are found, named, and cost only what depends on them.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Testing
@testable import Triplicate

/// Flips one byte of a file in place.
func flipByte(_ path: String, at offset: Int) throws {
    var data = try Data(contentsOf: URL(fileURLWithPath: path))
    data[offset] ^= 0x55
    try data.write(to: URL(fileURLWithPath: path))
}

@Suite struct CorruptionTests {
    /// Backs up two RAW files and one sidecar; returns the repository, its path, the snapshot and the source.
    func setUp(_ t: TempDir) async throws -> (Repository, String, Snapshot, String) {
        let src = t.sub("Photos")
        try writeFile(src + "/A.NEF", pseudoRandomBytes(1_500_000, seed: 11))
        try writeFile(src + "/B.NEF", pseudoRandomBytes(1_500_000, seed: 12))
        try writeFile(src + "/A.xmp", Array(String(repeating: "xmp ", count: 500).utf8))
        settleTimestamps()
        let path = t.sub("repo")
        let repo = try await makeRepository(path)
        return (repo, path, try await repo.backup(paths: [src]).snapshot, src)
    }

    @Test func aFlippedByteInAPackIsNamedWithTheFilesThatDependOnIt() async throws {
        let t = TempDir("flip")
        let (repo, path, snap, src) = try await setUp(t)
        // Find the pack and offset of A.NEF's first chunk and damage it.
        let entries = try await repo.list(snap)
        guard let a = entries.first(where: { $0.path == "/Photos/A.NEF" }), case .file(let chunks, _, _, _) = a.node.content,
              let first = chunks.first else {
            Issue.record("A.NEF not in the snapshot")
            return
        }
        let index = try await repo.loadIndex()
        let loc = try #require(index.location(first))
        let packName = "data/" + String(index.packID(loc.pack).hex.prefix(2)) + "/" + index.packID(loc.pack).hex
        try flipByte(path + "/" + packName, at: Int(loc.entry.offset) + 100)

        let quick = try await repo.check(readData: false)
        #expect(quick.isHealthy, "structure alone cannot see a flipped byte inside a blob")
        let report = try await repo.check(readData: true)
        #expect(!report.isHealthy)
        #expect(report.damagedPacks == [packName])
        let affected = report.affectedFiles[packName] ?? []
        #expect(affected.contains { $0.hasSuffix(":/Photos/A.NEF") })
        #expect(!affected.contains { $0.hasSuffix(":/Photos/B.NEF") })
        #expect(report.errors.contains { $0.contains(packName) && $0.contains("A.NEF") })

        // The other files still restore byte for byte; the damaged one fails with an error naming the pack.
        let out = t.sub("out")
        _ = try await repo.restore(snap, path: "Photos/B.NEF", to: out)
        _ = try await repo.restore(snap, path: "Photos/A.xmp", to: out)
        #expect(FileManager.default.contentsEqual(atPath: out + "/B.NEF", andPath: src + "/B.NEF"))
        #expect(FileManager.default.contentsEqual(atPath: out + "/A.xmp", andPath: src + "/A.xmp"))
        let damaged = try await repo.restore(snap, path: "Photos/A.NEF", to: out)
        #expect(damaged.files == 0)
        #expect(damaged.errors.count == 1 && damaged.errors[0].contains("A.NEF") && damaged.errors[0].contains(packName))
        #expect(!FileManager.default.fileExists(atPath: out + "/A.NEF"))
        // A whole restore goes on past the damaged file and restores everything else.
        let all = try await repo.restore(snap, to: t.sub("all"))
        #expect(all.files == 2 && all.errors.count == 1)
        #expect(FileManager.default.contentsEqual(atPath: t.sub("all/Photos/B.NEF"), andPath: src + "/B.NEF"))
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: t.sub("all")).filter { $0.contains(".triplicate-restore-") }
        #expect(leftovers.isEmpty)
    }

    @Test func aTruncatedPackIsFoundWithoutReadingData() async throws {
        let t = TempDir("trunc")
        let (repo, path, _, _) = try await setUp(t)
        // Several workers fill packs side by side and the listings go to a pack of their own: cut every pack.
        let packs = try await objects(path, "data/")
        #expect(!packs.isEmpty)
        for pack in packs {
            let size = try #require(try FileManager.default.attributesOfItem(atPath: path + "/" + pack)[.size] as? Int)
            let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path + "/" + pack))
            try h.truncate(atOffset: UInt64(size / 2))
            try h.close()
        }
        let report = try await repo.check(readData: false)
        #expect(report.damagedPacks.sorted() == packs.sorted())
        // The trees were cut off with the data, so check names the pack and the folder listing it lost.
        #expect(report.errors.contains { e in e.contains("truncated") && packs.contains { e.contains($0) } && e.contains(":/ (folder listing)") }, "\(report.errors)")
    }

    @Test func aCorruptedIndexFileIsNamedAndItsPacksStayReachable() async throws {
        let t = TempDir("index")
        let (repo, path, snap, src) = try await setUp(t)
        let index = try #require(try await objects(path, "index/").first)
        try flipByte(path + "/" + index, at: 60)
        let report = try await repo.check()
        #expect(report.errors.contains { $0.contains(index) })
        // Restore reads the pack tables instead of the damaged index file.
        _ = try await repo.restore(snap, to: t.sub("out"))
        #expect(try TreeFingerprint.of(t.sub("out/Photos")) == TreeFingerprint.of(src))
        // The next backup indexes those packs again instead of storing the data twice.
        let next = try await repo.backup(paths: [src])
        #expect(next.adoptedPacks == (try await objects(path, "data/")).count)
        #expect(next.snapshot.record.summary.blobsAdded == 0)
    }

    @Test func aCorruptedSnapshotIsNamedAndTheOthersStillWork() async throws {
        let t = TempDir("snap")
        let (repo, path, first, src) = try await setUp(t)
        try writeFile(src + "/C.xmp", Array("new".utf8))
        let second = try await repo.backup(paths: [src]).snapshot
        try flipByte(path + "/snapshots/" + first.id.hex, at: 50)
        let report = try await repo.check()
        #expect(report.errors.contains { $0.contains(first.id.hex) })
        let listing = try await repo.snapshotListing()
        #expect(listing.snapshots.map(\.id) == [second.id])
        #expect(listing.damaged.count == 1 && listing.damaged[0].contains(first.id.hex))
        #expect(try await repo.findSnapshot("latest").id == second.id)
        let loaded = try await repo.loadSnapshot(second.id)
        _ = try await repo.restore(loaded, to: t.sub("out"))
        #expect(FileManager.default.fileExists(atPath: t.sub("out") + "/Photos/C.xmp"))
    }
}
