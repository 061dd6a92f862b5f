// Common: repository and password options, exit codes and error reporting shared by every command.
import ArgumentParser
import Foundation
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
    static let wrongPassword: Int32 = 12
    static let notConnected: Int32 = 14
    static let interrupted: Int32 = 130

    static func code(for kind: TriplicateError.Kind) -> Int32 {
        switch kind {
        case .noRepository, .notARepository: noRepository
        case .wrongPassword: wrongPassword
        case .destination(.unavailable): notConnected
        case .cancelled: interrupted
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

    /// The plan, when --plan is given (and then not --repo).
    func loadPlan() throws -> Plan? {
        guard let plan else { return nil }
        if let repo, !repo.isEmpty { throw CLIError(Exit.error, "give either --plan or --repo, not both") }
        return try Plan.load(plan)
    }

    /// A session of the plan, with its password (from the plan's password-file unless --password-file is given).
    func session(_ plan: Plan, confirm: Bool = false) throws -> PlanSession {
        var options = self
        if options.passwordFile == nil { options.passwordFile = plan.passwordFile }
        return PlanSession(plan: plan, password: try options.password(confirm: confirm))
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
        try RepositoryLocation.destination(try location(), verifyWrites: verifyWrites)
    }

    /// The password, from TRIPLICATE_PASSWORD, --password-file, or a no-echo prompt.
    func password(confirm: Bool = false) throws -> String {
        if let file = passwordFile {
            let text: String
            do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
                throw CLIError(Exit.error, "cannot read the password file \(file): \(error.localizedDescription)")
            }
            var line = text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
            if line.hasSuffix("\r") { line.removeLast() }  // a file saved with Windows line endings
            guard !line.isEmpty else { throw CLIError(Exit.error, "the password file \(file) is empty") }
            return line
        }
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

    /// Opens the repository: the one at --repo, or with --plan the fastest reachable copy.
    func open() async throws -> Repository {
        if let plan = try loadPlan() { return try await session(plan).openFastest().repository }
        let dest = try destination()
        let pw = try password()
        return try await Repository.open(dest, password: pw)
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
func runReporting(_ body: () async throws -> Int32) async -> Never {
    let code: Int32
    do {
        code = try await body()
    } catch let e as TriplicateError {
        Terminal.error(e.message)
        code = Exit.code(for: e.kind)
    } catch let e as CLIError {
        Terminal.error(e.message)
        code = e.code
    } catch {
        Terminal.error("\(error)")
        code = Exit.error
    }
    exit(code)
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

/// Output helpers.
enum Terminal {
    static var isInteractive: Bool { isatty(2) == 1 }

    static func error(_ message: String) {
        FileHandle.standardError.write(Data(("triplicate: error: " + message + "\n").utf8))
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

    static func bytes(_ n: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(n)
        var i = 0
        while v >= 1024, i < units.count - 1 {
            v /= 1024
            i += 1
        }
        return i == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[i])
    }

    static func date(_ d: Date) -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        f.locale = Locale(identifier: "en_US_POSIX")
        return f.string(from: d)
    }
}

/// Turns SIGINT into a cancellation request (a second SIGINT exits at once with 130).
enum Interrupts {
    nonisolated(unsafe) private static var source: (any DispatchSourceSignal)?

    static func install(_ cancellation: Cancellation) {
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let queue = DispatchQueue(label: "triplicate.signals")
        let s = DispatchSource.makeSignalSource(signal: SIGINT, queue: queue)
        s.setEventHandler {
            if cancellation.isCancelled { exit(Exit.interrupted) }
            cancellation.cancel()
        }
        s.resume()
        let t = DispatchSource.makeSignalSource(signal: SIGTERM, queue: queue)
        t.setEventHandler { cancellation.cancel() }
        t.resume()
        source = s
        termSource = t
    }
    nonisolated(unsafe) private static var termSource: (any DispatchSourceSignal)?
}
