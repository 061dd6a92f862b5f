// DamageRecordTests: damage found by check, restore or a backup is recorded in the repository, and no later backup
// builds on it: the data is stored again, and old snapshots restore again too.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Testing
@testable import Triplicate
#if canImport(Glibc)
import Glibc
#endif

/// Overwrites `count` bytes of the file at `path` with zeros at `offset`, in place (a rotten sector).
func zeroBytes(_ path: String, at offset: Int, count: Int) throws {
    let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    try h.seek(toOffset: UInt64(offset))
    try h.write(contentsOf: Data(count: count))
    try h.close()
}

/// The pack file (name) and entry that hold blob `id` in `repo`.
func location(of id: ObjectID, in repo: Repository) async throws -> (pack: String, entry: PackEntry) {
    let index = try await repo.loadIndex()
    let loc = try #require(index.location(id))
    return (Layout.pack(index.packID(loc.pack)), loc.entry)
}

/// The chunks of the file at `path` in `snapshot`.
func chunks(of path: String, in snapshot: Snapshot, repo: Repository) async throws -> [ObjectID] {
    let entry = try #require(try await repo.list(snapshot).first { $0.path == path })
    guard case .file(let chunks, _, _, _) = entry.node.content else { throw POSIXError(.EINVAL) }
    return chunks
}

@Suite struct DamageRecordTests {
    /// The reproduction of the issue: a pack rots on the drive; check finds it; the next backup of the intact source must
    /// store the data again instead of pointing its new snapshot at the damaged blob.
    @Test func aRottenPackIsNotBuiltUponByTheNextBackup() async throws {
        let t = TempDir("rot")
        let src = t.sub("s/P")
        try writeFile(src + "/a.NEF", pseudoRandomBytes(3 << 20, seed: 4101))
        try writeFile(src + "/b.xmp", Array(String(repeating: "<x:xmpmeta/>", count: 200).utf8))
        settleTimestamps()
        let repo = t.sub("r")
        #expect(try runCLI(["init", "--repo", repo]).status == 0)
        let first = try runCLI(["backup", src, "--repo", repo])
        #expect(first.status == 0, "\(first.stderr)")
        // One 4 KiB block in the middle of the largest pack rots in place.
        let packs = try await LocalDirectory(path: repo).list(prefix: "data/")
        let pack = try #require(packs.max { $0.size < $1.size })
        try zeroBytes(repo + "/" + pack.name, at: Int(pack.size / 2), count: 4096)

        let checked = try runCLI(["check", "--repo", repo, "--read-data"])
        #expect(checked.status == 1, "\(checked.stdout)")
        #expect(checked.stdout.contains(pack.name) && checked.stdout.contains("a.NEF"), "\(checked.stdout)")
        #expect(checked.stdout.contains("recorded in damage/"), "\(checked.stdout)")
        #expect(try await objects(repo, "damage/").count == 1)

        // The photo is touched (its ctime changes): the backup reads it, and now stores the rotten chunk again.
        #expect(utimes(src + "/a.NEF", nil) == 0)
        settleTimestamps()
        let again = try runCLI(["backup", src, "--repo", repo, "--json"])
        #expect(again.status == 0, "\(again.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any])
        let added = (json["summary"] as? [String: Any])?["bytesAdded"] as? Int ?? 0
        #expect(added > 0, "the backup pointed at the damaged data again: \(again.stdout)")

        // Both snapshots restore byte for byte: the old one finds the data where the new backup stored it.
        let opened = try await Repository.open(LocalDirectory(path: repo), password: TestKeys.password)
        for (i, snapshot) in try await opened.snapshots().enumerated() {
            let out = t.sub("out\(i)")
            let r = try await opened.restore(snapshot, to: out)
            #expect(r.errors.isEmpty, "\(r.errors)")
            #expect(FileManager.default.contentsEqual(atPath: out + "/P/a.NEF", andPath: src + "/a.NEF"))
        }
        // The rotten pack is still there, but nothing needs its damaged part any more: a note, not an error.
        let report = try await opened.check(readData: true)
        #expect(report.isHealthy, "\(report.errors)")
        #expect(report.notes.contains { $0.contains(pack.name) && $0.contains("recorded as damaged") }, "\(report.notes)")
    }

    @Test func aDamagedFolderListingIsRecordedAndStoredAgainByTheBackupThatFindsIt() async throws {
        let t = TempDir("listing")
        let src = t.sub("Photos")
        try writeFile(src + "/2026/DSC_0001.NEF", pseudoRandomBytes(200_000, seed: 4201))
        try writeFile(src + "/2026/DSC_0001.xmp", Array("sidecar".utf8))
        settleTimestamps()
        let repo = try await makeRepository(t.sub("repo"))
        let first = try await repo.backup(paths: [src]).snapshot
        let root = try #require(first.record.treeID)
        let (pack, entry) = try await location(of: root, in: repo)
        try flipByte(t.sub("repo/") + pack, at: Int(entry.offset) + 20)

        // The same folder, unchanged: the backup cannot read the previous listing, records it, and stores it again.
        let second = try await repo.backup(paths: [src])
        #expect(second.warnings.contains { $0.contains("listing cannot be read") }, "\(second.warnings)")
        #expect(second.warnings.contains { $0.contains("recorded in damage/") }, "\(second.warnings)")
        #expect(second.snapshot.record.tree == first.record.tree, "the same folder gives the same listing")
        #expect(second.snapshot.record.summary.blobsAdded >= 1)
        for s in [first, second.snapshot] {
            let out = t.sub("out-\(s.id.short)")
            let r = try await repo.restore(s, to: out)
            #expect(r.errors.isEmpty, "\(r.errors)")
            #expect(try TreeFingerprint.of(out + "/Photos") == TreeFingerprint.of(src))
        }
        let report = try await repo.check(readData: true)
        #expect(report.isHealthy, "\(report.errors)")
    }

    @Test func aRestoreThatMeetsDamageRecordsItAndTheNextBackupStoresTheFileAgain() async throws {
        let t = TempDir("restore-finds")
        let src = t.sub("Photos")
        try writeFile(src + "/DSC_0001.NEF", pseudoRandomBytes(900_000, seed: 4301))
        try writeFile(src + "/DSC_0002.NEF", pseudoRandomBytes(900_000, seed: 4302))
        settleTimestamps()
        let repo = try await makeRepository(t.sub("repo"))
        let first = try await repo.backup(paths: [src]).snapshot
        let chunk = try #require(try await chunks(of: "/Photos/DSC_0001.NEF", in: first, repo: repo).first)
        let (pack, entry) = try await location(of: chunk, in: repo)
        try flipByte(t.sub("repo/") + pack, at: Int(entry.offset) + 50)

        let r = try await repo.restore(first, to: t.sub("out"))
        #expect(r.errors.count == 1 && r.errors[0].contains("DSC_0001.NEF"), "\(r.errors)")
        let record = try #require(r.damageRecorded)
        #expect(try await objects(t.sub("repo"), "damage/") == [record])

        // The file did not change, yet the backup reads it again: its data is recorded as damaged.
        let second = try await repo.backup(paths: [src])
        #expect(second.snapshot.record.summary.filesRead == 1, "\(second.snapshot.record.summary)")
        for s in [first, second.snapshot] {
            let out = t.sub("again-\(s.id.short)")
            let restored = try await repo.restore(s, to: out)
            #expect(restored.errors.isEmpty, "\(restored.errors)")
            #expect(FileManager.default.contentsEqual(atPath: out + "/Photos/DSC_0001.NEF", andPath: src + "/DSC_0001.NEF"))
        }
    }

    @Test func aBackupDoesNotAdoptAPackWithRecordedDamage() async throws {
        // The state a repair killed between rewriting the index and deleting the pack leaves: the damaged pack is in
        // no index file, and a record names it.
        let t = TempDir("no-adopt")
        let src = t.sub("Photos")
        try writeFile(src + "/DSC_0001.NEF", pseudoRandomBytes(600_000, seed: 4501))
        settleTimestamps()
        let path = t.sub("repo")
        let repo = try await makeRepository(path)
        let first = try await repo.backup(paths: [src]).snapshot
        let chunk = try #require(try await chunks(of: "/Photos/DSC_0001.NEF", in: first, repo: repo).first)
        let (pack, entry) = try await location(of: chunk, in: repo)
        try flipByte(path + "/" + pack, at: Int(entry.offset) + 10)
        _ = try await repo.check(readData: true)
        for name in try await objects(path, "index/") { try FileManager.default.removeItem(atPath: path + "/" + name) }

        let next = try await repo.backup(paths: [src])
        #expect(next.snapshot.record.summary.filesRead == 1, "the unchanged photo must be read again: its data is damaged")
        let r = try await repo.restore(next.snapshot, to: t.sub("out"))
        #expect(r.errors.isEmpty, "\(r.errors)")
        #expect(FileManager.default.contentsEqual(atPath: t.sub("out/Photos/DSC_0001.NEF"), andPath: src + "/DSC_0001.NEF"))
    }

    @Test func withEveryIndexFileDeletedLsAndRestoreReadThePackTables() async throws {
        let t = TempDir("no-index")
        let src = t.sub("Photos")
        try writeFile(src + "/DSC_0001.NEF", pseudoRandomBytes(700_000, seed: 4401))
        try writeFile(src + "/Catalog.lrcat", pseudoRandomBytes(90_000, seed: 4402))
        settleTimestamps()
        let path = t.sub("repo")
        let repo = try await makeRepository(path)
        let snapshot = try await repo.backup(paths: [src]).snapshot
        for name in try await objects(path, "index/") { try FileManager.default.removeItem(atPath: path + "/" + name) }

        #expect(try await repo.list(snapshot).map(\.path).sorted() == ["/Photos", "/Photos/Catalog.lrcat", "/Photos/DSC_0001.NEF"])
        let r = try await repo.restore(snapshot, to: t.sub("out"))
        #expect(r.errors.isEmpty, "\(r.errors)")
        #expect(try TreeFingerprint.of(t.sub("out/Photos")) == TreeFingerprint.of(src))
        let ls = try runCLI(["ls", "latest", "--repo", path])
        #expect(ls.status == 0 && ls.stdout.contains("DSC_0001.NEF"), "\(ls.stderr)")
        let report = try await repo.check()
        #expect(report.isHealthy, "\(report.errors)")
        #expect(report.notes.contains { $0.contains("in no index file") && $0.contains("tables were read") }, "\(report.notes)")
        // The next backup indexes them again instead of storing the data twice.
        let next = try await repo.backup(paths: [src])
        #expect(next.adoptedPacks >= 1 && next.snapshot.record.summary.blobsAdded == 0)
    }
}
