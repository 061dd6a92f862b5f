// CrashTests: a backup killed part way or stopped by a full disk leaves a good repository and resumes later.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Testing
@testable import Triplicate
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized, .tags(.slow)) struct CrashTests {
    @Test func aBackupKilledWithSIGKILLResumesAndReusesItsPacks() async throws {
        let t = TempDir("kill")
        let src = t.sub("src")
        for i in 0..<8 { try writeFile(src + "/IMG_\(i).NEF", pseudoRandomBytes(5 << 20, seed: UInt64(100 + i))) }
        let repo = t.sub("repo")
        #expect(try runCLI(["init", "--repo", repo]).status == 0)

        let p = cliProcess(["backup", src, "--repo", repo, "--pack-size", "1", "--quiet"])
        try p.run()
        // Wait until a few packs are stored, then pull the plug.
        var packs = 0
        for _ in 0..<3000 where p.isRunning {
            packs = (try? await objects(repo, "data/").count) ?? 0
            if packs >= 4 { break }
            usleep(10_000)
        }
        #expect(p.isRunning, "the backup finished before it could be killed")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal)
        #expect(try await objects(repo, "snapshots/").isEmpty)
        let stored = try await objects(repo, "data/").count
        #expect(stored >= 4)

        let opened = try await Repository.open(LocalDirectory(path: repo), password: TestKeys.password)
        let report = try await opened.check(readData: true)
        #expect(report.isHealthy, "\(report.errors)")
        #expect(report.notes.contains { $0.contains("interrupted backup") })

        let resumed = try runCLI(["backup", src, "--repo", repo, "--json"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(resumed.stdout.utf8)) as? [String: Any]
        #expect((json?["adoptedPacks"] as? Int ?? 0) >= 4)
        let added = (json?["summary"] as? [String: Any])?["bytesAdded"] as? Int ?? Int.max
        #expect(added < 40 << 20, "the resumed backup uploaded everything again")
        let after = try await opened.check(readData: true)
        #expect(after.isHealthy, "\(after.errors)")
        let out = t.sub("out")
        #expect(try runCLI(["restore", "latest", "--target", out, "--repo", repo]).status == 0)
        #expect(try TreeFingerprint.of(out + "/src") == TreeFingerprint.of(src))
    }

    @Test(.needsRoot) func aFullDiskStopsTheBackupCleanlyAndTheNextOneCompletes() async throws {
        let t = TempDir("full")
        let disk = t.sub("disk")
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        let mounted = try runProcess("/bin/mount", ["-t", "tmpfs", "-o", "size=6m", "tmpfs", disk], password: nil)
        try #require(mounted.status == 0, "cannot mount a tmpfs to play the full disk: \(mounted.stderr)")
        defer { _ = try? runProcess("/bin/umount", [disk], password: nil) }
        let src = t.sub("src")
        for i in 0..<4 { try writeFile(src + "/IMG_\(i).DNG", pseudoRandomBytes(3 << 20, seed: UInt64(200 + i))) }
        let repo = disk + "/repo"
        #expect(try runCLI(["init", "--repo", repo]).status == 0)
        let full = try runCLI(["backup", src, "--repo", repo, "--pack-size", "1"])
        #expect(full.status == 1)
        #expect(full.stderr.contains("No space left") && full.stderr.contains("free some space"), "\(full.stderr)")
        #expect(try await objects(repo, "snapshots/").isEmpty)
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: repo).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")

        let opened = try await Repository.open(LocalDirectory(path: repo), password: TestKeys.password)
        let report = try await opened.check(readData: true)
        #expect(report.isHealthy, "\(report.errors)")

        #expect(try runProcess("/bin/mount", ["-o", "remount,size=40m", disk], password: nil).status == 0)
        let again = try runCLI(["backup", src, "--repo", repo, "--json"])
        #expect(again.status == 0, "\(again.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any]
        #expect((json?["adoptedPacks"] as? Int ?? 0) >= 1)
        let out = t.sub("out")
        #expect(try runCLI(["restore", "latest", "--target", out, "--repo", repo]).status == 0)
        #expect(try TreeFingerprint.of(out + "/src") == TreeFingerprint.of(src))
    }

    /// Every entry of `out` that has its real name holds the whole file of `src` (an interrupted restore may leave only
    /// `.triplicate-restore-` entries, never a partial file under a real name).
    static func noPartialFile(_ out: String, _ src: String) throws -> Int {
        var complete = 0
        for path in try FileManager.default.subpathsOfDirectory(atPath: out) where !path.contains(".triplicate-restore-") {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: out + "/" + path, isDirectory: &isFolder), !isFolder.boolValue else { continue }
            #expect(FileManager.default.contentsEqual(atPath: out + "/" + path, andPath: src + "/" + path), "\(path) is partial")
            complete += 1
        }
        return complete
    }

    @Test func aRestoreKilledWithSIGKILLLeavesNoPartialFileAndTheNextOneCompletes() async throws {
        let t = TempDir("kill-restore")
        let src = t.sub("src")
        for i in 0..<24 { try writeFile(src + "/\(i % 3)/IMG_\(i).NEF", pseudoRandomBytes(3 << 20, seed: UInt64(300 + i))) }
        let repo = t.sub("repo")
        #expect(try runCLI(["init", "--repo", repo]).status == 0)
        #expect(try runCLI(["backup", src, "--repo", repo, "--quiet"]).status == 0)

        let out = t.sub("out")
        let p = cliProcess(["restore", "latest", "--target", out, "--repo", repo])
        try p.run()
        // Wait until files are being written, then pull the plug.
        var writing = false
        for _ in 0..<3000 where p.isRunning {
            let entries = (try? FileManager.default.subpathsOfDirectory(atPath: out)) ?? []
            if entries.contains(where: { $0.contains(".triplicate-restore-") }) {
                writing = true
                break
            }
            usleep(2_000)
        }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(writing, "the restore finished before it could be killed")
        _ = try Self.noPartialFile(out + "/src", src)

        #expect(try runCLI(["restore", "latest", "--target", out, "--repo", repo]).status == 0)
        #expect(try TreeFingerprint.of(out + "/src") == TreeFingerprint.of(src))
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: out).filter { $0.contains(".triplicate-restore-") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    @Test(.needsRoot) func aRestoreOntoAFullDiskFailsClearlyAndLeavesNoPartialFile() async throws {
        let t = TempDir("full-restore")
        let src = t.sub("src")
        for i in 0..<6 { try writeFile(src + "/IMG_\(i).DNG", pseudoRandomBytes(2 << 20, seed: UInt64(400 + i))) }
        let repo = t.sub("repo")
        #expect(try runCLI(["init", "--repo", repo]).status == 0)
        #expect(try runCLI(["backup", src, "--repo", repo, "--quiet"]).status == 0)
        let disk = t.sub("disk")
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        let mounted = try runProcess("/bin/mount", ["-t", "tmpfs", "-o", "size=5m", "tmpfs", disk], password: nil)
        try #require(mounted.status == 0, "cannot mount a tmpfs to play the full disk: \(mounted.stderr)")
        defer { _ = try? runProcess("/bin/umount", [disk], password: nil) }

        let full = try runCLI(["restore", "latest", "--target", disk + "/out", "--repo", repo])
        #expect(full.status == 1, "\(full.stdout)\(full.stderr)")
        #expect(full.stderr.contains("No space left"), "\(full.stderr)")
        _ = try Self.noPartialFile(disk + "/out/src", src)
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: disk + "/out").filter { $0.contains(".triplicate-restore-") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")

        #expect(try runProcess("/bin/mount", ["-o", "remount,size=40m", disk], password: nil).status == 0)
        #expect(try runCLI(["restore", "latest", "--target", disk + "/out", "--repo", repo]).status == 0)
        #expect(try TreeFingerprint.of(disk + "/out/src") == TreeFingerprint.of(src))
    }
}
