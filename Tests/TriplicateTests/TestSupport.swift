// TestSupport: temporary folders, tree comparison, CLI runs and repository helpers for the engine tests.
import Foundation
import Testing
@testable import Triplicate
#if canImport(Glibc)
import Glibc
#endif

/// A temporary folder removed when the test ends.
final class TempDir {
    let path: String
    init(_ label: String = "t") {
        let base = FileManager.default.temporaryDirectory.path + "/triplicate-tests"
        try? FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        path = base + "/\(label)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func sub(_ name: String) -> String { path + "/" + name }
}

enum TestKeys {
    /// A cheap scrypt cost so that tests open repositories quickly.
    static let cheap = Repository.InitOptions(scrypt: .init(n: 1024, r: 8, p: 1))
    static let password = "correct horse battery staple"
}

/// Creates a repository in `dir` with the cheap key.
func makeRepository(_ dir: String) async throws -> Repository {
    try await Repository.initialize(on: LocalDirectory(path: dir), password: TestKeys.password, options: TestKeys.cheap)
}

/// Waits until files written just now are older than the backup's racy-timestamp window (one second), so that
/// a following backup may trust their metadata instead of reading them again.
func settleTimestamps() { usleep(1_200_000) }

/// Writes `bytes` to `path`, creating parent folders.
func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// Deterministic pseudo-random bytes (splitmix64).
func pseudoRandomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed
    var out = [UInt8](repeating: 0, count: count)
    out.withUnsafeMutableBytes { raw in
        var i = 0
        while i < count {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            withUnsafeBytes(of: z.littleEndian) { w in
                for j in 0..<min(8, count - i) { raw[i + j] = w[j] }
            }
            i += 8
        }
    }
    return out
}

/// Everything about a file tree that a restore must reproduce: kind, mode, mtime (seconds), size, content hash,
/// link target. Folders' mtimes are compared too.
struct TreeFingerprint: Equatable, CustomStringConvertible {
    var entries: [String: String]
    var description: String { entries.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "\n") }

    static func of(_ root: String) throws -> TreeFingerprint {
        var out: [String: String] = [:]
        func walk(_ rel: String) throws {
            let full = rel.isEmpty ? root : root + "/" + rel
            var st = stat()
            guard lstat(full, &st) == 0 else { throw POSIXError(.ENOENT) }
            let mode = String(st.st_mode & 0o7777, radix: 8)
            let mtime = st.st_mtim.tv_sec
            switch st.st_mode & S_IFMT {
            case S_IFDIR:
                if !rel.isEmpty { out[rel] = "dir \(mode) \(mtime)" }
                for name in try FileManager.default.contentsOfDirectory(atPath: full) {
                    try walk(rel.isEmpty ? name : rel + "/" + name)
                }
            case S_IFLNK:
                out[rel] = "link -> " + (try FileManager.default.destinationOfSymbolicLink(atPath: full)) + " \(mtime)"
            default:
                let data = try Data(contentsOf: URL(fileURLWithPath: full))
                out[rel] = "file \(mode) \(mtime) \(data.count) \(SHA256.hash(Array(data)).short)"
            }
        }
        try walk("")
        return TreeFingerprint(entries: out)
    }
}

/// The package root (two levels above this file's folder).
let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// The shared fixtures folder next to the project (absent in a user's clone).
let sharedFixtures = packageRoot + "/../shared/fixtures"

/// The result of running the CLI.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs the built `triplicate` binary with `arguments` and extra environment.
func runCLI(_ arguments: [String], env: [String: String] = [:], password: String? = TestKeys.password) throws -> CLIResult {
    let binary = packageRoot + "/.build/debug/triplicate"
    guard FileManager.default.isExecutableFile(atPath: binary) else {
        throw CLIMissing(path: binary)
    }
    return try runProcess(binary, arguments, env: env, password: password)
}

struct CLIMissing: Error, CustomStringConvertible {
    var path: String
    var description: String { "the triplicate binary is not built at \(path); run `swift build` (make test does)" }
}

func runProcess(_ binary: String, _ arguments: [String], env: [String: String] = [:], password: String? = TestKeys.password) throws -> CLIResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: binary)
    p.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment.removeValue(forKey: "TRIPLICATE_PASSWORD")
    environment.removeValue(forKey: "TRIPLICATE_REPOSITORY")
    if let password { environment["TRIPLICATE_PASSWORD"] = password }
    for (k, v) in env { environment[k] = v }
    p.environment = environment
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return CLIResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
}

/// Names of the objects under `prefix` in a local repository.
func objects(_ repo: String, _ prefix: String) async throws -> [String] {
    try await LocalDirectory(path: repo).list(prefix: prefix).map(\.name).sorted()
}

/// Copies a tree preserving metadata (cp -a).
func copyTree(_ from: String, _ to: String) throws {
    let r = try runProcess("/bin/cp", ["-a", from, to], password: nil)
    guard r.status == 0 else { throw POSIXError(.EIO) }
}

/// Runs the built `triplicate` binary like ``runCLI(_:env:password:)`` with its address space limited to `mebibytes`
/// (`ulimit -v`): a command that tried to allocate more fails instead of succeeding. The debug build runs in 500 MiB.
func runCLI(_ arguments: [String], addressSpaceLimit mebibytes: Int, env: [String: String] = [:],
            password: String? = TestKeys.password) throws -> CLIResult {
    let binary = packageRoot + "/.build/debug/triplicate"
    guard FileManager.default.isExecutableFile(atPath: binary) else { throw CLIMissing(path: binary) }
    return try runProcess("/bin/sh", ["-c", "ulimit -v \(mebibytes * 1024) && exec \"$0\" \"$@\"", binary] + arguments, env: env, password: password)
}
