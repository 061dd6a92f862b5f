// PlanTests: the 3-2-1 plan: the TOML file and its errors, and the commands across a local folder, a FAT drive
// mounted with fusefat and the local S3 server standing in for B2.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Testing
@testable import Triplicate

private let threeDestinations = """
    password-file = "password"

    [[source]]
    path = "Pictures"
    exclude = ["*.tmp"]

    [[destination]]
    name = "nas"
    repo = "nas/triplicate"
    media = "nas"          # a comment
    site = "onsite"

    [[destination]]
    name = "usb"
    repo = "usb:MOUNT/triplicate"
    media = "usb"
    site = "onsite"

    [[destination]]
    name = "b2"
    repo = "b2:BUCKET/triplicate"
    media = "cloud"
    site = "offsite"
    """

@Suite struct PlanFileTests {
    @Test func aPlanFileLoadsWithPathsResolvedAgainstItsFolder() throws {
        let plan = try Plan.parse(threeDestinations, file: "/home/jose/.config/triplicate/plan.toml")
        #expect(plan.passwordFile == "/home/jose/.config/triplicate/password")
        #expect(plan.sources == [Plan.Source(path: "/home/jose/.config/triplicate/Pictures", excludes: ["*.tmp"])])
        #expect(plan.destinations.map(\.name) == ["nas", "usb", "b2"])
        #expect(plan.destinations[0].repo == "/home/jose/.config/triplicate/nas/triplicate")
        #expect(plan.destinations[1].repo == "usb:/home/jose/.config/triplicate/MOUNT/triplicate")
        #expect(plan.destinations[2].repo == "b2:BUCKET/triplicate")
        #expect(plan.destinations.map(\.media) == [.nas, .usb, .cloud])
        #expect(plan.destinations.map(\.site) == [.onsite, .onsite, .offsite])
        #expect(plan.destinations.map(\.line) == [7, 13, 19])
    }

    /// The plan with `old` replaced by `new` must fail to load with a message containing each of `expected`.
    func expectError(_ old: String, _ new: String, _ expected: String...) {
        let text = threeDestinations.replacingOccurrences(of: old, with: new)
        do {
            _ = try Plan.parse(text, file: "plan.toml")
            Issue.record("loaded a plan with \(new)")
        } catch {
            #expect(error.kind == .invalidArgument)
            for e in expected { #expect(error.message.contains(e), "\(error.message)") }
        }
    }

    @Test func everyMistakeIsNamedWithItsLine() {
        expectError("site = \"offsite\"", "site = \"offsite\"\nretention = 3", "plan.toml:24:", "unknown key \"retention\"")
        expectError("name = \"usb\"", "name = \"nas\"", "plan.toml:13:", "named \"nas\" is already defined on line 7")
        expectError("media = \"usb\"", "media = \"tape\"", "plan.toml:16:", "media \"tape\"")
        expectError("site = \"offsite\"", "site = \"abroad\"", "plan.toml:23:", "site \"abroad\"")
        expectError("repo = \"b2:BUCKET/triplicate\"\n", "", "plan.toml:19:", "has no repo")
        expectError("exclude = [\"*.tmp\"]", "exclude = \"*.tmp\"", "plan.toml:5:", "list of strings")
        expectError("password-file", "pasword-file", "plan.toml:1:", "unknown key \"pasword-file\"")
        expectError("media = \"nas\"          # a comment", "media = \"nas", "plan.toml:10:")  // TOML syntax, from TOMLKit
        expectError("name = \"b2\"", "name = \"off site\"", "plan.toml:19:", "letters, digits")
        expectError("exclude = [\"*.tmp\"]", "exclude = [\"*.tmp\"]\nallow-empty = \"yes\"", "plan.toml:6:", "allow-empty must be true or false")
    }

    @Test func aSourceMayBeAllowedToBeEmpty() throws {
        let plan = try Plan.parse(threeDestinations.replacingOccurrences(of: "exclude = [\"*.tmp\"]", with: "exclude = [\"*.tmp\"]\nallow-empty = true"),
                                  file: "/p/plan.toml")
        #expect(plan.sources == [Plan.Source(path: "/p/Pictures", excludes: ["*.tmp"], allowEmpty: true)])
        #expect(try Plan.parse(threeDestinations, file: "/p/plan.toml").sources.first?.allowEmpty == false)
    }

    @Test func linesAreRightInAFileWithWindowsLineEndingsAndForMisspeltTables() {
        let crlf = threeDestinations.replacingOccurrences(of: "\n", with: "\r\n").replacingOccurrences(of: "media = \"tape\"", with: "")
        do {
            _ = try Plan.parse(crlf.replacingOccurrences(of: "site = \"abroad\"", with: "").replacingOccurrences(of: "media = \"usb\"", with: "media = \"tape\""), file: "plan.toml")
            Issue.record("loaded a plan with media tape")
        } catch {
            #expect(error.message.hasPrefix("plan.toml:16:"), "\(error.message)")
        }
        expectError("[[source]]", "[source]", "plan.toml:3:")
        expectError("[[destination]]\nname = \"b2\"", "[[destinations]]\nname = \"b2\"", "plan.toml:19:", "unknown key \"destinations\"")
    }

    @Test func onePlaceNamedTwiceIsRefused() {
        expectError("repo = \"b2:BUCKET/triplicate\"", "repo = \"local:nas/triplicate\"", "plan.toml:19:", "same place as \"nas\"")
    }

    @Test func aPlanBuiltInCodeIsValidatedToo() {
        #expect(throws: TriplicateError.self) {
            _ = try Plan(sources: [], destinations: [])
        }
        #expect(throws: TriplicateError.self) {
            _ = try Plan(sources: [Plan.Source(path: "relative")], destinations: [try Plan.Target(name: "a", repo: "/x", media: .nas, site: .onsite)])
        }
    }

    @Test func theVerdictCountsCopiesMediaAndAnOffsiteCopy() {
        func status(_ name: String, _ media: Media, _ site: Site, current: Bool) -> DestinationStatus {
            DestinationStatus(name: name, media: media, site: site, reachable: true, upToDate: current)
        }
        let all = [status("nas", .nas, .onsite, current: true), status("usb", .usb, .onsite, current: true), status("b2", .cloud, .offsite, current: true)]
        #expect(PlanSession.verdict(all).allCurrent)
        var lagging = all
        lagging[1].upToDate = false
        #expect(PlanSession.verdict(lagging).holds && !PlanSession.verdict(lagging).allCurrent)
        var noOffsite = all
        noOffsite[2].upToDate = false
        #expect(!PlanSession.verdict(noOffsite).holds)
        let oneMedium = [status("a", .internalDisk, .offsite, current: true), status("b", .internalDisk, .offsite, current: true)]
        #expect(!PlanSession.verdict(oneMedium).holds && PlanSession.verdict(oneMedium).copies == 3)
    }
}

/// True for the files each copy keeps for itself: verification records and lock files (FORMAT.md §14.10).
private func isPerCopy(_ name: String) -> Bool { name.hasPrefix("verified/") || name.hasPrefix("locks/") }

/// Every repository file under a folder (the drive's own marker and the per-copy files aside), with its bytes.
private func repositoryFiles(_ root: String) throws -> [String: Data] {
    var out: [String: Data] = [:]
    for case let rel as String in FileManager.default.enumerator(atPath: root) ?? NSEnumerator() {
        let path = root + "/" + rel
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
              rel != "drive", !rel.contains(".tmp-"), !isPerCopy(rel) else { continue }
        out[rel] = try Data(contentsOf: URL(fileURLWithPath: path))
    }
    return out
}

/// Every object under `prefix` of a bucket, with its bytes.
private func bucketFiles(_ d: S3Destination) async throws -> [String: Data] {
    var out: [String: Data] = [:]
    for info in try await d.list(prefix: "") where !isPerCopy(info.name) { out[info.name] = Data(try await d.get(info.name)) }
    return out
}

@Suite(.serialized, .tags(.slow)) struct PlanCommandTests {
    @Test(.needsFATDrive, .needsS3Server) func threeCopiesStayIdenticalThroughAnUnpluggedDriveAndAServerThatIsDown() async throws {
        let t = TempDir("plan")
        let drive = try FATDrive(t, megabytes: 64), server = try TestS3Server()
        let proxy = try FaultProxy(upstream: server, dir: t.path)
        let bucket = "plan-" + String(UUID().uuidString.lowercased().prefix(8))
        try writeFile(t.sub("password"), Array("plan password\n".utf8))
        let src = t.sub("Pictures")
        try writeFile(src + "/2026-11/DSC_0001.NEF", pseudoRandomBytes(1_500_000, seed: 1401))
        try writeFile(src + "/2026-11/DSC_0001.xmp", pseudoRandomBytes(2000, seed: 1402))
        try writeFile(src + "/2026-11/scratch.tmp", pseudoRandomBytes(100, seed: 1403))
        let planFile = t.sub("plan.toml")
        try threeDestinations.replacingOccurrences(of: "MOUNT", with: drive.mountPoint).replacingOccurrences(of: "BUCKET", with: bucket)
            .write(toFile: planFile, atomically: true, encoding: .utf8)
        let env = ["B2_ENDPOINT": proxy.endpoint, "B2_APPLICATION_KEY_ID": "testing", "B2_APPLICATION_KEY": "testing",
                   "XDG_STATE_HOME": t.sub("state")]
        func run(_ args: [String]) throws -> CLIResult { try runCLI(args + ["--plan", planFile], env: env, password: nil) }
        let b2 = S3Destination(endpoint: server.endpoint, bucket: bucket, prefix: "triplicate", accessKeyID: "testing", secretKey: "testing", region: "us-east-1")
        func expectIdentical(_ why: String, drive mounted: Bool = true) async throws {
            let nas = try repositoryFiles(t.sub("nas/triplicate"))
            #expect(nas.keys.contains("config") && nas.keys.contains { $0.hasPrefix("snapshots/") }, "\(why): the folder holds no repository")
            if mounted { #expect(try repositoryFiles(drive.mountPoint + "/triplicate") == nas, "\(why): the drive differs from the folder") }
            #expect(try await bucketFiles(b2) == nas, "\(why): the bucket differs from the folder")
        }

        // One init, one backup: the same files with the same bytes in all three places. The photos are written
        // more than a second before the backup, so that status may trust their metadata afterwards.
        settleTimestamps()
        let created = try run(["init"])
        #expect(created.status == 0, "\(created.stdout)\(created.stderr)")
        let first = try run(["backup"])
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        try await expectIdentical("after the first backup")
        let green = try run(["status"])
        #expect(green.status == 0 && green.stdout.contains("the 3-2-1 rule holds"), "\(green.stdout)\(green.stderr)")

        // The drive is in a drawer: the backup reaches the other two, exits 4, and status says the drive lags.
        try drive.unplug()
        try writeFile(src + "/2026-11/DSC_0002.NEF", pseudoRandomBytes(800_000, seed: 1404))
        // Written more than a second before the backup starts, so that status may trust its metadata afterwards.
        settleTimestamps()
        let partial = try run(["backup"])
        #expect(partial.status == 4, "\(partial.stdout)\(partial.stderr)")
        #expect(partial.stderr.contains("usb was skipped"), "\(partial.stderr)")
        let atRisk = try run(["status", "--json"])
        #expect(atRisk.status == 4, "\(atRisk.stdout)\(atRisk.stderr)")
        let status = try JSONDecoder().decode(PlanStatus.self, from: Data(atRisk.stdout.utf8))
        #expect(status.verdict.holds && !status.verdict.allCurrent)
        #expect(status.destinations.first { $0.name == "usb" }?.snapshotsBehind == 1)
        #expect(status.destinations.first { $0.name == "usb" }?.reachable == false)

        // Plugged back in, sync makes all three identical again and status is green.
        try drive.mount()
        let synced = try run(["sync"])
        #expect(synced.status == 0, "\(synced.stdout)\(synced.stderr)")
        try await expectIdentical("after sync")
        #expect(try run(["status"]).status == 0)

        // The S3 server goes away: the backup reaches the folder and the drive; status says the rule is broken
        // because the off-site copy is stale.
        try proxy.set("down")
        try writeFile(src + "/2026-11/DSC_0003.NEF", pseudoRandomBytes(600_000, seed: 1405))
        settleTimestamps()
        let offline = try run(["backup"])
        #expect(offline.status == 4, "\(offline.stdout)\(offline.stderr)")
        let broken = try run(["status"])
        #expect(broken.status == 5 && broken.stdout.contains("no up-to-date copy is off site"), "\(broken.stdout)\(broken.stderr)")

        // The server is back, but a sync is interrupted half way (every request after the first few fails); the next
        // sync completes it.
        let before = try await b2.list(prefix: "").count
        try proxy.set("down-after 6")
        let interrupted = try run(["sync", "--to", "b2"])
        #expect(interrupted.status == 4 && interrupted.stdout.split(separator: "\n").contains { $0.hasPrefix("  b2:") && $0.hasSuffix(" FAILED") }, "\(interrupted.stdout)\(interrupted.stderr)\n\(proxy.requests().suffix(12).joined(separator: "\n"))")
        let between = try await b2.list(prefix: "").count
        #expect(between > before, "the interrupted sync copied nothing (\(before) objects before, \(between) after)")
        try proxy.set("healthy")
        let resumed = try run(["sync", "--to", "b2"])
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        try await expectIdentical("after the interrupted sync was resumed")
        #expect(try run(["status"]).status == 0)

        // A byte-exact restore from each destination; the excluded file stays out (the folder that held it is
        // backed up once more, so that its time matches).
        try FileManager.default.removeItem(atPath: src + "/2026-11/scratch.tmp")
        let last = try run(["backup"])
        #expect(last.status == 0, "\(last.stdout)\(last.stderr)")
        for name in ["nas", "usb", "b2"] {
            let out = t.sub("restored-" + name)
            let restored = try run(["restore", "latest", "--target", out, "--from", name])
            #expect(restored.status == 0 && restored.stdout.contains("from \(name)"), "\(restored.stdout)\(restored.stderr)")
            #expect(try TreeFingerprint.of(out + "/Pictures") == TreeFingerprint.of(src), "the restore from \(name) differs")
        }
        let checked = try run(["check", "--read-data"])
        #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")
        let after = try run(["status", "--json"])
        let checkedStatus = try JSONDecoder().decode(PlanStatus.self, from: Data(after.stdout.utf8))
        #expect(checkedStatus.destinations.allSatisfy { $0.lastCheckPassed == true && $0.lastCheckReadData == true })

        // Forget and prune on all three at once: the same files go from each and the repacked packs reach each, so the
        // copies stay identical; every kept snapshot still restores from every copy.
        let packsBefore = try await b2.list(prefix: "data/").count
        let pruned = try run(["forget", "--keep-last", "2", "--prune", "--max-unused", "0%"])
        #expect(pruned.status == 0 && pruned.stdout.contains("removed 2 snapshots"), "\(pruned.stdout)\(pruned.stderr)")
        try await expectIdentical("after forget --prune")
        #expect(try await b2.list(prefix: "data/").count < packsBefore)
        #expect(try await b2.list(prefix: "locks/").isEmpty && repositoryFiles(drive.mountPoint + "/triplicate").isEmpty == false)
        for name in ["nas", "usb", "b2"] {
            let out = t.sub("pruned-" + name)
            let restored = try run(["restore", "latest", "--target", out, "--from", name])
            #expect(restored.status == 0, "\(restored.stdout)\(restored.stderr)")
            #expect(try TreeFingerprint.of(out + "/Pictures") == TreeFingerprint.of(src), "the restore from \(name) differs after prune")
        }
        let recheck = try run(["check", "--read-data"])
        #expect(recheck.status == 0, "\(recheck.stdout)\(recheck.stderr)")
    }

    @Test func aDestinationHoldingAnotherRepositoryIsAnErrorNamingItsLine() async throws {
        let t = TempDir("plan-foreign")
        _ = try await makeRepository(t.sub("nas"))
        _ = try await makeRepository(t.sub("other"))
        let plan = """
            [[destination]]
            name = "nas"
            repo = "\(t.sub("nas"))"
            media = "nas"
            site = "onsite"

            [[destination]]
            name = "old-disk"
            repo = "\(t.sub("other"))"
            media = "usb"
            site = "onsite"
            """
        try plan.write(toFile: t.sub("plan.toml"), atomically: true, encoding: .utf8)
        let made = try runCLI(["init", "--plan", t.sub("plan.toml")], env: ["XDG_STATE_HOME": t.sub("state")])
        #expect(made.status != 0, "\(made.stdout)")
        #expect(made.stderr.contains("plan.toml:7:") && made.stderr.contains("old-disk") && made.stderr.contains("different repository"), "\(made.stderr)")
    }
}

/// A plan of plain folders (no drive, no server) for the library-level tests below.
private func folderPlan(_ t: TempDir, _ names: [(String, Media)], sources: [String]) throws -> Plan {
    try Plan(sources: sources.map { Plan.Source(path: $0) },
             destinations: names.map { Plan.Target(name: $0.0, location: .folder(path: t.sub($0.0)), media: $0.1, site: $0.1 == .cloud ? .offsite : .onsite) })
}

@Suite struct PlanSessionTests {
    @Test func aPlanRefusesToBackUpAnEmptySourceFolderUnlessItIsAllowed() async throws {
        let t = TempDir("plan-empty")
        let photos = t.sub("PhotoDrive"), documents = t.sub("Documents")
        try FileManager.default.createDirectory(atPath: photos, withIntermediateDirectories: true)  // the drive is not mounted
        try writeFile(documents + "/invoice.pdf", [1, 2, 3])
        var plan = try folderPlan(t, [("disk", .internalDisk), ("nas", .nas)], sources: [photos, documents])
        let session = PlanSession(plan: plan, password: TestKeys.password, environment: [:], stateDirectory: t.sub("state"))
        _ = try await session.initialize(options: TestKeys.cheap)
        await #expect { try await session.backup() } throws: { e in
            let e = e as? TriplicateError
            return e?.kind == .refused && e?.message.contains(photos) == true && e?.message.contains("allow-empty = true") == true
        }
        #expect(try await session.openRepository().snapshots().isEmpty)
        // Mounted, it is backed up; a source meant to be empty may be, and its backup says so.
        try writeFile(photos + "/DSC_0001.NEF", [4, 5, 6])
        _ = try await session.backup()
        try FileManager.default.removeItem(atPath: photos + "/DSC_0001.NEF")
        plan.sources[0].allowEmpty = true
        let allowed = try await PlanSession(plan: plan, password: TestKeys.password, environment: [:], stateDirectory: t.sub("state")).backup()
        #expect(allowed.backup.warnings.contains { $0.contains(photos) && $0.contains("empty folder") })
    }

    @Test func aDamagedFileOnTheFastestCopyIsTakenFromAnotherAndCheckNamesIt() async throws {
        let t = TempDir("plan-damaged")
        let src = t.sub("Pictures")
        try writeFile(src + "/DSC_0001.NEF", pseudoRandomBytes(600_000, seed: 1501))
        let plan = try folderPlan(t, [("disk", .internalDisk), ("nas", .nas), ("usb", .usb)], sources: [src])
        let session = PlanSession(plan: plan, password: TestKeys.password, environment: [:], stateDirectory: t.sub("state"))
        _ = try await session.initialize(options: TestKeys.cheap)
        _ = try await session.backup()

        // The drive misses a backup; meanwhile a pack of that backup is damaged on the internal disk.
        try FileManager.default.moveItem(atPath: t.sub("usb"), toPath: t.sub("usb-away"))
        try writeFile(src + "/DSC_0002.NEF", pseudoRandomBytes(700_000, seed: 1502))
        let second = try await session.backup()
        #expect(second.destinations.map(\.outcome) == [.done, .done, .unreachable])
        try FileManager.default.moveItem(atPath: t.sub("usb-away"), toPath: t.sub("usb"))
        let disk = LocalDirectory(path: t.sub("disk"))
        let usbPacks = Set(try await LocalDirectory(path: t.sub("usb")).list(prefix: "data/").map(\.name))
        let newPack = try #require(try await disk.list(prefix: "data/").map(\.name).first { !usbPacks.contains($0) })
        var bytes = try await disk.get(newPack)
        bytes[100] ^= 0xFF
        try bytes.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: t.sub("disk") + "/" + newPack)) }

        // The drive catches up from the NAS for that pack, and the damaged copy met on the way is healed too.
        let reports = try await session.sync(to: ["usb"])
        #expect(reports.map(\.outcome) == [.done, .done], "\(reports)")
        #expect(try await LocalDirectory(path: t.sub("usb")).get(newPack) == LocalDirectory(path: t.sub("nas")).get(newPack))
        #expect(reports.first { $0.name == "disk" }?.healed.map(\.file) == [newPack], "\(reports)")
        #expect(try await disk.get(newPack) == LocalDirectory(path: t.sub("nas")).get(newPack))

        // It rots again. Without healing, check names the damaged copy and status no longer counts it.
        try bytes.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: t.sub("disk") + "/" + newPack)) }
        let checks = try await session.check(readData: true, heal: false)
        #expect(checks.map { $0.report?.isHealthy } == [false, true, true])
        #expect(checks[0].report?.damagedFiles == [newPack])
        let status = try await session.status()
        #expect(status.destinations.map(\.upToDate) == [false, true, true])
        #expect(status.verdict.problems.contains { $0.contains("disk failed its last check") }, "\(status.verdict.problems)")

        // Healing replaces the pack from another copy, verified by its name; the copy is current again.
        let healed = try await session.check(readData: true)
        #expect(healed.map { $0.report?.isHealthy } == [true, true, true], "\(healed.map { $0.report?.errors ?? [] })")
        #expect(healed[0].healed.map(\.file) == [newPack])
        #expect(healed[0].healed.first.map { ["nas", "usb"].contains($0.source) } == true)
        #expect(try await disk.get(newPack) == LocalDirectory(path: t.sub("nas")).get(newPack))
        #expect(try await disk.list(prefix: "damage/").isEmpty, "a healed file must not be recorded as damaged")
        let after = try await session.status()
        #expect(after.destinations.map(\.upToDate) == [true, true, true], "\(after.verdict.problems)")
    }

    @Test func aPackDamagedOnEveryCopyIsLeftOutOfTheCatchUpRecordedAndStoredAgainByTheNextBackup() async throws {
        let t = TempDir("plan-lost")
        let src = t.sub("Pictures")
        try writeFile(src + "/DSC_0001.NEF", pseudoRandomBytes(500_000, seed: 1701))
        try writeFile(src + "/DSC_0001.xmp", Array("sidecar".utf8))
        settleTimestamps()
        let two = try folderPlan(t, [("disk", .internalDisk), ("nas", .nas)], sources: [src])
        let session = PlanSession(plan: two, password: TestKeys.password, environment: [:], stateDirectory: t.sub("state"))
        _ = try await session.initialize(options: TestKeys.cheap)
        let first = try await session.backup().backup.snapshot
        // The same pack rots on both copies.
        let pack = try #require(try await LocalDirectory(path: t.sub("disk")).list(prefix: "data/").max { $0.size < $1.size }?.name)
        for copy in ["disk", "nas"] { try zeroBytes(t.sub(copy) + "/" + pack, at: 200, count: 512) }

        // A third copy is added: it gets everything but that pack, and the damage is recorded on all three.
        let three = try folderPlan(t, [("disk", .internalDisk), ("nas", .nas), ("usb", .usb)], sources: [src])
        let grown = PlanSession(plan: three, password: TestKeys.password, environment: [:], stateDirectory: t.sub("state"))
        _ = try await grown.initialize(options: TestKeys.cheap)
        let reports = try await grown.sync(to: ["usb"])
        #expect(reports.first { $0.name == "usb" }?.lost == [pack], "\(reports)")
        #expect(reports.first { $0.name == "usb" }?.outcome == .done)
        for copy in ["disk", "nas", "usb"] {
            #expect(try await objects(t.sub(copy), "damage/").count == 1, "\(copy) has no damage record")
            #expect(try await objects(t.sub(copy), "snapshots/") == ["snapshots/" + first.id.hex])
        }
        // A stray file in one copy (not a repository name) is neither copied nor reported lost.
        try writeFile(t.sub("disk/index/notes.txt"), Array("mine".utf8))
        let again = try await grown.sync()
        #expect(again.allSatisfy { $0.lost.isEmpty || $0.lost == [pack] }, "\(again)")
        #expect(!FileManager.default.fileExists(atPath: t.sub("usb/index/notes.txt")))
        // The photo did not change, but its data is recorded as damaged: the next backup stores it again everywhere.
        let next = try await grown.backup()
        #expect(next.destinations.map(\.outcome) == [.done, .done, .done])
        let restored = try await grown.restore(try SnapshotSelector(first.id.hex), to: t.sub("out"), from: "usb")
        #expect(restored.destinations == ["usb"])
        #expect(restored.result.errors.isEmpty, "\(restored.result.errors)")
        #expect(FileManager.default.contentsEqual(atPath: t.sub("out/Pictures/DSC_0001.NEF"), andPath: src + "/DSC_0001.NEF"))
    }

    @Test func aCopyThatCannotBeSetUpOrHoldsNothingIsLeftOutAndTheOthersAreBackedUp() async throws {
        let t = TempDir("plan-left-out")
        let src = t.sub("home")
        try writeFile(src + "/Pictures/DSC_0001.NEF", pseudoRandomBytes(300_000, seed: 1601))
        // The internal-disk copy lives inside the source folder; the b2 copy has no credentials in this environment.
        let plan = try Plan(sources: [Plan.Source(path: src)], destinations: [
            try Plan.Target(name: "disk", repo: src + "/Backups/triplicate", media: .internalDisk, site: .onsite),
            try Plan.Target(name: "nas", repo: t.sub("nas"), media: .nas, site: .onsite),
            try Plan.Target(name: "b2", repo: "b2:photos/triplicate", media: .cloud, site: .offsite),
        ])
        let session = PlanSession(plan: plan, password: TestKeys.password, environment: ["B2_REGION": "eu-central-003"],
                                  stateDirectory: t.sub("state"))
        let status0 = try await session.status()
        #expect(!status0.verdict.holds && status0.verdict.problems.contains { $0.contains("nothing is backed up yet") })
        let made = try await session.initialize(options: TestKeys.cheap)
        #expect(made.map(\.outcome) == [.done, .done, .unreachable])
        #expect(made[2].reason == .noCredentials && made[2].problem?.contains("no credentials for b2:photos/triplicate") == true, "\(made[2])")

        // An empty folder appears where the NAS copy was (the share is not mounted): backup leaves it alone.
        try FileManager.default.removeItem(atPath: t.sub("nas"))
        try FileManager.default.createDirectory(atPath: t.sub("nas"), withIntermediateDirectories: true)
        let result = try await session.backup()
        #expect(result.destinations.map(\.outcome) == [.done, .unreachable, .unreachable])
        #expect(result.destinations[1].problem?.contains("holds no copy of the repository yet") == true, "\(result.destinations[1])")
        #expect(try FileManager.default.contentsOfDirectory(atPath: t.sub("nas")).isEmpty, "backup wrote into an empty folder")
        // The repository inside the source is not backed up into itself.
        let repo = try await Repository.open(LocalDirectory(path: src + "/Backups/triplicate"), password: TestKeys.password)
        let listing = try await repo.list(result.backup.snapshot).map(\.path)
        #expect(listing.contains { $0.hasSuffix("DSC_0001.NEF") } && !listing.contains { $0.contains("Backups/triplicate") }, "\(listing)")
    }
}
