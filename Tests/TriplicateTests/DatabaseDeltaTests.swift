// DatabaseDeltaTests: a SQLite catalog is cut in fixed 256 KiB blocks whatever its name, and each changed block is
// stored compressed against its previous version: a day of edits spread over the whole catalog costs a small fraction of
// the catalog, every version restores byte for byte, and prune, check and a lost base behave as FORMAT.md §7.2 and §9 say.
@_spi(Benchmarks) import TriplicateCore
import CSQLite
import Foundation
import Synchronization
import Testing
import TriplicateSystem
@testable import Triplicate

/// A catalog like Lightroom's in miniature: one row per image with a rating, a flag and develop settings as text.
private final class Catalog {
    let db: OpaquePointer
    let path: String
    static let images = 24_000

    /// A new catalog of ``images`` images called `name` in a new folder `Lightroom` of `t`.
    static func created(in t: TempDir, named name: String = "Catalog.lrcat") throws -> Catalog {
        try FileManager.default.createDirectory(atPath: t.sub("Lightroom"), withIntermediateDirectories: true)
        let catalog = try Catalog(t.sub("Lightroom/" + name))
        try catalog.create()
        return catalog
    }

    init(_ path: String) throws {
        self.path = path
        var handle: OpaquePointer?
        try #require(sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nil) == SQLITE_OK)
        db = try #require(handle)
    }

    deinit { sqlite3_close_v2(db) }

    func exec(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(db, sql, nil, nil, &error)
        defer { sqlite3_free(error) }
        try #require(status == SQLITE_OK, "\(error.map { String(cString: $0) } ?? "")")
    }

    /// Develop settings that differ from image to image and from edit to edit, and compress like Lightroom's.
    static func settings(_ image: Int, edit: Int) -> String {
        (0..<12).map { k in "s\(k)=\((image &* 7919 &+ k &* 104_729 &+ edit &* 1_299_709) % 100_003)" }.joined(separator: ",")
    }

    func create() throws {
        try exec("CREATE TABLE Adobe_images (id INTEGER PRIMARY KEY, rating INTEGER, pick INTEGER, path TEXT, develop TEXT)")
        try exec("BEGIN")
        for i in 0..<Self.images {
            try exec("INSERT INTO Adobe_images VALUES (\(i), 0, 0, 'Pictures/2024/\(i / 500)/DSC_\(i).NEF', '\(Self.settings(i, edit: 0))')")
        }
        try exec("COMMIT")
    }

    /// A session of edits spread over the whole catalog: every `step`th image rated, picked and developed again.
    func session(_ edit: Int, step: Int) throws {
        try exec("BEGIN")
        for i in stride(from: edit % step, to: Self.images, by: step) {
            try exec("UPDATE Adobe_images SET rating = \((i + edit) % 6), pick = 1, develop = '\(Self.settings(i, edit: edit))' WHERE id = \(i)")
        }
        try exec("COMMIT")
    }
}

/// A folder destination that counts the ranged reads of packs.
private final class PackReadCounting: Destination {
    let inner: LocalDirectory
    private let count = Mutex(0)
    init(_ path: String) { inner = LocalDirectory(path: path) }
    var packReads: Int { count.withLock { $0 } }
    var displayName: String { inner.displayName }
    var stagingDirectory: String? { inner.stagingDirectory }
    func put(_ name: String, data: [UInt8]) async throws(DestinationError) { try await inner.put(name, data: data) }
    func put(_ name: String, file path: String) async throws(DestinationError) { try await inner.put(name, file: path) }
    func get(_ name: String) async throws(DestinationError) -> [UInt8] { try await inner.get(name) }
    func get(_ name: String, range: Range<Int64>) async throws(DestinationError) -> [UInt8] {
        if name.hasPrefix("data/") { count.withLock { $0 += 1 } }
        return try await inner.get(name, range: range)
    }
    func get(_ name: String, range: Range<Int64>, into buffer: UnsafeMutableRawBufferPointer) async throws(DestinationError) {
        if name.hasPrefix("data/") { count.withLock { $0 += 1 } }
        try await inner.get(name, range: range, into: buffer)
    }
    func list(prefix: String) async throws(DestinationError) -> [ObjectInfo] { try await inner.list(prefix: prefix) }
    func delete(_ name: String) async throws(DestinationError) { try await inner.delete(name) }
    func stat(_ name: String) async throws(DestinationError) -> ObjectInfo { try await inner.stat(name) }
}

@Suite struct DatabaseDeltaTests {
    private func contents(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    /// The blocks of the file whose path ends in `name` in `snapshot`, with its profile.
    private func blocks(of name: String, in snapshot: Snapshot, _ repo: Repository) async throws -> (chunks: [ObjectID], profile: UInt8) {
        let entry = try #require(try await repo.list(snapshot).first { $0.path.hasSuffix(name) })
        guard case .file(let chunks, let profile, _, _) = entry.node.content else { throw TriplicateError(.invalidArgument, "\(name) is not a file") }
        return (chunks, profile)
    }

    @Test func aDayOfCatalogEditsCostsAFractionOfTheCatalogAndEveryVersionRestores() async throws {
        let t = TempDir("db-delta")
        // Named like no database: the header decides.
        let catalog = try Catalog.created(in: t, named: "Studio catalog.data")
        let folder = t.sub("Lightroom"), path = catalog.path
        let repo = try await makeRepository(t.sub("repo"))
        var versions: [(snapshot: Snapshot, bytes: Data, added: Int64)] = []
        for session in 0...4 {
            if session > 0 { try catalog.session(session, step: 80) }
            let r = try await repo.backup(paths: [folder])
            #expect(r.errors.isEmpty && r.warnings.isEmpty, "\(r.errors) \(r.warnings)")
            versions.append((r.snapshot, try contents(path), r.snapshot.record.summary.bytesStored))
        }
        let size = versions[0].bytes.count
        #expect(size > 3_000_000, "the catalog is \(size) bytes")
        // Each session (300 images edited of 24,000) touched pages all over the file: every 1 MiB of it changed, so a tool that stores changed chunks
        // alone stores about the whole catalog again (restic does, README "A Lightroom catalog alone"). Stored against
        // their previous versions, the changed blocks cost at most an eighth of that.
        for v in versions.dropFirst() {
            #expect(v.added * 8 <= versions[0].added, "a session added \(v.added) bytes, the whole catalog \(versions[0].added)")
        }
        // Profile 4 and whole 256 KiB blocks, and the changed blocks are stored against a base.
        let (chunks, profile) = try await blocks(of: "Studio catalog.data", in: versions[4].snapshot, repo)
        #expect(profile == ChunkingProfile.pages.id)
        let index = try await repo.loadIndex()
        #expect(chunks.count == (size + (256 << 10) - 1) / (256 << 10))
        let based = chunks.compactMap { index.location($0)?.entry.base }
        #expect(based.count > chunks.count / 2, "\(based.count) of \(chunks.count) blocks are stored against a base")
        // Each version's block is stored against the previous version's: four sessions make chains of four links.
        #expect(chunks.compactMap { index.chainLength($0) }.max() == 4)
        // Every version restores byte for byte.
        for (n, v) in versions.enumerated() {
            let out = t.sub("out\(n)")
            let restored = try await repo.restore(v.snapshot, to: out)
            #expect(restored.errors.isEmpty)
            #expect(try contents(out + "/Lightroom/Studio catalog.data") == v.bytes)
        }
        #expect(try await repo.check(readData: true).isHealthy)
        // Forgetting the versions that hold the bases keeps the bases: the newest version still restores.
        _ = try await repo.forget(policy: RetentionPolicy(keepLast: 1))
        _ = try await repo.prune(options: PruneOptions(maxUnused: .percent(0)))
        let check = try await repo.check(readData: true)
        #expect(check.isHealthy, "\(check.errors)")
        let out = t.sub("after-prune")
        _ = try await repo.restore(versions[4].snapshot, to: out)
        #expect(try contents(out + "/Lightroom/Studio catalog.data") == versions[4].bytes)
    }

    @Test func aRestoreReadsTheBasesOfAChangedCatalogInAFewRequestsNotOnePerBlock() async throws {
        let t = TempDir("db-delta-requests")
        let catalog = try Catalog.created(in: t)
        let folder = t.sub("Lightroom"), path = catalog.path
        let repoPath = t.sub("repo")
        let repo = try await makeRepository(repoPath)
        _ = try await repo.backup(paths: [folder])
        try catalog.session(1, step: 80)
        let edited = try await repo.backup(paths: [folder])
        let index = try await repo.loadIndex()
        let chunks = try await blocks(of: "Catalog.lrcat", in: edited.snapshot, repo).chunks
        let based = chunks.filter { index.location($0)?.entry.base != nil }.count
        #expect(based >= 10)
        // Over the internet each request is a round trip: the blocks and their bases come in a few ranges each.
        let counting = PackReadCounting(repoPath)
        let reopened = try await Repository.open(counting, password: TestKeys.password)
        _ = try await reopened.restore(edited.snapshot, to: t.sub("out"))
        #expect(try contents(t.sub("out") + "/Lightroom/Catalog.lrcat") == contents(path))
        #expect(counting.packReads < based, "\(counting.packReads) pack reads for \(based) blocks stored against a base")
    }

    @Test func theBlockCacheSparesReadingPreviousVersionsBackAndADamagedCacheIsIgnored() async throws {
        let t = TempDir("db-delta-cache")
        let catalog = try Catalog.created(in: t)
        let folder = t.sub("Lightroom"), path = catalog.path
        let repoPath = t.sub("repo")
        _ = try await makeRepository(repoPath)
        let counting = PackReadCounting(repoPath)
        let repo = try await Repository.open(counting, password: TestKeys.password)
        var options = BackupOptions()
        options.blockCache = t.sub("cache")
        _ = try await repo.backup(paths: [folder], options: options)
        // The cache holds the version stored, in one file readable by its owner only.
        let cached = try FileManager.default.subpathsOfDirectory(atPath: t.sub("cache")).filter { !$0.contains(".tmp-") }
        let file = try #require(cached.first { $0.count > 70 })
        #expect(try contents(t.sub("cache/") + file) == contents(path))
        #expect(try FileManager.default.attributesOfItem(atPath: t.sub("cache/") + file)[.posixPermissions] as? Int == 0o600)
        // With it, the next backup reads no previous version back from the repository (only the parent's listings).
        func editAndBackUp(_ session: Int, cache: String?) async throws -> (reads: Int, snapshot: Snapshot, bytes: Data) {
            try catalog.session(session, step: 80)
            options.blockCache = cache
            let before = counting.packReads
            let r = try await repo.backup(paths: [folder], options: options)
            return (counting.packReads - before, r.snapshot, try contents(path))
        }
        let withCache = try await editAndBackUp(1, cache: t.sub("cache"))
        let index = try await repo.loadIndex()
        let chunks = try await blocks(of: "Catalog.lrcat", in: withCache.snapshot, repo).chunks
        let based = chunks.filter { index.location($0)?.entry.base != nil }.count
        #expect(based >= 10)
        #expect(withCache.reads <= 3, "\(withCache.reads) pack reads")
        // Without a cache they are read back; a cache whose bytes are wrong is checked, ignored and replaced.
        let without = try await editAndBackUp(2, cache: nil)
        #expect(without.reads >= based, "\(without.reads) pack reads")
        try writeFile(t.sub("cache/") + file, pseudoRandomBytes(1 << 20, seed: 77))
        let damaged = try await editAndBackUp(3, cache: t.sub("cache"))
        #expect(damaged.reads >= based)
        #expect(try contents(t.sub("cache/") + file) == contents(path))
        for v in [withCache, without, damaged] {
            let out = t.sub("out-\(v.snapshot.id.short)")
            _ = try await repo.restore(v.snapshot, to: out)
            #expect(try contents(out + "/Lightroom/Catalog.lrcat") == v.bytes)
        }
        #expect(try await repo.check(readData: true).isHealthy)
    }

    @Test func aLostBaseLosesTheBlocksStoredAgainstItAndTheNextBackupStoresThemAgain() async throws {
        let t = TempDir("db-delta-lost")
        let catalog = try Catalog.created(in: t)
        let folder = t.sub("Lightroom"), path = catalog.path
        let repoPath = t.sub("repo")
        let repo = try await makeRepository(repoPath)
        _ = try await repo.backup(paths: [folder])
        let firstPacks = Set(try await repo.loadIndex().packs)
        try catalog.session(1, step: 40)
        let second = try await repo.backup(paths: [folder])
        // The packs of the first backup held the bases: gone, the blocks stored against them cannot be read.
        for pack in firstPacks { try FileManager.default.removeItem(atPath: repoPath + "/" + Layout.pack(pack)) }
        let check = try await repo.check()
        #expect(!check.isHealthy)
        #expect(check.errors.contains { $0.contains("Catalog.lrcat") }, "\(check.errors)")
        let out = t.sub("out")
        let restored = try? await repo.restore(second.snapshot, to: out)
        #expect(restored == nil || restored?.errors.contains { $0.contains("Catalog.lrcat") } == true)
        // The next backup does not point at them: it stores the catalog whole again, and that version restores.
        let third = try await repo.backup(paths: [folder])
        let again = t.sub("again")
        _ = try await repo.restore(third.snapshot, to: again)
        #expect(try contents(again + "/Lightroom/Catalog.lrcat") == contents(path))
    }
}
