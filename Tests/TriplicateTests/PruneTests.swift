// PruneTests: prune frees what forgotten snapshots used, repacks, survives being stopped at every write, and keeps
// out of the way of backups through the repository's locks.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Synchronization
import Testing
@testable import Triplicate
@testable import TriplicateDestinations
#if canImport(Glibc)
import Glibc
#endif

/// Total bytes of the packs of the repository in `path`.
func packBytes(_ path: String) async throws -> Int64 {
    try await LocalDirectory(path: path).list(prefix: "data/").reduce(0) { $0 + $1.size }
}

/// Restores every snapshot of `repo` and compares each with the tree it was made from (`expected[snapshot ID]`).
func expectEverySnapshotRestores(_ repo: Repository, _ expected: [ObjectID: TreeFingerprint], in t: TempDir,
                                 _ context: String) async throws {
    for s in try await repo.snapshots() {
        let want = try #require(expected[s.id], "\(context): snapshot \(s.id.short) was not made by the test")
        let out = t.sub("restore-\(UUID().uuidString.prefix(6))")
        let result = try await repo.restore(s, to: out)
        #expect(result.errors.isEmpty, "\(context): \(result.errors)")
        #expect(try TreeFingerprint.of(out + "/Photos") == want, "\(context): snapshot \(s.id.short) differs")
        try FileManager.default.removeItem(atPath: out)
    }
}

@Suite struct PruneTests {
    /// A repository of four backups of a changing folder, the first two forgotten: prune has packs to delete and packs
    /// to repack. Returns the kept snapshots' fingerprints.
    static func forgottenHistory(_ t: TempDir, repo path: String) async throws -> [ObjectID: TreeFingerprint] {
        let src = t.sub("Photos")
        let repo = try await makeRepository(path)
        var expected: [ObjectID: TreeFingerprint] = [:]
        let options = BackupOptions(packSize: 1 << 20)
        for round in 0..<4 {
            for i in 0..<3 {
                try writeFile(src + "/IMG_\(round)_\(i).NEF", pseudoRandomBytes(400_000, seed: UInt64(9100 + round * 10 + i)))
            }
            if round >= 1 { try FileManager.default.removeItem(atPath: src + "/IMG_\(round - 1)_0.NEF") }
            try writeFile(src + "/catalog.lrcat", pseudoRandomBytes(150_000, seed: UInt64(9000 + round)))
            let result = try await repo.backup(paths: [src], options: options)
            expected[result.snapshot.id] = try TreeFingerprint.of(src)
        }
        let forgotten = try await repo.forget(policy: RetentionPolicy(keepLast: 2))
        #expect(forgotten.forgottenCount == 2)
        return expected
    }

    @Test func pruneAfterForgetFreesSpaceDownToAFreshRepositoryOfTheKeptSnapshots() async throws {
        let t = TempDir("prune-frees")
        let path = t.sub("repo")
        let expected = try await Self.forgottenHistory(t, repo: path)
        let repo = try await Repository.open(LocalDirectory(path: path), password: TestKeys.password)
        let before = try await packBytes(path)

        let dry = try await repo.prune(options: PruneOptions(dryRun: true))
        #expect(dry.dryRun && dry.changed && !dry.packsRemoved.isEmpty)
        #expect(try await packBytes(path) == before, "a dry run changes nothing")

        let report = try await repo.prune(options: PruneOptions(maxUnused: .percent(0)))
        #expect(!report.packsRemoved.isEmpty && !report.packsRepacked.isEmpty && !report.indexFilesWritten.isEmpty)
        #expect(report.snapshots == 2 && report.unusedAfter == 0)
        let after = try await packBytes(path)
        #expect(after == report.bytesAfter && before - after == report.bytesFreed)
        #expect(try await objects(path, "locks/").isEmpty, "the lock is released")

        // About what a fresh repository of the two kept snapshots takes: back up the same trees again into one.
        let fresh = t.sub("fresh")
        let freshRepo = try await makeRepository(fresh)
        for s in try await repo.snapshots() {
            let out = t.sub("tree-\(s.id.short)")
            _ = try await repo.restore(s, to: out)
            _ = try await freshRepo.backup(paths: [out + "/Photos"], options: BackupOptions(packSize: 1 << 20))
        }
        let freshBytes = try await packBytes(fresh)
        #expect(Double(after) <= Double(freshBytes) * 1.05, "pruned \(after) B, fresh \(freshBytes) B")

        let check = try await repo.check(readData: true)
        #expect(check.isHealthy && check.notes.isEmpty, "\(check.errors) \(check.notes)")
        try await expectEverySnapshotRestores(repo, expected, in: t, "after prune")
        let again = try await repo.prune(options: PruneOptions(maxUnused: .percent(0)))
        #expect(!again.changed, "a pruned repository has nothing more to prune: \(again)")
    }

    @Test func theUnusedLimitDecidesWhatIsRepacked() {
        #expect(PruneOptions(maxUnused: .percent(5)).limit(used: 95_000) == 5_000)
        #expect(PruneOptions(maxUnused: .percent(0)).limit(used: 95_000) == 0)
        #expect(PruneOptions(maxUnused: .percent(100)).limit(used: 1) == .max)
        #expect(PruneOptions(maxUnused: .bytes(123)).limit(used: 1 << 40) == 123)
        #expect(PruneOptions(maxUnused: .unlimited).limit(used: 0) == .max)
    }

    @Test func pruneStoppedAtEveryWriteLeavesARepositoryCheckAcceptsAndFinishesWhenRunAgain() async throws {
        let t = TempDir("prune-stop")
        let template = t.sub("template")
        let expected = try await Self.forgottenHistory(t, repo: template)
        // How many writes a whole prune makes.
        let probe = t.sub("probe")
        try copyTree(template, probe)
        let counting = HookedFolder(LocalDirectory(path: probe))
        _ = try await Repository.open(counting, password: TestKeys.password).prune(options: PruneOptions(maxUnused: .percent(0)))
        let total = counting.writes
        #expect(total > 8)
        // Every write but the last, which releases the lock (deleting the lock file fails quietly: it is abandoned).
        let points = total <= 40 ? Array(0..<(total - 1)) : Array(Set(stride(from: 0, to: total - 1, by: total / 30).map { $0 } + [total - 2])).sorted()
        for limit in points {
            let path = t.sub("repo-\(limit)")
            try copyTree(template, path)
            let stopping = HookedFolder.stoppingAfter(limit, LocalDirectory(path: path))
            await #expect(throws: TriplicateError.self, "stopped after \(limit) of \(total) writes") {
                _ = try await Repository.open(stopping, password: TestKeys.password).prune(options: PruneOptions(maxUnused: .percent(0)))
            }
            let repo = try await Repository.open(LocalDirectory(path: path), password: TestKeys.password)
            let check = try await repo.check(readData: true)
            #expect(check.isHealthy, "stopped after \(limit) writes: \(check.errors)")
            try await expectEverySnapshotRestores(repo, expected, in: t, "stopped after \(limit) writes")
            // Pruning again finishes the job (the lock the unplugged prune left is its own process's, abandoned).
            _ = try await repo.prune(options: PruneOptions(maxUnused: .percent(0)))
            let finished = try await repo.check()
            #expect(finished.isHealthy && finished.notes.isEmpty, "\(limit): \(finished.notes)")
            #expect(try await !repo.prune(options: PruneOptions(maxUnused: .percent(0))).changed)
            try FileManager.default.removeItem(atPath: path)
        }
    }

    @Test(.tags(.slow)) func pruneKilledAtAnyMomentLeavesEveryKeptSnapshotRestorable() async throws {
        let t = TempDir("prune-kill")
        let template = t.sub("template")
        let expected = try await Self.forgottenHistory(t, repo: template)
        for (n, delay) in [0, 30, 60, 100, 160, 250, 400, 700].enumerated() {
            let path = t.sub("repo-\(n)")
            try copyTree(template, path)
            let p = cliProcess(["prune", "--repo", path, "--max-unused", "0%"])
            try p.run()
            usleep(UInt32(delay * 1000))
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
            p.waitUntilExit()
            let repo = try await Repository.open(LocalDirectory(path: path), password: TestKeys.password)
            let check = try await repo.check(readData: true)
            #expect(check.isHealthy, "killed after \(delay) ms: \(check.errors)")
            try await expectEverySnapshotRestores(repo, expected, in: t, "killed after \(delay) ms")
            // The killed process's lock is abandoned at once on this computer: pruning again finishes the job.
            let finished = try runCLI(["prune", "--repo", path, "--max-unused", "0%"])
            #expect(finished.status == 0, "\(finished.stdout)\(finished.stderr)")
            #expect(try await repo.check().notes.isEmpty)
            try FileManager.default.removeItem(atPath: path)
        }
    }

    @Test func pruneRefusesWhatItCannotJudgeAndChangesNothing() async throws {
        let t = TempDir("prune-refuse")
        let path = t.sub("repo")
        _ = try await Self.forgottenHistory(t, repo: path)
        let repo = try await Repository.open(LocalDirectory(path: path), password: TestKeys.password)
        let before = try await objects(path, "")
        // A damaged index file: prune cannot know what the packs hold.
        let indexFile = try #require(try await objects(path, "index/").first)
        let saved = try Data(contentsOf: URL(fileURLWithPath: path + "/" + indexFile))
        try Data(repeating: 7, count: saved.count).write(to: URL(fileURLWithPath: path + "/" + indexFile))
        await #expect { _ = try await repo.prune() } throws: { e in
            (e as? TriplicateError)?.kind == .corrupt && (e as? TriplicateError)?.remedy == .repair
        }
        #expect(try await objects(path, "") == before)
        try saved.write(to: URL(fileURLWithPath: path + "/" + indexFile))
        // A snapshot that needs a pack that is gone.
        let pack = try #require(try await objects(path, "data/").first)
        try FileManager.default.moveItem(atPath: path + "/" + pack, toPath: t.sub("aside"))
        await #expect { _ = try await repo.prune() } throws: { e in (e as? TriplicateError)?.kind == .corrupt }
        #expect(try await objects(path, "").count == before.count - 1)
    }

    // MARK: Locks

    @Test func pruneWaitsForNoOneButRefusesWhileABackupHoldsItsLock() async throws {
        let t = TempDir("prune-lock")
        let path = t.sub("repo")
        _ = try await Self.forgottenHistory(t, repo: path)
        let repo = try await Repository.open(LocalDirectory(path: path), password: TestKeys.password)
        let before = try await objects(path, "data/")

        let backupLock = try await RepositoryLock.acquire(repo, .shared, operation: "backup")
        await #expect { _ = try await repo.prune() } throws: { e in
            let e = e as? TriplicateError
            return e?.kind == .locked && e?.remedy == .retryLater && e?.message.contains("backup on") == true
        }
        #expect(try await objects(path, "data/") == before, "nothing was deleted")
        // Another backup may run beside it.
        let second = try await RepositoryLock.acquire(repo, .shared, operation: "backup")
        await second.release()
        await backupLock.release()

        // While prune holds its lock, a backup is refused before it writes anything.
        let pruneLock = try await RepositoryLock.acquire(repo, .exclusive, operation: "prune")
        let snapshots = try await repo.snapshots().count
        await #expect { _ = try await repo.backup(paths: [t.sub("Photos")]) } throws: { e in (e as? TriplicateError)?.kind == .locked }
        #expect(try await repo.snapshots().count == snapshots)
        await pruneLock.release()
        #expect(try await objects(path, "locks/").isEmpty)
        #expect(try await repo.prune().changed)
    }

    @Test func abandonedLocksAreSetAsideAndOnlyThose() async throws {
        let t = TempDir("prune-stale")
        let path = t.sub("repo")
        let repo = try await makeRepository(path)
        func put(_ record: LockRecord) async throws -> String {
            let bytes = record.encode()
            let name = "locks/" + SHA256.hash(bytes).hex
            try await LocalDirectory(path: path).put(name, data: bytes)
            return name
        }
        let now = Date()
        // Another computer's backup, renewed 31 minutes ago: abandoned, and deleted by the exclusive lock.
        let old = try await put(LockRecord(exclusive: false, operation: "backup", hostname: "laptop", username: "anna", pid: 1,
                                           time: now - 31 * 60, nonce: "00"))
        // This computer's, by a process that is gone: abandoned.
        let gone = try await put(LockRecord(exclusive: true, operation: "prune", hostname: ProcessInfo.processInfo.hostName,
                                            username: "anna", pid: Int32.max - 1, time: now, nonce: "01"))
        // Not a lock at all: locks nothing.
        try await LocalDirectory(path: path).put("locks/" + String(repeating: "ab", count: 32), data: Array("{}".utf8))
        let lock = try await RepositoryLock.acquire(repo, .exclusive, operation: "prune")
        let left = try await objects(path, "locks/")
        #expect(!left.contains(old) && !left.contains(gone) && left.contains(lock.fileName))
        await lock.release()

        // Another computer's, renewed a minute ago: live.
        let live = try await put(LockRecord(exclusive: false, operation: "backup", hostname: "laptop", username: "anna", pid: 1,
                                            time: now - 60, nonce: "02"))
        await #expect { _ = try await RepositoryLock.acquire(repo, .exclusive, operation: "prune") } throws: { e in
            (e as? TriplicateError)?.message.contains("backup on laptop (anna, process 1)") == true
        }
        #expect(try await objects(path, "locks/").contains(live))
    }

    @Test func lockRecordsRoundTripAndNothingElseDecodes() throws {
        let r = LockRecord(exclusive: true, operation: "prune", hostname: "studio", username: "anna", pid: 812,
                           time: Date(timeIntervalSince1970: 1_764_550_923.456), nonce: "3f0c")
        let bytes = r.encode()
        #expect(String(decoding: bytes, as: UTF8.self) == #"{"exclusive":true,"format":"triplicate-lock","hostname":"studio","nonce":"3f0c","operation":"prune","pid":812,"time":"2025-12-01T01:02:03.456Z","username":"anna","version":1}"#)
        #expect(LockRecord.decode(bytes) == r)
        for hostile in [#"{"format":"triplicate-lock","version":2}"#, "[]", "", #"{"format":"triplicate-lock","version":1,"exclusive":true,"operation":"x","hostname":"h","username":"u","pid":99999999999,"time":"2026-01-01T00:00:00Z","nonce":"n"}"#] {
            #expect(LockRecord.decode(Array(hostile.utf8)) == nil, "\(hostile)")
        }
        #expect(LockRecord.decode([UInt8](repeating: 0x20, count: 5000)) == nil)
    }

    @Test func aBackupRunningWhilePruneIsAskedLosesNothing() async throws {
        let t = TempDir("prune-concurrent")
        let path = t.sub("repo")
        let expected = try await Self.forgottenHistory(t, repo: path)
        let src = t.sub("Photos")
        try writeFile(src + "/IMG_new.NEF", pseudoRandomBytes(1_500_000, seed: 9999))
        let slow = HookedFolder.slowPuts(.milliseconds(150), LocalDirectory(path: path))
        let backupRepo = try await Repository.open(slow, password: TestKeys.password)
        let repo = try await Repository.open(LocalDirectory(path: path), password: TestKeys.password)
        let backup = Task { try await backupRepo.backup(paths: [src], options: BackupOptions(packSize: 1 << 18)) }
        // Once the backup holds its lock, prune is refused; nothing the backup needs is deleted.
        while try await objects(path, "locks/").isEmpty { try await Task.sleep(for: .milliseconds(5)) }
        await #expect { _ = try await repo.prune(options: PruneOptions(maxUnused: .percent(0))) } throws: { e in
            (e as? TriplicateError)?.kind == .locked
        }
        let result = try await backup.value
        var all = expected
        all[result.snapshot.id] = try TreeFingerprint.of(src)
        _ = try await repo.prune(options: PruneOptions(maxUnused: .percent(0)))
        #expect(try await repo.check(readData: true).isHealthy)
        try await expectEverySnapshotRestores(repo, all, in: t, "after the backup and the prune")
    }

    @Test func aBackupThatCannotRenewItsLockInTimeWritesNoSnapshot() async throws {
        let t = TempDir("prune-lost")
        let path = t.sub("repo")
        let src = t.sub("Photos")
        try writeFile(src + "/IMG_1.NEF", pseudoRandomBytes(800_000, seed: 31))
        _ = try await makeRepository(path)
        let slow = HookedFolder.slowPuts(.milliseconds(400), LocalDirectory(path: path))
        let repo = try await Repository.open(slow, password: TestKeys.password)
        // Renewals far apart, and a lock given up after 0.5 s: as if the laptop slept through its renewals.
        let timing = RepositoryLock.Timing(staleAfter: .milliseconds(1500), refreshEvery: .seconds(60), margin: .seconds(1))
        await #expect {
            try await RepositoryLock.$timing.withValue(timing) {
                _ = try await repo.backup(paths: [src], options: BackupOptions(packSize: 1 << 18))
            }
        } throws: { e in
            let e = e as? TriplicateError
            return e?.kind == .locked && e?.message.contains("lost its lock") == true
        }
        #expect(try await repo.snapshots().isEmpty)
        #expect(try await objects(path, "locks/").isEmpty)
    }

    @Test func aLockRenewedInTimeIsHeldLongerThanItsLifeAndOneNotRenewedIsLost() async throws {
        let t = TempDir("prune-renew")
        let repo = try await makeRepository(t.sub("repo"))
        // Given up 3 s after the last renewal; renewed by hand every half second for 4 s. A busy test process may delay
        // a renewal past that; then the lock must be lost from there on, so each step checks what its timing says.
        let window = Duration.seconds(3)
        let timing = RepositoryLock.Timing(staleAfter: .seconds(4), refreshEvery: .seconds(600), margin: .seconds(1))
        let lock = try await RepositoryLock.$timing.withValue(timing) {
            try await RepositoryLock.acquire(repo, .shared, operation: "backup")
        }
        let started = ContinuousClock.now
        var renewed = started
        var lost = false
        var names = [lock.fileName]
        for _ in 0..<8 {
            try await Task.sleep(for: .milliseconds(500))
            let before = ContinuousClock.now
            await lock.renew()
            let after = ContinuousClock.now
            let held = (try? lock.ensureHeld(before: "writing its snapshot")) != nil
            if !lost, after - renewed < window - .milliseconds(50) {
                #expect(held, "renewed \(after - renewed) after the last renewal, within its life")
                // The old file is gone, the new one in place: one lock file at a time.
                #expect(try await objects(t.sub("repo"), "locks/") == [lock.fileName])
                names.append(lock.fileName)
                renewed = before
            } else if lost || before - renewed > window + .milliseconds(50) {
                #expect(!held, "a lock not renewed for \(before - renewed) must stay lost")
                lost = true
            }
        }
        #expect(lost || ContinuousClock.now - started > window, "the lock was not held longer than its life")
        #expect(Set(names).count == names.count, "each renewal writes a new lock file")
        await lock.release()
        #expect(try await objects(t.sub("repo"), "locks/").isEmpty)

        // Not renewed for longer than it may go without: lost, and a renewal cannot bring it back.
        let short = RepositoryLock.Timing(staleAfter: .milliseconds(1500), refreshEvery: .seconds(600), margin: .seconds(1))
        let other = try await RepositoryLock.$timing.withValue(short) {
            try await RepositoryLock.acquire(repo, .shared, operation: "backup")
        }
        try await Task.sleep(for: .milliseconds(700))
        #expect(throws: TriplicateError.self) { try other.ensureHeld(before: "writing its snapshot") }
        await other.renew()
        #expect(throws: TriplicateError.self) { try other.ensureHeld(before: "writing its snapshot") }
        await other.release()
    }

    // MARK: Plans

    @Test func aPlansCatchUpAndBackupWaitForNoOneButStopWhilePruneRuns() async throws {
        let t = TempDir("prune-plan-lock")
        try writeFile(t.sub("password"), Array("lock password\n".utf8))
        try writeFile(t.sub("Pictures/IMG_1.NEF"), pseudoRandomBytes(200_000, seed: 808))
        try folderPlan(t, copies: ["nas", "usb"]).write(toFile: t.sub("plan.toml"), atomically: true, encoding: .utf8)
        let env = ["XDG_STATE_HOME": t.sub("state")]
        func run(_ args: [String]) throws -> CLIResult { try runCLI(args + ["--plan", t.sub("plan.toml")], env: env, password: nil) }
        #expect(try run(["init"]).status == 0)
        #expect(try run(["backup"]).status == 0)
        // Another computer prunes the NAS copy: the plan's sync and backup (whose catch-up writes to it) stop with exit 11.
        let nas = try await Repository.open(LocalDirectory(path: t.sub("nas")), password: "lock password")
        let prune = try await RepositoryLock.acquire(nas, .exclusive, operation: "prune")
        let synced = try run(["sync"])
        #expect(synced.status == 11 && synced.stderr.contains("prune on"), "\(synced.stdout)\(synced.stderr)")
        try writeFile(t.sub("Pictures/IMG_2.NEF"), pseudoRandomBytes(200_000, seed: 809))
        let backup = try run(["backup"])
        #expect(backup.status == 11, "\(backup.stdout)\(backup.stderr)")
        await prune.release()
        #expect(try run(["backup"]).status == 0)
        #expect(try run(["sync"]).status == 0)
        #expect(try await objects(t.sub("nas"), "locks/").isEmpty)
        #expect(try await objects(t.sub("usb"), "locks/").isEmpty)
    }

    @Test func forgetAndPruneOnAPlanLeaveIdenticalCopies() async throws {
        let t = TempDir("prune-plan")
        try writeFile(t.sub("password"), Array("prune password\n".utf8))
        let plan = folderPlan(t, copies: ["nas", "usb"], top: "\n[retention]\nkeep-last = 1")
        try plan.write(toFile: t.sub("plan.toml"), atomically: true, encoding: .utf8)
        let env = ["XDG_STATE_HOME": t.sub("state")]
        func run(_ args: [String]) throws -> CLIResult { try runCLI(args + ["--plan", t.sub("plan.toml")], env: env, password: nil) }
        #expect(try run(["init"]).status == 0)
        let src = t.sub("Pictures")
        for round in 0..<3 {
            try writeFile(src + "/IMG_\(round).NEF", pseudoRandomBytes(300_000, seed: UInt64(700 + round)))
            if round > 0 { try FileManager.default.removeItem(atPath: src + "/IMG_\(round - 1).NEF") }
            #expect(try run(["backup", "--pack-size", "1"]).status == 0)
        }
        let done = try run(["forget", "--prune", "--max-unused", "0%"])
        #expect(done.status == 0 && done.stdout.contains("removed 2 snapshots") && done.stdout.contains("unused packs"),
                "\(done.stdout)\(done.stderr)")
        let nas = try await objects(t.sub("nas"), "").filter { !$0.hasPrefix("verified/") }
        let usb = try await objects(t.sub("usb"), "").filter { !$0.hasPrefix("verified/") && $0 != "drive" }
        #expect(nas == usb)
        for name in nas {
            #expect(FileManager.default.contentsEqual(atPath: t.sub("nas") + "/" + name, andPath: t.sub("usb") + "/" + name), "\(name)")
        }
        #expect(try await objects(t.sub("nas"), "data/").count < 4)
        let check = try run(["check", "--read-data"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        let out = t.sub("restored")
        #expect(try run(["restore", "latest", "--target", out]).status == 0)
        #expect(try TreeFingerprint.of(out + "/Pictures") == TreeFingerprint.of(src))
    }
}
