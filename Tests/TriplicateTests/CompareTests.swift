// CompareTests: diff between two snapshots (added, removed, changed, mode or time only, a file that became a folder),
// find across snapshots (by name, by path, ignoring case), and the JSON of ls, diff and find from the command line.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Testing
import TriplicateDestinations
@testable import Triplicate

@Suite struct CompareTests {
    /// Two snapshots of one folder with one change of each kind between them.
    private func twoSnapshots(_ t: TempDir) async throws -> (Repository, Snapshot, Snapshot) {
        let src = t.sub("Pictures")
        try writeFile(src + "/2024/IMG_0001.CR3", pseudoRandomBytes(40_000, seed: 1))
        try writeFile(src + "/2024/IMG_0002.CR3", pseudoRandomBytes(30_000, seed: 2))
        try writeFile(src + "/2024/IMG_0002.xmp", Array("rating 3".utf8))
        try writeFile(src + "/2025/IMG_0100.CR3", pseudoRandomBytes(20_000, seed: 3))
        try writeFile(src + "/Old/a.jpg", pseudoRandomBytes(1000, seed: 4))
        try writeFile(src + "/Old/sub/b.jpg", pseudoRandomBytes(1000, seed: 5))
        try writeFile(src + "/notes", Array("a file, later a folder".utf8))
        let repo = try await makeRepository(t.sub("repo"))
        let first = try await repo.backup(paths: [src]).snapshot
        try writeFile(src + "/2024/IMG_0002.xmp", Array("rating 5".utf8))              // content
        chmod(src + "/2024/IMG_0001.CR3", 0o600)                                        // mode only
        try writeFile(src + "/2025/IMG_0101.CR3", pseudoRandomBytes(25_000, seed: 6))  // added
        try FileManager.default.removeItem(atPath: src + "/Old")                       // removed, with its content
        try FileManager.default.removeItem(atPath: src + "/notes")
        try writeFile(src + "/notes/today.txt", Array("now a folder".utf8))             // a file became a folder
        let second = try await repo.backup(paths: [src]).snapshot
        return (repo, first, second)
    }

    @Test func diffNamesEachChangeOnceAndSkipsWhatDidNotChange() async throws {
        let t = TempDir("diff")
        let (repo, first, second) = try await twoSnapshots(t)
        let changes = try await repo.diff(first, second).map { "\($0.kind.rawValue) \($0.path)" }
        // The folders whose content changed are not listed themselves; 2025's listing changed, IMG_0100 did not.
        #expect(changes == [
            "metadata /Pictures/2024/IMG_0001.CR3",
            "changed /Pictures/2024/IMG_0002.xmp",
            "added /Pictures/2025/IMG_0101.CR3",
            "removed /Pictures/Old",
            "removed /Pictures/Old/a.jpg",
            "removed /Pictures/Old/sub",
            "removed /Pictures/Old/sub/b.jpg",
            "removed /Pictures/notes",
            "added /Pictures/notes",
            "added /Pictures/notes/today.txt",
        ])
        let mode = try #require(try await repo.diff(first, second).first)
        #expect(mode.after.map { $0.mode & 0o777 } == 0o600)
        #expect(mode.before.map { $0.mode & 0o777 } != 0o600)
        // The other way round, added and removed swap; a snapshot against itself has no differences.
        let back = try await repo.diff(second, first)
        #expect(back.filter { $0.kind == .added }.map(\.path) == ["/Pictures/Old", "/Pictures/Old/a.jpg", "/Pictures/Old/sub",
                                                                   "/Pictures/Old/sub/b.jpg", "/Pictures/notes"])
        #expect(try await repo.diff(second, second).isEmpty)
    }

    @Test func findLooksInEverySnapshotByNameOrByPath() async throws {
        let t = TempDir("find")
        let (repo, first, second) = try await twoSnapshots(t)
        func found(_ pattern: String, ignoringCase: Bool = false) async throws -> [String] {
            try await repo.find(pattern, ignoringCase: ignoringCase).map { "\($0.snapshot.id.short) \($0.entry.path)" }
        }
        let a = first.id.short, b = second.id.short
        #expect(try await found("IMG_0002.*") == ["\(a) /Pictures/2024/IMG_0002.CR3", "\(a) /Pictures/2024/IMG_0002.xmp",
                                                  "\(b) /Pictures/2024/IMG_0002.CR3", "\(b) /Pictures/2024/IMG_0002.xmp"])
        #expect(try await found("b.jpg") == ["\(a) /Pictures/Old/sub/b.jpg"])
        #expect(try await found("IMG_0101.CR3") == ["\(b) /Pictures/2025/IMG_0101.CR3"])
        // With /, the whole path; * stays within one folder.
        #expect(try await found("/Pictures/*/IMG_01*") == ["\(a) /Pictures/2025/IMG_0100.CR3", "\(b) /Pictures/2025/IMG_0100.CR3",
                                                           "\(b) /Pictures/2025/IMG_0101.CR3"])
        #expect(try await found("/Pictures/*IMG_0100.CR3").isEmpty)
        #expect(try await found("img_0101.cr3").isEmpty)
        #expect(try await found("img_0101.cr3", ignoringCase: true) == ["\(b) /Pictures/2025/IMG_0101.CR3"])
        // A file and a folder of one name are both found, each in its snapshot.
        #expect(try await found("notes") == ["\(a) /Pictures/notes", "\(b) /Pictures/notes"])
        #expect(try await repo.find("notes").map(\.entry.kind) == ["file", "dir"])
        #expect(try await repo.find("*.CR3", in: [second]).count == 4)
        await #expect(throws: TriplicateError.self) { try await repo.find("") }
    }

    @Test func theCommandsPrintJSONAndOneLinePerEntry() async throws {
        let t = TempDir("browse")
        let (_, first, second) = try await twoSnapshots(t)
        let repo = t.sub("repo")
        let diff = try runCLI(["diff", first.id.short, second.id.short, "--repo", repo])
        #expect(diff.status == 0, "\(diff.stderr)")
        #expect(diff.stdout.contains("U  /Pictures/2024/IMG_0001.CR3\n"))
        #expect(diff.stdout.contains("M  /Pictures/2024/IMG_0002.xmp\n"))
        #expect(diff.stdout.contains("+  /Pictures/2025/IMG_0101.CR3\n"))
        #expect(diff.stdout.contains("-  /Pictures/Old/\n"))
        #expect(diff.stdout.contains("3 entries added, 5 removed, 1 changed, 1 with only metadata changed"))
        let diffJSON = try runCLI(["diff", first.id.short, second.id.short, "--repo", repo, "--json"])
        let changes = try #require(try JSONSerialization.jsonObject(with: Data(diffJSON.stdout.utf8)) as? [[String: Any]])
        #expect(changes.count == 10)
        let changed = try #require(changes.first { $0["kind"] as? String == "changed" })
        #expect((changed["before"] as? [String: Any])?["size"] as? Int == 8)
        #expect(changed["path"] as? String == "/Pictures/2024/IMG_0002.xmp")

        let find = try runCLI(["find", "IMG_0101.*", "--repo", repo, "--json"])
        let matches = try #require(try JSONSerialization.jsonObject(with: Data(find.stdout.utf8)) as? [[String: Any]])
        #expect(matches.count == 1)
        #expect(matches.first?["snapshot"] as? String == second.id.hex)
        let entry = try #require(matches.first?["entry"] as? [String: Any])
        #expect(entry["size"] as? Int == 25_000)
        #expect(entry["type"] as? String == "file")
        #expect((entry["mtime"] as? String)?.hasSuffix("Z") == true)
        let none = try runCLI(["find", "nothing-like-this", "--repo", repo, "--json"])
        #expect(none.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]")
        let text = try runCLI(["find", "*.CR3", "--repo", repo])
        #expect(text.stdout.contains("7 matches in 2 snapshots of 2"))

        let ls = try runCLI(["ls", "latest", "Pictures/2024", "--repo", repo, "--json"])
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(ls.stdout.utf8)) as? [[String: Any]])
        #expect(entries.map { $0["path"] as? String } == ["/Pictures/2024", "/Pictures/2024/IMG_0001.CR3", "/Pictures/2024/IMG_0002.CR3",
                                                          "/Pictures/2024/IMG_0002.xmp"])
        #expect(entries[1]["mode"] as? String == "600")
        #expect(entries[2]["size"] as? Int == 30_000)
    }

    @Test func aNameWithANewlineIsOneLineInLsDiffAndFind() async throws {
        let t = TempDir("newline")
        let src = t.sub("src")
        try writeFile(src + "/plain.jpg", [1])
        let repoPath = t.sub("repo")
        let repo = try await makeRepository(repoPath)
        let first = try await repo.backup(paths: [src]).snapshot
        try writeFile(src + "/two\nlines.jpg", [2])
        let second = try await repo.backup(paths: [src]).snapshot
        for args in [["ls", "latest"], ["diff", first.id.short, second.id.short], ["find", "*lines*"]] {
            let r = try runCLI(args + ["--repo", repoPath])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("/src/two\\nlines.jpg"), "\(args[0])")
            #expect(!r.stdout.contains("two\nlines"), "\(args[0])")
        }
    }
}
