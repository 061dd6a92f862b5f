// PlanStatusTests: status never says "safe" when it is not: new photos in no backup, a backup too old, a copy that
// cannot be reached (and why), in local time; and a plan's check heals a damaged copy from another.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Testing
@testable import Triplicate

/// A plan of three folders (NAS, a second disk, an off-site folder) that satisfies the 3-2-1 rule, plus `extra` lines.
private func folderPlanText(_ t: TempDir, extra: String = "", top: String = "") -> String {
    folderPlan(t, copies: ["nas", "usb", "offsite"], top: top, extra: extra)
}

/// Headless Chromium, to open the page `status --html` writes as a browser would (`make test` installs it).
private let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

@Suite struct PlanStatusTests {
    @Test(.enabled(if: TestEnvironment.runs(chromium != nil), "needs chromium (make test installs it)"))
    func theStatusPageOpensInABrowserWithItsHeadlineAndItsCharts() throws {
        let t = TempDir("status-page")
        try writeFile(t.sub("password"), Array("status password\n".utf8))
        try writeFile(t.sub("Pictures/DSC_0001.NEF"), pseudoRandomBytes(100_000, seed: 8301))
        try folderPlanText(t).write(toFile: t.sub("plan.toml"), atomically: true, encoding: .utf8)
        let env = ["XDG_STATE_HOME": t.sub("state")]
        func run(_ args: [String]) throws -> CLIResult { try runCLI(args + ["--plan", t.sub("plan.toml")], env: env, password: nil) }
        settleTimestamps()
        #expect(try run(["init"]).status == 0)
        #expect(try run(["backup"]).status == 0)
        #expect(try run(["status", "--html", t.sub("status.html")]).status == 0)
        let browser = try #require(chromium)
        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + t.sub("chromium")]
        // The DOM as the browser parsed it: the headline, the table of copies and a chart per copy.
        let dom = try runProcess(browser, flags + ["--dump-dom", "file://" + t.sub("status.html")], password: nil)
        #expect(dom.status == 0, "\(dom.stderr)")
        #expect(dom.stdout.contains("<h1 id=\"headline\">SAFE: the newest backup is "), "\(dom.stdout.prefix(400))")
        #expect(dom.stdout.components(separatedBy: "<svg").count == 4 && dom.stdout.contains("<td>offsite</td>"))
        // And drawn: a screenshot is a PNG of the page.
        let shot = try runProcess(browser, flags + ["--screenshot=" + t.sub("status.png"), "--window-size=1000,800", "file://" + t.sub("status.html")], password: nil)
        #expect(shot.status == 0, "\(shot.stderr)")
        let png = try Data(contentsOf: URL(fileURLWithPath: t.sub("status.png")))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 5_000)
    }

    @Test func newPhotosInNoBackupPutTheRuleAtRiskUntilTheNextBackup() async throws {
        let t = TempDir("status-new")
        try writeFile(t.sub("password"), Array("status password\n".utf8))
        try writeFile(t.sub("Pictures/2026-11/DSC_0001.NEF"), pseudoRandomBytes(300_000, seed: 8101))
        try folderPlanText(t).write(toFile: t.sub("plan.toml"), atomically: true, encoding: .utf8)
        let env = ["XDG_STATE_HOME": t.sub("state"), "TZ": "Asia/Kolkata"]
        func run(_ args: [String]) throws -> CLIResult { try runCLI(args + ["--plan", t.sub("plan.toml")], env: env, password: nil) }
        settleTimestamps()
        #expect(try run(["init"]).status == 0)
        #expect(try run(["backup"]).status == 0)
        let green = try run(["status", "--html", t.sub("status.html")])
        #expect(green.status == 0 && green.stdout.contains("every one is in the newest backup"), "\(green.stdout)")
        #expect(green.stdout.contains("+05:30"), "times are local, with the zone: \(green.stdout)")
        // "Am I safe?" comes first, in one line.
        #expect(green.stdout.hasPrefix("SAFE: the newest backup is ") && green.stdout.split(separator: "\n").first?.contains("every copy (nas, usb, offsite) holds it") == true,
                "\(green.stdout)")
        let page = try String(contentsOfFile: t.sub("status.html"), encoding: .utf8)
        #expect(page.hasPrefix("<!DOCTYPE html>") && page.contains("<h1 id=\"headline\">SAFE: ") && page.contains("<svg") && page.contains("<circle"))
        #expect(!page.contains("<script") && !page.contains("http://") && !page.contains("https://"), "self-contained")
        #expect(page.components(separatedBy: "<figure>").count == 4, "a chart per copy")

        // A day's import: two new photos and a renamed folder, no backup yet.
        try writeFile(t.sub("Pictures/2026-12/DSC_0002.NEF"), pseudoRandomBytes(200_000, seed: 8102))
        try writeFile(t.sub("Pictures/2026-12/DSC_0003.NEF"), pseudoRandomBytes(100_000, seed: 8103))
        try FileManager.default.moveItem(atPath: t.sub("Pictures/2026-11"), toPath: t.sub("Pictures/2026-11 Lake"))
        let atRisk = try run(["status"])
        #expect(atRisk.status == 4, "\(atRisk.stdout)")
        #expect(atRisk.stdout.hasPrefix("AT RISK: the newest backup is ") && atRisk.stdout.split(separator: "\n").first?.contains("2 new or changed files are in no backup yet") == true,
                "\(atRisk.stdout)")
        #expect(atRisk.stdout.contains("2 source files are new or changed") && atRisk.stdout.contains("AT RISK"), "\(atRisk.stdout)")
        let json = try JSONDecoder().decode(PlanStatus.self, from: Data(try run(["status", "--json"]).stdout.utf8))
        #expect(json.unprotected?.files == 2 && json.unprotected?.bytes == 300_000, "\(String(describing: json.unprotected))")
        #expect(json.unprotected?.examples.allSatisfy { $0.contains("2026-12") } == true)
        #expect(json.verdict.holds && !json.verdict.allCurrent)
        // Each status adds a sample of the copies' sizes (one per ten minutes at most): the chart's history.
        #expect(json.history.count == 1 && json.history.last?.bytes.keys.sorted() == ["nas", "offsite", "usb"])
        #expect((json.history.last?.bytes["nas"] ?? 0) > 300_000 && json.destinations.allSatisfy { ($0.bytes ?? 0) > 300_000 })

        settleTimestamps()
        #expect(try run(["backup"]).status == 0)
        #expect(try run(["status"]).status == 0)
    }

    @Test func aBackupOlderThanMaxAgeIsAtRiskAndABadMaxAgeNamesItsLine() async throws {
        let t = TempDir("status-age")
        try writeFile(t.sub("password"), Array("status password\n".utf8))
        try writeFile(t.sub("Pictures/DSC_0001.NEF"), pseudoRandomBytes(100_000, seed: 8201))
        try folderPlanText(t, top: "max-age = \"2s\"").write(toFile: t.sub("plan.toml"), atomically: true, encoding: .utf8)
        let env = ["XDG_STATE_HOME": t.sub("state")]
        func run(_ args: [String]) throws -> CLIResult { try runCLI(args + ["--plan", t.sub("plan.toml")], env: env, password: nil) }
        settleTimestamps()
        #expect(try run(["init"]).status == 0)
        #expect(try run(["backup"]).status == 0)
        usleep(2_500_000)
        let old = try run(["status"])
        #expect(old.status == 4 && old.stdout.contains("more than the plan's max-age of 2 seconds"), "\(old.stdout)")
        // The photos' disk is not connected: status says so instead of counting nothing as "all backed up".
        try FileManager.default.moveItem(atPath: t.sub("Pictures"), toPath: t.sub("Pictures-away"))
        let gone = try run(["status"])
        #expect(gone.status == 4 && gone.stdout.contains("Pictures: NOT THERE"), "\(gone.stdout)")
        try FileManager.default.moveItem(atPath: t.sub("Pictures-away"), toPath: t.sub("Pictures"))

        #expect(Plan.duration("26h") == 93_600 && Plan.duration("90m") == 5_400 && Plan.duration("2d") == 172_800)
        #expect(Plan.duration("soon") == nil && Plan.duration("-1h") == nil && Plan.duration("0s") == nil)
        #expect(try Plan.parse(folderPlanText(t), file: t.sub("plan.toml")).maxAge == Plan.defaultMaxAge)
        do {
            _ = try Plan.parse(folderPlanText(t, top: "max-age = \"soon\""), file: "plan.toml")
            Issue.record("a max-age of \"soon\" was accepted")
        } catch {
            #expect(error.message.hasPrefix("plan.toml:2:") && error.message.contains("max-age"), "\(error.message)")
        }
    }

    @Test func statusSaysWhyACopyCannotBeReached() async throws {
        let t = TempDir("status-why")
        try writeFile(t.sub("password"), Array("status password\n".utf8))
        try writeFile(t.sub("Pictures/DSC_0001.NEF"), pseudoRandomBytes(100_000, seed: 8301))
        let extra = """

            [[destination]]
            name = "drawer"
            repo = "usb:\(t.sub("media/WD Elements"))/triplicate"
            media = "usb"
            site = "onsite"

            [[destination]]
            name = "b2"
            repo = "b2:photos/triplicate"
            media = "cloud"
            site = "offsite"
            """
        try folderPlanText(t, extra: extra).write(toFile: t.sub("plan.toml"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: t.sub("media/WD Elements"), withIntermediateDirectories: true)
        let env = ["XDG_STATE_HOME": t.sub("state"), "B2_REGION": "eu-central-003"]
        func run(_ args: [String]) throws -> CLIResult { try runCLI(args + ["--plan", t.sub("plan.toml")], env: env, password: nil) }
        settleTimestamps()
        #expect(try run(["init"]).status == 4)
        #expect(try run(["backup"]).status == 4)
        let status = try run(["status"])
        #expect(status.status == 4, "\(status.stdout)")
        #expect(squeezed(status.stdout).contains("drawer [usb, onsite]: NOT REACHABLE: drive not connected"), "\(status.stdout)")
        #expect(squeezed(status.stdout).contains("b2 [cloud, offsite]: NO CREDENTIALS: no credentials in this environment"), "\(status.stdout)")
        #expect(status.stdout.contains("B2_APPLICATION_KEY_ID"), "the message says what to set: \(status.stdout)")
        let json = try JSONDecoder().decode(PlanStatus.self, from: Data(try run(["status", "--json"]).stdout.utf8))
        #expect(json.destinations.map(\.reason) == [nil, nil, nil, .driveNotConnected, .noCredentials])
    }

    @Test func checkPlanHealsADamagedPackFromAnotherCopyOrOnlyReportsIt() async throws {
        let t = TempDir("heal-cli")
        try writeFile(t.sub("password"), Array("status password\n".utf8))
        try writeFile(t.sub("Pictures/DSC_0001.NEF"), pseudoRandomBytes(400_000, seed: 8401))
        try folderPlanText(t).write(toFile: t.sub("plan.toml"), atomically: true, encoding: .utf8)
        let env = ["XDG_STATE_HOME": t.sub("state")]
        func run(_ args: [String]) throws -> CLIResult { try runCLI(args + ["--plan", t.sub("plan.toml")], env: env, password: nil) }
        settleTimestamps()
        #expect(try run(["init"]).status == 0)
        #expect(try run(["backup"]).status == 0)
        let pack = try #require(try await objects(t.sub("usb"), "data/").first)
        try zeroBytes(t.sub("usb/") + pack, at: 100, count: 64)

        let reported = try run(["check", "--read-data", "--no-heal"])
        #expect(reported.status == 1 && reported.stdout.contains("usb: error: damaged pack: \(pack)"), "\(reported.stdout)")
        #expect(try run(["status"]).status == 4)
        let healed = try run(["check", "--read-data"])
        #expect(healed.status == 0, "\(healed.stdout)\(healed.stderr)")
        #expect(healed.stdout.contains("usb: \(pack) was damaged; restored from nas and verified"), "\(healed.stdout)")
        #expect(FileManager.default.contentsEqual(atPath: t.sub("usb/") + pack, andPath: t.sub("nas/") + pack))
        #expect(try run(["status"]).status == 0)
    }
}
