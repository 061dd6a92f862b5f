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
}
