// SourcePathTests: two sources that end in the same name are backed up together, and a path as `snapshots` shows it
// (the source's own path) is accepted wherever a path inside a snapshot is, beside the path as `ls` shows it.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Testing
@testable import Triplicate

@Suite struct SourcePathTests {
    @Test func rootNamesFollowTheOrderOfThePaths() {
        #expect(Snapshot.rootNames(of: ["/media/archive/Pictures", "/home/studio/Pictures"])
                == ["/home/studio/Pictures": "Pictures", "/media/archive/Pictures": "Pictures (2)"])
        // A path whose own name is a suffixed one keeps it; the path left over takes the next.
        #expect(Snapshot.rootNames(of: ["/c/x (2)", "/b/x", "/a/x"]) == ["/a/x": "x", "/c/x (2)": "x (2)", "/b/x": "x (3)"])
        #expect(Snapshot.rootNames(of: ["/", "/home/root"]) == ["/": "root", "/home/root": "root (2)"])
    }

    @Test func twoSourcesWithOneNameAreBackedUpAndRestoredByEitherPath() async throws {
        let t = TempDir("same-name")
        let home = t.sub("home/studio/Pictures"), archive = t.sub("media/archive/Pictures")
        try writeFile(home + "/2025/IMG_0001.CR3", pseudoRandomBytes(10_000, seed: 41))
        try writeFile(archive + "/2019/IMG_0001.CR3", pseudoRandomBytes(12_000, seed: 42))
        let repoPath = t.sub("repo")
        let repo = try await makeRepository(repoPath)
        settleTimestamps()
        let first = try await repo.backup(paths: [archive, home]).snapshot
        #expect(try await repo.list(first).map(\.path) == [
            "/Pictures", "/Pictures/2025", "/Pictures/2025/IMG_0001.CR3",
            "/Pictures (2)", "/Pictures (2)/2019", "/Pictures (2)/2019/IMG_0001.CR3",
        ])
        // The next backup, with the paths in another order, finds each file's previous version: nothing is read.
        let second = try await repo.backup(paths: [home, archive]).snapshot
        #expect(second.summary.filesRead == 0)
        #expect(try await repo.diff(first, second).isEmpty)
        // The source's own path, as `snapshots` shows it, and the path in the tree, as `ls` shows it, are one.
        #expect(second.treePath(archive + "/2019/IMG_0001.CR3") == "/Pictures (2)/2019/IMG_0001.CR3")
        #expect(second.treePath("/Pictures (2)/2019") == "/Pictures (2)/2019")
        let out = t.sub("out")
        _ = try await repo.restore(second, path: archive + "/2019/IMG_0001.CR3", to: out)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/IMG_0001.CR3")) == Data(pseudoRandomBytes(12_000, seed: 42)))
        #expect(try await repo.list(second, path: home).map(\.path) == ["/Pictures", "/Pictures/2025", "/Pictures/2025/IMG_0001.CR3"])
        let cli = try runCLI(["restore", "latest:" + home + "/2025", "--target", t.sub("cli"), "--repo", repoPath])
        #expect(cli.status == 0, "\(cli.stderr)")
        #expect(FileManager.default.fileExists(atPath: t.sub("cli/IMG_0001.CR3")))
        let ls = try runCLI(["ls", "latest", archive, "--repo", repoPath])
        #expect(ls.status == 0 && ls.stdout.contains("/Pictures (2)/2019/IMG_0001.CR3"), "\(ls.stderr)")
        // One path given twice is still refused.
        await #expect(throws: TriplicateError.self) { try await repo.backup(paths: [home, home + "/../Pictures"]) }
    }
}
