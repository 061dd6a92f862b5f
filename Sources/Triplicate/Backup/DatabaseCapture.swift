// DatabaseCapture: a consistent copy of a SQLite database that a program has open (a Lightroom catalog with its
// write-ahead log), taken with SQLite's own online backup API, so that the snapshot holds one database in which every
// transaction committed before the copy began is present and none is half there.
internal import CSQLite
internal import Foundation
internal import TriplicateSystem

enum DatabaseCapture {
    /// The first 16 bytes of every SQLite 3 database file.
    static let header: [UInt8] = Array("SQLite format 3".utf8) + [0]

    /// What a copy came to.
    enum Outcome {
        /// The database, copied whole into this file (the caller removes it).
        case copied(path: String)
        /// SQLite could not read it: another program holds it locked (Lightroom keeps its catalog open in exclusive
        /// mode), or it cannot be opened; the reason, for the message.
        case refused(String)
    }

    /// True when the open file `fd` starts with the SQLite header.
    static func isDatabase(fd: Int32) -> Bool {
        var first = [UInt8](repeating: 0, count: header.count)
        let n = first.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        return n == header.count && first == header
    }

    /// The side files SQLite keeps beside a database while it is written: the write-ahead log (WAL mode) and the
    /// rollback journal. A copy is taken only when one of them holds something, that is when the database file alone
    /// may not hold every committed transaction (or is being changed).
    static let sideFiles = ["-wal", "-journal"]

    /// Copies the database at `path` into a new file in `folder` with `sqlite3_backup`, in one read transaction: the
    /// copy holds exactly the transactions committed when it began, whether they are in the database file or its
    /// write-ahead log. A program holding a write lock is waited for up to `busyMilliseconds`.
    static func copy(_ path: String, into folder: String, busyMilliseconds: Int32 = 2000) -> Outcome {
        var source: OpaquePointer?
        guard sqlite3_open_v2(path, &source, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK, let source else {
            let why = source.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open it"
            sqlite3_close_v2(source)
            return .refused(why)
        }
        defer { sqlite3_close_v2(source) }
        sqlite3_busy_timeout(source, busyMilliseconds)
        let target = folder + "/catalog.tmp-" + FileSystem.uniqueSuffix()
        var copy: OpaquePointer?
        guard sqlite3_open_v2(target, &copy, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK, let copy else {
            sqlite3_close_v2(copy)
            FileSystem.removeQuietly(target)
            return .refused("cannot create a copy in \(folder)")
        }
        // The copy only lives until it is read: no journal, no flushes.
        sqlite3_exec(copy, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF", nil, nil, nil)
        var outcome: Outcome
        if let backup = sqlite3_backup_init(copy, "main", source, "main") {
            let step = sqlite3_backup_step(backup, -1)
            sqlite3_backup_finish(backup)
            switch step {
            case SQLITE_DONE: outcome = .copied(path: target)
            case SQLITE_BUSY, SQLITE_LOCKED: outcome = .refused("it is locked by the program using it")
            default: outcome = .refused(String(cString: sqlite3_errstr(step)))
            }
        } else {
            outcome = .refused(String(cString: sqlite3_errmsg(copy)))
        }
        if sqlite3_close_v2(copy) != SQLITE_OK, case .copied = outcome { outcome = .refused("the copy could not be closed") }
        if case .refused = outcome { FileSystem.removeQuietly(target) }
        return outcome
    }
}
