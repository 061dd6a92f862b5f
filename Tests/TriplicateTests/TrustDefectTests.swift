// TrustDefectTests: the small things that break trust: a Windows password file, messages that name the real mistake,
// leftovers of a killed restore, a check that runs while another computer backs up, symlinked and self-containing
// sources.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Testing
@testable import Triplicate
#if canImport(Glibc)
import Glibc
#endif

@Suite struct TrustDefectTests {
    @Test func aPasswordFileWithWindowsLineEndingsGivesThePasswordTyped() async throws {
        let t = TempDir("crlf")
        try writeFile(t.sub("pw"), Array("My Secret\r\n".utf8))
        let repo = t.sub("repo")
        let made = try runCLI(["init", "--repo", repo, "--password-file", t.sub("pw")], password: nil)
        #expect(made.status == 0, "\(made.stderr)")
        // Typed (or from the environment), the same password opens it.
        #expect(try runCLI(["snapshots", "--repo", repo], password: "My Secret").status == 0)
        _ = try await Repository.open(LocalDirectory(path: repo), password: "My Secret")
        #expect(try PasswordFile.read(t.sub("pw")) == "My Secret")
        try writeFile(t.sub("bom"), [0xEF, 0xBB, 0xBF] + Array("My Secret\n".utf8))
        #expect(try PasswordFile.read(t.sub("bom")) == "My Secret")

        // A repository an earlier version made from such a file (it kept "\r\n") still opens with the file.
        let old = t.sub("old")
        _ = try await Repository.initialize(on: LocalDirectory(path: old), password: "My Secret\r\n", options: TestKeys.cheap)
        let opened = try runCLI(["snapshots", "--repo", old, "--password-file", t.sub("pw")], password: nil)
        #expect(opened.status == 0, "\(opened.stderr)")
    }

    @Test func mistakesAreNamedForWhatTheyAre() async throws {
        let t = TempDir("messages")
        try FileManager.default.createDirectory(atPath: t.sub("pwdir"), withIntermediateDirectories: true)
        try writeFile(t.sub("afile"), Array("not a folder".utf8))
        let folder = try runCLI(["snapshots", "--repo", t.sub("repo"), "--password-file", t.sub("pwdir")], password: nil)
        #expect(folder.status == 1 && folder.stderr.contains("is a folder") && !folder.stderr.contains("NSCocoaErrorDomain"), "\(folder.stderr)")
        let file = try runCLI(["snapshots", "--repo", t.sub("afile")])
        #expect(file.status == 1 && file.stderr.contains("is a file, not a folder"), "\(file.stderr)")
        let initFile = try runCLI(["init", "--repo", t.sub("afile")])
        #expect(initFile.status == 1 && initFile.stderr.contains("is a file, not a folder") && !initFile.stderr.contains("mounted"), "\(initFile.stderr)")
        let both = try runCLI(["snapshots", "--repo", t.sub("repo"), "--plan", t.sub("plan.toml")])
        #expect(both.status == 64 && both.stderr.contains("either --plan or --repo"), "\(both.stderr)")
        let workers = try runCLI(["backup", t.path, "--repo", t.sub("repo"), "--workers", "-1"])
        #expect(workers.status == 64 && workers.stderr.contains("--workers must be between 1 and 64"), "\(workers.stderr)")
    }

    @Test func aRepositoryInsideTheSourceIsLeftOutAndARestoreIntoTheSourceIsNamed() async throws {
        let t = TempDir("inside")
        let src = t.sub("home")
        try writeFile(src + "/Pictures/DSC_0001.NEF", pseudoRandomBytes(200_000, seed: 7101))
        let repo = src + "/Backups/repo"
        #expect(try runCLI(["init", "--repo", repo]).status == 0)
        let backup = try runCLI(["backup", src, "--repo", repo])
        #expect(backup.status == 0 && backup.stderr.contains("holds this repository: it is left out"), "\(backup.stderr)")
        let ls = try runCLI(["ls", "latest", "--repo", repo])
        #expect(ls.stdout.contains("DSC_0001.NEF") && !ls.stdout.contains("Backups/repo"), "\(ls.stdout)")
        let restored = try runCLI(["restore", "latest:home/Pictures", "--target", src + "/restored", "--repo", repo])
        #expect(restored.status == 0 && restored.stderr.contains("inside \(src)"), "\(restored.stderr)")
    }

    @Test func aSourceThatIsASymbolicLinkToAFolderIsBackedUpAsThatFolder() async throws {
        let t = TempDir("linked")
        try writeFile(t.sub("real/Photos/DSC_0001.NEF"), pseudoRandomBytes(100_000, seed: 7201))
        #expect(symlink(t.sub("real/Photos"), t.sub("Photos")) == 0)
        let repo = try await makeRepository(t.sub("repo"))
        let result = try await repo.backup(paths: [t.sub("Photos")])
        #expect(result.snapshot.record.summary.files == 1, "\(result.snapshot.record.summary)")
        _ = try await repo.restore(result.snapshot, to: t.sub("out"))
        #expect(FileManager.default.contentsEqual(atPath: t.sub("out/Photos/DSC_0001.NEF"), andPath: t.sub("real/Photos/DSC_0001.NEF")))
        #expect(try FileManager.default.attributesOfItem(atPath: t.sub("out/Photos"))[.type] as? FileAttributeType == .typeDirectory)
    }

    @Test func theNextRestoreRemovesWhatAKilledRestoreLeft() async throws {
        let t = TempDir("leftovers")
        let src = t.sub("Photos")
        try writeFile(src + "/2026/DSC_0001.NEF", pseudoRandomBytes(100_000, seed: 7301))
        let repo = try await makeRepository(t.sub("repo"))
        let snapshot = try await repo.backup(paths: [src]).snapshot
        let target = t.sub("out")
        try writeFile(target + "/.triplicate-restore-0123456789abcdef", [1, 2, 3])
        try writeFile(target + "/Photos/2026/.triplicate-restore-fedcba9876543210", [4, 5, 6])
        try writeFile(target + "/Photos/.triplicate-restore-notmine", [7])
        _ = try await repo.restore(snapshot, to: target)
        let left = try FileManager.default.subpathsOfDirectory(atPath: target).filter { $0.contains(".triplicate-restore-") }
        #expect(left == ["Photos/.triplicate-restore-notmine"], "\(left)")
    }

    @Test func checkStaysRightWhileAnotherBackupCommits() async throws {
        let t = TempDir("concurrent")
        let src = t.sub("Photos")
        for i in 0..<6 { try writeFile(src + "/IMG_\(i).NEF", pseudoRandomBytes(1_000_000, seed: 7400 + UInt64(i))) }
        let repo = t.sub("repo")
        #expect(try runCLI(["init", "--repo", repo]).status == 0)
        #expect(try runCLI(["backup", src, "--repo", repo, "--pack-size", "1"]).status == 0)
        try writeFile(src + "/IMG_new.NEF", pseudoRandomBytes(300_000, seed: 7499))
        // check --read-data is stopped while it reads, a backup commits, then the check goes on.
        let p = cliProcess(["check", "--read-data", "--repo", repo])
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        usleep(150_000)
        kill(p.processIdentifier, SIGSTOP)
        let backup = try runCLI(["backup", src, "--repo", repo])
        kill(p.processIdentifier, SIGCONT)
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(backup.status == 0, "\(backup.stderr)")
        #expect(p.terminationStatus == 0, "\(text)")
    }
}
