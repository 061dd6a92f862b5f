// EveryDestinationCommandTests: every command of the CLI on each kind of destination (a folder, a FAT drive mounted
// with fusefat, a bucket on the local S3 server), with the same answers from each.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Testing
@testable import Triplicate

@Suite(.serialized, .tags(.slow)) struct EveryDestinationCommandTests {
    /// What a destination's commands answered that should be the same everywhere. (Not the chunk count: each
    /// repository's chunker is keyed by the repository's own secret, so cut points differ between repositories.)
    struct Answers: Equatable {
        var snapshots: Int
        var listing: String
        var originalBytes: Int
        var uniqueBytes: Int
    }

    /// Runs init, two backups, snapshots, ls, stats, restore and check at `location`, checking each.
    func exercise(_ location: String, env: [String: String], source src: String, scratch t: TempDir) throws -> Answers {
        func run(_ args: [String]) throws -> CLIResult {
            let r = try runCLI(args + ["--repo", location], env: env)
            #expect(r.status == 0, "\(args.first ?? "") on \(location): exit \(r.status): \(r.stderr)")
            return r
        }
        func json(_ r: CLIResult) throws -> Any { try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) }

        _ = try run(["init"])
        _ = try run(["backup", src, "--quiet"])
        try writeFile(src + "/2026-11/DSC_0003.NEF", pseudoRandomBytes(700_000, seed: 1303))
        _ = try run(["backup", src, "--quiet", "--tag", "after-import"])

        let snapshots = try json(run(["snapshots", "--json"])) as? [[String: Any]] ?? []
        #expect(snapshots.count == 2, "\(location): \(snapshots.count) snapshots")
        #expect((snapshots.last?["tags"] as? [String]) == ["after-import"], "\(location)")
        let listing = try run(["ls", "latest"]).stdout
        #expect(listing.contains("/2026-11/DSC_0003.NEF") && listing.contains("/2026-11/DSC_0001.xmp"), "\(location): \(listing)")
        let stats = try json(run(["stats", "--json"])) as? [String: Any] ?? [:]
        #expect(stats["snapshots"] as? Int == 2, "\(location): \(stats)")

        let out = t.sub("restored-" + String(location.prefix(3)).filter(\.isLetter))
        _ = try run(["restore", "latest", "--target", out])
        #expect(try TreeFingerprint.of(out + "/Photos") == TreeFingerprint.of(src), "\(location): the restore differs")
        _ = try run(["check", "--read-data"])
        try FileManager.default.removeItem(atPath: src + "/2026-11/DSC_0003.NEF")
        return Answers(snapshots: snapshots.count,
                       listing: listing.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).last.map(String.init) ?? "" }
                           .joined(separator: "\n"),
                       originalBytes: stats["originalBytes"] as? Int ?? -1, uniqueBytes: stats["uniqueBytes"] as? Int ?? -1)
    }

    @Test(.needsFATDrive, .needsS3Server) func everyCommandAnswersTheSameOnAFolderADriveAndABucket() async throws {
        let t = TempDir("every-destination")
        let src = t.sub("Photos")
        try writeFile(src + "/2026-11/DSC_0001.NEF", pseudoRandomBytes(1 << 20, seed: 1301))
        try writeFile(src + "/2026-11/DSC_0001.xmp", pseudoRandomBytes(2500, seed: 1302))
        try writeFile(src + "/Lightroom/Catalog.lrcat", pseudoRandomBytes(300_000, seed: 1304))

        var answers: [String: Answers] = [:]
        answers["local"] = try exercise(t.sub("nas/triplicate"), env: [:], source: src, scratch: t)
        let drive = try FATDrive(t, megabytes: 64)
        answers["usb"] = try exercise("usb:" + drive.mountPoint + "/triplicate", env: [:], source: src, scratch: t)
        let server = try TestS3Server()
        let bucket = "every-" + String(UUID().uuidString.lowercased().prefix(8))
        let env = ["B2_ENDPOINT": server.endpoint, "B2_APPLICATION_KEY_ID": "testing", "B2_APPLICATION_KEY": "testing"]
        answers["b2"] = try exercise("b2:\(bucket)/triplicate", env: env, source: src, scratch: t)
        #expect(answers.count == 3)
        let reference = try #require(answers["local"])
        for (kind, a) in answers {
            #expect(a == reference, "\(kind) answered differently from the local folder")
        }
    }
}
