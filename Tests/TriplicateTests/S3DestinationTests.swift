// S3DestinationTests: the S3 destination (Backblaze B2's S3 API) against a real S3 server on loopback, moto_server
// from PyPI: the conformance checks and the error answers.
@_spi(Benchmarks) import TriplicateCore
import DestinationConformance
import Foundation
import Testing
@testable import Triplicate
#if canImport(Glibc)
import Glibc
#endif

/// An S3 server for the tests: the one `make test` started (TRIPLICATE_TEST_S3_ENDPOINT), or a moto_server
/// of this test's own on a free 127.0.0.1 port, stopped when released.
final class TestS3Server {
    let endpoint: String
    let port: UInt16
    private var pid: pid_t = 0

    /// The shared server when there is one (unless `own`), else a new moto_server with `environment` added to
    /// its own; throws when moto_server cannot be started (tests that need one are enabled only where
    /// ``TestEnvironment/hasS3Server``, or under CI, which installs it).
    init(own: Bool = false, environment: [String: String] = [:]) throws {
        if !own, let shared = ProcessInfo.processInfo.environment["TRIPLICATE_TEST_S3_ENDPOINT"], !shared.isEmpty {
            endpoint = shared
            port = shared.split(separator: ":").last.flatMap { UInt16($0) } ?? 0
            return
        }
        port = Self.freePort()
        endpoint = "http://127.0.0.1:\(port)"
        guard let p = BackgroundProcess.start(["moto_server", "-H", "127.0.0.1", "-p", String(port)], environment: environment,
                                              log: FileManager.default.temporaryDirectory.path + "/moto-\(port).log") else {
            throw FATError(message: "moto_server could not be started (make test installs moto[server] from PyPI)")
        }
        pid = p
        for _ in 0..<200 {
            if Self.answers(port: port) { return }
            usleep(50_000)
        }
        kill(pid, SIGKILL)
        throw FATError(message: "moto_server did not answer on port \(port)")
    }

    // SIGKILL: a process started from a test thread inherits that thread's blocked signals, SIGTERM among
    // them, so SIGTERM would leave the server running. It keeps nothing worth a clean stop.
    deinit { if pid > 0 { kill(pid, SIGKILL) } }

    static func freePort() -> UInt16 {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(s) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &len) } }
        return UInt16(bigEndian: addr.sin_port)
    }

    static func answers(port: UInt16) -> Bool {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(s) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = port.bigEndian
        return withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
        } }
    }

    /// A destination in a new bucket of this server.
    func destination(_ bucket: String = "photos-" + UUID().uuidString.lowercased().prefix(8), prefix: String = "triplicate",
                     keyID: String = "testing", key: String = "testing") async throws -> S3Destination {
        let d = S3Destination(endpoint: endpoint, bucket: bucket, prefix: prefix, accessKeyID: keyID, secretKey: key, region: "us-east-1")
        try await d.createBucketIfNeeded()
        return d
    }
}

/// Background processes for the tests (servers, proxies), started by Python's subprocess with no inherited
/// descriptor (one holding another test's pipe open would hang that test) in a session of their own.
enum BackgroundProcess {
    /// Starts `argv` (looked up in PATH) with `environment` added, its output in `log`; returns its process ID.
    static func start(_ argv: [String], environment: [String: String] = [:], log: String) -> pid_t? {
        let pidFile = log + ".pid"
        let script = "import json, os, subprocess, sys; "
            + "p = subprocess.Popen(sys.argv[3:], env=dict(os.environ, **json.loads(sys.argv[2])), stdin=subprocess.DEVNULL, "
            + "stdout=open(sys.argv[1] + '.log', 'w'), stderr=subprocess.STDOUT, close_fds=True, start_new_session=True); "
            + "open(sys.argv[1], 'w').write(str(p.pid))"
        let env = (try? JSONSerialization.data(withJSONObject: environment)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        guard FATDrive.run(["/usr/bin/env", "python3", "-c", script, pidFile, env] + argv, log: log) == 0,
              let text = try? String(contentsOfFile: pidFile, encoding: .utf8), let pid = pid_t(text) else { return nil }
        return pid
    }
}

@Suite(.serialized, .needsS3Server, .tags(.slow)) struct S3DestinationTests {
    @Test(arguments: ConformanceCheck.all) func anS3BucketConforms(_ check: ConformanceCheck) async throws {
        let server = try TestS3Server()
        let d = try await server.destination()
        try await check.run(on: d)
    }

    @Test func aMissingBucketIsUnavailableAndNotFoundIsOnlyForObjects() async throws {
        let server = try TestS3Server()
        let d = S3Destination(endpoint: server.endpoint, bucket: "no-such-bucket", prefix: "x", accessKeyID: "testing", secretKey: "testing", region: "us-east-1")
        do {
            _ = try await d.get("config")
            Issue.record("a missing bucket answered")
        } catch {
            #expect(error.kind == .unavailable, "\(error)")
        }
    }
}

@Suite(.serialized, .needsS3Server, .tags(.slow)) struct B2CommandLineTests {
    @Test func initBackupRestoreAndCheckOnB2CreateTheBucket() async throws {
        let server = try TestS3Server()
        let t = TempDir("b2-cli")
        let src = t.sub("Photos")
        try writeFile(src + "/2026/DSC_0001.NEF", pseudoRandomBytes(3 << 20, seed: 61))
        try writeFile(src + "/2026/DSC_0001.xmp", pseudoRandomBytes(2000, seed: 62))
        let bucket = "jose-photos-" + String(UUID().uuidString.lowercased().prefix(8))
        let env = ["B2_ENDPOINT": server.endpoint, "B2_APPLICATION_KEY_ID": "testing", "B2_APPLICATION_KEY": "testing"]
        let location = "b2:\(bucket)/triplicate"
        let created = try runCLI(["init", "--repo", location], env: env)
        #expect(created.status == 0, "\(created.stderr)")
        #expect(try runCLI(["backup", src, "--repo", location], env: env).status == 0)
        let out = t.sub("out")
        #expect(try runCLI(["restore", "latest", "--target", out, "--repo", location], env: env).status == 0)
        #expect(try TreeFingerprint.of(out + "/Photos") == TreeFingerprint.of(src))
        let check = try runCLI(["check", "--read-data", "--repo", location], env: env)
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        let missing = try runCLI(["snapshots", "--repo", location], env: ["B2_ENDPOINT": server.endpoint])
        #expect(missing.status == 1 && missing.stderr.contains("B2_APPLICATION_KEY_ID"), "\(missing.stderr)")
    }

    /// A nightly job's environment has no B2 variables: the plan names where the key is and which endpoint to use.
    @Test func aPlanGivesTheBucketsKeyAndEndpointWithoutTheEnvironment() async throws {
        let server = try TestS3Server()
        let t = TempDir("b2-plan-keys")
        try writeFile(t.sub("password"), Array("plan password\n".utf8))
        try writeFile(t.sub("b2-key-id"), Array("testing\n".utf8))
        try makeSampleTree(t.sub("Pictures"))
        let bucket = "plan-keys-" + String(UUID().uuidString.lowercased().prefix(8))
        let b2 = """

            [[destination]]
            name = "b2"
            repo = "b2:\(bucket)/triplicate"
            media = "cloud"
            site = "offsite"
            key-id-file = "b2-key-id"
            key-command = "echo testing"
            endpoint = "\(server.endpoint)"
            """
        try folderPlan(t, copies: ["nas"], extra: b2).write(toFile: t.sub("plan.toml"), atomically: true, encoding: .utf8)
        let env = ["XDG_STATE_HOME": t.sub("state")]
        func run(_ args: [String]) throws -> CLIResult { try runCLI(args + ["--plan", t.sub("plan.toml")], env: env, password: nil) }
        let made = try run(["init"])
        #expect(made.status == 0, "\(made.stdout)\(made.stderr)")
        let backup = try run(["backup"])
        #expect(backup.status == 0 && squeezed(backup.stdout).contains("b2: holds the new snapshot"), "\(backup.stdout)\(backup.stderr)")
        let out = t.sub("out")
        #expect(try run(["restore", "latest", "--target", out, "--from", "b2"]).status == 0)
        #expect(try TreeFingerprint.of(out + "/Pictures") == TreeFingerprint.of(t.sub("Pictures")))
    }
}

/// Caps on bandwidth: every byte of an upload (from memory, streamed from a file, in parts) and of a download passes
/// through its cap. How fast the bytes then go is measured by `make compare-cloud`, not here.
@Suite(.serialized, .needsS3Server, .tags(.slow)) struct BandwidthLimitWiringTests {
    @Test func everyUploadedAndDownloadedByteGoesThroughItsCap() async throws {
        let server = try TestS3Server()
        var d = try await server.destination()
        let upload = BandwidthLimit(bytesPerSecond: 1 << 30), download = BandwidthLimit(bytesPerSecond: 1 << 30)
        d.limits = TransferLimits(upload: upload, download: download)
        d.multipartThreshold = 6 << 20
        d.partSize = 5 << 20
        let t = TempDir("caps")
        try writeFile(t.sub("small"), pseudoRandomBytes(3 << 20, seed: 71))
        try writeFile(t.sub("large"), pseudoRandomBytes(11 << 20, seed: 72))
        try await d.put("data/small", file: t.sub("small"))
        try await d.put("data/large", file: t.sub("large"))
        try await d.put("config", data: [UInt8](repeating: 1, count: 1000))
        #expect(upload.bytesGranted >= (3 << 20) + (11 << 20) + 1000)
        #expect(download.bytesGranted < 10_000, "only the servers' short answers to the uploads")
        let whole = try await d.get("data/large")
        #expect(whole == pseudoRandomBytes(11 << 20, seed: 72))
        let part = try await d.get("data/small", range: 1000..<501_000)
        #expect(part == Array(pseudoRandomBytes(3 << 20, seed: 71)[1000..<501_000]))
        #expect(download.bytesGranted >= (11 << 20) + 500_000)
    }

    @Test func thePlanAndTheCommandLineSetCapsOnObjectStoresOnly() async throws {
        let t = TempDir("caps-plan")
        let env = ["XDG_STATE_HOME": t.sub("state")]
        try writeFile(t.sub("password"), Array("caps password\n".utf8))
        let wrong = folderPlan(t, copies: ["nas"], extra: "limit-upload = 512")
        try wrong.write(toFile: t.sub("wrong.toml"), atomically: true, encoding: .utf8)
        let refused = try runCLI(["init", "--plan", t.sub("wrong.toml")], env: env, password: nil)
        #expect(refused.status != 0 && refused.stderr.contains("limit-upload needs a b2: or s3: destination"), "\(refused.stderr)")
        let plan = try Plan.parse("""
            [[source]]
            path = "\(t.sub("Pictures"))"
            [[destination]]
            name = "nas"
            repo = "\(t.sub("nas"))"
            media = "nas"
            site = "onsite"
            [[destination]]
            name = "b2"
            repo = "b2:caps/triplicate"
            media = "cloud"
            site = "offsite"
            limit-upload = 2048
            limit-download = 10240
            """, file: t.sub("plan.toml"))
        let b2 = try #require(plan.destinations.first { $0.name == "b2" })
        #expect(b2.limitUpload == 2048 && b2.limitDownload == 10240)
        let context = try b2.context(environment: ["B2_APPLICATION_KEY_ID": "k", "B2_APPLICATION_KEY": "s"])
        #expect(context.limits.upload?.bytesPerSecond == 2 << 20 && context.limits.download?.bytesPerSecond == 10 << 20)
        let zero = try runCLI(["snapshots", "--repo", t.sub("nas"), "--limit-upload", "0"], env: env)
        #expect(zero.status != 0 && zero.stderr.contains("--limit-upload takes a whole number of KiB/s"), "\(zero.stderr)")
        let folder = try runCLI(["snapshots", "--repo", t.sub("nas"), "--limit-download", "100"], env: env)
        #expect(folder.status != 0 && folder.stderr.contains("apply to a b2: or s3: repository"), "\(folder.stderr)")
    }
}
