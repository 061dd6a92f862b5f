// SecretSource: where a password or a key comes from when nobody types it: a file, or a command (the system keychain,
// a secret store), so that a nightly job under cron or systemd finds it.
internal import Foundation
internal import Synchronization

/// Where a secret comes from: the first line of a file (read as ``PasswordFile`` does), or the first line a command
/// prints (run with `/bin/sh -c`, like restic's `--password-command`).
public enum SecretSource: Sendable, Equatable {
    /// The first line of the file at this path.
    case file(String)
    /// The first line of what this shell command prints on its standard output; it must exit 0.
    case command(String)

    /// What a command may print before it is cut off: a secret is one short line.
    static let maxOutput = 64 << 10

    /// The secret. `what` names it in errors ("the password", "the key ID of b2"). Errors:
    /// ``TriplicateError/Kind-swift.enum/missingCredentials``, naming the file or command and what went wrong.
    public func read(_ what: String) throws(TriplicateError) -> String {
        switch self {
        case .file(let path):
            do { return try PasswordFile.read(path) } catch {
                throw TriplicateError(.missingCredentials, "\(what): \(error.message)")
            }
        case .command(let command):
            let output = try Self.run(command, what: what)
            // The first line, by the rule of a password file (line ending, byte order mark).
            do { return try PasswordFile.password(from: output, file: command) } catch {
                throw TriplicateError(.missingCredentials, "\(what): `\(command)` printed no secret on its first line (it was empty or not UTF-8 text)")
            }
        }
    }

    /// Runs `command` with `/bin/sh -c` and returns what it printed (at most ``maxOutput`` bytes).
    private static func run(_ command: String, what: String) throws(TriplicateError) -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw TriplicateError(.missingCredentials, "\(what): cannot run `\(command)`: \(error.localizedDescription)")
        }
        // Both pipes are read to the end before waiting (standard error on another thread), so that a command that
        // prints much never blocks on a full pipe.
        let errors = ErrorOutput()
        let drained = DispatchSemaphore(value: 0)
        let errorHandle = err.fileHandleForReading
        DispatchQueue.global().async {
            errors.bytes.withLock { $0 = Array(errorHandle.readDataToEndOfFile().prefix(2000)) }
            drained.signal()
        }
        let printed = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        drained.wait()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let text = String(decoding: errors.bytes.withLock { $0 }, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw TriplicateError(.missingCredentials, "\(what): `\(command)` failed (exit \(process.terminationStatus))" + (text.isEmpty ? "" : ": " + text))
        }
        return Array(printed.prefix(maxOutput))
    }
}

/// What a secret command printed on its standard error, for the message when it fails.
private final class ErrorOutput: Sendable {
    let bytes = Mutex<[UInt8]>([])
}
