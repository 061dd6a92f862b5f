// The `triplicate` command: the reference CLI over the Triplicate library.
@_spi(Benchmarks) import TriplicateCore
import ArgumentParser

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
            StatusCommand.self, DebugCommand.self,
        ]
    )
}
