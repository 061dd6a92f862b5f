// CLITests: the `triplicate` command end to end — exit codes, JSON output, debug chunk, help.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Testing
@testable import Triplicate

@Suite struct CLITests {
    @Test func anUnknownCommandGetsTheNearestKnownOne() throws {
        for (typed, meant) in [("bakup", "'backup'"), ("snapshot", "'snapshots'"), ("restroe", "'restore'"), ("stauts", "'stats' or 'status'"), ("fnid", "'find'")] {
            let r = try runCLI([typed], password: nil)
            #expect(r.status == 64)
            #expect(r.stderr.contains("unknown command '\(typed)'. Did you mean \(meant)?"), "\(r.stderr)")
        }
        let far = try runCLI(["xyzzy"], password: nil)
        #expect(far.status == 64 && far.stderr.contains("unknown command 'xyzzy'") && !far.stderr.contains("Did you mean"))
        #expect(try runCLI(["help"], password: nil).status == 0)
    }

    @Test func initBackupSnapshotsRestoreCheckStats() throws {
        let t = TempDir("cli")
        let src = t.sub("Photos")
        try makeSampleTree(src)
        let repo = t.sub("repo")
        let initRun = try runCLI(["init", "--repo", repo])
        #expect(initRun.status == 0, "\(initRun.stderr)")
        let backup = try runCLI(["backup", src, "--tag", "wedding", "--json"], env: ["TRIPLICATE_REPOSITORY": repo])
        #expect(backup.status == 0, "\(backup.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(backup.stdout.utf8)) as? [String: Any]
        let snapshotID = try #require(json?["snapshot"] as? String)
        #expect(snapshotID.count == 64)
        let summary = try #require(json?["summary"] as? [String: Any])
        #expect(summary["files"] as? Int == 5)

        let list = try runCLI(["snapshots", "--repo", repo, "--json"])
        let snaps = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]]
        #expect(snaps?.count == 1)
        #expect(snaps?.first?["tags"] as? [String] == ["wedding"])

        let ls = try runCLI(["ls", String(snapshotID.prefix(6)), "Photos/Lightroom", "--repo", repo])
        #expect(ls.status == 0)
        #expect(ls.stdout.contains("/Photos/Lightroom/Catalog.lrcat"))

        let out = t.sub("out")
        let restore = try runCLI(["restore", "latest:Photos/2024", "--target", out, "--repo", repo])
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(try TreeFingerprint.of(out) == TreeFingerprint.of(src + "/2024"))

        let check = try runCLI(["check", "--read-data", "--repo", repo])
        #expect(check.status == 0)
        #expect(check.stdout.contains("no errors found"))

        let stats = try runCLI(["stats", "--repo", repo, "--json"])
        let s = try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any]
        #expect((s?["originalBytes"] as? Int ?? 0) > 1_000_000)
        #expect((s?["compressionRatio"] as? Double ?? 0) > 1)
    }

    @Test func snapshotsPrintsAlignedColumnsWhateverTheWidthOfTheirCells() throws {
        let t = TempDir("cli-table")
        let repo = t.sub("repo")
        #expect(try runCLI(["init", "--repo", repo]).status == 0)
        let small = t.sub("Small"), large = t.sub("A much longer source folder name")
        try FileManager.default.createDirectory(atPath: small, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: small + "/one.txt"))
        try makeSampleTree(large)
        #expect(try runCLI(["backup", small, "--repo", repo, "--tag", "a"]).status == 0)
        #expect(try runCLI(["backup", large, "--repo", repo, "--tag", "wedding", "--tag", "family"]).status == 0)
        let out = try runCLI(["snapshots", "--repo", repo])
        #expect(out.status == 0, "\(out.stderr)")
        let lines = out.stdout.split(separator: "\n").map { Array(String($0)) }
        let header = try #require(lines.first)
        let rows = Array(lines.dropFirst().prefix(2))
        #expect(rows.count == 2)
        func column(_ title: String) throws -> Range<Int> {
            let text = String(header)
            let r = try #require(text.range(of: title))
            return text.distance(from: text.startIndex, to: r.lowerBound)..<text.distance(from: text.startIndex, to: r.upperBound)
        }
        // Text starts under its title; figures end under theirs.
        let paths = try column("Paths"), tags = try column("Tags"), files = try column("Files"), size = try column("Size")
        for row in rows {
            #expect(row.count > paths.lowerBound && row[paths.lowerBound] == "/", "\(String(row))")
            #expect(row[tags.lowerBound] == "a" || row[tags.lowerBound] == "f" || row[tags.lowerBound] == "w", "\(String(row))")
            #expect(row[files.upperBound - 1].isNumber && row[files.upperBound] == " ", "\(String(row))")
            #expect(row[size.upperBound - 1] == "B" && row[size.upperBound] == " ", "\(String(row))")
        }
    }

    @Test func exitCodes() throws {
        let t = TempDir("exit")
        let repo = t.sub("repo")
        #expect(try runCLI(["snapshots", "--repo", t.sub("nothing")]).status == 10)
        try writeFile(t.sub("foreign/a.jpg"), [1])
        let foreign = try runCLI(["snapshots", "--repo", t.sub("foreign")])
        #expect(foreign.status == 10)
        #expect(foreign.stderr.contains("not a Triplicate repository"))
        #expect(try runCLI(["init", "--repo", repo]).status == 0)
        let wrong = try runCLI(["snapshots", "--repo", repo], password: "not the password")
        #expect(wrong.status == 12)
        #expect(wrong.stderr.contains("wrong password"))
        let none = try runCLI(["snapshots", "--repo", repo], password: nil)
        #expect(none.status == 1)
        #expect(none.stderr.contains("TRIPLICATE_PASSWORD"))
        let missing = try runCLI(["backup", t.sub("no-such-folder"), "--repo", repo])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("does not exist"))
        #expect(try runCLI(["restore", "ffffffff", "--target", t.sub("o"), "--repo", repo]).status == 1)
        // A password file works and its first line is the password.
        try writeFile(t.sub("pw"), Array((TestKeys.password + "\n").utf8))
        #expect(try runCLI(["snapshots", "--repo", repo, "--password-file", t.sub("pw")], password: nil).status == 0)
    }

    /// The library says what to do as an operation (a ``Remedy``), never as a command line; the CLI says it with the
    /// --repo or --plan it was given.
    @Test func aMissingPackIsAnErrorWhoseRemedyTheCLISpellsAsACommand() async throws {
        let t = TempDir("remedy")
        let src = t.sub("Photos")
        try makeSampleTree(src)
        let repo = t.sub("my repo")
        #expect(try runCLI(["init", "--repo", repo]).status == 0)
        #expect(try runCLI(["backup", src, "--repo", repo]).status == 0)
        for pack in try FileManager.default.subpathsOfDirectory(atPath: repo + "/data") where pack.count > 60 {
            try FileManager.default.removeItem(atPath: repo + "/data/" + pack)
        }
        let restore = try runCLI(["restore", "latest", "--target", t.sub("out"), "--repo", repo])
        #expect(restore.status == 1)
        #expect(restore.stdout.contains("run `triplicate check --repo '\(repo)' --read-data`"), "\(restore.stdout)")

        // An empty folder: the library's error names the operation; the CLI the command, with the --repo it was given.
        try FileManager.default.createDirectory(atPath: t.sub("empty"), withIntermediateDirectories: true)
        let failure = await #expect(throws: TriplicateError.self) {
            _ = try await Repository.open(LocalDirectory(path: t.sub("empty")), password: TestKeys.password)
        }
        #expect(failure?.kind == .noRepository && failure?.remedy == .initialize, "\(String(describing: failure))")
        #expect(failure.map { !$0.message.contains("triplicate ") && !$0.message.contains("--") } == true, "\(String(describing: failure))")
        let empty = try runCLI(["snapshots", "--repo", t.sub("empty")])
        #expect(empty.status == 10 && empty.stderr.contains("hint: run `triplicate init --repo \(t.sub("empty"))` to create it"),
                "\(empty.stderr)")
    }

    @Test(.needsRoot) func unreadableSourceFilesGiveExitCodeThree() throws {
        // Root reads everything, so the backup runs as the unprivileged user `nobody` through setpriv.
        let t = TempDir("unreadable")
        chmod(t.path, 0o777)
        let src = t.sub("src")
        try writeFile(src + "/ok.txt", Array("fine".utf8))
        try writeFile(src + "/secret.txt", Array("hidden".utf8))
        chmod(src + "/secret.txt", 0o000)
        let repo = t.sub("repo")
        #expect(try runCLI(["init", "--repo", repo]).status == 0)
        _ = try runProcess("/bin/chmod", ["-R", "a+rwX", repo], password: nil)
        _ = try runProcess("/bin/chmod", ["0755", src], password: nil)
        chmod(src + "/ok.txt", 0o644)
        var parent = URL(fileURLWithPath: t.path)
        while parent.path != "/" {
            chmod(parent.path, (try? FileManager.default.attributesOfItem(atPath: parent.path)[.posixPermissions] as? Int).map { mode_t($0 | 0o005) } ?? 0o755)
            parent.deleteLastPathComponent()
        }
        let r = try runProcess("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", cliBinary, "backup", src, "--repo", repo],
                               env: ["HOME": t.path])
        #expect(r.status == 3, "\(r.stderr)")
        #expect(r.stderr.contains("secret.txt"))
        let ls = try runCLI(["ls", "latest", "--repo", repo])
        #expect(ls.stdout.contains("/src/ok.txt"))
        #expect(!ls.stdout.contains("secret.txt"))
    }

    @Test(.needsSharedFixtures) func debugChunkPrintsTheReferenceChunks() throws {
        let fixture = sharedFixtures + "/fastcdc/SekienAkashita.jpg"
        let r = try runCLI(["debug", "chunk", fixture, "--min", "4096", "--avg", "16384", "--max", "65535"], password: nil)
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n")
        #expect(lines == [
            #"{"offset": 0, "length": 21325}"#, #"{"offset": 21325, "length": 17140}"#, #"{"offset": 38465, "length": 28084}"#,
            #"{"offset": 66549, "length": 18217}"#, #"{"offset": 84766, "length": 24700}"#,
        ])
    }

    @Test func debugChunkOfZeros() throws {
        let t = TempDir("zeros")
        try writeFile(t.sub("z"), [UInt8](repeating: 0, count: 10_240))
        let r = try runCLI(["debug", "chunk", t.sub("z"), "--min", "64", "--avg", "256", "--max", "1024"], password: nil)
        let lengths = r.stdout.split(separator: "\n").map { $0.contains("\"length\": 1024") }
        #expect(lengths.count == 10 && lengths.allSatisfy { $0 })
        let bad = try runCLI(["debug", "chunk", t.sub("z"), "--min", "1", "--avg", "256", "--max", "1024"], password: nil)
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("min"))
    }

    @Test func helpListsEveryCommandAndTheExitCodes() throws {
        let r = try runCLI(["--help"], password: nil)
        #expect(r.status == 0)
        for word in ["init", "backup", "snapshots", "ls", "restore", "check", "stats", "forget", "repair", "sync", "status", "debug", "70 a defect", "12 wrong password", "130 interrupted"] {
            #expect(r.stdout.contains(word), "help lacks \(word)")
        }
    }
}
