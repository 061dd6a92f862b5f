// TestSupport: temporary folders, tree comparison, CLI runs and repository helpers for the engine tests.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Synchronization
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

/// The `triplicate` binary the tests run: `TRIPLICATE_TEST_CLI` when set, else the one built into the same build
/// folder as the test bundle (`swift build --build-tests` builds both), whatever that folder is.
let cliBinary: String = {
    if let path = ProcessInfo.processInfo.environment["TRIPLICATE_TEST_CLI"], !path.isEmpty { return path }
    let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    return (executable as NSString).deletingLastPathComponent + "/triplicate"
}()

/// A `triplicate` process running `arguments` with the test password and a minimal environment, not started yet
/// (for tests that signal or kill it).
func cliProcess(_ arguments: [String]) -> Process {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: cliBinary)
    p.arguments = arguments
    p.environment = ["TRIPLICATE_PASSWORD": TestKeys.password, "PATH": "/usr/bin:/bin"]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    return p
}

/// Runs the built `triplicate` binary with `arguments` and extra environment.
func runCLI(_ arguments: [String], env: [String: String] = [:], password: String? = TestKeys.password) throws -> CLIResult {
    guard FileManager.default.isExecutableFile(atPath: cliBinary) else { throw CLIMissing(path: cliBinary) }
    return try runProcess(cliBinary, arguments, env: env, password: password)
}

struct CLIMissing: Error, CustomStringConvertible {
    var path: String
    var description: String { "the triplicate binary is not built at \(path); run `swift build --build-tests` (make test does)" }
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
    guard FileManager.default.isExecutableFile(atPath: cliBinary) else { throw CLIMissing(path: cliBinary) }
    return try runProcess("/bin/sh", ["-c", "ulimit -v \(mebibytes * 1024) && exec \"$0\" \"$@\"", cliBinary] + arguments, env: env, password: password)
}


/// What this machine can do for the tests. A test that needs what is missing is skipped, visibly (Swift Testing's
/// `.enabled(if:)`), except under `CI=true`: CI installs every tool, so there a test runs and fails instead, and
/// `make test` also fails if anything was skipped.
enum TestEnvironment {
    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"

    /// True when `available`, and always under CI.
    static func runs(_ available: Bool) -> Bool { isCI || available }

    /// mkfs.vfat, fusefat and /dev/fuse: a FAT drive can be made and mounted (`make test` installs the tools).
    static let canMountFAT = ["/usr/sbin/mkfs.vfat", "/usr/bin/fusefat", "/usr/bin/fusermount"].allSatisfy {
        FileManager.default.isExecutableFile(atPath: $0)
    } && FileManager.default.fileExists(atPath: "/dev/fuse")

    /// An S3 server: the one `make test` started, or moto_server on the PATH to start one.
    static let hasS3Server: Bool = {
        if let shared = ProcessInfo.processInfo.environment["TRIPLICATE_TEST_S3_ENDPOINT"], !shared.isEmpty { return true }
        return (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: $0 + "/moto_server")
        }
    }()

    /// Root, to mount a tmpfs or to run a command as another user.
    static let isRoot = getuid() == 0

    /// setpriv, to run a command as an unprivileged user.
    static let hasSetpriv = FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")

    /// The project's shared fixtures next to the repository (`../shared/fixtures`).
    static let hasSharedFixtures = FileManager.default.fileExists(atPath: sharedFixtures + "/fastcdc/SekienAkashita.jpg")
}

extension Trait where Self == ConditionTrait {
    /// A FAT image mounted with fusefat stands in for a USB drive.
    static var needsFATDrive: Self {
        .enabled(if: TestEnvironment.runs(TestEnvironment.canMountFAT), "needs mkfs.vfat, fusefat and /dev/fuse (make test installs dosfstools and fusefat)")
    }
    /// moto_server stands in for Backblaze B2.
    static var needsS3Server: Self {
        .enabled(if: TestEnvironment.runs(TestEnvironment.hasS3Server), "needs moto_server (make test installs moto[server] and starts one)")
    }
    /// Mounting a file system, or running a command as another user.
    static var needsRoot: Self {
        .enabled(if: TestEnvironment.runs(TestEnvironment.isRoot && TestEnvironment.hasSetpriv), "needs root (and setpriv)")
    }
    /// The project's shared fixtures next to the repository.
    static var needsSharedFixtures: Self {
        .enabled(if: TestEnvironment.runs(TestEnvironment.hasSharedFixtures), "needs \(sharedFixtures)")
    }
}

/// The text of a plan whose password is in `password`, whose source is `Pictures` and whose copies are folders of `t`
/// named `copies` ("usb" on media usb, "offsite" on cloud off site, any other on a NAS), with `top` after the password
/// line and `extra` at the end.
func folderPlan(_ t: TempDir, copies: [String], top: String = "", extra: String = "") -> String {
    let destinations = copies.map { name in
        """

        [[destination]]
        name = "\(name)"
        repo = "\(t.sub(name))"
        media = "\(name == "usb" ? "usb" : name == "offsite" ? "cloud" : "nas")"
        site = "\(name == "offsite" ? "offsite" : "onsite")"
        """
    }
    return "password-file = \"password\"\n\(top)\n\n[[source]]\npath = \"Pictures\"\n" + destinations.joined(separator: "\n") + "\n\(extra)\n"
}

/// A folder destination with hooks for what a test plays out: writes that stop (a drive unplugged, a process killed),
/// slow puts (a backup caught in the act), deletes refused (an append-only key) or files protected (object lock).
final class HookedFolder: Destination, Sendable {
    let base: LocalDirectory
    /// Runs before each put (`isDelete` false) and delete (true); throwing stops the operation before it touches the folder.
    let beforeWrite: @Sendable (_ name: String, _ isDelete: Bool) async throws(DestinationError) -> Void
    private let protectedNames = Mutex<Set<String>>([])
    private let writeCount = Mutex(0)
    private let readLog = Mutex([String]())
    /// The retention the folder claims once ``protect(_:)`` was called: files it protects cannot be deleted.
    private let claimsRetention = Mutex(false)

    init(_ base: LocalDirectory, beforeWrite: @escaping @Sendable (_ name: String, _ isDelete: Bool) async throws(DestinationError) -> Void = { _, _ in }) {
        self.base = base
        self.beforeWrite = beforeWrite
    }

    /// Puts and deletes asked for so far.
    var writes: Int { writeCount.withLock { $0 } }
    /// The names of the objects read so far, once per get (whole or a range), in order.
    var reads: [String] { readLog.withLock { $0 } }
    /// Protects `names` as object lock would (until ``release()``).
    func protect(_ names: some Sequence<String>) {
        protectedNames.withLock { $0.formUnion(names) }
        claimsRetention.withLock { $0 = true }
    }
    func release() { protectedNames.withLock { $0.removeAll() } }

    private func write(_ name: String, delete: Bool) async throws(DestinationError) {
        writeCount.withLock { $0 += 1 }
        try await beforeWrite(name, delete)
        if delete, protectedNames.withLock({ $0.contains(name) }) {
            throw DestinationError(.denied, object: name, "object lock protects it (test)")
        }
    }

    var displayName: String { base.displayName }
    var stagingDirectory: String? { base.stagingDirectory }
    func put(_ name: String, data: [UInt8]) async throws(DestinationError) {
        try await write(name, delete: false)
        try await base.put(name, data: data)
    }
    func put(_ name: String, file path: String) async throws(DestinationError) {
        try await write(name, delete: false)
        try await base.put(name, file: path)
    }
    func get(_ name: String) async throws(DestinationError) -> [UInt8] {
        readLog.withLock { $0.append(name) }
        return try await base.get(name)
    }
    func get(_ name: String, range: Range<Int64>) async throws(DestinationError) -> [UInt8] {
        readLog.withLock { $0.append(name) }
        return try await base.get(name, range: range)
    }
    func get(_ name: String, range: Range<Int64>, into buffer: UnsafeMutableRawBufferPointer) async throws(DestinationError) {
        readLog.withLock { $0.append(name) }
        try await base.get(name, range: range, into: buffer)
    }
    func list(prefix: String) async throws(DestinationError) -> [ObjectInfo] { try await base.list(prefix: prefix) }
    func delete(_ name: String) async throws(DestinationError) {
        try await write(name, delete: true)
        try await base.delete(name)
    }
    func stat(_ name: String) async throws(DestinationError) -> ObjectInfo { try await base.stat(name) }
    func retention() async throws(DestinationError) -> Retention? { claimsRetention.withLock { $0 } ? Retention(days: 30) : nil }
    func retainedUntil(prefix: String) async throws(DestinationError) -> [String: Date] {
        let until = Date() + 86_400
        return Dictionary(uniqueKeysWithValues: protectedNames.withLock { $0 }.filter { $0.hasPrefix(prefix) }.map { ($0, until) })
    }

    /// A folder whose writes fail, as an unplugged drive's, after the first `limit`.
    static func stoppingAfter(_ limit: Int, _ base: LocalDirectory) -> HookedFolder {
        let count = Mutex(0)
        return HookedFolder(base) { name, _ throws(DestinationError) in
            let n = count.withLock { c -> Int in
                c += 1
                return c
            }
            if n > limit { throw DestinationError(.unavailable, object: name, "the drive was unplugged (test)") }
        }
    }

    /// A folder whose puts of packs each take `delay`.
    static func slowPuts(_ delay: Duration, _ base: LocalDirectory) -> HookedFolder {
        HookedFolder(base) { name, isDelete throws(DestinationError) in
            if !isDelete, name.hasPrefix("data/") { try? await Task.sleep(for: delay) }
        }
    }

    /// A folder whose key may write but not delete, as an append-only B2 application key.
    static func appendOnly(_ base: LocalDirectory) -> HookedFolder {
        HookedFolder(base) { name, isDelete throws(DestinationError) in
            if isDelete { throw DestinationError(.denied, object: name, "the server refused the credentials (HTTP 403 AccessDenied) (test)") }
        }
    }
}

/// `text` with every run of spaces made one: the CLI pads a column of names (`nas:   up to date`) to line up the facts after it.
func squeezed(_ text: String) -> String { text.replacingOccurrences(of: " +", with: " ", options: .regularExpression) }
