// DryRunTests: `backup --dry-run` reads and counts what a backup would store and writes nothing, to a repository or to
// any copy of a plan; `-v` names each file read; an empty source stops a plan's backup from the command line too.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Synchronization
import Testing
import TriplicateDestinations
@testable import Triplicate

@Suite struct DryRunTests {
    /// Every file of a folder, with its size.
    private func contents(_ root: String) -> [String: Int] {
        var out: [String: Int] = [:]
        for case let p as String in FileManager.default.enumerator(atPath: root) ?? FileManager.default.enumerator(atPath: "/nonexistent")! {
            out[p] = (try? FileManager.default.attributesOfItem(atPath: root + "/" + p)[.size] as? Int) ?? -1
        }
        return out
    }

    @Test func aDryRunCountsWhatABackupWouldStoreAndWritesNothing() async throws {
        let t = TempDir("dry")
        let src = t.sub("Pictures")
        try writeFile(src + "/IMG_0001.CR3", pseudoRandomBytes(200_000, seed: 21))
        try writeFile(src + "/IMG_0002.CR3", pseudoRandomBytes(100_000, seed: 22))
        let repo = try await makeRepository(t.sub("repo"))
        settleTimestamps()
        _ = try await repo.backup(paths: [src])
        try writeFile(src + "/IMG_0002.CR3", pseudoRandomBytes(100_000, seed: 23))  // changed
        try writeFile(src + "/IMG_0003.CR3", pseudoRandomBytes(50_000, seed: 24))   // new
        let before = contents(t.sub("repo"))
        let read = Mutex([String]())
        var options = BackupOptions()
        options.dryRun = true
        options.fileRead = { f in read.withLock { $0.append("\(f.isNew ? "new" : "changed") \((f.path as NSString).lastPathComponent) \(f.size)") } }
        let r = try await repo.backup(paths: [src], options: options)
        #expect(r.isDryRun)
        #expect(read.withLock { $0 } == ["changed IMG_0002.CR3 100000", "new IMG_0003.CR3 50000"])
        #expect(r.snapshot.summary.filesRead == 2 && r.snapshot.summary.files == 3)
        #expect((150_000..<151_000).contains(r.snapshot.summary.bytesAdded))  // the files' new chunks and the listing
        #expect(r.snapshot.summary.bytesStored > 150_000)
        // Not a file more, less or changed in the repository: no pack, index file, snapshot or lock file.
        #expect(contents(t.sub("repo")) == before)
        #expect(try await repo.snapshots().count == 1)
        // The real backup then stores what the dry run counted.
        let real = try await repo.backup(paths: [src])
        #expect(real.snapshot.summary.bytesAdded == r.snapshot.summary.bytesAdded)
        #expect(!real.isDryRun)
    }

    @Test func aPlanDryRunTouchesNoCopyAndAnEmptySourceStopsThePlanFromTheCommandLine() async throws {
        let t = TempDir("dry-plan")
        try writeFile(t.sub("Pictures/DSC_0001.NEF"), pseudoRandomBytes(50_000, seed: 31))
        try TestKeys.password.write(toFile: t.sub("password"), atomically: true, encoding: .utf8)
        try folderPlan(t, copies: ["disk", "nas"]).write(toFile: t.sub("plan.toml"), atomically: true, encoding: .utf8)
        let env = ["XDG_STATE_HOME": t.sub("state")]
        #expect(try runCLI(["init", "--plan", t.sub("plan.toml")], env: env).status == 0)
        settleTimestamps()
        #expect(try runCLI(["backup", "--plan", t.sub("plan.toml")], env: env).status == 0)
        // The nas copy loses its snapshot: a real backup would bring it back first; a dry run must not.
        let nasSnapshots = t.sub("nas/snapshots")
        let lost = try FileManager.default.contentsOfDirectory(atPath: nasSnapshots)
        for f in lost { try FileManager.default.removeItem(atPath: nasSnapshots + "/" + f) }
        try writeFile(t.sub("Pictures/DSC_0002.NEF"), pseudoRandomBytes(60_000, seed: 32))
        let disk = contents(t.sub("disk")), nas = contents(t.sub("nas"))
        let dry = try runCLI(["backup", "--plan", t.sub("plan.toml"), "--dry-run", "-v"], env: env)
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("new") && dry.stdout.contains("/Pictures/DSC_0002.NEF"), "\(dry.stdout)")
        #expect(!dry.stdout.contains("DSC_0001.NEF"))
        #expect(dry.stdout.contains("dry run: nothing was written to the repository"))
        #expect(contents(t.sub("disk")) == disk && contents(t.sub("nas")) == nas)
        // The photo drive unmounted: the plan's backup stops before it writes anything, and says why.
        for f in try FileManager.default.contentsOfDirectory(atPath: t.sub("Pictures")) { try FileManager.default.removeItem(atPath: t.sub("Pictures/" + f)) }
        let empty = try runCLI(["backup", "--plan", t.sub("plan.toml")], env: env)
        #expect(empty.status == 1)
        #expect(empty.stderr.contains("is the photo drive mounted?") && empty.stderr.contains("allow-empty = true"), "\(empty.stderr)")
        #expect(contents(t.sub("disk")) == disk)
    }
}
