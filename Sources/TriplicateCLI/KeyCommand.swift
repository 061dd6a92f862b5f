// `triplicate key`: the repository's key files, one per password: list, add, remove, and change the password.
@_spi(Benchmarks) import TriplicateCore
import ArgumentParser
import Foundation
import Triplicate

struct KeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key", abstract: "List, add and remove the repository's passwords (its key files).",
        discussion: """
            Each key file wraps the repository's one master secret under one password, so a password can be added or \
            removed without touching any data. With --plan, every copy within reach changes at once; a copy out of reach follows at its next sync.
            """,
        subcommands: [KeyList.self, KeyAdd.self, KeyRemove.self, KeyPasswd.self])
}

/// The new password: from --new-password-file, TRIPLICATE_NEW_PASSWORD, or typed twice on a terminal.
struct NewPasswordOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Read the new password from the first line of FILE.", valueName: "FILE"))
    var newPasswordFile: String?

    func newPassword() throws -> String {
        if let newPasswordFile { return try PasswordFile.read(newPasswordFile) }
        if let env = ProcessInfo.processInfo.environment["TRIPLICATE_NEW_PASSWORD"], !env.isEmpty { return env }
        guard isatty(0) == 1 else {
            throw CLIError(Exit.error, "no new password: use --new-password-file FILE, set TRIPLICATE_NEW_PASSWORD, or run on a terminal")
        }
        let first = try Prompt.secret("New password: ")
        guard try Prompt.secret("New password again: ") == first else {
            throw CLIError(Exit.error, "the passwords do not match; nothing was changed")
        }
        return first
    }
}

extension RepositoryOptions {
    /// The repository for a command that changes key files: the one at --repo, or the plan's copies it can reach (a
    /// copy out of reach follows at its next sync).
    func openForKeyChange(for command: String) async throws -> Repository {
        if let plan = try loadPlan() { return try await session(plan).openForBackup() }
        return try await open()
    }
}

/// Says which copies a change may have missed; the exit code for it.
private func reportCopies(_ repo: Repository, _ what: String) -> Int32 {
    for c in repo.copiesLeftBehind { Terminal.warn("\(c); that copy did not get \(what) yet: its next sync (or backup) brings it") }
    return repo.copiesLeftBehind.isEmpty ? Exit.ok : Exit.lagging
}

struct KeyList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the key files; * marks the one your password opened.")
    @OptionGroup var repository: RepositoryOptions
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() async throws {
        await runReporting {
            let keys = try await repository.open().listKeys()
            if json {
                try Terminal.json(keys)
                return Exit.ok
            }
            // `*` marks the key this password opened.
            var table = TextTable(["", "ID", "Created", "Host", ""])
            for k in keys {
                table.add([k.isCurrent ? "*" : "", String(k.id.prefix(8)), k.created.map { Terminal.date(iso: $0) } ?? "",
                           Terminal.visible(k.hostname ?? ""), k.problem.map { "UNREADABLE: " + $0 } ?? ""])
            }
            table.print()
            return Exit.ok
        }
    }
}

struct KeyAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a password (a new key file); the others keep working.")
    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var new: NewPasswordOptions

    func run() async throws {
        await runReporting {
            let password = try new.newPassword()
            let repo = try await repository.openForKeyChange(for: "key add")
            let id = try await repo.addKey(password: password)
            print("added key \(id.prefix(8)): the new password opens the repository")
            return reportCopies(repo, "the new key")
        }
    }
}

struct KeyRemove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove", abstract: "Remove a key file, so that its password no longer opens the repository.",
        discussion: "Never the last one; the one your password opened only with --force.")
    @OptionGroup var repository: RepositoryOptions
    @Argument(help: "The key's ID, or at least its first 8 hex digits, as `key list` shows it.") var id: String
    @Flag(name: .long, help: "Remove the key file your password opened: that password stops working.") var force = false

    func run() async throws {
        await runReporting {
            let repo = try await repository.openForKeyChange(for: "key remove")
            try await repo.removeKey(id, force: force)
            print("removed key \(id.prefix(8)): its password no longer opens the repository")
            return reportCopies(repo, "the removal")
        }
    }
}

struct KeyPasswd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "passwd", abstract: "Change the password: add the new key file, then remove the one your password opened.",
        discussion: "Interrupted between the two steps, both passwords work; never neither.")
    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var new: NewPasswordOptions

    func run() async throws {
        await runReporting {
            let password = try new.newPassword()
            let repo = try await repository.openForKeyChange(for: "key passwd")
            let id = try await repo.changePassword(to: password)
            print("the password is changed (key \(id.prefix(8))); the old one no longer opens the repository")
            if repository.plan != nil { print("put the new password in the plan's password-file, or the next backup cannot open the repository") }
            return reportCopies(repo, "the change")
        }
    }
}
