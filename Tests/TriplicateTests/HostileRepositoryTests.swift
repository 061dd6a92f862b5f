// HostileRepositoryTests: whatever names and links a repository holds, restore never writes outside the target.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Testing
@testable import Triplicate
#if canImport(Glibc)
import Glibc
#endif

/// Writes a snapshot whose root tree holds `nodes` (and the given extra trees and chunks), bypassing the backup.
func commitCraftedSnapshot(_ repo: Repository, root nodes: [TreeNode], trees: [[UInt8]] = [], chunks: [[UInt8]] = [],
                           paths: [String] = ["/crafted"], hostname: String = "attacker", summary: SnapshotSummary = SnapshotSummary()) async throws -> Snapshot {
    let builder = try PackBuilder(keys: repo.keys)
    for c in chunks { _ = try c.withUnsafeBytesTyped { (b) throws(CoreError) in try builder.add(type: .data, id: repo.keys.idHasher.id(b), data: b, policy: .never) } }
    // Trees are encoded by hand so that names the Tree type would sort or refuse can be written as they are.
    var allTrees = trees
    var w = ByteWriter()
    w.u8(nodes.contains { !$0.attributes.isEmpty } ? 2 : 1)
    w.u32(UInt32(nodes.count))
    for n in nodes { w.bytes(Array(try Tree(nodes: [n]).encode().dropFirst(5))) }
    allTrees.append(w.bytes)
    for t in allTrees { _ = try t.withUnsafeBytesTyped { (b) throws(CoreError) in try builder.add(type: .tree, id: repo.keys.idHasher.id(b), data: b, policy: .never) } }
    let pack = try builder.finish()
    try await repo.destination.put("data/" + String(pack.id.hex.prefix(2)) + "/" + pack.id.hex, data: pack.bytes)
    let index = try SealedFile.seal(IndexFile(packs: [.init(id: pack.id, entries: pack.entries)]).encode(), kind: .index, keys: repo.keys)
    try await repo.destination.put("index/" + SHA256.hash(index).hex, data: index)
    let record = SnapshotRecord(time: Date(), tree: repo.keys.idHasher.id(w.bytes), paths: paths, hostname: hostname,
                                username: "x", tags: [], excludes: [], parent: nil, summary: summary)
    let file = try SealedFile.seal(try record.encode(), kind: .snapshot, keys: repo.keys)
    let id = SHA256.hash(file)
    try await repo.destination.put("snapshots/" + id.hex, data: file)
    return Snapshot(id: id, record: record)
}

func fileNode(_ name: String, _ content: [UInt8], repo: Repository) -> TreeNode {
    TreeNode(name: Array(name.utf8), mode: 0o644, mtime: Timestamp(seconds: 0, nanoseconds: 0), size: UInt64(content.count),
             content: .file(chunks: [repo.keys.idHasher.id(content)], profile: 2, ctime: Timestamp(seconds: 0, nanoseconds: 0), inode: 0))
}

@Suite struct HostileRepositoryTests {
    @Test(arguments: ["../escaped", "..", ".", "/tmp/absolute", "a/../../b", "nul\u{0}name", ""])
    func hostileNamesAreRefused(name: String) async throws {
        let t = TempDir("hostile")
        let repo = try await makeRepository(t.sub("repo"))
        let payload = Array("owned".utf8)
        let snap = try await commitCraftedSnapshot(repo, root: [fileNode(name, payload, repo: repo)], chunks: [payload])
        let target = t.sub("inner/target")
        await #expect {
            try await repo.restore(snap, to: target)
        } throws: { ($0 as? TriplicateError)?.kind == .refused }
        // Nothing at all appeared outside the target, and nothing named like the payload inside it.
        let outside = try FileManager.default.subpathsOfDirectory(atPath: t.path).filter { !$0.hasPrefix("repo") }
        #expect(outside.allSatisfy { $0 == "inner" || $0 == "inner/target" })
        #expect(!FileManager.default.fileExists(atPath: "/tmp/absolute"))
        let check = try await repo.check()
        #expect(check.errors.contains { $0.contains("hostile name") })
    }

    @Test func aSymlinkedParentIsNeverFollowed() async throws {
        let t = TempDir("symlink")
        let repo = try await makeRepository(t.sub("repo"))
        let outside = t.sub("outside")
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        let payload = Array("owned".utf8)
        // Snapshot 1 plants `link -> outside`; snapshot 2 has a folder `link` holding a file.
        let link = TreeNode(name: Array("link".utf8), mode: 0o777, mtime: Timestamp(seconds: 0, nanoseconds: 0), size: UInt64(outside.utf8.count),
                            content: .symlink(target: Array(outside.utf8)))
        let first = try await commitCraftedSnapshot(repo, root: [link])
        let inner = try Tree(nodes: [fileNode("passwd", payload, repo: repo)]).encode()
        let dir = TreeNode(name: Array("link".utf8), mode: 0o755, mtime: Timestamp(seconds: 0, nanoseconds: 0), size: 0,
                           content: .directory(tree: repo.keys.idHasher.id(inner)))
        let second = try await commitCraftedSnapshot(repo, root: [dir], trees: [inner], chunks: [payload])
        let target = t.sub("target")
        _ = try await repo.restore(first, to: target)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: target + "/link") == outside)
        await #expect {
            try await repo.restore(second, to: target)
        } throws: { ($0 as? TriplicateError)?.kind == .refused }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)

        // A symlink the user already had in the target is not followed either.
        let target2 = t.sub("target2")
        try FileManager.default.createDirectory(atPath: target2, withIntermediateDirectories: true)
        symlink(outside, target2 + "/link")
        await #expect(throws: TriplicateError.self) { try await repo.restore(second, to: target2) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)
    }
}
