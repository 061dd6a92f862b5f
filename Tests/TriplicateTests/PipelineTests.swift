// PipelineTests: the parallel backup cuts, hashes and packs exactly as a sequential reading would, whatever the
// number of workers, and its hand-offs between threads and tasks keep order, bound and close cleanly.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Synchronization
import Testing
@testable import Triplicate

@Suite struct PipelineTests {
    /// The chunk IDs of `path` cut one after the other, as FORMAT.md describes.
    private func sequentialChunks(_ path: String, repo: Repository, profile: ChunkingProfile) throws -> [ObjectID] {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let chunker = try FastCDC(profile.parameters(seed: repo.keys.chunkerSeed))
        var ids: [ObjectID] = []
        try ChunkStream.cut(path: path, chunker: chunker) { offset, length in
            ids.append(bytes.withUnsafeBytes { b in
                repo.keys.idHasher.id(UnsafeRawBufferPointer(rebasing: b[Int(offset)..<(Int(offset) + length)]))
            })
        }
        return ids
    }

    @Test func filesLargerThanASegmentAndManySmallOnesGetTheSequentialChunks() async throws {
        let t = TempDir("segments")
        let src = t.sub("src")
        // Two RAW files larger than a segment (so chunks straddle segment ends), small files between them.
        #expect(BackupRun.segmentSize < 23 << 20)
        try writeFile(src + "/A.NEF", pseudoRandomBytes(23 << 20, seed: 1))
        for i in 0..<30 { try writeFile(src + "/B\(i).xmp", pseudoRandomBytes(100_000 + i * 997, seed: UInt64(10 + i))) }
        try writeFile(src + "/C.NEF", pseudoRandomBytes(13 << 20, seed: 2))
        try writeFile(src + "/D.lrcat", pseudoRandomBytes(3 << 20, seed: 3))
        let repo = try await makeRepository(t.sub("repo"))
        let snap = try await repo.backup(paths: [src]).snapshot
        let reader = try BlobReader(repository: repo, index: try await repo.loadIndex())
        let root = try #require(snap.record.treeID)
        for name in ["A.NEF", "B0.xmp", "B17.xmp", "B29.xmp", "C.NEF", "D.lrcat"] {
            let node = try #require(try await reader.node(at: "src/" + name, root: root))
            guard case .file(let chunks, let profileID, _, _) = node.content else {
                Issue.record("\(name) is not a file in the snapshot")
                continue
            }
            let profile = ChunkingProfile.forFile(named: name)
            #expect(profileID == profile.id)
            #expect(chunks == (try sequentialChunks(src + "/" + name, repo: repo, profile: profile)), "\(name)")
        }
        let out = t.sub("out")
        _ = try await repo.restore(snap, to: out)
        #expect(try TreeFingerprint.of(out + "/src") == TreeFingerprint.of(src))
    }

    @Test func oneWorkerAndFourWorkersStoreTheSameSnapshot() async throws {
        let t = TempDir("workers")
        let src = t.sub("Photos")
        try makeSampleTree(src)
        try writeFile(src + "/2026/big.ARW", pseudoRandomBytes(12 << 20, seed: 9))
        settleTimestamps()
        let repoPath = t.sub("repo")
        let repo = try await makeRepository(repoPath)
        let one = try await repo.backup(paths: [src], options: BackupOptions(workers: 1, hostname: "one"))
        // Another host name: no parent, so every file is read, cut and hashed again, by four workers.
        let four = try await repo.backup(paths: [src], options: BackupOptions(workers: 4, hostname: "four"))
        #expect(four.snapshot.record.summary.filesRead == one.snapshot.record.summary.filesRead)
        #expect(four.snapshot.record.treeID == one.snapshot.record.treeID)
        #expect(four.snapshot.record.summary.blobsAdded == 0)
        #expect(try await repo.check(readData: true).isHealthy)
    }

    @Test func aCancelledBackupLeavesNoStagedPacksAndTheNextOneCompletes() async throws {
        let t = TempDir("cancel")
        let src = t.sub("src")
        for i in 0..<6 { try writeFile(src + "/IMG_\(i).DNG", pseudoRandomBytes(4 << 20, seed: UInt64(50 + i))) }
        let repoPath = t.sub("repo")
        let repo = try await makeRepository(repoPath)
        // The backup's Task is cancelled part way, as the CLI does on Ctrl-C.
        let cancel = Mutex<(@Sendable () -> Void)?>(nil)
        let options = BackupOptions(packSize: 1 << 20, progress: { p in
            if p.bytesRead >= 8 << 20 { cancel.withLock { $0 }?() }
        })
        let task = Task { try await repo.backup(paths: [src], options: options) }
        cancel.withLock { $0 = { task.cancel() } }
        await #expect { _ = try await task.value } throws: { ($0 as? TriplicateError)?.kind == .cancelled }
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: repoPath).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty, "staged files left: \(leftovers)")
        #expect(try await objects(repoPath, "snapshots/").isEmpty)
        #expect(try await repo.check(readData: true).isHealthy)
        let done = try await repo.backup(paths: [src])
        let out = t.sub("out")
        _ = try await repo.restore(done.snapshot, to: out)
        #expect(try TreeFingerprint.of(out + "/src") == TreeFingerprint.of(src))
    }
}

@Suite struct ChannelTests {
    @Test func aThreadSendsAndATaskReceivesInOrderThroughASmallChannel() async {
        let channel = Channel<Int>(capacity: 2)
        let thread = Thread {
            for i in 0..<2000 { channel.sendBlocking(i) }
            channel.close()
        }
        thread.start()
        var received: [Int] = []
        while let i = await channel.receive() { received.append(i) }
        #expect(received == Array(0..<2000))
    }

    @Test func aTaskSendsAndThreadsReceiveEverythingOnce() async {
        let channel = Channel<Int>(capacity: 1)
        let results = Channel<[Int]>()
        for _ in 0..<3 {
            Thread {
                var mine: [Int] = []
                while let i = channel.receiveBlocking() { mine.append(i) }
                results.sendBlocking(mine)
            }.start()
        }
        for i in 0..<3000 { #expect(await channel.send(i)) }
        channel.close()
        var all: [Int] = []
        for _ in 0..<3 {
            let mine = await results.receive() ?? []
            #expect(mine == mine.sorted(), "each receiver sees the items in order")
            all += mine
        }
        #expect(all.sorted() == Array(0..<3000))
    }

    @Test func closingKeepsQueuedItemsAndRefusesNewOnes() async {
        let channel = Channel<Int>()
        #expect(channel.sendBlocking(1))
        #expect(await channel.send(2))
        channel.close()
        #expect(!channel.sendBlocking(3))
        #expect(await channel.send(4) == false)
        #expect(await channel.receive() == 1)
        #expect(channel.receiveBlocking() == 2)
        #expect(await channel.receive() == nil)
        #expect(channel.receiveBlocking() == nil)
    }

    @Test func aWaitGroupReturnsWhenEveryThreadIsDone() async {
        let group = WaitGroup(count: 4)
        let counter = Channel<Int>()
        for i in 0..<4 {
            Thread {
                usleep(useconds_t(1000 * (4 - i)))
                counter.sendBlocking(i)
                group.done()
            }.start()
        }
        await group.wait()
        counter.close()
        var seen: [Int] = []
        while let i = await counter.receive() { seen.append(i) }
        #expect(seen.sorted() == [0, 1, 2, 3])
    }
}
