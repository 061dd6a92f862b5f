// KeyTests: a repository's passwords (its key files): add, list, remove, change, on one repository and on a plan.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Testing
@testable import Triplicate

/// A store that takes writes and refuses every delete, as an append-only key or an object lock does.
private struct RefusesDeletes: Destination {
    let inner = MemoryDestination()
    var displayName: String { "append-only" }
    func put(_ name: String, data: [UInt8]) async throws(DestinationError) { try await inner.put(name, data: data) }
    func get(_ name: String) async throws(DestinationError) -> [UInt8] { try await inner.get(name) }
    func get(_ name: String, range: Range<Int64>) async throws(DestinationError) -> [UInt8] { try await inner.get(name, range: range) }
    func list(prefix: String) async throws(DestinationError) -> [ObjectInfo] { try await inner.list(prefix: prefix) }
    func stat(_ name: String) async throws(DestinationError) -> ObjectInfo { try await inner.stat(name) }
    func delete(_ name: String) async throws(DestinationError) {
        throw DestinationError(.denied, object: name, "this key may not delete")
    }
}

@Suite struct KeyTests {
    @Test func aSecondPasswordOpensTheSameRepositoryAndEitherKeyCanGo() async throws {
        let t = TempDir("keys")
        let repo = try await makeRepository(t.sub("repo"))
        let first = try await repo.listKeys()
        #expect(first.count == 1 && first[0].isCurrent && first[0].problem == nil && first[0].hostname != nil)
        let added = try await repo.addKey(password: "studio assistant", options: TestKeys.cheap)
        let both = try await repo.listKeys()
        #expect(both.map(\.id).sorted() == [first[0].id, added].sorted())
        #expect(both.first { $0.id == added }?.isCurrent == false)

        let second = try await Repository.open(LocalDirectory(path: t.sub("repo")), password: "studio assistant")
        #expect(second.id == repo.id)
        #expect(try await second.listKeys().first { $0.isCurrent }?.id == added)

        // The key in use goes only when forced; a prefix too short or naming nothing is refused.
        await #expect(throws: TriplicateError.self) { try await second.removeKey(String(added.prefix(8))) }
        await #expect(throws: TriplicateError.self) { try await second.removeKey("abc") }
        await #expect(throws: TriplicateError.self) { try await second.removeKey("00000000") }
        try await second.removeKey(String(first[0].id.prefix(8)))
        let wrong = await #expect(throws: TriplicateError.self) {
            _ = try await Repository.open(LocalDirectory(path: t.sub("repo")), password: TestKeys.password)
        }
        #expect(wrong?.kind == .wrongPassword)
        // The last key never goes, even forced.
        let last = await #expect(throws: TriplicateError.self) { try await second.removeKey(String(added.prefix(8)), force: true) }
        #expect(last?.kind == .refused && last?.message.contains("last readable key file") == true)
    }

    @Test func changingThePasswordLeavesOnlyTheNewOneAndAnInterruptionLeavesBoth() async throws {
        let t = TempDir("passwd")
        let src = t.sub("Photos")
        try makeSampleTree(src)
        let repo = try await makeRepository(t.sub("repo"))
        _ = try await repo.backup(paths: [src])
        let id = try await repo.changePassword(to: "new secret", options: TestKeys.cheap)
        #expect(try await repo.listKeys().map(\.id) == [id])
        let reopened = try await Repository.open(LocalDirectory(path: t.sub("repo")), password: "new secret")
        _ = try await reopened.restore(reopened.findSnapshot(.latest), to: t.sub("out"))
        #expect(try TreeFingerprint.of(t.sub("out/Photos")) == TreeFingerprint.of(src))
        await #expect(throws: TriplicateError.self) {
            _ = try await Repository.open(LocalDirectory(path: t.sub("repo")), password: TestKeys.password)
        }

        // The old key file cannot be removed (the store refuses deletes): the change stops after adding the new one,
        // and both passwords open the repository.
        let store = RefusesDeletes()
        let locked = try await Repository.initialize(on: store, password: "old", options: TestKeys.cheap)
        let failure = await #expect(throws: TriplicateError.self) { _ = try await locked.changePassword(to: "new", options: TestKeys.cheap) }
        #expect(failure?.message.contains("the old password still works too") == true, "\(String(describing: failure))")
        #expect(try await Repository.open(store, password: "old").id == locked.id)
        #expect(try await Repository.open(store, password: "new").id == locked.id)
    }

    @Test func theCLIChangesThePasswordOnAPlanAndACopyOutOfReachFollowsAtItsNextSync() throws {
        let t = TempDir("key-plan")
        try writeFile(t.sub("password"), Array("first password\n".utf8))
        try writeFile(t.sub("new-password"), Array("second password\r\n".utf8))
        try makeSampleTree(t.sub("Pictures"))
        let plan = folderPlan(t, copies: ["nas", "usb"])
        try plan.write(toFile: t.sub("plan.toml"), atomically: true, encoding: .utf8)
        let env = ["XDG_STATE_HOME": t.sub("state")]
        func run(_ args: [String]) throws -> CLIResult { try runCLI(args + ["--plan", t.sub("plan.toml")], env: env, password: nil) }
        func keys(_ copy: String) throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: t.sub(copy + "/keys")).sorted() }
        #expect(try run(["init"]).status == 0)
        #expect(try run(["backup"]).status == 0)

        // The drive is away: the NAS gets the new key and loses the old one; the drive follows later.
        try FileManager.default.moveItem(atPath: t.sub("usb"), toPath: t.sub("usb-away"))
        let changed = try run(["key", "passwd", "--new-password-file", t.sub("new-password")])
        #expect(changed.status == 4 && changed.stdout.contains("put the new password in the plan's password-file"), "\(changed.stdout)\(changed.stderr)")
        #expect(changed.stderr.contains("usb: out of reach"), "\(changed.stderr)")
        try FileManager.default.moveItem(atPath: t.sub("usb-away"), toPath: t.sub("usb"))
        #expect(try keys("nas") != keys("usb"))

        // The plan's password file now holds the new password; the next sync gives the drive the new key file and
        // removes the old one there too, so the old password opens no copy.
        try FileManager.default.removeItem(atPath: t.sub("password"))
        try FileManager.default.copyItem(atPath: t.sub("new-password"), toPath: t.sub("password"))
        let synced = try run(["sync"])
        #expect(synced.status == 0, "\(synced.stdout)\(synced.stderr)")
        #expect(try keys("nas") == keys("usb") && keys("nas").count == 1)
        for copy in ["nas", "usb"] {
            let list = try runCLI(["key", "list", "--repo", t.sub(copy), "--password-file", t.sub("new-password")], password: nil)
            #expect(list.status == 0 && list.stdout.split(separator: "\n").count == 2 && list.stdout.contains("* "), "\(copy): \(list.stdout)")
            #expect(try runCLI(["snapshots", "--repo", t.sub(copy)], password: "first password").status == 12, "the old password still opens \(copy)")
        }
    }
}

@Suite struct SecretSourceTests {
    @Test func aPlanTakesItsPasswordFromACommandAndSaysWhyOneFails() throws {
        let t = TempDir("secret-cmd")
        try makeSampleTree(t.sub("Pictures"))
        let text = folderPlan(t, copies: ["nas"]).replacingOccurrences(of: "password-file = \"password\"",
                                                                     with: "password-command = \"printf 'from the keychain\\\\n'\"")
        try text.write(toFile: t.sub("plan.toml"), atomically: true, encoding: .utf8)
        let env = ["XDG_STATE_HOME": t.sub("state")]
        #expect(try Plan.load(t.sub("plan.toml")).passwordCommand == "printf 'from the keychain\\n'")
        let made = try runCLI(["init", "--plan", t.sub("plan.toml")], env: env, password: nil)
        #expect(made.status == 0, "\(made.stdout)\(made.stderr)")
        // The password the command printed is the repository's.
        #expect(try runCLI(["snapshots", "--repo", t.sub("nas")], password: "from the keychain").status == 0)
        #expect(try runCLI(["backup", "--plan", t.sub("plan.toml")], env: env, password: nil).status == 0)

        let failing = text.replacingOccurrences(of: "printf 'from the keychain\\\\n'", with: "echo locked >&2; exit 3")
        try failing.write(toFile: t.sub("plan.toml"), atomically: true, encoding: .utf8)
        let locked = try runCLI(["snapshots", "--plan", t.sub("plan.toml")], env: env, password: nil)
        #expect(locked.status == 1 && locked.stderr.contains("failed (exit 3): locked"), "\(locked.stderr)")

        let both = text.replacingOccurrences(of: "password-command", with: "password-file = \"pw\"\npassword-command")
        #expect { _ = try Plan.parse(both, file: "plan.toml") } throws: { ($0 as? TriplicateError)?.message.contains("not both") == true }
    }

    @Test func aDestinationsKeyComesFromTheFilesOrCommandsThePlanNames() throws {
        let t = TempDir("key-sources")
        try writeFile(t.sub("key-id"), Array("004a1b2c\n".utf8))
        let b2 = """

            [[destination]]
            name = "b2"
            repo = "b2:photos/triplicate"
            media = "cloud"
            site = "offsite"
            key-id-file = "key-id"
            key-command = "printf 'K004secret\\\\n'"
            region = "eu-central-003"
            """
        let plan = try Plan.parse(folderPlan(t, copies: ["nas"], extra: b2), file: t.sub("plan.toml"))
        let target = try #require(plan.destinations.last)
        #expect(target.keyID == .file(t.sub("key-id")) && target.key == .command("printf 'K004secret\\n'"))
        let context = try target.context(environment: ["B2_APPLICATION_KEY_ID": "from-env", "B2_APPLICATION_KEY": "from-env"])
        #expect(context.credentials == ObjectStoreCredentials(keyID: "004a1b2c", secret: "K004secret", region: "eu-central-003"))
        // Without a key in the plan, the environment's, with the plan's region.
        var envOnly = target
        envOnly.keyID = nil
        envOnly.key = nil
        #expect(try envOnly.context(environment: ["B2_APPLICATION_KEY_ID": "e", "B2_APPLICATION_KEY": "k"]).credentials
                == ObjectStoreCredentials(keyID: "e", secret: "k", region: "eu-central-003"))
        // A key ID without a key, or a file and a command for one, names the line.
        for broken in [b2.replacingOccurrences(of: "key-command = \"printf 'K004secret\\\\n'\"\n", with: ""),
                       b2.replacingOccurrences(of: "key-id-file = \"key-id\"", with: "key-id-file = \"key-id\"\nkey-id-command = \"true\"")] {
            #expect { _ = try Plan.parse(folderPlan(t, copies: ["nas"], extra: broken), file: "plan.toml") } throws: {
                ($0 as? TriplicateError)?.message.hasPrefix("plan.toml:") == true
            }
        }
        var missing = target
        missing.keyID = .file(t.sub("no-such-file"))
        #expect { _ = try missing.context(environment: [:]) } throws: { ($0 as? TriplicateError)?.kind == .missingCredentials }
    }
}
