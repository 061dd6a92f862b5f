// RepairTests: repair keeps the intact data of damaged packs, rebuilds the index from the pack tables, says what is
// lost, changes nothing the second time, and can be killed at any moment.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Testing
@testable import Triplicate
#if canImport(Glibc)
import Glibc
#endif

@Suite struct RepairTests {
    @Test func repairKeepsTheIntactBlobsOfADamagedPackAndNamesWhatIsLost() async throws {
        let t = TempDir("repair-salvage")
        let src = t.sub("Photos")
        try writeFile(src + "/A.NEF", pseudoRandomBytes(1_200_000, seed: 5101))
        try writeFile(src + "/B.NEF", pseudoRandomBytes(1_200_000, seed: 5102))
        try writeFile(src + "/B.xmp", Array("sidecar of B".utf8))
        let path = t.sub("repo")
        let repo = try await makeRepository(path)
        // One worker: both photos land in one pack, so the damage to A's data leaves B's intact beside it.
        let snapshot = try await repo.backup(paths: [src], options: BackupOptions(workers: 1)).snapshot
        let a = try #require(try await chunks(of: "/Photos/A.NEF", in: snapshot, repo: repo).first)
        let b = try #require(try await chunks(of: "/Photos/B.NEF", in: snapshot, repo: repo).first)
        let (pack, entry) = try await location(of: a, in: repo)
        #expect(try await location(of: b, in: repo).pack == pack)
        try flipByte(path + "/" + pack, at: Int(entry.offset) + 30)
        _ = try await repo.check(readData: true)

        let report = try await repo.repair()
        #expect(report.damagedPacks == [pack])
        #expect(report.packsRemoved == [pack])
        #expect(report.blobsSalvaged >= 1 && report.blobsLost == 1, "\(report)")
        #expect(report.packsWritten.count == 1 && report.indexFilesWritten.count >= 1)
        #expect(!FileManager.default.fileExists(atPath: path + "/" + pack))
        #expect(try await objects(path, "damage/").isEmpty, "the damaged pack is gone, so is its record")
        #expect(report.unrestorable.map(\.snapshot) == [snapshot.id.hex])
        #expect(report.unrestorable.first?.paths == ["/Photos/A.NEF"], "\(report.unrestorable)")

        // B restores from the new pack; A is reported, nothing else.
        let r = try await repo.restore(snapshot, to: t.sub("out"))
        #expect(r.errors.count == 1 && r.errors[0].contains("A.NEF"), "\(r.errors)")
        #expect(FileManager.default.contentsEqual(atPath: t.sub("out/Photos/B.NEF"), andPath: src + "/B.NEF"))
        let check = try await repo.check(readData: true)
        #expect(check.errors.count == 1 && check.errors[0].contains("A.NEF"), "\(check.errors)")

        // Run again: nothing to do, the same loss reported.
        let again = try await repo.repair(readData: true)
        #expect(!again.changed, "\(again)")
        #expect(again.unrestorable == report.unrestorable)
    }

    @Test func aPackThatCannotBeReadAtAllIsKeptOutOfUseNotDeleted() async throws {
        let t = TempDir("repair-io")
        let src = t.sub("Photos")
        try writeFile(src + "/A.NEF", pseudoRandomBytes(700_000, seed: 5401))
        let path = t.sub("repo")
        _ = try await makeRepository(path)
        let plain = try await Repository.open(LocalDirectory(path: path), password: TestKeys.password)
        let snapshot = try await plain.backup(paths: [src], options: BackupOptions(workers: 1)).snapshot
        let chunk = try #require(try await chunks(of: "/Photos/A.NEF", in: snapshot, repo: plain).first)
        let (pack, _) = try await location(of: chunk, in: plain)
        // The disk gives I/O errors for every read of that pack but its first 44 bytes (a loose cable, a bad area).
        let flaky = try await Repository.open(FailingReads(LocalDirectory(path: path), failing: pack), password: TestKeys.password)
        let report = try await flaky.repair(readData: true)
        #expect(report.damagedPacks == [pack] && report.packsKept == [pack] && report.packsRemoved.isEmpty, "\(report)")
        #expect(FileManager.default.fileExists(atPath: path + "/" + pack), "a pack that may read another day is kept")
        // Once the disk reads again, the next repair finds the pack intact... but its record keeps it out of use: it
        // re-packs what it can read and removes it.
        let healed = try await plain.repair(readData: true)
        #expect(healed.packsRemoved == [pack] && healed.blobsLost == 0 && healed.unrestorable.isEmpty, "\(healed)")
        let r = try await plain.restore(snapshot, to: t.sub("out"))
        #expect(r.errors.isEmpty && FileManager.default.contentsEqual(atPath: t.sub("out/Photos/A.NEF"), andPath: src + "/A.NEF"))
    }

    @Test func repairRebuildsTheIndexFromThePackTables() async throws {
        let t = TempDir("repair-index")
        let src = t.sub("Photos")
        try writeFile(src + "/DSC_0001.NEF", pseudoRandomBytes(800_000, seed: 5201))
        let path = t.sub("repo")
        let repo = try await makeRepository(path)
        _ = try await repo.backup(paths: [src])
        try writeFile(src + "/DSC_0002.NEF", pseudoRandomBytes(800_000, seed: 5202))
        _ = try await repo.backup(paths: [src])
        let indexFiles = try await objects(path, "index/")
        #expect(indexFiles.count == 2)
        try FileManager.default.removeItem(atPath: path + "/" + indexFiles[0])
        try flipByte(path + "/" + indexFiles[1], at: 70)

        let report = try await repo.repair()
        #expect(report.damagedPacks.isEmpty)
        #expect(report.indexFilesRemoved == [indexFiles[1]])
        #expect(!report.indexFilesWritten.isEmpty && report.unrestorable.isEmpty, "\(report)")
        let check = try await repo.check(readData: true)
        #expect(check.isHealthy && check.notes.isEmpty, "\(check.errors) \(check.notes)")
        let again = try await repo.repair()
        #expect(!again.changed, "\(again)")
        #expect(try await objects(path, "index/") == report.indexFilesWritten.sorted())
    }

    /// Builds a repository in `path` whose repair has every step to do: a damaged pack (recorded, its data stored again
    /// by a later backup), and packs no index file names.
    private func damagedRepository(_ t: TempDir, _ path: String, src: String) async throws {
        for i in 0..<6 { try writeFile(src + "/IMG_\(i).NEF", pseudoRandomBytes(600_000, seed: 5300 + UInt64(i))) }
        settleTimestamps()
        #expect(try runCLI(["init", "--repo", path]).status == 0)
        #expect(try runCLI(["backup", src, "--repo", path, "--pack-size", "1"]).status == 0)
        let packs = try await LocalDirectory(path: path).list(prefix: "data/")
        let pack = try #require(packs.max { $0.size < $1.size })
        try zeroBytes(path + "/" + pack.name, at: Int(pack.size / 3), count: 4096)
        #expect(try runCLI(["check", "--read-data", "--repo", path]).status == 1)
        // The photos are touched, so the next backup reads them and stores the damaged data again.
        for i in 0..<6 { #expect(utimes(src + "/IMG_\(i).NEF", nil) == 0) }
        settleTimestamps()
        #expect(try runCLI(["backup", src, "--repo", path, "--pack-size", "1"]).status == 0)
        let first = try #require(try await objects(path, "index/").first)
        try FileManager.default.removeItem(atPath: path + "/" + first)
    }

    @Test(.tags(.slow)) func repairKilledAtAnyMomentLeavesARepositoryCheckAcceptsAndFinishesWhenRunAgain() async throws {
        let t = TempDir("repair-kill")
        let src = t.sub("Photos")
        let template = t.sub("template")
        try await damagedRepository(t, template, src: src)
        for (n, delay) in [0, 40, 80, 150, 250, 400, 700, 1200].enumerated() {
            let path = t.sub("repo-\(n)")
            try copyTree(template, path)
            let p = cliProcess(["repair", "--repo", path])
            try p.run()
            usleep(UInt32(delay * 1000))
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
            p.waitUntilExit()

            let repo = try await Repository.open(LocalDirectory(path: path), password: TestKeys.password)
            let report = try await repo.check()
            #expect(report.isHealthy, "killed after \(delay) ms: \(report.errors)")
            let out = t.sub("out-\(n)")
            let restored = try await repo.restore(try await repo.findSnapshot("latest"), to: out)
            #expect(restored.errors.isEmpty, "killed after \(delay) ms: \(restored.errors)")
            #expect(try TreeFingerprint.of(out + "/Photos") == TreeFingerprint.of(src))

            // Run to the end, it finishes the job; run once more, it has nothing to do.
            let finished = try runCLI(["repair", "--repo", path])
            #expect(finished.status == 0, "\(finished.stdout)\(finished.stderr)")
            let full = try await repo.check(readData: true)
            #expect(full.isHealthy && full.notes.isEmpty, "\(full.errors) \(full.notes)")
            #expect(try await objects(path, "damage/").isEmpty)
            let idle = try runCLI(["repair", "--repo", path])
            #expect(idle.status == 0 && idle.stdout.contains("nothing to repair"), "\(idle.stdout)")
            try FileManager.default.removeItem(atPath: path)
        }
    }
}

/// A destination whose reads of one object fail with an I/O error past its first 44 bytes.
struct FailingReads: Destination {
    let base: LocalDirectory
    let failing: String
    init(_ base: LocalDirectory, failing: String) {
        self.base = base
        self.failing = failing
    }
    var displayName: String { base.displayName }
    var stagingDirectory: String? { base.stagingDirectory }
    private func check(_ name: String, _ range: Range<Int64>?) throws(DestinationError) {
        if name == failing, (range?.upperBound ?? .max) > 44 { throw DestinationError(.permanent, object: name, "Input/output error") }
    }
    func put(_ name: String, data: [UInt8]) async throws(DestinationError) { try await base.put(name, data: data) }
    func put(_ name: String, file path: String) async throws(DestinationError) { try await base.put(name, file: path) }
    func get(_ name: String) async throws(DestinationError) -> [UInt8] {
        try check(name, nil)
        return try await base.get(name)
    }
    func get(_ name: String, range: Range<Int64>) async throws(DestinationError) -> [UInt8] {
        try check(name, range)
        return try await base.get(name, range: range)
    }
    func get(_ name: String, range: Range<Int64>, into buffer: UnsafeMutableRawBufferPointer) async throws(DestinationError) {
        try check(name, range)
        try await base.get(name, range: range, into: buffer)
    }
    func list(prefix: String) async throws(DestinationError) -> [ObjectInfo] { try await base.list(prefix: prefix) }
    func delete(_ name: String) async throws(DestinationError) { try await base.delete(name) }
    func stat(_ name: String) async throws(DestinationError) -> ObjectInfo { try await base.stat(name) }
}
