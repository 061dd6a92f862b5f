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

    @Test func theCLIChangesThePasswordOnEveryCopyOfAPlanOrOnNone() throws {
        let t = TempDir("key-plan")
        try writeFile(t.sub("password"), Array("first password\n".utf8))
        try writeFile(t.sub("new-password"), Array("second password\r\n".utf8))
        try makeSampleTree(t.sub("Pictures"))
        let plan = folderPlan(t, copies: ["nas", "usb"])
        try plan.write(toFile: t.sub("plan.toml"), atomically: true, encoding: .utf8)
        let env = ["XDG_STATE_HOME": t.sub("state")]
        func run(_ args: [String]) throws -> CLIResult { try runCLI(args + ["--plan", t.sub("plan.toml")], env: env, password: nil) }
        #expect(try run(["init"]).status == 0)
        #expect(try run(["backup"]).status == 0)

        try FileManager.default.moveItem(atPath: t.sub("usb"), toPath: t.sub("usb-away"))
        let refused = try run(["key", "passwd", "--new-password-file", t.sub("new-password")])
        #expect(refused.status == 14 && refused.stderr.contains("usb cannot be reached now"), "\(refused.stderr)")
        try FileManager.default.moveItem(atPath: t.sub("usb-away"), toPath: t.sub("usb"))

        let changed = try run(["key", "passwd", "--new-password-file", t.sub("new-password")])
        #expect(changed.status == 0 && changed.stdout.contains("put the new password in the plan's password-file"), "\(changed.stdout)\(changed.stderr)")
        #expect(try run(["snapshots"]).status == 12, "the old password still opens a copy")
        for copy in ["nas", "usb"] {
            let list = try runCLI(["key", "list", "--repo", t.sub(copy), "--password-file", t.sub("new-password")], password: nil)
            #expect(list.status == 0 && list.stdout.split(separator: "\n").count == 2 && list.stdout.contains("* "), "\(copy): \(list.stdout)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: t.sub("nas/keys"))
                == FileManager.default.contentsOfDirectory(atPath: t.sub("usb/keys")))
    }
}
