// S3FaultTests: the S3 destination when things go wrong: a server that answers 503, resets connections, stalls or
// cuts answers short (a fault-injecting proxy in front of moto_server), a server that stays down, and credentials
// the server refuses (moto_server checking signatures against an IAM user).
@_spi(Benchmarks) import TriplicateCore
import DestinationConformance
import Foundation
import NIOCore
import Testing
@testable import Triplicate
@testable import TriplicateDestinations
import TriplicateSystem
#if canImport(Glibc)
import Glibc
#endif

/// scripts/s3-fault-proxy.py in front of an S3 server, told what to do through its control file.
final class FaultProxy {
    let endpoint: String
    private let control: String
    private let log: String
    private var pid: pid_t = 0

    init(upstream: TestS3Server, dir: String) throws {
        control = dir + "/proxy-control"
        log = dir + "/proxy-requests"
        let portFile = dir + "/proxy-port"
        try "healthy\n".write(toFile: control, atomically: true, encoding: .utf8)
        guard let p = BackgroundProcess.start([packageRoot + "/scripts/s3-fault-proxy.py", String(upstream.port), control, log, portFile],
                                              log: dir + "/proxy-output") else {
            throw FATError(message: "the fault proxy could not be started")
        }
        pid = p
        for _ in 0..<200 {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let port = UInt16(text) {
                endpoint = "http://127.0.0.1:\(port)"
                return
            }
            usleep(25_000)
        }
        kill(pid, SIGKILL)
        throw FATError(message: "the fault proxy did not start: \((try? String(contentsOfFile: dir + "/proxy-output.log", encoding: .utf8)) ?? "")")
    }

    deinit { if pid > 0 { kill(pid, SIGKILL) } }

    /// Sets what the proxy does from the next request on (see the script's usage).
    func set(_ mode: String) throws { try (mode + "\n").write(toFile: control, atomically: true, encoding: .utf8) }

    /// Every request so far, one `METHOD TARGET FAULT` line each.
    func requests() -> [String] {
        ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// A destination in `bucket` reached through the proxy, with retries, timeouts and part sizes small enough
    /// for a test.
    func destination(_ bucket: String) -> S3Destination {
        var d = S3Destination(endpoint: endpoint, bucket: bucket, prefix: "triplicate", accessKeyID: "testing", secretKey: "testing",
                              region: "us-east-1")
        d.maxAttempts = 8
        d.initialBackoff = .milliseconds(5)
        d.idleTimeout = .seconds(1)
        d.multipartThreshold = 5 << 20
        d.partSize = 5 << 20
        return d
    }
}

/// The blob IDs of every index file of `repo`, with repetitions, and the packs the index files name.
private func indexedBlobs(_ repo: Repository) async throws -> (blobs: [ObjectID], packs: Set<String>) {
    var blobs: [ObjectID] = []
    var packs: Set<String> = []
    for info in try await repo.destination.list(prefix: Layout.index) {
        guard let id = ObjectID(hex: String(info.name.split(separator: "/").last ?? "")) else { continue }
        for pack in try await repo.loadIndexFile(id, size: info.size).packs {
            packs.insert(Layout.pack(pack.id))
            blobs += pack.entries.map(\.id)
        }
    }
    return (blobs, packs)
}

private func photoSource(_ t: TempDir, seed: UInt64) throws -> String {
    let src = t.sub("Photos")
    for i in 0..<3 { try writeFile(src + "/2026-11/DSC_\(i).NEF", pseudoRandomBytes(6 << 20 + i * 1000, seed: seed + UInt64(i))) }
    for i in 0..<20 { try writeFile(src + "/2026-11/DSC_\(i).xmp", pseudoRandomBytes(3000 + i, seed: seed + 100 + UInt64(i))) }
    return src
}

@Suite(.serialized, .needsS3Server, .tags(.slow)) struct S3FaultTests {
    @Test func aBackupThroughAServerThatFailsNowAndThenCompletesWithNothingLostOrDuplicated() async throws {
        let server = try TestS3Server()
        let t = TempDir("s3-faults")
        let proxy = try FaultProxy(upstream: server, dir: t.path)
        let bucket = "faults-" + String(UUID().uuidString.lowercased().prefix(8))
        let direct = try await server.destination(bucket)
        let src = try photoSource(t, seed: 700)

        // Every third request fails, in turn with a 503, a reset in the middle of the upload, a stall longer than
        // the idle timeout, and an answer cut in half.
        try proxy.set("faulty 3 503,reset,stall,truncate 3")
        let d = proxy.destination(bucket)
        let repo = try await Repository.initialize(on: d, password: TestKeys.password, options: TestKeys.cheap)
        let result = try await repo.backup(paths: [src], options: BackupOptions(packSize: 6 << 20))
        let out = t.sub("out")
        _ = try await repo.restore(result.snapshot, to: out)
        #expect(try TreeFingerprint.of(out + "/Photos") == TreeFingerprint.of(src))

        let requests = proxy.requests()
        for fault in ["503", "reset", "stall", "truncate"] {
            #expect(requests.contains { $0.hasSuffix(" " + fault) }, "no request met a \(fault)")
        }
        #expect(requests.contains { $0.contains("?uploads") }, "no pack went up as a multipart upload")

        // Read straight from the server: every byte verifies, every blob is in exactly one pack, every pack is
        // indexed and every indexed pack is there.
        try proxy.set("healthy")
        let stored = try await Repository.open(direct, password: TestKeys.password)
        let report = try await stored.check(readData: true)
        #expect(report.isHealthy, "\(report.errors)")
        let (blobs, indexed) = try await indexedBlobs(stored)
        #expect(blobs.count == Set(blobs).count, "\(blobs.count - Set(blobs).count) blobs are stored twice")
        let packs = Set(try await direct.list(prefix: Layout.data).map(\.name))
        #expect(packs == indexed, "packs in data/ and packs in the index differ")
        #expect(try await stored.snapshots().count == 1)
    }

    @Test func aServerThatStaysDownEndsInAClearErrorAndTheNextBackupCompletes() async throws {
        let server = try TestS3Server()
        let t = TempDir("s3-down")
        let proxy = try FaultProxy(upstream: server, dir: t.path)
        let bucket = "down-" + String(UUID().uuidString.lowercased().prefix(8))
        let src = try photoSource(t, seed: 800)
        let env = ["B2_ENDPOINT": proxy.endpoint, "B2_APPLICATION_KEY_ID": "testing", "B2_APPLICATION_KEY": "testing"]
        let location = "b2:\(bucket)/triplicate"
        #expect(try runCLI(["init", "--repo", location], env: env).status == 0)

        // The server goes away for good after a few requests of the backup (opening the repository and taking its lock take
        // some).
        try proxy.set("down-after 11")
        let before = proxy.requests().count
        let failed = try runCLI(["backup", src, "--repo", location, "--pack-size", "2"], env: env)
        #expect(failed.status == 14, "exit \(failed.status): \(failed.stderr)\n\(proxy.requests().dropFirst(before).joined(separator: "\n"))")
        #expect(failed.stderr.contains("cannot reach \(proxy.endpoint)") && failed.stderr.contains("run the command again"), "\(failed.stderr)")
        #expect(try runCLI(["snapshots", "--repo", location], env: env).status == 14)

        try proxy.set("healthy")
        let check = try runCLI(["check", "--repo", location], env: env)
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        let again = try runCLI(["backup", src, "--repo", location, "--pack-size", "2", "--json"], env: env)
        #expect(again.status == 0, "\(again.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any]
        #expect((json?["adoptedPacks"] as? Int ?? 0) >= 1, "the packs stored before the server went down were not reused")
        let out = t.sub("out")
        #expect(try runCLI(["restore", "latest", "--target", out, "--repo", location], env: env).status == 0)
        #expect(try TreeFingerprint.of(out + "/Photos") == TreeFingerprint.of(src))
        let verified = try runCLI(["check", "--read-data", "--repo", location], env: env)
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
    }

    /// A B2 that accepts connections and never answers (a hung server, a captive portal) is left out of a plan's backup
    /// after the probe's deadline: the folder copies get their snapshot at once instead of after minutes of retries.
    @Test func aPlanLeavesOutACloudCopyThatDoesNotAnswerAndBacksUpTheOthers() async throws {
        let server = try TestS3Server()
        let t = TempDir("s3-silent")
        let proxy = try FaultProxy(upstream: server, dir: t.path)
        let bucket = "silent-" + String(UUID().uuidString.lowercased().prefix(8))
        try writeFile(t.sub("password"), Array("silent password\n".utf8))
        try writeFile(t.sub("Pictures/DSC_1.NEF"), pseudoRandomBytes(300_000, seed: 8801))
        let plan = folderPlan(t, copies: ["nas"]) + """

            [[destination]]
            name = "b2"
            repo = "b2:\(bucket)/triplicate"
            media = "cloud"
            site = "offsite"
            """
        try plan.write(toFile: t.sub("plan.toml"), atomically: true, encoding: .utf8)
        let env = ["B2_ENDPOINT": proxy.endpoint, "B2_APPLICATION_KEY_ID": "testing", "B2_APPLICATION_KEY": "testing",
                   "XDG_STATE_HOME": t.sub("state")]
        func run(_ args: [String]) throws -> CLIResult { try runCLI(args + ["--plan", t.sub("plan.toml")], env: env, password: nil) }
        #expect(try run(["init"]).status == 0)
        try proxy.set("silent")
        settleTimestamps()
        let backup = try run(["backup"])
        #expect(backup.status == 4, "exit \(backup.status): \(backup.stdout)\(backup.stderr)")
        #expect((backup.stdout + backup.stderr).contains("did not answer within 15 seconds"), "\(backup.stdout)\(backup.stderr)")
        #expect(squeezed(backup.stdout).contains("nas: holds the new snapshot"), "\(backup.stdout)")
        try proxy.set("healthy")
        let caughtUp = try run(["sync"])
        #expect(caughtUp.status == 0, "\(caughtUp.stdout)\(caughtUp.stderr)")
    }

    @Test func aServerThatGoesDownMidPruneLeavesEverySnapshotRestorableAndTheNextPruneFinishes() async throws {
        let server = try TestS3Server()
        let t = TempDir("s3-prune")
        let proxy = try FaultProxy(upstream: server, dir: t.path)
        let bucket = "prune-" + String(UUID().uuidString.lowercased().prefix(8))
        let src = t.sub("Photos")
        let env = ["B2_ENDPOINT": proxy.endpoint, "B2_APPLICATION_KEY_ID": "testing", "B2_APPLICATION_KEY": "testing"]
        let location = "b2:\(bucket)/triplicate"
        #expect(try runCLI(["init", "--repo", location], env: env).status == 0)
        for round in 0..<4 {
            for i in 0..<3 { try writeFile(src + "/DSC_\(round)_\(i).NEF", pseudoRandomBytes(300_000, seed: UInt64(4400 + round * 10 + i))) }
            if round > 0 { try FileManager.default.removeItem(atPath: src + "/DSC_\(round - 1)_1.NEF") }
            #expect(try runCLI(["backup", src, "--repo", location, "--pack-size", "1"], env: env).status == 0)
        }
        #expect(try runCLI(["forget", "--repo", location, "--keep-last", "1"], env: env).status == 0)

        // The server goes away part way through each prune: each stops with "cannot reach" (exit 14), and leaves a
        // repository that checks and restores; the next prune, with the server back, finishes the job.
        for requests in [12, 18, 24] {
            try proxy.set("down-after \(requests)")
            let failed = try runCLI(["prune", "--repo", location, "--max-unused", "0%"], env: env)
            #expect(failed.status == 14, "down after \(requests): exit \(failed.status) \(failed.stdout)\(failed.stderr)")
            try proxy.set("healthy")
            let check = try runCLI(["check", "--read-data", "--repo", location], env: env)
            #expect(check.status == 0, "down after \(requests): \(check.stdout)\(check.stderr)")
            let out = t.sub("out-\(requests)")
            #expect(try runCLI(["restore", "latest", "--target", out, "--repo", location], env: env).status == 0)
            #expect(try TreeFingerprint.of(out + "/Photos") == TreeFingerprint.of(src), "down after \(requests)")
        }
        let done = try runCLI(["prune", "--repo", location, "--max-unused", "0%", "--json"], env: env)
        #expect(done.status == 0, "\(done.stderr)")
        let idle = try runCLI(["prune", "--repo", location, "--max-unused", "0%", "--json"], env: env)
        let json = try JSONSerialization.jsonObject(with: Data(idle.stdout.utf8)) as? [String: Any]
        #expect((json?["packsRemoved"] as? [Any])?.isEmpty == true && (json?["indexFilesWritten"] as? [Any])?.isEmpty == true, "\(idle.stdout)")
        #expect(try runCLI(["check", "--repo", location], env: env).stdout.contains("no errors found"))
    }
}

/// A moto_server of its own that checks every signature against the IAM users it knows, and one such user.
final class AuthenticatingS3Server {
    let server: TestS3Server
    let keyID: String
    let secret: String

    /// With `appendOnly`, the user may not delete objects.
    init(appendOnly: Bool = false) throws {
        let server = try TestS3Server(own: true, environment: ["INITIAL_NO_AUTH_ACTION_COUNT": "3"])
        self.server = server
        let made = try runProcess("/usr/bin/env", ["python3", packageRoot + "/scripts/moto-iam-user.py", server.endpoint] + (appendOnly ? ["append-only"] : []),
                                  password: nil)
        let words = made.stdout.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard made.status == 0, words.count == 2 else { throw FATError(message: "creating the IAM user failed: \(made.stderr)") }
        keyID = words[0]
        secret = words[1]
    }
}

@Suite(.serialized, .needsS3Server, .tags(.slow)) struct S3CredentialTests {
    @Test func aServerThatChecksSignaturesAcceptsOursAndRefusesWrongKeys() async throws {
        let auth = try AuthenticatingS3Server()
        let bucket = "signed-" + String(UUID().uuidString.lowercased().prefix(8))
        // The right key: moto recomputes the signature of every request: single puts, multipart uploads, whole and
        // ranged gets, heads and deletes. (Its check mishandles a `/` inside a query value, where boto3 fails
        // too, so listings are covered by the known-answer tests against botocore instead.)
        var good = try await auth.server.destination(bucket, keyID: auth.keyID, key: auth.secret)
        good.multipartThreshold = 5 << 20
        good.partSize = 5 << 20
        let small = pseudoRandomBytes(1000, seed: 902), large = pseudoRandomBytes(12 << 20, seed: 903)
        let t = TempDir("s3-signed")
        try writeFile(t.sub("large"), large)
        try await good.put("config", data: small)
        try await good.put("data/00/large", file: t.sub("large"))
        #expect(try await good.get("config") == small)
        #expect(try await good.get("data/00/large", range: 5 << 20 ..< (5 << 20) + 4096) == Array(large[(5 << 20) ..< (5 << 20) + 4096]))
        #expect(try await good.stat("data/00/large").size == Int64(large.count))
        #expect(try await good.get("data/00/large") == large)
        try await good.delete("config")
        do {
            _ = try await good.get("config")
            Issue.record("a deleted object was read")
        } catch {
            #expect(error.kind == .notFound, "\(error)")
        }

        // A wrong secret and an unknown key ID are refused at once, as credentials, not retried as outages.
        let base = ["B2_ENDPOINT": auth.server.endpoint]
        for (id, key) in [(auth.keyID, "not-the-secret"), ("AKIANOSUCHKEY0000000", auth.secret)] {
            let d = S3Destination(endpoint: auth.server.endpoint, bucket: bucket, prefix: "p", accessKeyID: id, secretKey: key, region: "us-east-1")
            do {
                try await d.put("config", data: [1, 2, 3])
                Issue.record("a wrong key was accepted")
            } catch {
                #expect(error.kind == .denied, "\(error)")
            }
            let env = base.merging(["B2_APPLICATION_KEY_ID": id, "B2_APPLICATION_KEY": key]) { $1 }
            let refused = try runCLI(["init", "--repo", "b2:\(bucket)/photos"], env: env)
            #expect(refused.status == 1, "\(refused.stderr)")
            #expect(refused.stderr.contains("refused the credentials") && refused.stderr.contains("B2_APPLICATION_KEY"), "\(refused.stderr)")
        }

    }
}

@Suite struct S3RetryPolicyTests {
    @Test func onlyFailuresThatCanPassAreRetried() {
        func kind(_ error: any Error) -> DestinationError.Kind {
            S3Destination.classify(error, method: .GET, object: "data/00/x", endpoint: "http://127.0.0.1:9").kind
        }
        // An answer larger than it may be will be as large next time: permanent, and it says so.
        #expect(kind(NIOTooManyBytesError(maxBytes: 4096)) == .permanent)
        #expect(S3Destination.classify(NIOTooManyBytesError(maxBytes: 4096), method: .GET, object: nil, endpoint: "e").message.contains("4096 bytes"))
        // A cancelled request says nothing about the object: not retried, and never taken for damage.
        #expect(kind(CancellationError()) == .cancelled)
        #expect(!S3Destination.classify(CancellationError(), method: .GET, object: nil, endpoint: "e").isRetryable)
        #expect(kind(FileSystemError("open", "/tmp/pack.tmp-1", code: ENOENT)) == .permanent)
        // A broken connection is worth another try.
        #expect(kind(ChannelError.ioOnClosedChannel) == .transient)
    }

    @Test func anEndpointThatIsNotAURLFailsAtOnce() async {
        var d = S3Destination(endpoint: "ftp://127.0.0.1:9", bucket: "b", prefix: "p", accessKeyID: "k", secretKey: "s", region: "us-east-1")
        d.initialBackoff = .seconds(30)  // a retry would make this test take minutes
        do {
            _ = try await d.get("config")
            Issue.record("an ftp endpoint answered")
        } catch {
            #expect(error.kind == .permanent && error.message.contains("https://HOST"), "\(error)")
        }
    }

    @Test func partSizesStayWithinS3Limits() {
        var d = S3Destination(endpoint: "http://127.0.0.1:9", bucket: "b", prefix: "", accessKeyID: "k", secretKey: "s", region: "us-east-1")
        d.partSize = 1 << 20
        #expect(d.effectivePartSize(for: 100 << 20) == S3Destination.minimumPartSize)
        d.partSize = 8 << 20
        #expect(d.effectivePartSize(for: 100 << 20) == 8 << 20)
        let huge: Int64 = 200 << 30
        #expect(d.effectivePartSize(for: huge) * 10_000 >= huge)
    }
}
