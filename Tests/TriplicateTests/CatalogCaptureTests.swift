// CatalogCaptureTests: a SQLite catalog that a program has open in WAL mode is copied by SQLite itself, so the
// snapshot holds one database with every committed transaction (those still in the write-ahead log too) that passes
// its integrity check; a catalog held locked is stored as it is, with a warning that says so.
@_spi(Benchmarks) import TriplicateCore
import CSQLite
import Foundation
import Testing
import TriplicateSystem
@testable import Triplicate

/// A connection that keeps a catalog open, as Lightroom does.
private final class OpenCatalog {
    let db: OpaquePointer
    init(_ path: String, exclusive: Bool = false) throws {
        var handle: OpaquePointer?
        try #require(sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nil) == SQLITE_OK)
        db = try #require(handle)
        // WAL, and no checkpoint: committed transactions stay in Catalog.lrcat-wal, not in the file itself.
        try exec("PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;" + (exclusive ? " PRAGMA locking_mode=EXCLUSIVE;" : ""))
        try exec("CREATE TABLE Adobe_images (id INTEGER PRIMARY KEY, rating INTEGER, path TEXT)")
    }
    func exec(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(db, sql, nil, nil, &error)
        defer { sqlite3_free(error) }
        try #require(status == SQLITE_OK, "\(error.map { String(cString: $0) } ?? "")")
    }
    func edit(_ n: Int, from start: Int = 0) throws {
        try exec("BEGIN")
        for i in start..<(start + n) { try exec("INSERT INTO Adobe_images (rating, path) VALUES (\(i % 6), 'Pictures/2024/IMG_\(i).CR3')") }
        try exec("COMMIT")
    }
    deinit { sqlite3_close_v2(db) }
}

/// Opens `path` read-only and returns `PRAGMA integrity_check` and the number of images.
private func inspect(_ path: String) throws -> (integrity: String, images: Int) {
    var handle: OpaquePointer?
    try #require(sqlite3_open_v2(path, &handle, SQLITE_OPEN_READONLY, nil) == SQLITE_OK)
    let db = try #require(handle)
    defer { sqlite3_close_v2(db) }
    func one(_ sql: String) throws -> String {
        var statement: OpaquePointer?
        try #require(sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK)
        defer { sqlite3_finalize(statement) }
        try #require(sqlite3_step(statement) == SQLITE_ROW)
        return String(cString: sqlite3_column_text(statement, 0))
    }
    return (try one("PRAGMA integrity_check"), Int(try one("SELECT count(*) FROM Adobe_images")) ?? -1)
}

@Suite struct CatalogCaptureTests {
    @Test func aCatalogOpenInWALModeIsCopiedBySQLiteWithEveryCommittedTransaction() async throws {
        let t = TempDir("catalog")
        let folder = t.sub("Lightroom")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let catalog = folder + "/Catalog.lrcat"
        let lightroom = try OpenCatalog(catalog)
        try lightroom.edit(500)
        // The edits are committed, and still only in the write-ahead log.
        #expect((try? FileSystem.size(catalog + "-wal")) ?? 0 > 0)
        let repo = try await makeRepository(t.sub("repo"))
        let r = try await repo.backup(paths: [folder])
        #expect(r.warnings.isEmpty && r.errors.isEmpty, "\(r.warnings) \(r.errors)")
        // One database, no log beside it (applied over the copy, it would undo the copy's consistency).
        #expect(try await repo.list(r.snapshot).map(\.path) == ["/Lightroom", "/Lightroom/Catalog.lrcat"])
        let out = t.sub("out")
        _ = try await repo.restore(r.snapshot, to: out)
        let restored = try inspect(out + "/Lightroom/Catalog.lrcat")
        #expect(restored.integrity == "ok" && restored.images == 500)
        // Lightroom goes on editing; the next backup takes the new transactions, though the catalog file did not change.
        try lightroom.edit(300, from: 500)
        let second = try await repo.backup(paths: [folder])
        let again = t.sub("again")
        _ = try await repo.restore(second.snapshot, to: again)
        #expect(try inspect(again + "/Lightroom/Catalog.lrcat").images == 800)
        // The copy SQLite made for the backup is gone from the staging folder.
        let staged = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path).filter { $0.hasPrefix("catalog.tmp-") }
        #expect(staged.isEmpty)
    }

    @Test func aCatalogHeldLockedIsStoredAsItIsWithAWarning() async throws {
        let t = TempDir("catalog-locked")
        let folder = t.sub("Lightroom")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let lightroom = try OpenCatalog(folder + "/Catalog.lrcat", exclusive: true)
        try lightroom.edit(50)
        let repo = try await makeRepository(t.sub("repo"))
        let r = try await repo.backup(paths: [folder])
        #expect(r.warnings.contains { $0.contains("Catalog.lrcat: SQLite could not take a consistent copy") }, "\(r.warnings)")
        #expect(try await repo.list(r.snapshot).map(\.path) == ["/Lightroom", "/Lightroom/Catalog.lrcat", "/Lightroom/Catalog.lrcat-wal"])
        // Restored together, the file and its log are the catalog as it was.
        let out = t.sub("out")
        _ = try await repo.restore(r.snapshot, to: out)
        let restored = try inspect(out + "/Lightroom/Catalog.lrcat")
        #expect(restored.integrity == "ok" && restored.images == 50)
    }

    /// A zip archive of `payload` as far as a reader of its end needs: a local header, the bytes, and with `complete` the
    /// end-of-central-directory record a finished archive ends with.
    private func zip(_ payload: [UInt8], complete: Bool = true) -> Data {
        var bytes: [UInt8] = [0x50, 0x4B, 3, 4] + payload
        if complete { bytes += [0x50, 0x4B, 5, 6] + [UInt8](repeating: 0, count: 18) }
        return Data(bytes)
    }

    @Test func aLockedCatalogPointsToLightroomsNewestOwnBackupWhenTheSnapshotHoldsIt() async throws {
        let t = TempDir("catalog-own-backup")
        let folder = t.sub("Lightroom")
        let backups = folder + "/Backups"
        // Lightroom's dated backup folders: an older and a newer finished one, and one it is writing now (no zip directory
        // yet), which is newest by time but not a backup.
        let dated = [("2026-11-28 1800", 1_764_352_800.0, true), ("2026-12-05 1830", 1_764_959_400.0, true), ("2026-12-06 0900", 1_765_011_600.0, false)]
        for (name, time, complete) in dated {
            try FileManager.default.createDirectory(atPath: backups + "/" + name, withIntermediateDirectories: true)
            let path = backups + "/" + name + "/Catalog.zip"
            try zip(Array("catalog of \(name)".utf8), complete: complete).write(to: URL(fileURLWithPath: path))
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: time)], ofItemAtPath: path)
        }
        // A backup of another catalog in the same folder is not this one's.
        try zip(Array("other".utf8)).write(to: URL(fileURLWithPath: backups + "/2026-12-06 0900/Other.zip"))
        let newest = backups + "/2026-12-05 1830/Catalog.zip"
        #expect(LightroomBackup.newest(for: folder + "/Catalog.lrcat")?.path == newest)
        #expect(LightroomBackup.newest(for: folder + "/Missing.lrcat") == nil)
        #expect(LightroomBackup.newest(for: folder + "/Catalog.sqlite") == nil)

        let lightroom = try OpenCatalog(folder + "/Catalog.lrcat", exclusive: true)
        try lightroom.edit(50)
        let repo = try await makeRepository(t.sub("repo"))
        let r = try await repo.backup(paths: [folder])
        #expect(r.errors.isEmpty, "\(r.errors)")
        #expect(r.warnings.contains { $0.contains("Catalog.lrcat: SQLite could not take a consistent copy") && $0.contains("Lightroom's own backup of it, \(newest), is in this snapshot too and is consistent") }, "\(r.warnings)")
        #expect(try await repo.list(r.snapshot).map(\.path).contains("/Lightroom/Backups/2026-12-05 1830/Catalog.zip"))

        // Left out of the backup, it is named with what to do.
        let without = try await repo.backup(paths: [folder], options: BackupOptions(excludes: ["Backups"]))
        #expect(without.warnings.contains { $0.contains("Lightroom's newest own backup of it, \(newest), is not in what this backup reads: add its folder to the sources") }, "\(without.warnings)")
        #expect(try await !repo.list(without.snapshot).map(\.path).contains { $0.hasPrefix("/Lightroom/Backups") })
    }
}
