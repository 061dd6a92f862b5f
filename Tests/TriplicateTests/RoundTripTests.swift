// RoundTripTests: backup then restore reproduces files, folders, links, modes and mtimes byte for byte.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Testing
@testable import Triplicate
#if canImport(Glibc)
import Glibc
#endif

/// A small tree with the awkward cases: empty file and folder, nested folders, symlinks, odd modes, UTF-8 names.
func makeSampleTree(_ root: String) throws {
    try writeFile(root + "/2024/2024-06-12 Wedding/DSC_0001.NEF", pseudoRandomBytes(700_000, seed: 1))
    try writeFile(root + "/2024/2024-06-12 Wedding/DSC_0001.xmp", Array(String(repeating: "<crs:Exposure2012>+0.35</crs:Exposure2012>\n", count: 100).utf8))
    try writeFile(root + "/2024/Café déjà vu/IMG_0002.DNG", pseudoRandomBytes(300_000, seed: 2))
    try writeFile(root + "/Lightroom/Catalog.lrcat", Array(String(repeating: "SQLite format 3 page ", count: 20_000).utf8))
    try writeFile(root + "/empty.txt", [])
    try FileManager.default.createDirectory(atPath: root + "/Empty Folder", withIntermediateDirectories: true)
    symlink("2024/2024-06-12 Wedding/DSC_0001.NEF", root + "/latest.NEF")
    symlink("/nonexistent/absolute/target", root + "/dangling")
    chmod(root + "/2024/Café déjà vu/IMG_0002.DNG", 0o600)
    chmod(root + "/Lightroom", 0o750)
    var times = [timespec(tv_sec: 1_600_000_000, tv_nsec: 123_456_789), timespec(tv_sec: 1_600_000_000, tv_nsec: 123_456_789)]
    utimensat(AT_FDCWD, root + "/empty.txt", &times, 0)
    utimensat(AT_FDCWD, root + "/Empty Folder", &times, 0)
}

@Suite struct RoundTripTests {
    @Test func backupAndRestoreReproduceTheTree() async throws {
        let t = TempDir("roundtrip")
        let src = t.sub("Photos")
        try makeSampleTree(src)
        let repo = try await makeRepository(t.sub("repo"))
        let result = try await repo.backup(paths: [src])
        #expect(result.errors.isEmpty)
        #expect(result.snapshot.record.summary.files == 5)
        #expect(result.snapshot.record.summary.symlinks == 2)
        let restored = t.sub("restored")
        let r = try await repo.restore(result.snapshot, to: restored)
        #expect(r.files == 5)
        #expect(try TreeFingerprint.of(restored + "/Photos") == TreeFingerprint.of(src))

        // Nanosecond mtimes survive too.
        var st = stat()
        lstat(restored + "/Photos/empty.txt", &st)
        #expect(st.st_mtim.tv_sec == 1_600_000_000 && st.st_mtim.tv_nsec == 123_456_789)
    }

    @Test func restoreOfASubPathAndASingleFile() async throws {
        let t = TempDir("subpath")
        let src = t.sub("Photos")
        try makeSampleTree(src)
        let repo = try await makeRepository(t.sub("repo"))
        let snap = try await repo.backup(paths: [src]).snapshot
        let sub = t.sub("sub")
        _ = try await repo.restore(snap, path: "Photos/2024", to: sub)
        #expect(try TreeFingerprint.of(sub) == TreeFingerprint.of(src + "/2024"))
        let one = t.sub("one")
        _ = try await repo.restore(snap, path: "/Photos/Lightroom/Catalog.lrcat", to: one)
        #expect(FileManager.default.contentsEqual(atPath: one + "/Catalog.lrcat", andPath: src + "/Lightroom/Catalog.lrcat"))
        await #expect(throws: TriplicateError.self) { try await repo.restore(snap, path: "Photos/nope", to: t.sub("x")) }
    }

    @Test func listingShowsEveryEntry() async throws {
        let t = TempDir("ls")
        let src = t.sub("Photos")
        try makeSampleTree(src)
        let repo = try await makeRepository(t.sub("repo"))
        let snap = try await repo.backup(paths: [src]).snapshot
        let all = try await repo.list(snap).map(\.path)
        #expect(all.contains("/Photos/2024/Café déjà vu/IMG_0002.DNG"))
        #expect(all.contains("/Photos/Empty Folder"))
        let sub = try await repo.list(snap, path: "Photos/Lightroom").map(\.path)
        #expect(sub == ["/Photos/Lightroom", "/Photos/Lightroom/Catalog.lrcat"])
    }

    @Test func severalPathsAndExcludes() async throws {
        let t = TempDir("paths")
        try makeSampleTree(t.sub("Photos"))
        try writeFile(t.sub("Docs/notes.txt"), Array("hello".utf8))
        try writeFile(t.sub("Photos/cache.tmp"), Array("scratch".utf8))
        let repo = try await makeRepository(t.sub("repo"))
        let options = BackupOptions(excludes: ["*.tmp", t.sub("Photos/Lightroom")], tags: ["daily"])
        let snap = try await repo.backup(paths: [t.sub("Photos"), t.sub("Docs")], options: options).snapshot
        #expect(snap.record.tags == ["daily"])
        let names = try await repo.list(snap).map(\.path)
        #expect(names.contains("/Docs/notes.txt"))
        #expect(!names.contains("/Photos/cache.tmp"))
        #expect(!names.contains { $0.hasPrefix("/Photos/Lightroom") })
        #expect(names.contains("/Photos/empty.txt"))
        await #expect(throws: TriplicateError.self) {
            try await repo.backup(paths: [t.sub("Photos"), t.sub("Docs/../Photos")])
        }
    }

    @Test func aRelativePatternWithASlashMatchesTheEndOfAPathAndOneThatCannotMatchIsNamed() async throws {
        let t = TempDir("excl-suffix")
        let pictures = t.sub("Pictures")
        try writeFile(pictures + "/Lightroom/Catalog.lrcat", [1])
        try writeFile(pictures + "/Lightroom/Catalog Previews.lrdata/0/a.lrprev", [2])
        try writeFile(pictures + "/Lightroom/Catalog Smart Previews.lrdata/b.dng", [3])
        try writeFile(pictures + "/Exports/Previews.lrdata/kept.jpg", [4])  // not below Lightroom/
        try writeFile(pictures + "/2024/IMG_0001.CR3", [5])
        let repo = try await makeRepository(t.sub("repo"))
        let outside = t.sub("Elsewhere/*.tmp")
        let r = try await repo.backup(paths: [pictures], options: BackupOptions(excludes: ["Lightroom/*Previews.lrdata", outside, pictures + "/2024/*.tmp"]))
        let names = try await repo.list(r.snapshot).map(\.path)
        #expect(names == ["/Pictures", "/Pictures/2024", "/Pictures/2024/IMG_0001.CR3", "/Pictures/Exports", "/Pictures/Exports/Previews.lrdata",
                          "/Pictures/Exports/Previews.lrdata/kept.jpg", "/Pictures/Lightroom", "/Pictures/Lightroom/Catalog.lrcat"])
        // Only the absolute pattern outside the folder backed up is named; the one inside it may match another day.
        #expect(r.warnings.filter { $0.contains("can match nothing") }.count == 1)
        #expect(r.warnings.contains { $0.contains(outside) && $0.contains("Elsewhere/*.tmp") })
        #expect(ExcludeMatcher.matches("Pictures/Lightroom/", path: pictures + "/Lightroom", name: "Lightroom"))
        #expect(!ExcludeMatcher.matches("a/b/c/d", path: "/b/c/d", name: "d"))
        #expect(ExcludeMatcher.unmatchable("", roots: [pictures]) != nil)
        #expect(ExcludeMatcher.unmatchable("/home/*/Pictures/Exports", roots: ["/home/jose/Pictures"]) == nil)
        #expect(ExcludeMatcher.unmatchable("/home/jose", roots: ["/home/jose/Pictures"]) == nil)
        #expect(ExcludeMatcher.unmatchable("/home/jose/Lightroom/*Previews.lrdata", roots: ["/home/jose/Pictures"]) != nil)
    }

    @Test func restoreOverwritesChangedFilesInTheTarget() async throws {
        let t = TempDir("overwrite")
        let src = t.sub("Photos")
        try makeSampleTree(src)
        let repo = try await makeRepository(t.sub("repo"))
        let snap = try await repo.backup(paths: [src]).snapshot
        let target = t.sub("target")
        _ = try await repo.restore(snap, to: target)
        try writeFile(target + "/Photos/empty.txt", Array("changed".utf8))
        _ = try await repo.restore(snap, to: target)
        #expect(try TreeFingerprint.of(target + "/Photos") == TreeFingerprint.of(src))
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: target).filter { $0.contains(".triplicate-restore-") }
        #expect(leftovers.isEmpty)
    }

    @Test func aFileWhoseBytesEqualATreeEncodingStillRestores() async throws {
        // `01 00 00 00 00` is the encoding of an empty folder's tree: chunk and tree share one ID.
        let t = TempDir("collide")
        let src = t.sub("src")
        try writeFile(src + "/a-first.bin", [1, 0, 0, 0, 0])
        try FileManager.default.createDirectory(atPath: src + "/b-empty", withIntermediateDirectories: true)
        let repo = try await makeRepository(t.sub("repo"))
        let snap = try await repo.backup(paths: [src]).snapshot
        let out = t.sub("out")
        _ = try await repo.restore(snap, to: out)
        #expect(try TreeFingerprint.of(out + "/src") == TreeFingerprint.of(src))
        #expect(try await repo.check(readData: true).isHealthy)
    }

    @Test func restoringTwiceIntoAReadOnlyRestoredFolderWorks() async throws {
        let t = TempDir("readonly")
        let src = t.sub("src")
        try writeFile(src + "/Archive/DSC_0001.NEF", pseudoRandomBytes(10_000, seed: 5))
        chmod(src + "/Archive", 0o555)
        defer { chmod(src + "/Archive", 0o755) }
        let repo = try await makeRepository(t.sub("repo"))
        let snap = try await repo.backup(paths: [src]).snapshot
        let target = t.sub("target")
        _ = try await repo.restore(snap, to: target)
        defer { chmod(target + "/src/Archive", 0o755) }
        let again = try await repo.restore(snap, to: target)
        #expect(again.files == 1 && again.errors.isEmpty)
        #expect(try TreeFingerprint.of(target + "/src") == TreeFingerprint.of(src))
    }
}
