// The `triplicate` command: the reference CLI over the Triplicate library.
@_spi(Benchmarks) import TriplicateCore
import ArgumentParser
import Foundation

@main
struct TriplicateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "triplicate",
        abstract: "Encrypted, deduplicated backups of a photographer's work, for the 3-2-1 rule.",
        discussion: """
            The repository comes from --repo or TRIPLICATE_REPOSITORY, or with --plan FILE from a 3-2-1 plan naming
            every destination; the password from TRIPLICATE_PASSWORD, --password-file (or the plan's
            password-file), or a prompt on a terminal.

            Exit codes:
              0 success
              1 error
              3 backup finished but some source files could not be read
              4 with --plan: done, but a destination was skipped, failed or lags behind (status: the rule holds but is at risk)
              5 status: the 3-2-1 rule is broken
              10 no repository at that location
              12 wrong password
              14 destination not reachable (usb:PATH with nothing mounted there or unplugged, or a server unreachable after retries)
              64 invalid command-line arguments
              70 a defect in Triplicate itself (please report it)
              130 interrupted
            """,
        version: "0.2.0 (repository format 1)",
        subcommands: [
            InitCommand.self, BackupCommand.self, SnapshotsCommand.self, LsCommand.self, DiffCommand.self, FindCommand.self, RestoreCommand.self,
            CheckCommand.self, RepairCommand.self, ForgetCommand.self, PruneCommand.self, KeyCommand.self, StatsCommand.self, SyncCommand.self,
            StatusCommand.self, ScheduleCommand.self, DebugCommand.self,
        ]
    )

    /// Parses and runs the command; an unknown command gets the nearest known one as a suggestion instead of the
    /// parser's "unexpected argument".
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let first = arguments.first, !first.hasPrefix("-") {
            let known = configuration.subcommands.map { $0.configuration.commandName ?? "" } + ["help"]
            if !known.contains(first) {
                let suggestions = CommandSuggestion.nearest(to: first, among: known).map { "'\($0)'" }
                var message = "triplicate: unknown command '\(first)'."
                if !suggestions.isEmpty { message += " Did you mean \(suggestions.joined(separator: " or "))?" }
                message += " Run 'triplicate --help' for the list of commands.\n"
                FileHandle.standardError.write(Data(message.utf8))
                Foundation.exit(64)
            }
        }
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// The known command nearest to a mistyped one.
enum CommandSuggestion {
    /// The commands of `known` nearest `typed` within a small edit distance (a letter missing, swapped, extra or
    /// wrong), all of them when several are as near; else one that starts with it; else none.
    static func nearest(to typed: String, among known: [String]) -> [String] {
        let t = Array(typed.lowercased())
        let scored = known.map { ($0, distance(t, Array($0))) }
        if let best = scored.map(\.1).min(), best <= max(1, min(2, t.count / 3)) {
            return scored.filter { $0.1 == best }.map(\.0)
        }
        return known.first { $0.hasPrefix(typed.lowercased()) && typed.count >= 2 }.map { [$0] } ?? []
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours each cost one.
    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[a.count][b.count]
    }
}
