// schedule: backups that run themselves. Writes and enables a systemd user timer that runs `backup --plan` (or prints
// the cron line or launchd plist for elsewhere), and says how the last run of a plan's backup ended.
@_spi(Benchmarks) import TriplicateCore
import ArgumentParser
import Foundation
import Triplicate

struct ScheduleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule", abstract: "Run a plan's backup by itself, daily or every few hours, and say how the last run ended.",
        discussion: """
            On Linux, writes a systemd user timer and service (~/.config/systemd/user/triplicate-NAME.timer and \
            .service) and enables it with systemctl --user; the runs' output goes to the journal \
            (journalctl --user -u triplicate-NAME) and each run's outcome to the plan's state folder, which \
            --status reads. --print cron or --print launchd prints the cron line or launchd plist instead, for a \
            computer without systemd. A run has no terminal: the plan must give the password (password-file or \
            password-command) and each bucket's key (key-id-file/key-id-command and key-file/key-command). \
            Run `loginctl enable-linger` once so that the timer runs while you are logged out.
            """)
    @OptionGroup var repository: RepositoryOptions
    @Option(name: .long, help: ArgumentHelp("Run every day at this local time.", valueName: "HH:MM")) var daily: String?
    @Option(name: .long, help: ArgumentHelp("Run this often: 30m, 1h, 6h (at least 5 minutes).", valueName: "DURATION")) var every: String?
    @Flag(name: .long, help: "Disable and remove the timer.") var remove = false
    @Flag(name: .long, help: "Say whether a timer is set, when it runs next, and how the last backup of the plan ended.") var status = false
    @Option(name: .long, help: ArgumentHelp("Print instead of installing: systemd, cron or launchd.", valueName: "KIND")) var print: String?

    func validate() throws {
        guard repository.plan != nil else { throw ValidationError("schedule needs --plan FILE: a scheduled run backs up a plan") }
        let actions = [daily != nil || every != nil, remove, status].filter { $0 }.count
        guard actions == 1 else { throw ValidationError("give one of --daily HH:MM, --every DURATION, --remove or --status") }
        if daily != nil, every != nil { throw ValidationError("give either --daily or --every, not both") }
        if let daily, Schedule.parseTime(daily) == nil { throw ValidationError("--daily takes a time such as 02:00, not \(daily)") }
        if let every {
            guard let s = Schedule.parseDuration(every) else { throw ValidationError("--every takes a duration such as 30m, 1h or 6h, not \(every)") }
            if s < 300 { throw ValidationError("--every must be at least 5m: a backup every few seconds would never let one finish") }
        }
        if let print, !["systemd", "cron", "launchd"].contains(print) { throw ValidationError("--print takes systemd, cron or launchd") }
        if print != nil, daily == nil, every == nil { throw ValidationError("--print goes with --daily or --every") }
    }

    func run() async throws {
        await runReporting {
            guard let plan = try repository.loadPlan(), let given = repository.plan else { return Exit.error }
            // The same absolute path the backup records its runs under.
            let planFile = URL(fileURLWithPath: given).standardizedFileURL.path
            let env = ProcessInfo.processInfo.environment
            let schedule = Schedule(planFile: planFile, binary: Schedule.binaryPath(), environment: env)
            if status { return try schedule.report(plan: plan) }
            if remove { return try schedule.remove() }
            let when: Schedule.When = if let daily, let t = Schedule.parseTime(daily) { .daily(hour: t.hour, minute: t.minute) }
                else { .every(seconds: Schedule.parseDuration(every ?? "") ?? 3600) }
            // A scheduled run has no terminal to ask for anything.
            var problems: [String] = []
            if plan.passwordFile == nil, plan.passwordCommand == nil {
                problems.append("the plan gives no password-file or password-command, and a scheduled run has no terminal to ask for the password")
            }
            for d in plan.destinations where ["b2", "s3"].contains(d.location.scheme) && (d.keyID == nil || d.key == nil) {
                problems.append("destination \"\(d.name)\" takes its key from the environment, which a scheduled run does not have: add key-id-file and key-file (or key-id-command and key-command) to it")
            }
            guard problems.isEmpty else { throw CLIError(Exit.error, "cannot schedule \(planFile): " + problems.joined(separator: "; ")) }
            switch print {
            case "cron":
                Swift.print(schedule.cronLine(when))
            case "launchd":
                Swift.print(schedule.launchdPlist(when))
            case "systemd":
                Swift.print("# \(schedule.unitPath(".service"))\n" + schedule.serviceUnit() + "\n# \(schedule.unitPath(".timer"))\n" + schedule.timerUnit(when))
            default:
                return try schedule.install(when)
            }
            return Exit.ok
        }
    }
}

/// One plan's schedule: the units, lines and records that go with it.
struct Schedule {
    enum When {
        case daily(hour: Int, minute: Int)
        case every(seconds: Int)
    }

    let planFile: String
    let binary: String
    let environment: [String: String]

    /// The units' name: `triplicate-` and the plan file's name, with a short hash of its path so that two plans of the
    /// same name in different folders do not share one.
    var unitName: String {
        let stem = ((planFile as NSString).lastPathComponent as NSString).deletingPathExtension
        let clean = String(stem.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "-" }.prefix(40))
        return "triplicate-\(clean.isEmpty ? "plan" : clean)-\(SHA256.hash(Array(planFile.utf8)).hex.prefix(8))"
    }

    var unitDirectory: String {
        if let x = environment["XDG_CONFIG_HOME"], x.hasPrefix("/") { return x + "/systemd/user" }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.config/systemd/user"
    }

    func unitPath(_ suffix: String) -> String { unitDirectory + "/" + unitName + suffix }

    /// The absolute path of this program, for the units to run.
    static func binaryPath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    static func quoted(_ s: String) -> String { Terminal.shellQuoted(s) }

    /// The command a run executes.
    var command: String { "\(Self.quoted(binary)) backup --plan \(Self.quoted(planFile)) --quiet" }

    func serviceUnit() -> String {
        """
        [Unit]
        Description=Triplicate: back up the plan \(planFile)
        Wants=network-online.target
        After=network-online.target

        [Service]
        Type=oneshot
        ExecStart=\(command)
        # A backup yields to the work being done on the computer.
        Nice=10
        IOSchedulingClass=idle

        """
    }

    func timerUnit(_ when: When) -> String {
        let trigger = switch when {
        case .daily(let h, let m): "OnCalendar=*-*-* \(String(format: "%02d:%02d", h, m)):00\nPersistent=true"
        case .every(let s): "OnBootSec=5min\nOnUnitActiveSec=\(s)s"
        }
        return """
        [Unit]
        Description=Triplicate: back up the plan \(planFile) (\(Self.describe(when)))

        [Timer]
        \(trigger)

        [Install]
        WantedBy=timers.target

        """
    }

    /// A cron line that runs the backup and appends its output to a log in the state folder.
    func cronLine(_ when: When) -> String {
        let time = switch when {
        case .daily(let h, let m): "\(m) \(h) * * *"
        case .every(let s): s % 3600 == 0 && s <= 86400 ? "0 */\(s / 3600) * * *" : "*/\(max(s / 60, 5)) * * * *"
        }
        return "\(time) \(command) >> \(Self.quoted(logPath)) 2>&1"
    }

    func launchdPlist(_ when: When) -> String {
        let trigger = switch when {
        case .daily(let h, let m):
            "<key>StartCalendarInterval</key>\n  <dict><key>Hour</key><integer>\(h)</integer><key>Minute</key><integer>\(m)</integer></dict>"
        case .every(let s): "<key>StartInterval</key>\n  <integer>\(s)</integer>"
        }
        let args = [binary, "backup", "--plan", planFile, "--quiet"].map { "<string>\(Self.xml($0))</string>" }.joined(separator: "")
        return """
        <?xml version="1.0" encoding="UTF-8"?>
        <!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
        <plist version="1.0">
        <dict>
          <key>Label</key><string>org.triplicate.\(unitName)</string>
          <key>ProgramArguments</key><array>\(args)</array>
          \(trigger)
          <key>StandardOutPath</key><string>\(Self.xml(logPath))</string>
          <key>StandardErrorPath</key><string>\(Self.xml(logPath))</string>
        </dict>
        </plist>
        """
    }

    static func xml(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    static func describe(_ when: When) -> String {
        switch when {
        case .daily(let h, let m): String(format: "daily at %02d:%02d", h, m)
        case .every(let s): s % 3600 == 0 ? "every \(s / 3600) h" : "every \(s / 60) min"
        }
    }

    var stateDirectory: String { PlanSession.defaultStateDirectory(environment: environment) ?? NSTemporaryDirectory() }
    /// Where cron's and launchd's runs write their output.
    var logPath: String { stateDirectory + "/" + unitName + ".log" }
    /// Where each `backup --plan` of this plan records how it ended.
    static func lastRunPath(planFile: String, environment: [String: String]) -> String? {
        guard let dir = PlanSession.defaultStateDirectory(environment: environment) else { return nil }
        return dir + "/last-run-" + SHA256.hash(Array(planFile.utf8)).hex.prefix(16) + ".json"
    }

    /// Writes the units, reloads systemd and enables the timer.
    func install(_ when: When) throws -> Int32 {
        try FileManager.default.createDirectory(atPath: unitDirectory, withIntermediateDirectories: true)
        try serviceUnit().write(toFile: unitPath(".service"), atomically: true, encoding: .utf8)
        try timerUnit(when).write(toFile: unitPath(".timer"), atomically: true, encoding: .utf8)
        for args in [["--user", "daemon-reload"], ["--user", "enable", "--now", unitName + ".timer"]] {
            let (status, output) = Self.systemctl(args)
            guard status == 0 else {
                throw CLIError(Exit.error, "wrote \(unitPath(".timer")) and \(unitPath(".service")), but `systemctl \(args.joined(separator: " "))` failed (\(output.isEmpty ? "exit \(status)" : output)): is systemd running for this user? Without it, add this line to `crontab -e` instead:\n\(cronLine(when))")
            }
        }
        Swift.print("scheduled: \(unitName).timer runs `\(command)` \(Self.describe(when))")
        Swift.print("  logs: journalctl --user -u \(unitName); last run: triplicate schedule --plan \(Self.quoted(planFile)) --status")
        Swift.print("  to run while you are logged out: loginctl enable-linger \(environment["USER"] ?? "$USER")")
        return Exit.ok
    }

    func remove() throws -> Int32 {
        let had = FileManager.default.fileExists(atPath: unitPath(".timer"))
        _ = Self.systemctl(["--user", "disable", "--now", unitName + ".timer"])
        try? FileManager.default.removeItem(atPath: unitPath(".timer"))
        try? FileManager.default.removeItem(atPath: unitPath(".service"))
        _ = Self.systemctl(["--user", "daemon-reload"])
        Swift.print(had ? "removed \(unitName).timer: backups of \(planFile) no longer run by themselves" : "no timer was set for \(planFile)")
        return Exit.ok
    }

    /// Says whether the timer is set, when it runs next, and how the last run ended; exit 0 when the last run
    /// succeeded, 1 when it failed, 4 when nothing is known.
    func report(plan: Plan) throws -> Int32 {
        if FileManager.default.fileExists(atPath: unitPath(".timer")) {
            let (status, next) = Self.systemctl(["--user", "show", unitName + ".timer", "--property=NextElapseUSecRealtime", "--value"])
            let when = (try? String(contentsOfFile: unitPath(".timer"), encoding: .utf8))?.split(separator: "\n")
                .first { $0.hasPrefix("Description=") }.flatMap { $0.split(separator: "(").last?.dropLast() } ?? ""
            Swift.print("timer: \(unitName).timer, \(when)" + (status == 0 && !next.isEmpty ? ", next run \(next)" : ""))
        } else {
            Swift.print("timer: none (triplicate schedule --plan \(Self.quoted(planFile)) --daily 02:00 sets one)")
        }
        guard let path = Self.lastRunPath(planFile: planFile, environment: environment),
              let data = FileManager.default.contents(atPath: path), let run = try? JSONDecoder().decode(LastRun.self, from: data) else {
            Swift.print("last run: none recorded yet")
            return Exit.lagging
        }
        Swift.print("last run: \(Terminal.date(iso: run.started)), \(run.outcome) (exit \(run.exitCode)) after \(String(format: "%.0f", run.seconds)) s"
            + (run.snapshot.map { ", snapshot \($0.prefix(8))" } ?? ""))
        if let message = run.message { Swift.print("  " + message) }
        return run.exitCode == 0 ? Exit.ok : run.exitCode == Exit.lagging ? Exit.lagging : Exit.error
    }

    /// Runs `systemctl` with `args`; its exit status and what it printed.
    static func systemctl(_ args: [String]) -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["systemctl"] + args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        do { try p.run() } catch { return (127, "systemctl cannot be run: \(error.localizedDescription)") }
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    static func parseTime(_ s: String) -> (hour: Int, minute: Int)? {
        let parts = s.split(separator: ":")
        guard parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]), (0..<24).contains(h), (0..<60).contains(m), parts[1].count == 2 else { return nil }
        return (h, m)
    }

    static func parseDuration(_ s: String) -> Int? {
        guard let unit = s.last, let n = Int(s.dropLast()), n > 0 else { return nil }
        switch unit {
        case "m": return n * 60
        case "h": return n * 3600
        case "d": return n * 86400
        default: return nil
        }
    }
}

/// How the last `backup --plan` of a plan ended (written by the backup command, read by `schedule --status`).
struct LastRun: Codable {
    var plan: String
    var started: String
    var seconds: Double
    var exitCode: Int32
    var outcome: String
    var snapshot: String?
    var message: String?

    /// Records a run of `planFile`'s backup; failures to record are ignored (the run's own outcome matters more).
    static func record(planFile: String, started: Date, exitCode: Int32, snapshot: String?, message: String?) {
        guard let path = Schedule.lastRunPath(planFile: planFile, environment: ProcessInfo.processInfo.environment) else { return }
        let outcome = switch exitCode {
        case Exit.ok: "succeeded"
        case Exit.lagging: "succeeded, but a destination was skipped or lags behind"
        case Exit.partial: "succeeded, but some files could not be read"
        case Exit.interrupted: "interrupted"
        default: "FAILED"
        }
        let run = LastRun(plan: planFile, started: SnapshotRecord.format(started), seconds: Date().timeIntervalSince(started),
                          exitCode: exitCode, outcome: outcome, snapshot: snapshot, message: message)
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try? encoder.encode(run).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
