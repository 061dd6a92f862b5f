// PlanCommands: the 3-2-1 plan from the command line: sync and status, and what init, backup, restore and check
// print with --plan.
@_spi(Benchmarks) import TriplicateCore
import ArgumentParser
import Foundation
import Triplicate

/// Prints one line per destination of a plan command, and returns the exit code: 0 when every destination is
/// done, 4 when one was unreachable or failed.
func printReports(_ reports: [DestinationReport], verb: String) -> Int32 {
    // Each copy's outcome starts in one column.
    let width = reports.map(\.name.count).max() ?? 0
    for r in reports {
        let name = r.name + ":" + String(repeating: " ", count: width - r.name.count)
        for h in r.healed { print("  \(r.name): \(h.file) was \(h.problem); replaced by the intact file from \(h.source) and verified") }
        for lost in r.lost { Terminal.warn("\(r.name) did not get \(lost): no copy holds it intact; run `triplicate check --plan --read-data`") }
        switch r.outcome {
        case .done:
            var line = "  \(name) \(verb)"
            if r.objectsCopied > 0 { line += ", caught up \(r.objectsCopied) files (\(Terminal.bytes(r.bytesCopied)))" }
            if !r.removed.isEmpty { line += ", removed \(r.removed.count) files the other copies had removed" }
            if r.bytesWritten > 0 { line += ", wrote \(Terminal.bytes(r.bytesWritten))" }
            print(line)
        case .unreachable:
            print("  \(name) skipped, not reachable")
            Terminal.warn("\(r.name) was skipped: \(r.problem ?? "not reachable"); it catches up at the next backup or `triplicate sync --plan`")
            if r.reason == .noCredentials { Terminal.hint(Hint.credentials) }
            if r.reason == .noCopyYet { Terminal.hint(Hint.text(.initialize).replacingOccurrences(of: "create it", with: "make a new copy there")) }
        case .failed:
            print("  \(name) FAILED")
            Terminal.warn("\(r.name) failed and was left out: \(r.problem ?? ""); it catches up at the next backup or `triplicate sync --plan`")
        }
    }
    // A file no copy holds intact is lost data, not a copy left for later.
    if reports.contains(where: { !$0.lost.isEmpty }) { return Exit.error }
    return reports.allSatisfy { $0.outcome == .done } ? Exit.ok : Exit.lagging
}

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Bring lagging destinations of a plan up to date by copying what they lack from the others.",
        discussion: "Every file is verified against its name before it is written and by size after. Nothing is ever deleted; an interrupted sync continues where it stopped when run again.")
    @OptionGroup var repository: RepositoryOptions
    @Option(name: .long, help: ArgumentHelp("Only this destination of the plan; repeatable.", valueName: "NAME")) var to: [String] = []

    func validate() throws {
        guard repository.plan != nil else { throw ValidationError("sync needs --plan FILE") }
    }

    func run() async throws {
        await runReporting {
            Interrupts.install()
            guard let plan = try repository.loadPlan() else { return Exit.error }
            let reports = try await repository.session(plan).sync(to: to.isEmpty ? nil : to) { print($0) }
            return printReports(reports, verb: "up to date")
        }
    }
}

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Say whether the 3-2-1 rule holds today: how current each copy is, and whether any photo is in no backup yet.",
        discussion: """
            Walks the plan's sources the way a backup decides what to read (metadata only) and counts the files that             are new or changed since the newest backup. Exit codes: 0 the rule holds and nothing is at risk; 4 the rule             holds but something is at risk (a copy lags or could not be reached, source files are in no backup yet, or             the newest backup is older than the plan's max-age); 5 the rule is broken (fewer than three up-to-date             copies counting the source files, one kind of medium, or no up-to-date copy off site).
            """)
    @OptionGroup var repository: RepositoryOptions
    @Flag(name: .long, help: "Print JSON.") var json = false
    @Option(name: .long, help: ArgumentHelp("Also write a self-contained web page with the same facts and a chart of each copy's size and verified share over time.", valueName: "FILE"))
    var html: String?

    func validate() throws {
        guard repository.plan != nil else { throw ValidationError("status needs --plan FILE") }
    }

    func run() async throws {
        await runReporting {
            Interrupts.install()
            guard let plan = try repository.loadPlan() else { return Exit.error }
            let status = try await repository.session(plan).status()
            if let html {
                do {
                    try StatusPage.html(status, planFile: plan.file ?? repository.plan ?? "").write(toFile: html, atomically: true, encoding: .utf8)
                } catch {
                    throw CLIError(Exit.error, "cannot write \(html): \(error.localizedDescription)")
                }
            }
            if json {
                try Terminal.json(status)
            } else {
                // Am I safe? first; then the details.
                print(status.headline)
                print("")
                print("newest snapshot: \(status.newestSnapshot.map { "\($0) (\(Terminal.date(iso: status.newestSnapshotTime ?? "")))" } ?? "none yet")")
                // One line per copy, its facts starting in one column.
                let labels = status.destinations.map { "\($0.name) [\($0.media.rawValue), \($0.site.rawValue)]:" }
                let width = labels.map(\.count).max() ?? 0
                for (d, label) in zip(status.destinations, labels) {
                    var line = "  " + label + String(repeating: " ", count: width - label.count + 1)
                    if d.upToDate {
                        line += "up to date"
                    } else if !d.reachable {
                        line += (d.reason == .noCredentials ? "NO CREDENTIALS" : "NOT REACHABLE") + ": " + (d.reason?.summary ?? "not reachable")
                        if let n = d.snapshotsBehind { line += ", \(n) snapshot\(n == 1 ? "" : "s") behind when last seen" }
                        if let seen = d.lastSeen { line += " (\(Terminal.date(iso: seen)))" }
                    } else {
                        line += "\(d.snapshotsBehind ?? 0) snapshot\(d.snapshotsBehind == 1 ? "" : "s") behind, \(Terminal.bytes(d.bytesBehind ?? 0)) to copy"
                    }
                    if let b = d.bytes { line += ", \(Terminal.bytes(b))" }
                    if let v = d.verifiedRecently { line += ", \(Terminal.percent(v)) verified in 30 days" }
                    line += ", " + (d.lastChecked.map { "checked \(Terminal.date(iso: $0))\(d.lastCheckReadData == true ? " with --read-data" : "")\(d.lastCheckPassed == false ? " FAILED" : "")" } ?? "never checked")
                    print(line)
                    if let days = d.objectLockDays {
                        print("      object lock: every file is kept \(days) days after it is written" + (d.lockedUntil.map { "; the newest snapshot is locked until \(Terminal.date(iso: $0))" } ?? ""))
                    }
                    if !d.reachable, let problem = d.problem { print("      " + problem) }
                    if d.reason == .noCredentials { print("      " + Hint.credentials) }
                    if d.reason == .noCopyYet { print("      " + Hint.text(.initialize).replacingOccurrences(of: "create it", with: "make a new copy there")) }
                }
                if let u = status.unprotected {
                    for m in u.missingSources { print("source \(m): NOT THERE (is its disk connected?)") }
                    if u.files == 0 {
                        print("source files: every one is in the newest backup")
                    } else {
                        print("source files: \(u.files) new or changed, in no backup yet (\(Terminal.bytes(u.bytes))), e.g.:")
                        for e in u.examples.prefix(5) { print("      " + Terminal.visible(e)) }
                    }
                }
                if let age = status.newestBackupAge {
                    print("newest backup of these sources: \(PlanStatus.describe(age)) ago (max-age \(PlanStatus.describe(status.maxAge)))")
                }
                let v = status.verdict
                print("3-2-1: \(v.copies) up-to-date copies (counting the source), media: \(v.mediaKinds.map(\.rawValue).joined(separator: ", ")), off site: \(v.offsite ? "yes" : "no")")
                print(v.allCurrent ? "the 3-2-1 rule holds" : v.holds ? "the 3-2-1 rule holds, but AT RISK:" : "the 3-2-1 rule is BROKEN:")
                for p in v.problems { print("  - " + p) }
                for r in v.remedies { print("  next: " + Hint.text(r)) }
            }
            return status.verdict.allCurrent ? Exit.ok : status.verdict.holds ? Exit.lagging : Exit.ruleBroken
        }
    }
}
