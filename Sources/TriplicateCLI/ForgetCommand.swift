// `triplicate forget`: removes the snapshots a retention policy does not keep.
@_spi(Benchmarks) import TriplicateCore
import ArgumentParser
import Foundation
import Triplicate

struct ForgetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget", abstract: "Remove the snapshots a retention policy does not keep.",
        discussion: """
            Snapshots are grouped by computer and backed-up paths; in each group a snapshot is kept when any rule keeps \
            it. --keep-hourly/daily/weekly/monthly/yearly N keep the newest snapshot of each of the last N periods that \
            have one (local time); --keep-within 30d keeps every snapshot no older than 30 days before the group's newest. \
            Only the snapshot files are removed: the data they alone used stays in the repository until a prune \
            (--prune runs one right after). With --plan, the rules default to the plan's [retention]; every copy \
            within reach loses the same snapshots, and a copy out of reach loses them at its next sync (--prune needs \
            every copy).
            """)
    @OptionGroup var repository: RepositoryOptions
    @Option(name: .long, help: ArgumentHelp("Keep the newest N snapshots.", valueName: "N")) var keepLast: Int?
    @Option(name: .long, help: ArgumentHelp("Keep one snapshot for each of the last N hours that have one.", valueName: "N")) var keepHourly: Int?
    @Option(name: .long, help: ArgumentHelp("Keep one snapshot for each of the last N days that have one.", valueName: "N")) var keepDaily: Int?
    @Option(name: .long, help: ArgumentHelp("Keep one snapshot for each of the last N weeks that have one.", valueName: "N")) var keepWeekly: Int?
    @Option(name: .long, help: ArgumentHelp("Keep one snapshot for each of the last N months that have one.", valueName: "N")) var keepMonthly: Int?
    @Option(name: .long, help: ArgumentHelp("Keep one snapshot for each of the last N years that have one.", valueName: "N")) var keepYearly: Int?
    @Option(name: .long, help: ArgumentHelp("Keep every snapshot within this long of the newest (90m, 26h, 30d, 8w).", valueName: "DURATION"))
    var keepWithin: String?
    @Option(name: .long, help: "Keep every snapshot with this tag (repeatable).") var keepTag: [String] = []
    @Flag(name: .long, help: "Only say what would be removed and why each kept snapshot is kept.") var dryRun = false
    @Flag(name: .long, help: "Prune afterwards: delete the data only the removed snapshots used.") var prune = false
    @OptionGroup var pruneOptions: PruneOptionGroup
    @Flag(name: .long, help: "Print JSON.") var json = false

    func validate() throws {
        for (flag, value) in [("--keep-last", keepLast), ("--keep-hourly", keepHourly), ("--keep-daily", keepDaily),
                              ("--keep-weekly", keepWeekly), ("--keep-monthly", keepMonthly), ("--keep-yearly", keepYearly)] {
            if let value, value < 0 { throw ValidationError("\(flag) takes a whole number, 0 or more") }
        }
        if let keepWithin, Plan.duration(keepWithin) == nil {
            throw ValidationError("--keep-within takes a duration such as 30d, 26h or 8w, not \"\(keepWithin)\"")
        }
    }

    /// The rules given on the command line; nil when none is (a plan then uses its own).
    var policy: RetentionPolicy? {
        let p = RetentionPolicy(keepLast: keepLast, keepHourly: keepHourly, keepDaily: keepDaily, keepWeekly: keepWeekly,
                                keepMonthly: keepMonthly, keepYearly: keepYearly, keepWithin: keepWithin.flatMap(Plan.duration),
                                keepTags: keepTag)
        return p.isEmpty ? nil : p
    }

    func run() async throws {
        await runReporting {
            Interrupts.install()
            let report: ForgetReport
            if let plan = try repository.loadPlan() {
                report = try await repository.session(plan).forget(policy: policy, dryRun: dryRun) { event in
                    if !json, event.message != nil { print(event) }
                }
            } else {
                report = try await repository.open().forget(policy: policy ?? RetentionPolicy(), dryRun: dryRun)
            }
            for u in report.unreadable { Terminal.warn("not judged, cannot be read: " + u) }
            if !json {
                for g in report.groups {
                    print("\(g.hostname), \(g.paths.joined(separator: " ")): keeping \(g.kept.count) of \(g.kept.count + g.forgotten.count) snapshots")
                    let rows = g.kept.map { ($0.snapshot, "keep", $0.reasons.joined(separator: ", ")) }
                        + g.forgotten.map { ($0, dryRun ? "would remove" : "remove", "") }
                    var table = TextTable(["", "ID", "Time", "Why kept"])
                    for (s, verb, why) in rows.sorted(by: { $0.0.time > $1.0.time }) {
                        table.add([verb, s.id.short, Terminal.date(s.time), why])
                    }
                    table.print(indent: "  ")
                }
                let n = report.forgottenCount - report.locked.count
                print(dryRun ? "would remove \(n) snapshot\(n == 1 ? "" : "s"), keep \(report.keptCount) (nothing was removed: a dry run)"
                             : "removed \(n) snapshot\(n == 1 ? "" : "s"), kept \(report.keptCount)" + (prune ? "" : "; the data only they used stays until a prune"))
            }
            if let last = report.locked.map(\.until).max() {
                Terminal.warn("\(report.locked.count) snapshots the rules do not keep stay under object lock until \(Terminal.date(last)): they cannot be removed sooner, and a forget after that removes them")
            }
            for c in report.copiesLeftBehind {
                Terminal.warn("\(c); that copy still holds the removed snapshots: its next sync (or backup) removes them")
            }
            // The forget is done and said before the prune, which may still fail (a copy out of reach, a lock).
            var pruned: PruneReport?
            if prune {
                var options = pruneOptions.options
                options.dryRun = dryRun
                pruned = try await repository.runPrune(options, json: json)
                if !json, let pruned {
                    // A dry run's prune cannot see what forget would remove: it says what a prune would do now.
                    if dryRun { print("prune (as the repository is now, before any snapshot is removed):") }
                    PruneOptionGroup.print(pruned)
                }
            }
            if json { try Terminal.json(ForgetJSON(report, prune: pruned)) }
            return report.copiesLeftBehind.isEmpty && (pruned?.copiesLeftBehind.isEmpty ?? true) ? Exit.ok : Exit.lagging
        }
    }
}

/// The JSON form of a forget report.
struct ForgetJSON: Encodable {
    struct Entry: Encodable {
        var id: String
        var time: String
        var reasons: [String]?
    }
    struct Group: Encodable {
        var hostname: String
        var paths: [String]
        var keep: [Entry]
        var remove: [Entry]
    }
    var dryRun: Bool
    var groups: [Group]
    var copiesLeftBehind: [String]
    var prune: PruneReport?
    var locked: [LockedSnapshot]

    init(_ r: ForgetReport, prune: PruneReport?) {
        self.prune = prune
        locked = r.locked
        dryRun = r.dryRun
        copiesLeftBehind = r.copiesLeftBehind
        let iso = ISO8601DateFormatter()
        groups = r.groups.map { g in
            Group(hostname: g.hostname, paths: g.paths,
                  keep: g.kept.map { Entry(id: $0.snapshot.id.hex, time: iso.string(from: $0.snapshot.time), reasons: $0.reasons) },
                  remove: g.forgotten.map { Entry(id: $0.id.hex, time: iso.string(from: $0.time), reasons: nil) })
        }
    }
}
