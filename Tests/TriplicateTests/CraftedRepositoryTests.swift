// CraftedRepositoryTests: a repository written by hand by someone with the password makes no command trap, hang or
// allocate without bound: sizes are checked against what is there, shared listings are walked once, long commands
// stop on a signal.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Testing
@testable import Triplicate
#if canImport(Glibc)
import Glibc
#endif

private let epoch = Timestamp(seconds: 0, nanoseconds: 0)

/// A directory node named `name` pointing at the tree whose encoding is `tree`.
private func dirNode(_ name: String, _ tree: [UInt8], repo: Repository) -> TreeNode {
    TreeNode(name: Array(name.utf8), mode: 0o755, mtime: epoch, size: 0, content: .directory(tree: repo.keys.idHasher.id(tree)))
}

/// The encoding of a tree holding `nodes` exactly as given (not sorted, duplicates kept).
private func rawTree(_ nodes: [TreeNode]) throws -> [UInt8] {
    var w = ByteWriter()
    w.u8(1)
    w.u32(UInt32(nodes.count))
    for n in nodes { w.bytes(Array(try Tree(nodes: [n]).encode().dropFirst(5))) }
    return w.bytes
}

/// A file of `repo` sealed by hand with `plaintext` (compression flag and payload) as a file of `kind`.
private func sealByHand(_ plaintext: [UInt8], kind: FileKind, repo: Repository) throws -> [UInt8] {
    let header = try FileHeader.fresh(kind)
    let key = try repo.keys.fileKey(kind: kind, salt: header.salt)
    return header.encoded + (try AESGCM().seal(key: key, nonce: [UInt8](repeating: 0, count: 12), aad: header.encoded, plaintext: plaintext))
}

@Suite struct CraftedRepositoryTests {
    @Test func aFileClaiming2To64BytesAndASummaryOfInt64MaxTrapNothing() async throws {
        let t = TempDir("huge-size")
        let repo = try await makeRepository(t.sub("repo"))
        let content = Array("a few real bytes".utf8)
        var node = fileNode("huge.NEF", content, repo: repo)
        node.size = .max
        var summary = SnapshotSummary()
        summary.bytes = .max
        let snapshot = try await commitCraftedSnapshot(repo, root: [node], chunks: [content], summary: summary)
        _ = try await commitCraftedSnapshot(repo, root: [fileNode("x", content, repo: repo)], chunks: [content], summary: summary)

        for readData in [false, true] {
            let report = try await repo.check(readData: readData)
            #expect(report.errors.contains { $0.contains("huge.NEF") && $0.contains("18446744073709551615") }, "\(report.errors)")
        }
        let r = try await repo.restore(snapshot, to: t.sub("out"))
        #expect(r.errors.count == 1 && r.errors[0].contains("huge.NEF"), "\(r.errors)")
        #expect(!FileManager.default.fileExists(atPath: t.sub("out/huge.NEF")))
        #expect(try await repo.stats().originalBytes == .max)
        let stats = try runCLI(["stats", "--repo", t.sub("repo")])
        #expect(stats.status == 0, "\(stats.stderr)")
    }

    @Test(.tags(.slow)) func aSparsePackIsVerifiedInBoundedMemoryAndAn4GiBIndexEntryIsRefused() async throws {
        let t = TempDir("sparse")
        let path = t.sub("repo")
        let repo = try await makeRepository(path)
        let content = pseudoRandomBytes(4000, seed: 6101)
        let snapshot = try await commitCraftedSnapshot(repo, root: [fileNode("a.NEF", content, repo: repo)], chunks: [content])
        // An index file whose one entry claims a 4 GiB blob: refused as damaged, and the pack tables stand in for it.
        let pack = try #require(try await objects(path, "data/").first)
        let packID = try #require(ObjectID(hex: String(pack.split(separator: "/").last ?? "")))
        let claim = IndexFile(packs: [IndexFile.Pack(id: packID, entries: [
            PackEntry(id: repo.keys.idHasher.id(content), type: .data, compression: .none, offset: 44, storedLength: .max, rawLength: 4000),
        ])])
        let sealed = try sealByHand([0] + claim.encode(), kind: .index, repo: repo)
        try await repo.destination.put("index/" + SHA256.hash(sealed).hex, data: sealed)
        let report = try await repo.check()
        #expect(report.errors.contains { $0.contains("out of range") }, "\(report.errors)")
        let r = try await repo.restore(snapshot, to: t.sub("out"))
        #expect(r.errors.isEmpty, "\(r.errors)")
        #expect(FileManager.default.contents(atPath: t.sub("out/a.NEF")) == Data(content))

        // The pack grows (sparsely) to just under 4 GiB: check --read-data reads it all in bounded pieces.
        #expect(truncate(path + "/" + pack, off_t(UInt32.max) - 4096) == 0)
        let checked = try runCLI(["check", "--read-data", "--repo", path], addressSpaceLimit: 1024)
        #expect(checked.status == 1 && checked.stdout.contains(pack), "\(checked.stdout)\(checked.stderr)")
    }

    @Test func listingsThatNameEachOtherTwiceAreWalkedOnceAndStopOnASignal() async throws {
        let t = TempDir("doubling")
        let repo = try await makeRepository(t.sub("repo"))
        let content = Array("leaf".utf8)
        // 41 listings, each naming the one below twice: 2^40 paths from 41 small blobs.
        var trees = [try Tree(nodes: [fileNode("leaf.jpg", content, repo: repo)]).encode()]
        for _ in 0..<40 {
            let below = trees[trees.count - 1]
            trees.append(try Tree(nodes: [dirNode("a", below, repo: repo), dirNode("b", below, repo: repo)]).encode())
        }
        let src = t.sub("Photos")
        try writeFile(src + "/new.jpg", Array("today".utf8))
        // The snapshot carries this computer's name and the source's path, so a backup of Photos takes it as parent.
        let top = try #require(trees.last)
        let crafted = try await commitCraftedSnapshot(repo, root: [dirNode("Photos", top, repo: repo)], trees: trees, chunks: [content],
                                                      paths: [src], hostname: ProcessInfo.processInfo.hostName)
        let report = try await repo.check(readData: true)
        #expect(report.isHealthy, "\(report.errors)")

        // The backup's renamed-folder matching walks the vanished listings once each.
        let backup = try await repo.backup(paths: [src])
        #expect(backup.snapshot.record.summary.files == 1)

        // ls streams the 2^40 paths in bounded memory and stops on Ctrl-C with 130.
        let p = cliProcess(["ls", String(crafted.id.hex.prefix(12)), "--repo", t.sub("repo")])
        try p.run()
        usleep(1_500_000)
        #expect(p.isRunning, "ls of 2^40 paths ended early")
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        #expect(p.terminationStatus == 130)
    }

    @Test func aSnapshotDeclaringTwoGiBIsRefusedWithoutAllocatingIt() async throws {
        let t = TempDir("bomb")
        let path = t.sub("repo")
        let repo = try await makeRepository(path)
        // One zstd frame declaring 2 GiB, made of 16,384 RLE blocks of 128 KiB: 64 KiB on disk.
        var frame: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0xA0, 0x00, 0x00, 0x00, 0x80]
        for i in 0..<16_384 {
            let last: UInt32 = i == 16_383 ? 1 : 0
            let header = last | (1 << 1) | (131_072 << 3)
            frame += [UInt8(header & 0xFF), UInt8((header >> 8) & 0xFF), UInt8(header >> 16), 0x20]
        }
        let sealed = try sealByHand([1] + frame, kind: .snapshot, repo: repo)
        #expect(sealed.count < 70_000)
        try await repo.destination.put("snapshots/" + SHA256.hash(sealed).hex, data: sealed)
        let listing = try await repo.snapshotListing()
        #expect(listing.snapshots.isEmpty && listing.damaged.count == 1, "\(listing.damaged)")
        #expect(listing.damaged.first?.contains("exceeds") == true, "\(listing.damaged)")
        let snapshots = try runCLI(["snapshots", "--repo", path], addressSpaceLimit: 1024)
        #expect(snapshots.status == 0 && snapshots.stderr.contains("snapshots/"), "\(snapshots.stderr)")
    }

    @Test func twoNamesThatAreNotUTF8StayTwoFilesAndDuplicateNamesAreRefused() async throws {
        let t = TempDir("names")
        let repo = try await makeRepository(t.sub("repo"))
        let one = Array("first".utf8), two = Array("second".utf8)
        var a = fileNode("x", one, repo: repo)
        a.name = [0x66, 0xFE]
        var b = fileNode("x", two, repo: repo)
        b.name = [0x66, 0xFF]
        let folder = try Tree(nodes: [a, b]).encode()
        let same = try rawTree([fileNode("twin.jpg", one, repo: repo), fileNode("twin.jpg", two, repo: repo)])
        let snapshot = try await commitCraftedSnapshot(repo, root: [dirNode("d", folder, repo: repo), dirNode("dup", same, repo: repo)],
                                                       trees: [folder, same], chunks: [one, two])
        let r = try await repo.restore(snapshot, to: t.sub("out"))
        // Both files exist under their own bytes, each with its own content.
        let dir = opendir(t.sub("out/d"))
        var names: [[UInt8]] = []
        while let dir, let e = readdir(dir) {
            let n = withUnsafeBytes(of: e.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if n != [0x2E], n != [0x2E, 0x2E] { names.append(n) }
        }
        if let dir { closedir(dir) }
        #expect(names.sorted { $0.lexicographicallyPrecedes($1) } == [[0x66, 0xFE], [0x66, 0xFF]])
        let fd = openat(open(t.sub("out/d"), O_RDONLY | O_DIRECTORY), [CChar(bitPattern: 0x66), CChar(bitPattern: 0xFF), 0], O_RDONLY)
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(read(fd, &buffer, 16) == two.count && Array(buffer.prefix(two.count)) == two)
        close(fd)
        // A listing with one name twice is refused: check reports it, restore lists it and writes neither file.
        #expect(r.errors.contains { $0.contains("dup") && $0.contains("listing is damaged") }, "\(r.errors)")
        #expect(!FileManager.default.fileExists(atPath: t.sub("out/dup/twin.jpg")))
        let report = try await repo.check()
        #expect(report.errors.contains { $0.contains("dup") && $0.contains("strictly increasing") }, "\(report.errors)")
    }

    @Test func foldersNestedDeeperThanAnyPathAreRefused() async throws {
        let t = TempDir("deep")
        let repo = try await makeRepository(t.sub("repo"))
        var trees = [try Tree(nodes: []).encode()]
        for _ in 0...maxTreeDepth { trees.append(try Tree(nodes: [dirNode("d", trees[trees.count - 1], repo: repo)]).encode()) }
        let top = try #require(trees.last)
        let snapshot = try await commitCraftedSnapshot(repo, root: [dirNode("deep", top, repo: repo)], trees: trees)
        let report = try await repo.check()
        #expect(report.errors.contains { $0.contains("nested more than 4096") }, "\(report.errors.prefix(3))")
        await #expect { try await repo.restore(snapshot, to: t.sub("out")) } throws: { ($0 as? TriplicateError)?.kind == .refused }
        await #expect { try await repo.list(snapshot) } throws: { ($0 as? TriplicateError)?.message.contains("nested more than") == true }
    }
}

@Suite struct CraftedBaseChainTests {
    /// Two blobs stored against each other (a loop of bases), one against a base no pack holds, and a plain one, each the
    /// only chunk of a file; the pack, its index file and a snapshot are written by hand.
    @Test func blobsStoredAgainstEachOtherOrAgainstNothingMakeNoCommandTrapOrHang() async throws {
        let t = TempDir("base-loop")
        let repo = try await makeRepository(t.sub("repo"))
        let block = { (name: String) in Array(String(repeating: "catalog block \(name) ", count: 300).utf8) }
        let a = block("A"), b = block("B"), c = block("C")
        let good = Array("an intact photo".utf8)
        let id = { (bytes: [UInt8]) in repo.keys.idHasher.id(bytes) }
        let builder = try PackBuilder(keys: repo.keys)
        var packBytes: [UInt8] = []
        let zstd = try ZstdCompressor(level: 1)
        for (plain, base) in [(a, id(b)), (b, id(a)), (c, ObjectID(bytes: [UInt8](repeating: 0xEE, count: 32)))] {
            // Any frame will do: a reader must stop at the chain before it decodes anything.
            let frame = try zstd.compress(plain)
            _ = try frame.withUnsafeBytesTyped { (f) throws(CoreError) in
                try builder.addStored(type: .data, id: id(plain), payload: f, compression: .zstdAgainstBase, rawLength: plain.count, base: base) {
                    (piece: UnsafeRawBufferPointer) throws(CoreError) in packBytes.append(contentsOf: piece)
                }.get()
            }
        }
        _ = try good.withUnsafeBytesTyped { (g) throws(CoreError) in
            try builder.add(type: .data, id: id(good), data: g, policy: .never) { (piece: UnsafeRawBufferPointer) throws(CoreError) in
                packBytes.append(contentsOf: piece)
            }.get()
        }
        let nodes = [fileNode("good.NEF", good, repo: repo), fileNode("loop.NEF", a, repo: repo), fileNode("orphan.NEF", c, repo: repo)]
        let tree = try Tree(nodes: nodes).encode()
        _ = try tree.withUnsafeBytesTyped { (b) throws(CoreError) in
            try builder.add(type: .tree, id: id(tree), data: b, policy: .never) { (piece: UnsafeRawBufferPointer) throws(CoreError) in
                packBytes.append(contentsOf: piece)
            }.get()
        }
        let pack = try builder.finish()
        try await repo.destination.put(Layout.pack(pack.id), data: packBytes + pack.bytes)
        let index = try SealedFile.seal(IndexFile(packs: [.init(id: pack.id, entries: pack.entries)]).encode(), kind: .index, keys: repo.keys)
        try await repo.destination.put("index/" + SHA256.hash(index).hex, data: index)
        let record = SnapshotRecord(time: Date(), tree: id(tree), paths: ["/crafted"], hostname: "attacker", username: "x", tags: [],
                                    excludes: [], parent: nil, summary: SnapshotSummary())
        let file = try SealedFile.seal(try record.encode(), kind: .snapshot, keys: repo.keys)
        try await repo.destination.put("snapshots/" + SHA256.hash(file).hex, data: file)
        let snapshot = Snapshot(id: SHA256.hash(file), record: record)

        // The readers leave both out of the index: the files that need them are listed, the intact one restores.
        let out = t.sub("out")
        let restored = try await repo.restore(snapshot, to: out)
        #expect(restored.errors.contains { $0.contains("loop.NEF") } && restored.errors.contains { $0.contains("orphan.NEF") }, "\(restored.errors)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/good.NEF")) == Data(good))
        // check names both files; reading the data authenticates the blobs without following the loop.
        for readData in [false, true] {
            let check = try await repo.check(readData: readData, record: false)
            #expect(check.errors.contains { $0.contains("loop.NEF") && $0.contains("chain of bases") }, "\(check.errors)")
            #expect(check.errors.contains { $0.contains("orphan.NEF") }, "\(check.errors)")
        }
        // A backup stores them again rather than point at them; prune refuses, as for any blob the repository lacks.
        let loaded = try await repo.loadIndex()
        #expect(loaded.contains(id(good)) && !loaded.contains(id(a)) && !loaded.contains(id(b)) && !loaded.contains(id(c)))
        await #expect(throws: TriplicateError.self) { _ = try await repo.prune(options: PruneOptions(maxUnused: .percent(0))) }
        _ = try await repo.repair()
    }
}
