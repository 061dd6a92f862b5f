// ForgetTests: retention rules against tables of snapshot times, forget on a repository, and forget on a plan.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Testing
@testable import Triplicate

/// A calendar in `zone`, for periods that do not depend on the machine's time zone.
private func calendar(_ zone: String = "UTC") -> Calendar {
    var c = Calendar(identifier: .gregorian)
    c.timeZone = TimeZone(identifier: zone) ?? TimeZone(secondsFromGMT: 0) ?? c.timeZone
    return c
}

/// A time from its RFC 3339 text.
private func at(_ text: String) -> Date {
    let f = ISO8601DateFormatter()
    return f.date(from: text) ?? Date(timeIntervalSince1970: 0)
}

/// The indexes of `times` that `policy` keeps, in the order given.
private func kept(_ policy: RetentionPolicy, _ times: [String], tags: [[String]] = [], zone: String = "UTC") -> [Int] {
    let items = times.enumerated().map { (at($0.element), $0.offset < tags.count ? tags[$0.offset] : []) }
    return policy.decide(items, calendar: calendar(zone)).enumerated().filter { !$0.element.isEmpty }.map(\.offset)
}

@Suite struct RetentionPolicyTests {
    /// Two snapshots a day, at 09:00 and 21:00, from 2026-11-01 to 2026-11-30 (index 0 is the oldest).
    let twiceADay: [String] = (1...30).flatMap { d in
        ["09:00", "21:00"].map { String(format: "2026-11-%02dT%@:00Z", d, $0) }
    }

    @Test func keepLastKeepsTheNewest() {
        #expect(kept(RetentionPolicy(keepLast: 3), twiceADay) == [57, 58, 59])
        #expect(kept(RetentionPolicy(keepLast: 100), twiceADay).count == 60)
    }

    @Test func keepDailyKeepsTheNewestOfEachOfTheLastDays() {
        // The 21:00 snapshot of Nov 30, 29 and 28.
        #expect(kept(RetentionPolicy(keepDaily: 3), twiceADay) == [55, 57, 59])
    }

    @Test func periodsAreInTheGivenTimeZone() {
        // 21:00 UTC is 02:30 the next day in Kolkata: each Kolkata day holds 21:00 of the day before and 09:00.
        // Dec 1 (Kolkata) holds only Nov 30 21:00; Nov 30 (Kolkata) holds Nov 29 21:00 and Nov 30 09:00.
        #expect(kept(RetentionPolicy(keepDaily: 2), twiceADay, zone: "Asia/Kolkata") == [58, 59])
    }

    @Test func keepWeeklyUsesISOWeeksAcrossTheYearsEnd() {
        // 2026-12-31 (Thursday) and 2027-01-02 (Saturday) are both in ISO week 53 of 2026; 2027-01-04 starts week 1.
        let times = ["2026-12-21T10:00:00Z", "2026-12-28T10:00:00Z", "2026-12-31T10:00:00Z", "2027-01-02T10:00:00Z",
                     "2027-01-04T10:00:00Z"]
        #expect(kept(RetentionPolicy(keepWeekly: 2), times) == [3, 4])
        #expect(kept(RetentionPolicy(keepWeekly: 3), times) == [0, 3, 4])
    }

    @Test func keepMonthlyAndYearlyCountPeriodsThatHaveASnapshot() {
        let times = ["2024-03-05T10:00:00Z", "2024-07-05T10:00:00Z", "2025-01-05T10:00:00Z", "2025-01-20T10:00:00Z",
                     "2026-06-01T10:00:00Z", "2026-11-30T10:00:00Z"]
        #expect(kept(RetentionPolicy(keepMonthly: 3), times) == [3, 4, 5])
        #expect(kept(RetentionPolicy(keepYearly: 2), times) == [3, 5])
        #expect(kept(RetentionPolicy(keepYearly: 10), times) == [1, 3, 5])
    }

    @Test func keepWithinCountsBackFromTheNewestNotFromNow() {
        // The newest is 2026-11-30 21:00; two days before it is 2026-11-28 21:00, included.
        #expect(kept(RetentionPolicy(keepWithin: 2 * 86_400), twiceADay) == [55, 56, 57, 58, 59])
    }

    @Test func keepTagKeepsEveryTaggedSnapshotAndRulesAddUp() {
        let times = ["2026-01-01T10:00:00Z", "2026-02-01T10:00:00Z", "2026-03-01T10:00:00Z", "2026-04-01T10:00:00Z"]
        let tags = [["wedding"], [], ["portfolio", "wedding"], []]
        #expect(kept(RetentionPolicy(keepTags: ["wedding"]), times, tags: tags) == [0, 2])
        #expect(kept(RetentionPolicy(keepLast: 1, keepTags: ["wedding"]), times, tags: tags) == [0, 2, 3])
        let reasons = RetentionPolicy(keepLast: 2, keepMonthly: 1, keepTags: ["wedding"])
            .decide(times.enumerated().map { (at($0.element), tags[$0.offset]) }, calendar: calendar())
        #expect(reasons[3] == ["last 2", "monthly 1 of 1"])
        #expect(reasons[2] == ["last 2", "tagged wedding"])
        #expect(reasons[1].isEmpty)
    }

    @Test func aPolicyWithoutARuleIsEmpty() {
        #expect(RetentionPolicy().isEmpty)
        #expect(RetentionPolicy(keepLast: 0, keepDaily: 0).isEmpty)
        #expect(!RetentionPolicy(keepWithin: 3600).isEmpty)
        #expect(!RetentionPolicy(keepTags: ["x"]).isEmpty)
    }

    @Test func thePlanHoldsAPolicyAndNamesTheLineOfAMistake() throws {
        let base = """
            password-file = "pw"

            [retention]
            keep-daily = 7
            keep-weekly = 5
            keep-within = "2d"
            keep-tag = ["wedding"]

            [[source]]
            path = "/home/anna/Pictures"

            [[destination]]
            name = "nas"
            repo = "/mnt/nas/triplicate"
            media = "nas"
            site = "onsite"
            """
        let plan = try Plan.parse(base, file: "plan.toml")
        #expect(plan.retention == RetentionPolicy(keepDaily: 7, keepWeekly: 5, keepWithin: 2 * 86_400, keepTags: ["wedding"]))
        for (old, new, message) in [("keep-weekly = 5", "keep-weekly = -1", "plan.toml:5:"), ("keep-weekly = 5", "keep-weakly = 5", "plan.toml:5:"),
                                    ("keep-within = \"2d\"", "keep-within = \"soon\"", "plan.toml:6:"),
                                    ("keep-tag = [\"wedding\"]", "keep-tag = \"wedding\"", "plan.toml:7:")] {
            #expect {
                _ = try Plan.parse(base.replacingOccurrences(of: old, with: new), file: "plan.toml")
            } throws: { error in
                (error as? TriplicateError).map { $0.kind == .invalidArgument && $0.message.hasPrefix(message) } == true
            }
        }
        let nothing = base.replacingOccurrences(of: "keep-daily = 7\nkeep-weekly = 5\nkeep-within = \"2d\"\nkeep-tag = [\"wedding\"]", with: "keep-last = 0")
        #expect { _ = try Plan.parse(nothing, file: "plan.toml") } throws: { ($0 as? TriplicateError)?.message.contains("keeps nothing") == true }
    }
}

@Suite struct ForgetTests {
    @Test func forgetRemovesOnlySnapshotFilesAndWhatIsKeptRestoresExactly() async throws {
        let t = TempDir("forget")
        let src = t.sub("Photos")
        try makeSampleTree(src)
        let repo = try await makeRepository(t.sub("repo"))
        var fingerprints: [String: TreeFingerprint] = [:]
        for i in 0..<4 {
            try writeFile(src + "/2026/edit-\(i).xmp", Array("rating \(i)".utf8))
            let r = try await repo.backup(paths: [src], options: BackupOptions(tags: i == 0 ? ["wedding"] : []))
            fingerprints[r.snapshot.id.hex] = try TreeFingerprint.of(src)
        }
        let before = try await repo.snapshots()
        let packsBefore = try await objects(t.sub("repo"), "data/")
        let refused = await #expect(throws: TriplicateError.self) { _ = try await repo.forget(policy: RetentionPolicy()) }
        #expect(refused?.kind == .invalidArgument)

        let policy = RetentionPolicy(keepLast: 2, keepTags: ["wedding"])
        let dry = try await repo.forget(policy: policy, dryRun: true)
        #expect(dry.dryRun && dry.forgottenCount == 1 && dry.keptCount == 3)
        #expect(try await repo.snapshots().count == 4, "a dry run removed something")

        let report = try await repo.forget(policy: policy)
        #expect(report.forgottenCount == 1 && report.groups.count == 1)
        #expect(report.groups[0].forgotten.map(\.id) == [before[1].id])
        let after = try await repo.snapshots()
        #expect(after.map(\.id) == [before[0].id, before[2].id, before[3].id])
        #expect(try await objects(t.sub("repo"), "data/") == packsBefore, "forget touched packs")
        #expect(try await repo.check(readData: true).isHealthy)
        for s in after {
            let out = t.sub("restored-" + s.id.short)
            _ = try await repo.restore(s, to: out)
            #expect(try TreeFingerprint.of(out + "/Photos") == fingerprints[s.id.hex], "snapshot \(s.id.short) differs")
        }
        // The same rules again: nothing more to remove.
        #expect(try await repo.forget(policy: policy).forgottenCount == 0)
    }

    @Test func theCLISaysWhyEachSnapshotIsKeptAndADryRunRemovesNothing() throws {
        let t = TempDir("forget-cli")
        let src = t.sub("Photos")
        try makeSampleTree(src)
        let repo = t.sub("repo")
        #expect(try runCLI(["init", "--repo", repo]).status == 0)
        for _ in 0..<3 { #expect(try runCLI(["backup", src, "--repo", repo]).status == 0) }
        let none = try runCLI(["forget", "--repo", repo])
        #expect(none.status == 1 && none.stderr.contains("no retention rule"), "\(none.stderr)")
        let dry = try runCLI(["forget", "--keep-last", "1", "--dry-run", "--repo", repo])
        #expect(dry.status == 0 && dry.stdout.contains("keeping 1 of 3 snapshots") && dry.stdout.contains("last 1"), "\(dry.stdout)")
        #expect(dry.stdout.contains("would remove 2 snapshots"), "\(dry.stdout)")
        #expect(try runCLI(["snapshots", "--repo", repo]).stdout.contains("3 snapshots"))
        let done = try runCLI(["forget", "--keep-last", "1", "--json", "--repo", repo])
        #expect(done.status == 0, "\(done.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(done.stdout.utf8)) as? [String: Any]
        let group = (json?["groups"] as? [[String: Any]])?.first
        #expect((group?["keep"] as? [Any])?.count == 1 && (group?["remove"] as? [Any])?.count == 2, "\(done.stdout)")
        #expect(try runCLI(["snapshots", "--repo", repo]).stdout.hasSuffix("\n1 snapshot\n"))
        #expect(try runCLI(["forget", "--keep-within", "soon", "--repo", repo]).status == 64)
    }

    @Test func aPlanForgetsOnTheCopiesItReachesAndACopyOutOfReachFollowsAtItsNextSync() async throws {
        let t = TempDir("forget-plan")
        try writeFile(t.sub("password"), Array("forget password\n".utf8))
        try makeSampleTree(t.sub("Pictures"))
        let plan = folderPlan(t, copies: ["nas", "usb"], top: "\n[retention]\nkeep-last = 1")
        try plan.write(toFile: t.sub("plan.toml"), atomically: true, encoding: .utf8)
        let env = ["XDG_STATE_HOME": t.sub("state")]
        func run(_ args: [String]) throws -> CLIResult { try runCLI(args + ["--plan", t.sub("plan.toml")], env: env, password: nil) }
        func snapshots(_ copy: String) throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: t.sub(copy + "/snapshots")).sorted() }
        #expect(try run(["init"]).status == 0)
        for _ in 0..<3 { #expect(try run(["backup"]).status == 0) }

        // The drive is in a drawer: forget removes from the NAS, records what it removed, and says the drive follows.
        try FileManager.default.moveItem(atPath: t.sub("usb"), toPath: t.sub("usb-away"))
        let partly = try run(["forget"])
        #expect(partly.status == 4 && partly.stdout.contains("removed 2 snapshots"), "\(partly.stdout)\(partly.stderr)")
        #expect(partly.stderr.contains("usb: out of reach") && partly.stderr.contains("its next sync"), "\(partly.stderr)")
        #expect(try snapshots("nas").count == 1)
        #expect(try await objects(t.sub("nas"), "removed/").count == 1)
        try FileManager.default.moveItem(atPath: t.sub("usb-away"), toPath: t.sub("usb"))
        #expect(try snapshots("usb").count == 3)

        // Back: status does not take the NAS for behind, and sync removes the same snapshots from the drive instead of
        // bringing them back; the copies are identical again.
        let status = try run(["status", "--json"])
        let decoded = try JSONDecoder().decode(PlanStatus.self, from: Data(status.stdout.utf8))
        #expect(decoded.destinations.allSatisfy { $0.snapshotsBehind == 0 }, "\(status.stdout)")
        let synced = try run(["sync"])
        #expect(synced.status == 0 && squeezed(synced.stdout).contains("usb: holds every file, removed 2 files the other copies had removed")
                || synced.stdout.contains("removed 2 files"), "\(synced.stdout)\(synced.stderr)")
        #expect(try snapshots("usb") == snapshots("nas") && snapshots("usb").count == 1)
        #expect(try await objects(t.sub("usb"), "removed/") == objects(t.sub("nas"), "removed/"))
        #expect(try run(["forget"]).stdout.contains("removed 0 snapshots"))
        #expect(try run(["check"]).status == 0)

        // A removal record is sealed: a forged one (a copy written by someone without the password) removes nothing.
        let forged = Array(#"{"names":["snapshots/\#(try snapshots("usb")[0])"],"operation":"forget","version":1}"#.utf8)
        try writeFile(t.sub("usb/removed/" + SHA256.hash(forged).hex), forged)
        let resynced = try run(["sync"])
        #expect(resynced.status == 0 && resynced.stdout.contains("cannot be read on any copy"), "\(resynced.stdout)\(resynced.stderr)")
        #expect(try snapshots("usb").count == 1 && snapshots("nas").count == 1)

        // From Swift, a plan's repository opened for reading cannot forget (or remove a key).
        let session = PlanSession(plan: try Plan.load(t.sub("plan.toml")), password: "forget password")
        let reading = try await session.openRepository()
        let refusedInCode = await #expect(throws: TriplicateError.self) { _ = try await reading.forget(policy: RetentionPolicy(keepLast: 1)) }
        #expect(refusedInCode?.message.contains("openForBackup") == true, "\(String(describing: refusedInCode))")
        await #expect(throws: TriplicateError.self) { try await reading.removeKey("00000000") }
        #expect(try await session.openForBackup().forget(policy: RetentionPolicy(keepLast: 1)).forgottenCount == 0)
    }
}
