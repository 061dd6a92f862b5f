// RestoreOptionsTests: restoring a few entries (--include, --exclude), what happens to files already in the target
// (--overwrite), Lightroom's lock and index files never restored, progress with its totals, and the CLI's JSON.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Synchronization
import Testing
import TriplicateDestinations
@testable import Triplicate

@Suite struct RestoreOptionsTests {
    /// A photographer's folder backed up once.
    private func backedUp(_ t: TempDir) async throws -> (Repository, Snapshot) {
        let src = t.sub("Pictures")
        try writeFile(src + "/2024/IMG_0001.CR3", pseudoRandomBytes(30_000, seed: 11))
        try writeFile(src + "/2024/IMG_0001.xmp", Array("rating 4".utf8))
        try writeFile(src + "/2025/IMG_0100.CR3", pseudoRandomBytes(20_000, seed: 12))
        try writeFile(src + "/Lightroom/Catalog.lrcat", pseudoRandomBytes(8192, seed: 13))
        try writeFile(src + "/Lightroom/Catalog.lrcat-wal", pseudoRandomBytes(4096, seed: 14))
        try writeFile(src + "/Lightroom/Catalog Previews.lrdata/0/a.lrprev", [1, 2, 3])
        let repo = try await makeRepository(t.sub("repo"))
        return (repo, try await repo.backup(paths: [src]).snapshot)
    }

    private func files(_ root: String) -> [String] {
        (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).sorted()
    }

    @Test func includesRestoreOnlyWhatMatchesWithTheFoldersOnTheWay() async throws {
        let t = TempDir("include")
        let (repo, snap) = try await backedUp(t)
        // The catalog and its WAL in one command; nothing else, not even the other folders.
        let catalog = t.sub("catalog")
        let r = try await repo.restore(snap, to: catalog, options: RestoreOptions(includes: ["Catalog.lrcat*"]))
        #expect(files(catalog) == ["Pictures", "Pictures/Lightroom", "Pictures/Lightroom/Catalog.lrcat", "Pictures/Lightroom/Catalog.lrcat-wal"])
        #expect(r.files == 2)
        #expect(try Data(contentsOf: URL(fileURLWithPath: catalog + "/Pictures/Lightroom/Catalog.lrcat")) == Data(pseudoRandomBytes(8192, seed: 13)))
        // A folder by its path comes whole, less what an exclude names; an exclude alone leaves out just that.
        let year = t.sub("year")
        _ = try await repo.restore(snap, to: year, options: RestoreOptions(includes: ["/Pictures/2024"], excludes: ["*.xmp"]))
        #expect(files(year) == ["Pictures", "Pictures/2024", "Pictures/2024/IMG_0001.CR3"])
        let noPreviews = t.sub("no-previews")
        _ = try await repo.restore(snap, path: "Pictures/Lightroom", to: noPreviews, options: RestoreOptions(excludes: ["*Previews.lrdata"]))
        #expect(files(noPreviews) == ["Catalog.lrcat", "Catalog.lrcat-wal"])
        // Patterns that match nothing restore nothing, and say so by the count.
        let nothing = t.sub("nothing")
        #expect(try await repo.restore(snap, to: nothing, options: RestoreOptions(includes: ["*.NEF"])).files == 0)
        #expect(files(nothing).isEmpty)
    }

    @Test func overwriteDecidesWhatHappensToFilesAlreadyThere() async throws {
        let t = TempDir("overwrite")
        let (repo, snap) = try await backedUp(t)
        let out = t.sub("out")
        _ = try await repo.restore(snap, path: "Pictures/2024", to: out)
        let raw = out + "/IMG_0001.CR3", xmp = out + "/IMG_0001.xmp"
        // Unchanged since the restore: if-changed leaves both.
        #expect(try await repo.restore(snap, path: "Pictures/2024", to: out, options: RestoreOptions(overwrite: .ifChanged)).kept == 2)
        // The sidecar edited since (same size, later time): if-changed and always replace it, if-newer and never keep it.
        try writeFile(xmp, Array("rating 5".utf8))
        var r = try await repo.restore(snap, path: "Pictures/2024", to: out, options: RestoreOptions(overwrite: .ifNewer))
        #expect(r.kept == 2 && r.files == 0)
        #expect(try String(contentsOfFile: xmp, encoding: .utf8) == "rating 5")
        r = try await repo.restore(snap, path: "Pictures/2024", to: out, options: RestoreOptions(overwrite: .never))
        #expect(r.kept == 2)
        r = try await repo.restore(snap, path: "Pictures/2024", to: out, options: RestoreOptions(overwrite: .ifChanged))
        #expect(r.kept == 1 && r.files == 1)
        #expect(try String(contentsOfFile: xmp, encoding: .utf8) == "rating 4")
        // Older than the snapshot's: if-newer replaces it; a missing file is restored whatever the policy.
        var old = [timespec(tv_sec: 1_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, raw, &old, 0) == 0)
        try FileManager.default.removeItem(atPath: xmp)
        r = try await repo.restore(snap, path: "Pictures/2024", to: out, options: RestoreOptions(overwrite: .ifNewer))
        #expect(r.files == 2 && r.kept == 0)
        try FileManager.default.removeItem(atPath: xmp)
        r = try await repo.restore(snap, path: "Pictures/2024", to: out, options: RestoreOptions(overwrite: .never))
        #expect(r.files == 1 && r.kept == 1)
        #expect(try TreeFingerprint.of(out) == TreeFingerprint.of(t.sub("Pictures/2024")))
    }

    @Test func lightroomsLockAndIndexFilesAreNeitherBackedUpNorRestored() async throws {
        let t = TempDir("lrlock")
        let src = t.sub("Lightroom")
        try writeFile(src + "/Catalog.lrcat", [1, 2, 3])
        try writeFile(src + "/Catalog.lrcat-wal", [4])
        try writeFile(src + "/Catalog.lrcat.lock", Array("lightroom is running".utf8))
        try writeFile(src + "/Catalog.lrcat-shm", [0, 0, 0])
        let repo = try await makeRepository(t.sub("repo"))
        let snap = try await repo.backup(paths: [src]).snapshot
        #expect(try await repo.list(snap).map(\.path) == ["/Lightroom", "/Lightroom/Catalog.lrcat", "/Lightroom/Catalog.lrcat-wal"])
        // A snapshot that holds them anyway (an older release, another program) restores without them.
        let crafted = try await commitCraftedSnapshot(repo, root: [fileNode("Catalog.lrcat", [7], repo: repo), fileNode("Catalog.lrcat-shm", [8], repo: repo),
                                                                  fileNode("Catalog.lrcat.lock", [9], repo: repo)], chunks: [[7], [8], [9]])
        let out = t.sub("out")
        let r = try await repo.restore(crafted, to: out)
        #expect(files(out) == ["Catalog.lrcat"])
        #expect(r.warnings.count == 2 && r.warnings.allSatisfy { $0.contains("not restored; Lightroom") })
    }

    @Test func progressCarriesTheTotalsOfWhatIsRestored() async throws {
        let t = TempDir("totals")
        let (repo, snap) = try await backedUp(t)
        let seen = Mutex<ProgressEvent?>(nil)
        _ = try await repo.restore(snap, to: t.sub("out"), options: RestoreOptions(includes: ["*.CR3"])) { p in seen.withLock { $0 = p } }
        let last = try #require(seen.withLock { $0 })
        #expect(last.total == 2 && last.totalBytes == 50_000 && last.done == 2)
        _ = try await repo.restore(snap, path: "Pictures/2025", to: t.sub("one")) { p in seen.withLock { $0 = p } }
        #expect(seen.withLock { $0?.totalBytes } == 20_000)
    }

    @Test func theCommandTakesTheOptionsAndPrintsJSON() async throws {
        let t = TempDir("restore-cli")
        _ = try await backedUp(t)
        let out = t.sub("out")
        let first = try runCLI(["restore", "latest", "--target", out, "--repo", t.sub("repo"), "--include", "*.lrcat", "--include", "*.lrcat-wal", "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])
        #expect(json["files"] as? Int == 2 && json["kept"] as? Int == 0)
        let again = try runCLI(["restore", "latest", "--target", out, "--repo", t.sub("repo"), "--include", "Catalog.lrcat*", "--overwrite", "if-changed"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("restored 0 files, ") && again.stdout.contains("2 entries already there left as they were (--overwrite if-changed)"), "\(again.stdout)")
        let wrong = try runCLI(["restore", "latest", "--target", out, "--repo", t.sub("repo"), "--overwrite", "sometimes"])
        #expect(wrong.status == 64 && wrong.stderr.contains("if-changed"))
    }
}
