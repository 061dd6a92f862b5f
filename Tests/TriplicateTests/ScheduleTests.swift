// ScheduleTests: `schedule` writes and enables a systemd user timer for a plan's backup (here with a stand-in
// systemctl that records what it is asked), prints the cron line or launchd plist instead, refuses a plan a
// scheduled run could not unlock, and `schedule --status` says how the last backup of the plan ended.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Testing
@testable import Triplicate

@Suite struct ScheduleTests {
    /// A plan with two folder copies, its password in a file, in `t`; and an environment whose systemctl records its
    /// arguments in `t/systemctl.log` and exits with `systemctlStatus`.
    private func setUp(_ t: TempDir, systemctlStatus: Int = 0) throws -> (plan: String, env: [String: String]) {
        try writeFile(t.sub("Pictures/DSC_0001.NEF"), pseudoRandomBytes(20_000, seed: 61))
        try TestKeys.password.write(toFile: t.sub("password"), atomically: true, encoding: .utf8)
        try folderPlan(t, copies: ["disk", "nas"]).write(toFile: t.sub("plan.toml"), atomically: true, encoding: .utf8)
        let bin = t.sub("bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try "#!/bin/sh\necho \"$@\" >> '\(t.sub("systemctl.log"))'\nexit \(systemctlStatus)\n".write(toFile: bin + "/systemctl", atomically: true, encoding: .utf8)
        chmod(bin + "/systemctl", 0o755)
        return (t.sub("plan.toml"), ["PATH": bin + ":/usr/bin:/bin", "HOME": t.path, "XDG_CONFIG_HOME": t.sub("config"),
                                      "XDG_STATE_HOME": t.sub("state"), "USER": "studio"])
    }

    @Test func aDailyTimerIsWrittenAndEnabled() throws {
        let t = TempDir("schedule")
        let (plan, env) = try setUp(t)
        let r = try runCLI(["schedule", "--plan", plan, "--daily", "02:00"], env: env, password: nil)
        #expect(r.status == 0, "\(r.stderr)")
        let units = try FileManager.default.contentsOfDirectory(atPath: t.sub("config/systemd/user")).sorted()
        #expect(units.count == 2 && units[0].hasPrefix("triplicate-plan-") && units[0].hasSuffix(".service") && units[1].hasSuffix(".timer"))
        let name = String(units[1].dropLast(".timer".count))
        let timer = try String(contentsOfFile: t.sub("config/systemd/user/" + units[1]), encoding: .utf8)
        #expect(timer.contains("OnCalendar=*-*-* 02:00:00\nPersistent=true") && timer.contains("WantedBy=timers.target"))
        let service = try String(contentsOfFile: t.sub("config/systemd/user/" + units[0]), encoding: .utf8)
        #expect(service.contains("ExecStart=\(cliBinary) backup --plan \(plan) --quiet") && service.contains("Type=oneshot"))
        let calls = try String(contentsOfFile: t.sub("systemctl.log"), encoding: .utf8)
        #expect(calls == "--user daemon-reload\n--user enable --now \(name).timer\n")
        #expect(r.stdout.contains("journalctl --user -u \(name)"))
        // Removed, the timer is disabled and its units are gone.
        let removed = try runCLI(["schedule", "--plan", plan, "--remove"], env: env, password: nil)
        #expect(removed.status == 0 && removed.stdout.contains("no longer run by themselves"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: t.sub("config/systemd/user")).isEmpty)
        #expect(try String(contentsOfFile: t.sub("systemctl.log"), encoding: .utf8).contains("--user disable --now \(name).timer"))
    }

    @Test func withoutSystemdItSaysWhatToDoAndPrintsCronAndLaunchd() throws {
        let t = TempDir("schedule-cron")
        let (plan, env) = try setUp(t, systemctlStatus: 1)
        let r = try runCLI(["schedule", "--plan", plan, "--every", "6h"], env: env, password: nil)
        #expect(r.status == 1)
        #expect(r.stderr.contains("crontab -e") && r.stderr.contains("0 */6 * * * \(cliBinary) backup --plan \(plan) --quiet >> "), "\(r.stderr)")
        let cron = try runCLI(["schedule", "--plan", plan, "--daily", "23:30", "--print", "cron"], env: env, password: nil)
        #expect(cron.stdout.hasPrefix("30 23 * * * \(cliBinary) backup --plan \(plan) --quiet >> \(t.sub("state"))/triplicate/triplicate-plan-"))
        let launchd = try runCLI(["schedule", "--plan", plan, "--every", "30m", "--print", "launchd"], env: env, password: nil)
        #expect(launchd.stdout.contains("<key>StartInterval</key>\n  <integer>1800</integer>") && launchd.stdout.contains("<string>--plan</string>"))
        let systemd = try runCLI(["schedule", "--plan", plan, "--every", "1h", "--print", "systemd"], env: env, password: nil)
        #expect(systemd.stdout.contains("OnUnitActiveSec=3600s"))
        for bad in [["--daily", "25:00"], ["--every", "10s"], ["--every", "1m"], ["--daily", "02:00", "--every", "1h"], []] {
            #expect(try runCLI(["schedule", "--plan", plan] + bad, env: env, password: nil).status == 64, "\(bad)")
        }
    }

    @Test func aPlanARunCouldNotUnlockIsRefused() throws {
        let t = TempDir("schedule-nopass")
        let (plan, env) = try setUp(t)
        try folderPlan(t, copies: ["disk"]).replacingOccurrences(of: "password-file = \"password\"", with: "")
            .write(toFile: plan, atomically: true, encoding: .utf8)
        let r = try runCLI(["schedule", "--plan", plan, "--daily", "02:00"], env: env, password: nil)
        #expect(r.status == 1 && r.stderr.contains("no terminal to ask for the password"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: t.sub("config/systemd/user")))
    }

    @Test func statusSaysHowTheLastBackupOfThePlanEnded() throws {
        let t = TempDir("schedule-status")
        let (plan, env) = try setUp(t)
        let none = try runCLI(["schedule", "--plan", plan, "--status"], env: env, password: nil)
        #expect(none.status == 4 && none.stdout.contains("timer: none") && none.stdout.contains("last run: none recorded yet"))
        #expect(try runCLI(["init", "--plan", plan], env: env, password: nil).status == 0)
        #expect(try runCLI(["backup", "--plan", plan], env: env, password: nil).status == 0)
        let ok = try runCLI(["schedule", "--plan", plan, "--status"], env: env, password: nil)
        #expect(ok.status == 0 && ok.stdout.contains("succeeded (exit 0)") && ok.stdout.contains("snapshot "), "\(ok.stdout)")
        // The photo drive unmounted: the run fails, and status says so with the reason.
        try FileManager.default.removeItem(atPath: t.sub("Pictures/DSC_0001.NEF"))
        #expect(try runCLI(["backup", "--plan", plan], env: env, password: nil).status == 1)
        let failed = try runCLI(["schedule", "--plan", plan, "--status"], env: env, password: nil)
        #expect(failed.status == 1 && failed.stdout.contains("FAILED (exit 1)") && failed.stdout.contains("is the photo drive mounted?"), "\(failed.stdout)")
    }
}
