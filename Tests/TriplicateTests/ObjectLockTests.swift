// ObjectLockTests: a bucket with object lock keeps every object through forget and prune; prune deletes only what
// retention no longer protects; deletes leave no hidden versions; an append-only key backs up and prune says it cannot
// delete.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Synchronization
import Testing
@testable import Triplicate
@testable import TriplicateDestinations

@Suite struct RetentionTests {
    @Test func pruneDeletesOnlyWhatRetentionNoLongerProtectsAndFinishesOnceItEnds() async throws {
        let t = TempDir("retention")
        let path = t.sub("repo")
        let expected = try await PruneTests.forgottenHistory(t, repo: path)
        let folder = HookedFolder(LocalDirectory(path: path))
        // Everything written so far is protected, as in a bucket whose files are kept 30 days.
        folder.protect(try await objects(path, ""))
        let repo = try await Repository.open(folder, password: TestKeys.password)
        let before = try await objects(path, "")
        let report = try await repo.prune(options: PruneOptions(maxUnused: .percent(0)))
        #expect(report.packsRemoved.isEmpty && report.packsRepacked.isEmpty && report.packsLocked > 0 && report.lockedUntil != nil)
        #expect(report.notes.contains { $0.contains("kept by object lock") })
        #expect(Set(before).isSubset(of: Set(try await objects(path, ""))), "a protected file was deleted")
        #expect(try await repo.check(readData: true).isHealthy)
        try await expectEverySnapshotRestores(repo, expected, in: t, "under retention")

        // Only the index files protected: no pack they name is deleted, or they would name packs that are gone.
        folder.release()
        folder.protect(try await objects(path, "index/"))
        let partly = try await repo.prune(options: PruneOptions(maxUnused: .percent(0)))
        #expect(partly.packsRemoved.isEmpty && partly.packsLocked > 0)
        let check = try await repo.check()
        #expect(check.isHealthy && check.errors.isEmpty, "\(check.errors)")

        // Once the protection ends, the next prune deletes what no snapshot needs.
        folder.release()
        let done = try await repo.prune(options: PruneOptions(maxUnused: .percent(0)))
        #expect(!done.packsRemoved.isEmpty && done.packsLocked == 0)
        #expect(try await repo.check(readData: true).isHealthy)
        try await expectEverySnapshotRestores(repo, expected, in: t, "after the protection ended")
    }

    @Test func forgetLeavesProtectedSnapshotsAndSaysUntilWhen() async throws {
        let t = TempDir("retention-forget")
        let path = t.sub("repo")
        _ = try await PruneTests.forgottenHistory(t, repo: path)
        let folder = HookedFolder(LocalDirectory(path: path))
        folder.protect(try await objects(path, "snapshots/"))
        let repo = try await Repository.open(folder, password: TestKeys.password)
        let report = try await repo.forget(policy: RetentionPolicy(keepLast: 1))
        #expect(report.forgottenCount == 1 && report.locked.count == 1)
        #expect(try await repo.snapshots().count == 2, "the protected snapshot stays")
    }
}

@Suite(.serialized, .needsS3Server, .tags(.slow)) struct ObjectLockTests {
    @Test func aLockedBucketKeepsEveryObjectThroughForgetAndPrune() async throws {
        let server = try TestS3Server()
        let t = TempDir("object-lock")
        let bucket = "locked-" + String(UUID().uuidString.lowercased().prefix(8))
        let env = ["B2_ENDPOINT": server.endpoint, "B2_APPLICATION_KEY_ID": "testing", "B2_APPLICATION_KEY": "testing"]
        let location = "b2:\(bucket)/triplicate"
        let made = try runCLI(["init", "--repo", location, "--object-lock-days", "1"], env: env)
        #expect(made.status == 0 && made.stdout.contains("kept 1 days"), "\(made.stdout)\(made.stderr)")
        let src = t.sub("Photos")
        for round in 0..<3 {
            try writeFile(src + "/DSC_\(round).NEF", pseudoRandomBytes(400_000, seed: UInt64(5100 + round)))
            if round > 0 { try FileManager.default.removeItem(atPath: src + "/DSC_\(round - 1).NEF") }
            #expect(try runCLI(["backup", src, "--repo", location, "--pack-size", "1"], env: env).status == 0)
        }
        let d = S3Destination(endpoint: server.endpoint, bucket: bucket, prefix: "triplicate", accessKeyID: "testing", secretKey: "testing", region: "us-east-1")
        #expect(try await d.retention() == Retention(days: 1))
        let before = Set(try await d.list(prefix: "").map(\.name).filter { !$0.hasPrefix("locks/") })

        // Deleting a locked object fails, and leaves it in place (no delete marker hides it).
        let pack = try #require(before.first { $0.hasPrefix("data/") })
        await #expect { try await d.delete(pack) } throws: { e in (e as? DestinationError)?.kind == .denied }
        #expect(try await d.stat(pack).size > 0)

        // forget --prune removes nothing and says until when.
        let pruned = try runCLI(["forget", "--repo", location, "--keep-last", "1", "--prune", "--max-unused", "0%"], env: env)
        #expect(pruned.status == 0, "\(pruned.stdout)\(pruned.stderr)")
        #expect(pruned.stderr.contains("stay under object lock until"), "\(pruned.stderr)")
        let after = Set(try await d.list(prefix: "").map(\.name))
        #expect(before.isSubset(of: after), "object lock let \(before.subtracting(after)) go")
        #expect(try await d.versionEntries(prefix: "triplicate/").allSatisfy { !$0.isDeleteMarker }, "a delete marker hides a locked object")
        let stats = try runCLI(["stats", "--repo", location], env: env)
        #expect(stats.stdout.contains("object lock:        every file is kept 1 days"), "\(stats.stdout)")
        #expect(try runCLI(["check", "--repo", location], env: env).status == 0)
    }

    @Test func deletesLeaveNoHiddenVersionsAndStatsCountsThoseLeftByOthers() async throws {
        let server = try TestS3Server()
        let t = TempDir("versions")
        let bucket = "versioned-" + String(UUID().uuidString.lowercased().prefix(8))
        let d = try await server.destination(bucket)
        // A bucket that keeps versions, as every B2 bucket does.
        let enabled = try runProcess("/usr/bin/env", ["python3", "-c", """
            import boto3, sys
            s3 = boto3.client("s3", endpoint_url=sys.argv[1], aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
            s3.put_bucket_versioning(Bucket=sys.argv[2], VersioningConfiguration={"Status": "Enabled"})
            """, server.endpoint, bucket], password: nil)
        #expect(enabled.status == 0, "\(enabled.stderr)")
        let repo = try await Repository.initialize(on: d, password: TestKeys.password, options: TestKeys.cheap)
        let src = t.sub("Photos")
        for round in 0..<3 {
            try writeFile(src + "/DSC_\(round).NEF", pseudoRandomBytes(300_000, seed: UInt64(5200 + round)))
            if round > 0 { try FileManager.default.removeItem(atPath: src + "/DSC_\(round - 1).NEF") }
            _ = try await repo.backup(paths: [src], options: BackupOptions(packSize: 1 << 18))
        }
        _ = try await repo.forget(policy: RetentionPolicy(keepLast: 1))
        let report = try await repo.prune(options: PruneOptions(maxUnused: .percent(0)))
        #expect(!report.packsRemoved.isEmpty)
        #expect(try await repo.stats().hiddenBytes == 0, "a deleted file is still stored as a hidden version")
        #expect(try await d.versionEntries(prefix: "triplicate/").allSatisfy { $0.isLatest && !$0.isDeleteMarker })

        // A file deleted by something else (a plain DELETE) stays as a hidden version: stats counts it.
        let hidden = try runProcess("/usr/bin/env", ["python3", "-c", """
            import boto3, sys
            s3 = boto3.client("s3", endpoint_url=sys.argv[1], aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
            s3.put_object(Bucket=sys.argv[2], Key="triplicate/stray", Body=b"x" * 1000)
            s3.delete_object(Bucket=sys.argv[2], Key="triplicate/stray")
            """, server.endpoint, bucket], password: nil)
        #expect(hidden.status == 0, "\(hidden.stderr)")
        #expect(try await repo.stats().hiddenBytes == 1000)
        try await expectEverySnapshotRestores(repo, [try await repo.snapshots()[0].id: try TreeFingerprint.of(src)], in: t, "versioned")
    }

    @Test func aPlanLocksItsBucketAndStatusSaysUntilWhen() async throws {
        let server = try TestS3Server()
        let t = TempDir("plan-lock")
        let bucket = "planlock-" + String(UUID().uuidString.lowercased().prefix(8))
        try writeFile(t.sub("password"), Array("lock password\n".utf8))
        try writeFile(t.sub("Pictures/DSC_1.NEF"), pseudoRandomBytes(200_000, seed: 5400))
        let env = ["B2_ENDPOINT": server.endpoint, "B2_APPLICATION_KEY_ID": "testing", "B2_APPLICATION_KEY": "testing",
                   "XDG_STATE_HOME": t.sub("state")]
        // lock-days on a folder is refused, naming the line.
        let wrong = folderPlan(t, copies: ["nas"], extra: "lock-days = 7")
        try wrong.write(toFile: t.sub("wrong.toml"), atomically: true, encoding: .utf8)
        let refused = try runCLI(["init", "--plan", t.sub("wrong.toml")], env: env, password: nil)
        #expect(refused.status != 0 && refused.stderr.contains("lock-days needs a b2: or s3: destination"), "\(refused.stderr)")

        let plan = folderPlan(t, copies: ["nas"]) + """

            [[destination]]
            name = "b2"
            repo = "b2:\(bucket)/triplicate"
            media = "cloud"
            site = "offsite"
            lock-days = 3
            """
        try plan.write(toFile: t.sub("plan.toml"), atomically: true, encoding: .utf8)
        func run(_ args: [String]) throws -> CLIResult { try runCLI(args + ["--plan", t.sub("plan.toml")], env: env, password: nil) }
        let made = try run(["init"])
        #expect(made.status == 0, "\(made.stdout)\(made.stderr)")
        settleTimestamps()
        #expect(try run(["backup"]).status == 0)
        let status = try run(["status", "--json"])
        let decoded = try JSONDecoder().decode(PlanStatus.self, from: Data(status.stdout.utf8))
        let b2 = try #require(decoded.destinations.first { $0.name == "b2" })
        #expect(b2.objectLockDays == 3 && b2.lockedUntil != nil, "\(status.stdout)")
        #expect(decoded.destinations.first { $0.name == "nas" }?.objectLockDays == nil)
        let text = try run(["status"])
        #expect(text.stdout.contains("object lock: every file is kept 3 days") && text.stdout.contains("locked until"), "\(text.stdout)")
    }

    @Test func anAppendOnlyKeyMayWriteAndReadButNotDelete() async throws {
        // moto checks the signature of every request against its IAM users; this one's policy denies deletes. (Its
        // check mishandles a `/` inside a query value, so listings, and with them whole commands, cannot run against
        // it: the commands are tried on a folder that refuses deletes below.)
        let auth = try AuthenticatingS3Server(appendOnly: true)
        let bucket = "appendonly-" + String(UUID().uuidString.lowercased().prefix(8))
        let d = try await auth.server.destination(bucket, keyID: auth.keyID, key: auth.secret)
        try await d.put("config", data: [1, 2, 3])
        #expect(try await d.get("config") == [1, 2, 3])
        await #expect { try await d.delete("config") } throws: { e in (e as? DestinationError)?.kind == .denied }
        #expect(try await d.get("config") == [1, 2, 3])
    }
}

@Suite struct AppendOnlyTests {
    @Test func backupsWorkAndPruneSaysClearlyItCannotDeleteChangingNothing() async throws {
        let t = TempDir("append-only")
        let path = t.sub("repo")
        let expected = try await PruneTests.forgottenHistory(t, repo: path)
        let repo = try await Repository.open(HookedFolder.appendOnly(LocalDirectory(path: path)), password: TestKeys.password)
        let src = t.sub("Photos")
        try writeFile(src + "/IMG_appended.NEF", pseudoRandomBytes(200_000, seed: 77))
        let result = try await repo.backup(paths: [src])
        var all = expected
        all[result.snapshot.id] = try TreeFingerprint.of(src)
        let before = try await objects(path, "").filter { !$0.hasPrefix("locks/") }
        await #expect { _ = try await repo.prune() } throws: { e in
            let e = e as? TriplicateError
            return e?.kind == .destination(.denied) && e?.message.contains("does not let this key delete") == true && e?.remedy == .credentials
        }
        #expect(try await objects(path, "").filter { !$0.hasPrefix("locks/") } == before, "prune changed something")
        // With a key that may delete, the lock files the append-only key could not remove are abandoned, and prune runs.
        let full = try await Repository.open(LocalDirectory(path: path), password: TestKeys.password)
        #expect(try await full.prune().changed)
        try await expectEverySnapshotRestores(full, all, in: t, "after the append-only backup and a prune")
    }
}
