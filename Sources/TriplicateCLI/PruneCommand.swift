// `triplicate prune`: deletes the data no snapshot needs.
@_spi(Benchmarks) import TriplicateCore
import ArgumentParser
import Foundation
import Triplicate

/// `--max-unused`: `5%`, `unlimited`, or a size (`500M`, `2G`, bytes without a suffix).
struct MaxUnusedOption: ExpressibleByArgument {
    var value: PruneOptions.MaxUnused

    init?(argument: String) {
        let text = argument.lowercased()
        if text == "unlimited" {
            value = .unlimited
        } else if text.hasSuffix("%"), let p = Double(text.dropLast()), p >= 0, p <= 100 {
            value = .percent(p)
        } else {
            let units: [Character: Int64] = ["k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40]
            var digits = Substring(text)
            var unit: Int64 = 1
            if let last = digits.last, let u = units[last] {
                unit = u
                digits = digits.dropLast()
            }
            guard let n = Int64(digits), n >= 0 else { return nil }
            let (bytes, overflow) = n.multipliedReportingOverflow(by: unit)
            guard !overflow else { return nil }
            value = .bytes(bytes)
        }
    }
}

/// What prune and forget --prune share: the limit, and how a report is printed.
struct PruneOptionGroup: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Unused data that may stay in packs that also hold used data, rather than be repacked: a percentage of what stays (default 5%), a size (500M, 2G) or \"unlimited\".", valueName: "LIMIT"))
    var maxUnused: MaxUnusedOption?

    var options: PruneOptions { PruneOptions(maxUnused: maxUnused?.value ?? .percent(5)) }

    static func print(_ r: PruneReport) {
        let verb = r.dryRun ? "would " : ""
        Swift.print("\(Terminal.count(r.snapshots, "snapshot")) \(r.snapshots == 1 ? "needs" : "need") \(Terminal.count(r.blobsUsed, "blob")) (\(Terminal.bytes(r.bytesUsed))) in \(Terminal.count(r.packsBefore, "pack")) of \(Terminal.bytes(r.bytesBefore))")
        Swift.print("\(r.dryRun ? "would delete" : "deleted") \(Terminal.count(r.packsRemoved.count, "unused pack")); \(verb)\(r.dryRun ? "repack" : "repacked") \(Terminal.count(r.packsRepacked.count, "pack")) (\(Terminal.count(r.blobsRepacked, "blob")), \(Terminal.bytes(r.bytesRepacked)))")
        if !r.dryRun {
            Swift.print("wrote \(Terminal.count(r.packsWritten.count, "pack")) and \(Terminal.count(r.indexFilesWritten.count, "index file")), deleted \(Terminal.count(r.indexFilesRemoved.count, "index file"))")
        }
        Swift.print("\(r.dryRun ? "would free" : "freed") \(Terminal.bytes(max(0, r.bytesFreed))): \(Terminal.count(r.packsAfter, "pack")) of \(Terminal.bytes(r.bytesAfter)) \(r.dryRun ? "would stay" : "stay"), \(Terminal.bytes(r.unusedAfter)) of it unused")
        for n in r.notes { Swift.print("note: \(n)") }
        if r.dryRun { Swift.print("nothing was changed: a dry run") }
        for c in r.copiesLeftBehind {
            Terminal.warn("\(c); that copy still holds what was pruned from the others: run the same prune again once it is back")
        }
    }
}

struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune", abstract: "Delete the data no snapshot needs, and repack packs that are mostly unused.",
        discussion: """
            Run after forget (or use forget --prune). Packs no snapshot needs anything from are deleted; packs with \
            more unused data than --max-unused allows are repacked (their used data is read, verified and written to \
            new packs). Prune needs the repository to itself: it fails while a backup runs, and backups started \
            meanwhile fail until it is done. Interrupted, it leaves a repository check accepts; run it again to finish. \
            With --plan, every copy is pruned at once and every copy must be reachable.
            """)
    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var prune: PruneOptionGroup
    @Flag(name: .long, help: "Only say what would be deleted and repacked.") var dryRun = false
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() async throws {
        await runReporting {
            Interrupts.install()
            var options = prune.options
            options.dryRun = dryRun
            let report = try await repository.runPrune(options, json: json)
            if json { try Terminal.json(report) } else { PruneOptionGroup.print(report) }
            return report.copiesLeftBehind.isEmpty ? Exit.ok : Exit.lagging
        }
    }
}

extension RepositoryOptions {
    /// Prunes the plan's copies or the repository.
    func runPrune(_ options: PruneOptions, json: Bool) async throws -> PruneReport {
        if let plan = try loadPlan() {
            return try await session(plan).prune(options: options) { event in
                if !json, event.message != nil { print(event) }
            }
        }
        return try await open().prune(options: options) { event in
            if !json, let m = event.message, Terminal.isInteractive { print(m) }
        }
    }
}
