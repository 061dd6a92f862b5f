// BadInputTests: wrong password, missing or foreign repositories, newer formats and unreadable sources.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Testing
@testable import Triplicate
#if canImport(Glibc)
import Glibc
#endif

@Suite struct BadInputTests {
    @Test func anEmptySourceFolderIsBackedUpWithAWarningThatNamesIt() async throws {
        let t = TempDir("empty-source")
        let drive = t.sub("PhotoDrive")
        try FileManager.default.createDirectory(atPath: drive, withIntermediateDirectories: true)
        try writeFile(t.sub("Documents/a.txt"), [1])
        let repo = try await makeRepository(t.sub("repo"))
        let r = try await repo.backup(paths: [drive, t.sub("Documents")])
        #expect(r.warnings.filter { $0.contains("empty folder") } == ["\(drive) is an empty folder (is its drive mounted?): this snapshot holds nothing of it"])
        let cli = try runCLI(["backup", drive, "--repo", t.sub("repo")])
        #expect(cli.status == 0)
        #expect(cli.stderr.contains("\(drive) is an empty folder (is its drive mounted?)"), "\(cli.stderr)")
    }

    @Test func wrongPasswordIsRefusedAndChangesNothing() async throws {
        let t = TempDir("pw")
        let path = t.sub("repo")
        _ = try await makeRepository(path)
        let before = try await objects(path, "")
        await #expect {
            try await Repository.open(LocalDirectory(path: path), password: "wrong")
        } throws: { ($0 as? TriplicateError)?.kind == .wrongPassword }
        #expect(try await objects(path, "") == before)
    }

    @Test func noRepositoryEmptyFolderAndForeignFolder() async throws {
        let t = TempDir("norepo")
        await #expect {
            try await Repository.open(LocalDirectory(path: t.sub("missing")), password: "x")
        } throws: { ($0 as? TriplicateError)?.kind == .noRepository }
        try FileManager.default.createDirectory(atPath: t.sub("empty"), withIntermediateDirectories: true)
        await #expect {
            try await Repository.open(LocalDirectory(path: t.sub("empty")), password: "x")
        } throws: { ($0 as? TriplicateError)?.kind == .noRepository }
        try writeFile(t.sub("foreign/holiday.jpg"), [1, 2, 3])
        await #expect {
            try await Repository.open(LocalDirectory(path: t.sub("foreign")), password: "x")
        } throws: { ($0 as? TriplicateError)?.kind == .notARepository }
        try writeFile(t.sub("foreign2/config"), Array("[core]\nbare = true\n".utf8))
        await #expect {
            try await Repository.open(LocalDirectory(path: t.sub("foreign2")), password: "x")
        } throws: { ($0 as? TriplicateError)?.kind == .notARepository }
        // init refuses a non-empty folder and an existing repository.
        await #expect {
            try await makeRepository(t.sub("foreign"))
        } throws: { ($0 as? TriplicateError)?.kind == .alreadyExists }
        _ = try await makeRepository(t.sub("repo"))
        await #expect {
            try await makeRepository(t.sub("repo"))
        } throws: { ($0 as? TriplicateError)?.kind == .alreadyExists }
        #expect(FileManager.default.fileExists(atPath: t.sub("foreign/holiday.jpg")))
    }

    @Test func aNewerFormatVersionIsRefusedBeforeThePassword() async throws {
        let t = TempDir("newer")
        let path = t.sub("repo")
        let repo = try await makeRepository(path)
        var config = repo.config
        config.version = 2
        try Data(try config.encode()).write(to: URL(fileURLWithPath: path + "/config"))
        await #expect {
            try await Repository.open(LocalDirectory(path: path), password: TestKeys.password)
        } throws: { e in
            guard let e = e as? TriplicateError else { return false }
            return e.kind == .unsupportedVersion && e.message.contains("version 2")
        }
    }

    @Test func aMissingSourcePathIsAnErrorBeforeAnythingIsWritten() async throws {
        let t = TempDir("missing")
        let path = t.sub("repo")
        let repo = try await makeRepository(path)
        await #expect {
            try await repo.backup(paths: [t.sub("no such folder")])
        } throws: { ($0 as? TriplicateError)?.kind == .sourceUnreadable }
        #expect(try await objects(path, "snapshots/").isEmpty)
        #expect(try await objects(path, "data/").isEmpty)
    }

    @Test(.enabled(if: TestEnvironment.runs(FileManager.default.fileExists(atPath: "/proc/version")), "needs /proc/version (Linux)"))
    func aFileThatChangesWhileReadIsReported() async throws {
        // /proc files report size 0 but have content: the backup sees the size change while reading.
        let t = TempDir("changing")
        let repo = try await makeRepository(t.sub("repo"))
        let r = try await repo.backup(paths: ["/proc/version"])
        // It "changes" on every read (size 0, content not), so after three attempts it is an error (exit 3).
        #expect(r.errors.contains { $0.contains("/proc/version") && $0.contains("kept changing while it was read") })
        let out = t.sub("out")
        _ = try await repo.restore(r.snapshot, to: out)
        let restored = try String(contentsOfFile: out + "/version", encoding: .utf8)
        #expect(restored.hasPrefix("Linux"))
    }

    @Test func specialFilesAreSkippedWithAWarning() async throws {
        let t = TempDir("fifo")
        let src = t.sub("src")
        try writeFile(src + "/a.txt", Array("a".utf8))
        mkfifo(src + "/pipe", 0o644)
        let repo = try await makeRepository(t.sub("repo"))
        let r = try await repo.backup(paths: [src])
        #expect(r.errors.isEmpty)
        #expect(r.warnings.contains { $0.contains("pipe") })
        #expect(try await repo.list(r.snapshot).map(\.path) == ["/src", "/src/a.txt"])
    }

    @Test func initRefusesAFolderOfPhotosWhateverTheirNames() async throws {
        let t = TempDir("photos")
        try writeFile(t.sub("Photos/DSC_0001.NEF"), [1, 2, 3])
        await #expect {
            try await makeRepository(t.sub("Photos"))
        } throws: { e in
            guard let e = e as? TriplicateError else { return false }
            return e.kind == .alreadyExists && e.message.contains("DSC_0001.NEF")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: t.sub("Photos")) == ["DSC_0001.NEF"])
    }

    @Test func aBackupNeverWritesIntoAnEmptyMountPoint() async throws {
        // The repository's disk "unmounts" after the repository was opened: its folder is suddenly empty.
        let t = TempDir("unmounted")
        let path = t.sub("mnt/repo")
        let repo = try await makeRepository(path)
        try writeFile(t.sub("src/a.txt"), Array("a".utf8))
        try FileManager.default.moveItem(atPath: path, toPath: t.sub("elsewhere"))
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        await #expect {
            try await repo.backup(paths: [t.sub("src")])
        } throws: { e in
            guard let e = e as? TriplicateError else { return false }
            return e.kind == .destination(.unavailable) && e.message.contains("mounted")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: path).isEmpty)
    }
}
