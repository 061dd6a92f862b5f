// DedupTests: unchanged data is never stored twice, and a small insertion costs only a few chunks.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Testing
@testable import Triplicate

@Suite struct DedupTests {
    @Test func aFileChangedJustBeforeTheBackupIsReadAgainNextTime() async throws {
        // The racy-timestamp rule: metadata younger than a second is not trusted by the next backup.
        let t = TempDir("racy")
        try writeFile(t.sub("src/Catalog.lrcat"), pseudoRandomBytes(40_000, seed: 3))
        let repo = try await makeRepository(t.sub("repo"))
        _ = try await repo.backup(paths: [t.sub("src")])
        #expect(try await repo.backup(paths: [t.sub("src")]).snapshot.record.summary.filesRead == 1)
        settleTimestamps()
        _ = try await repo.backup(paths: [t.sub("src")])
        #expect(try await repo.backup(paths: [t.sub("src")]).snapshot.record.summary.filesRead == 0)
    }

    @Test func aRenamedFolderIsReusedNotReadAgain() async throws {
        let t = TempDir("renamed")
        let src = t.sub("Photos")
        try writeFile(src + "/2026-05-01 Wedding/DSC_0001.NEF", pseudoRandomBytes(300_000, seed: 21))
        try writeFile(src + "/2026-05-01 Wedding/DSC_0002.NEF", pseudoRandomBytes(300_000, seed: 22))
        try writeFile(src + "/2026-05-02 Harbor/DSC_0100.NEF", pseudoRandomBytes(200_000, seed: 23))
        settleTimestamps()
        let repo = try await makeRepository(t.sub("repo"))
        _ = try await repo.backup(paths: [src])
        try FileManager.default.moveItem(atPath: src + "/2026-05-01 Wedding", toPath: src + "/2026-05-01 Wedding (Anna & Ben)")
        try FileManager.default.moveItem(atPath: src + "/2026-05-02 Harbor/DSC_0100.NEF", toPath: src + "/2026-05-02 Harbor/Harbor at dusk.NEF")
        settleTimestamps()
        let second = try await repo.backup(paths: [src])
        // The renamed folder's files keep their ctime and are reused; renaming a file changes its own ctime,
        // so that one is read (and stored once: its chunks are known).
        #expect(second.snapshot.record.summary.filesRead == 1)
        #expect(second.snapshot.record.summary.blobsAdded == 3, "the two changed listings and the root's")
        #expect(second.snapshot.record.summary.files == 3)
        let out = t.sub("out")
        _ = try await repo.restore(second.snapshot, to: out)
        #expect(try TreeFingerprint.of(out + "/Photos") == TreeFingerprint.of(src))
        // A new file that merely reuses a vanished file's inode but differs in size or times is read.
        try FileManager.default.removeItem(atPath: src + "/2026-05-02 Harbor/Harbor at dusk.NEF")
        try writeFile(src + "/2026-05-02 Harbor/new.NEF", pseudoRandomBytes(200_001, seed: 24))
        settleTimestamps()
        #expect(try await repo.backup(paths: [src]).snapshot.record.summary.filesRead == 1)
    }

    @Test func anUnchangedSecondBackupAddsOnlyASnapshot() async throws {
        let t = TempDir("dedup")
        let src = t.sub("Photos")
        try makeSampleTree(src)
        settleTimestamps()
        let repoPath = t.sub("repo")
        let repo = try await makeRepository(repoPath)
        _ = try await repo.backup(paths: [src])
        let packs = try await objects(repoPath, "data/")
        let indexes = try await objects(repoPath, "index/")
        let second = try await repo.backup(paths: [src])
        #expect(second.snapshot.record.summary.filesRead == 0)
        #expect(second.snapshot.record.summary.blobsAdded == 0)
        #expect(second.snapshot.record.parent != nil)
        #expect(try await objects(repoPath, "data/") == packs)
        #expect(try await objects(repoPath, "index/") == indexes)
        #expect(try await objects(repoPath, "snapshots/").count == 2)
    }

    @Test func aChangedFolderAddsOnlyItsTreesAndNewChunks() async throws {
        let t = TempDir("dedup2")
        let src = t.sub("Photos")
        try makeSampleTree(src)
        settleTimestamps()
        let repo = try await makeRepository(t.sub("repo"))
        _ = try await repo.backup(paths: [src])
        try writeFile(src + "/2024/2024-06-12 Wedding/DSC_0001.xmp", Array("<rating>5</rating>".utf8))
        settleTimestamps()
        let s = try await repo.backup(paths: [src]).snapshot.record.summary
        #expect(s.filesRead == 1)
        // One new chunk and the trees from that folder up to the root: 2024-06-12 Wedding, 2024, Photos, root.
        #expect(s.blobsAdded == 1 + 4)
    }

    @Test func insertingHundredBytesNearTheStartOfA50MBFileAddsAFewChunks() async throws {
        let t = TempDir("insert")
        let src = t.sub("src")
        var data = pseudoRandomBytes(50 << 20, seed: 42)
        try writeFile(src + "/big.NEF", data)
        let repo = try await makeRepository(t.sub("repo"))
        let first = try await repo.backup(paths: [src]).snapshot.record.summary
        #expect(first.blobsAdded > 15)
        data.insert(contentsOf: pseudoRandomBytes(100, seed: 7), at: 1000)
        try writeFile(src + "/big.NEF", data)
        let second = try await repo.backup(paths: [src]).snapshot.record.summary
        // The media profile averages 2 MiB chunks: the insertion changes the first chunk (maybe two); plus 2 trees.
        #expect(second.blobsAdded <= 2 + 2)
        #expect(second.bytesAdded < 12 << 20)
        let out = t.sub("out")
        _ = try await repo.restore(try await repo.findSnapshot("latest"), to: out)
        #expect(FileManager.default.contentsEqual(atPath: out + "/src/big.NEF", andPath: src + "/big.NEF"))
    }
}
