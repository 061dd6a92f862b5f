// Common: repository and password options, exit codes and error reporting shared by every command.
@_spi(Benchmarks) import TriplicateCore
import ArgumentParser
import Foundation
import Synchronization
import Triplicate
#if canImport(Glibc)
import Glibc
#endif

/// Exit codes, as documented in the README.
enum Exit {
    static let ok: Int32 = 0
    static let error: Int32 = 1
    static let partial: Int32 = 3
    static let lagging: Int32 = 4
    static let ruleBroken: Int32 = 5
    static let noRepository: Int32 = 10
    static let locked: Int32 = 11
    static let wrongPassword: Int32 = 12
    static let notConnected: Int32 = 14
    static let software: Int32 = 70
    static let interrupted: Int32 = 130

    static func code(for kind: TriplicateError.Kind) -> Int32 {
        switch kind {
        case .noRepository, .notARepository: noRepository
        case .wrongPassword: wrongPassword
        case .locked: locked
        case .destination(.unavailable): notConnected
        case .cancelled: interrupted
        case .internalFailure: software
        default: error
        }
    }
}

/// Options every repository command takes.
struct RepositoryOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Repository location: a folder path (or local:PATH), usb:PATH for a folder on a removable drive, b2:BUCKET/PREFIX, or s3:https://HOST/BUCKET/PREFIX. Default: $TRIPLICATE_REPOSITORY.", valueName: "PATH"))
    var repo: String?

    @Option(name: .long, help: ArgumentHelp("A 3-2-1 plan (TOML) naming the sources and every destination of the repository, instead of --repo.", valueName: "FILE"))
    var plan: String?

    @Flag(name: .long, help: "On a removable drive (usb:PATH), read every file written back from the drive and compare it.")
    var verifyWrites = false

    @Option(name: .long, help: ArgumentHelp("Read the password from the first line of FILE.", valueName: "FILE"))
    var passwordFile: String?

    @Option(name: .long, help: ArgumentHelp("Send at most N KiB/s to a b2: or s3: destination (with --plan: to each, instead of its limit-upload).", valueName: "N"))
    var limitUpload: Int?

    @Option(name: .long, help: ArgumentHelp("Receive at most N KiB/s from a b2: or s3: destination (with --plan: from each, instead of its limit-download).", valueName: "N"))
    var limitDownload: Int?

    func validate() throws {
        if plan != nil, let repo, !repo.isEmpty { throw ValidationError("give either --plan or --repo, not both") }
        for (flag, value) in [("--limit-upload", limitUpload), ("--limit-download", limitDownload)] {
            if let value, value < 1 || value > 100_000_000 { throw ValidationError("\(flag) takes a whole number of KiB/s, at least 1 (e.g. 2048 for 2 MiB/s)") }
        }
    }

    /// The plan, when --plan is given (and then not --repo), with the limits given here on its object stores.
    func loadPlan() throws -> Plan? {
        guard let plan else { return nil }
        var loaded = try Plan.load(plan)
        for i in loaded.destinations.indices {
            guard case .objectStore = loaded.destinations[i].location else { continue }
            if let limitUpload { loaded.destinations[i].limitUpload = limitUpload }
            if let limitDownload { loaded.destinations[i].limitDownload = limitDownload }
        }
        return loaded
    }

    /// A session of the plan, with its password (from the plan's password-file unless --password-file is given).
    func session(_ plan: Plan, confirm: Bool = false) throws -> PlanSession {
        var options = self
        if options.passwordFile == nil, let command = plan.passwordCommand {
            return PlanSession(plan: plan, passwords: [try SecretSource.command(command).read("the plan's password-command")])
        }
        if options.passwordFile == nil { options.passwordFile = plan.passwordFile }
        return PlanSession(plan: plan, passwords: try options.passwords(confirm: confirm))
    }

    /// The repository location, from --repo or the environment.
    func location() throws -> String {
        if let repo, !repo.isEmpty { return repo }
        if let env = ProcessInfo.processInfo.environment["TRIPLICATE_REPOSITORY"], !env.isEmpty { return env }
        throw CLIError(Exit.error, "no repository given: use --repo PATH or set TRIPLICATE_REPOSITORY")
    }

    /// The destination for the location. Never inlined: inlined into the async commands that call it, it made
    /// Swift 6.3.1's optimizer crash (signal 11 while splitting their coroutines) in release builds.
    @inline(never)
    func destination() throws -> any Destination {
        let location = try RepositoryLocation(try location())
        if verifyWrites, location.scheme != "usb" { throw CLIError(Exit.error, "--verify-writes applies to a removable drive (usb:PATH)") }
        if (limitUpload ?? limitDownload) != nil, location.scheme != "b2", location.scheme != "s3" {
            throw CLIError(Exit.error, "--limit-upload and --limit-download apply to a b2: or s3: repository (a folder or drive is not reached over the internet)")
        }
        let limits = TransferLimits(upload: .kibPerSecond(limitUpload), download: .kibPerSecond(limitDownload))
        return try DestinationRegistry.standard.destination(for: location, context: DestinationContext(verifyWrites: verifyWrites, limits: limits))
    }

    /// The password, then (from a password file whose line ends in a carriage return) the password as earlier
    /// versions read that file, which repositories they created open with.
    func passwords(confirm: Bool = false) throws -> [String] {
        let first = try password(confirm: confirm)
        guard !confirm, let file = passwordFile, let legacy = PasswordFile.legacyReading(file) else { return [first] }
        return [first, legacy]
    }

    /// The password, from --password-file, TRIPLICATE_PASSWORD, or a no-echo prompt.
    func password(confirm: Bool = false) throws -> String {
        if let file = passwordFile { return try PasswordFile.read(file) }
        if let env = ProcessInfo.processInfo.environment["TRIPLICATE_PASSWORD"], !env.isEmpty { return env }
        guard isatty(0) == 1 else {
            throw CLIError(Exit.error, "no password: set TRIPLICATE_PASSWORD, use --password-file FILE, or run on a terminal")
        }
        let first = try Prompt.secret("Password: ")
        if confirm {
            let again = try Prompt.secret("Password again: ")
            guard again == first else { throw CLIError(Exit.error, "the passwords do not match; nothing was created") }
        }
        return first
    }

    /// Opens the repository for a backup: the one at --repo, or with --plan every reachable copy, caught up first, as one
    /// repository that writes to all of them (`progress` says what catching up does).
    func openForBackup(progress: @escaping ProgressHandler) async throws -> Repository {
        if let plan = try loadPlan() { return try await session(plan).openForBackup(progress: progress) }
        return try await open()
    }

    /// Opens the repository: the one at --repo, or with --plan the plan's copies as one repository (nearest first; only
    /// the destination `from` when it is given).
    func open(from: String? = nil) async throws -> Repository {
        if let plan = try loadPlan() { return try await session(plan).openRepository(from: from) }
        let dest = try destination()
        return try await Repository.open(dest, passwords: try passwords())
    }
}

/// A failure the CLI reports with a message and an exit code.
struct CLIError: Error {
    var code: Int32
    var message: String
    init(_ code: Int32, _ message: String) {
        self.code = code
        self.message = message
    }
}

/// Runs a command body, printing errors and exiting with the documented code.
func runReporting(onEnd: ((Int32, String?) -> Void)? = nil, _ body: sending @escaping () async throws -> Int32) async -> Never {
    // The command runs as a Task of its own, so that Ctrl-C can cancel it (Interrupts.install).
    let task = Task { try await body() }
    Interrupts.task.withLock { $0 = { task.cancel() } }
    let code: Int32
    var message: String?
    do {
        code = try await task.value
    } catch let e as TriplicateError {
        Terminal.error(e.message)
        if let remedy = e.remedy { Terminal.hint(Hint.text(remedy)) }
        code = Exit.code(for: e.kind)
        message = e.message
    } catch let e as CLIError {
        Terminal.error(e.message)
        code = e.code
        message = e.message
    } catch {
        Terminal.error("\(error)")
        code = Exit.error
        message = "\(error)"
    }
    onEnd?(code, message)
    exit(code)
}

/// What to do about an error or a finding, in the CLI's own words: the library names a ``Remedy``, an operation; this
/// says it as a command line, with the --repo or --plan this command was given.
enum Hint {
    static let credentials = "set B2_APPLICATION_KEY_ID and B2_APPLICATION_KEY (an application key made for this bucket in Backblaze's web console) and B2_REGION (e.g. eu-central-003) or B2_ENDPOINT; for another S3 store, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION; or, in a plan's [[destination]], key-id-file and key-file (or key-id-command and key-command) and region or endpoint"

    static func text(_ remedy: Remedy) -> String {
        switch remedy {
        case .initialize: "run `triplicate init\(location)` to create it"
        case .check(let readData): readData ? "run `triplicate check\(location) --read-data` to see what depends on it" : "run `triplicate check\(location)`"
        case .repair: "run `triplicate repair\(location)`"
        case .backup: "run `triplicate backup\(isPlan ? "" : " PATH...")\(location)`"
        case .sync: "run `triplicate sync\(location)`"
        case .runAgain: "run the same command again: it resumes from what was stored"
        case .retryLater: "run the command again once the other operation has finished"
        case .credentials: credentials
        case .report: "this is a defect in Triplicate, not in your photos or your command: please report it with the message above"
        }
    }

    /// Whether this command was given a plan.
    static var isPlan: Bool { given.first == "--plan" }

    /// ` --plan FILE` or ` --repo PATH` as this command was given them (nothing when the repository came from the
    /// environment), quoted for a shell where needed.
    static var location: String {
        guard given.count == 2 else { return "" }
        return " \(given[0]) \(Terminal.shellQuoted(given[1]))"
    }

    private static var given: [String] {
        let args = Array(CommandLine.arguments.dropFirst())
        for (i, a) in args.enumerated() {
            for flag in ["--plan", "--repo"] {
                if a == flag, i + 1 < args.count { return [flag, args[i + 1]] }
                if a.hasPrefix(flag + "=") { return [flag, String(a.dropFirst(flag.count + 1))] }
            }
        }
        return []
    }
}

/// The terminal settings to put back if the program is interrupted at the password prompt.
nonisolated(unsafe) private var savedTerminal = termios()

/// Reading a password without echo.
enum Prompt {
    static func secret(_ prompt: String) throws -> String {
        FileHandle.standardError.write(Data(prompt.utf8))
        var old = termios()
        tcgetattr(0, &old)
        savedTerminal = old
        var quiet = old
        quiet.c_lflag &= ~tcflag_t(ECHO)
        // Ctrl-C at the prompt must not leave the terminal without echo.
        let previous = signal(SIGINT) { _ in
            tcsetattr(0, TCSANOW, &savedTerminal)
            _exit(130)
        }
        tcsetattr(0, TCSAFLUSH, &quiet)
        defer {
            tcsetattr(0, TCSAFLUSH, &old)
            signal(SIGINT, previous)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        guard let line = readLine(strippingNewline: true), !line.isEmpty else {
            throw CLIError(Exit.error, "no password entered")
        }
        return line
    }
}

/// Rows printed in columns, each as wide as its widest cell (the title included): text left-aligned, figures
/// right-aligned, two spaces between columns, no trailing spaces.
struct TextTable {
    enum Alignment { case left, right }
    let titles: [String]
    let alignments: [Alignment]
    private(set) var rows: [[String]] = []

    /// A table with these column titles; `right` names the columns of figures.
    init(_ titles: [String], right: Set<Int> = []) {
        self.titles = titles
        alignments = titles.indices.map { right.contains($0) ? .right : .left }
    }

    mutating func add(_ cells: [String]) { rows.append(cells) }

    /// The lines: the titles, then the rows, each prefixed with `indent`.
    func lines(indent: String = "") -> [String] {
        let all = [titles] + rows
        let widths = titles.indices.map { c in all.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
        return all.map { row in
            var line = indent
            for c in titles.indices {
                let cell = c < row.count ? row[c] : ""
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                if c > 0 { line += "  " }
                line += alignments[c] == .right ? pad + cell : cell + pad
            }
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }
    }

    func print(indent: String = "") {
        for line in lines(indent: indent) { Swift.print(line) }
    }
}

/// Output helpers.
enum Terminal {
    static var isInteractive: Bool { isatty(2) == 1 }

    static func error(_ message: String) {
        FileHandle.standardError.write(Data(("triplicate: error: " + message + "\n").utf8))
    }

    /// A share (0…1) as a whole percentage, or with one decimal below 10 %.
    static func percent(_ share: Double) -> String {
        let p = share * 100
        return p > 0 && p < 10 ? String(format: "%.1f%%", p) : String(format: "%.0f%%", p)
    }

    static func hint(_ message: String) {
        FileHandle.standardError.write(Data(("triplicate: hint: " + message + "\n").utf8))
    }

    static func warn(_ message: String) {
        FileHandle.standardError.write(Data(("triplicate: warning: " + message + "\n").utf8))
    }

    static func status(_ line: String) {
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
    }

    static func clearStatus() { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }

    static func json(_ value: some Encodable) throws {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted]
        print(String(decoding: try e.encode(value), as: UTF8.self))
    }

    /// `text` with control characters (a newline or an escape sequence in a file name) shown as `\n`, `\u{1B}`…, so
    /// that one entry is always one line and a name cannot drive the terminal.
    static func visible(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return text }
        var out = ""
        for u in text.unicodeScalars {
            if u.properties.generalCategory == .control {
                out += u == "\n" ? "\\n" : u == "\t" ? "\\t" : u == "\r" ? "\\r" : "\\u{\(String(u.value, radix: 16, uppercase: true))}"
            } else {
                out.unicodeScalars.append(u)
            }
        }
        return out
    }

    static func bytes(_ n: Int64) -> String { PlanStatus.describe(bytes: n) }

    /// `s` as a shell takes it back: as it is when it needs no quoting, else in single quotes.
    static func shellQuoted(_ s: String) -> String {
        s.allSatisfy { $0.isLetter || $0.isNumber || "/._-:@+=,".contains($0) } ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// `n` and the noun that goes with it: `1 snapshot`, `2 snapshots`, `1 entry`, `3 entries`.
    static func count(_ n: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(n) " + (n == 1 ? singular : plural ?? singular + "s")
    }

    /// A time stored in a snapshot, as ISO 8601 in UTC with its nanoseconds: `2026-11-30T18:32:36.123456789Z`.
    static func isoTime(_ t: Timestamp) -> String {
        var seconds = time_t(clamping: t.seconds)
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil else { return "\(t.seconds).\(t.nanoseconds)" }
        let fraction = t.nanoseconds == 0 ? "" : "." + String(String(t.nanoseconds + 1_000_000_000).dropFirst())
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec)) + fraction + "Z"
    }

    /// A time as this computer's local time, with the offset of its zone: `2026-11-30 19:32:36 +01:00`.
    static func date(_ d: Date) -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd HH:mm:ss xxx"
        f.locale = Locale(identifier: "en_US_POSIX")
        return f.string(from: d)
    }

    /// An ISO 8601 time (as snapshots and the plan's state record them, with or without fractional seconds) in local
    /// time; the text itself when it does not parse.
    static func date(iso text: String) -> String {
        ISOTime.parse(text).map(date) ?? visible(text)
    }
}

/// Ctrl-C (SIGINT) and SIGTERM: the command stops promptly and exits with 130.
enum Interrupts {
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []
    /// Cancels the command's Task (set by runReporting).
    static let task = Mutex<(@Sendable () -> Void)?>(nil)
    private static let requested = Atomic<Bool>(false)

    /// Turns SIGINT and SIGTERM into the cancellation of the command's Task, which the library answers by stopping
    /// cleanly at the next chunk, file or pack; a second signal exits at once. For commands that write (backup,
    /// restore, sync, repair) or must say where they stopped.
    static func install() {
        handle {
            if requested.exchange(true, ordering: .relaxed) { exit(Exit.interrupted) }
            task.withLock { $0 }?()
        }
    }

    /// Exits with 130 at the first SIGINT or SIGTERM: for commands that only read, with nothing to clean up.
    static func exitOnSignal() {
        handle { exit(Exit.interrupted) }
    }

    private static func handle(_ action: @escaping @Sendable () -> Void) {
        let queue = DispatchQueue(label: "triplicate.signals")
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: number, queue: queue)
            s.setEventHandler(handler: action)
            s.resume()
            sources.append(s)
        }
    }
}
