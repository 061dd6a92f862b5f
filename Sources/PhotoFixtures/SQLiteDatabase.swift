// A minimal owner of a libsqlite3 connection and its prepared statements, throwing `PhotoFixtureError`.

import CSQLite

/// A value bound to or read from a statement.
enum SQLiteValue {
    case integer(Int64)
    case real(Double)
    case text(String)
    case null
}

/// One open SQLite database. The connection is closed by `close()` or, on error paths, in `deinit`.
final class SQLiteDatabase {
    /// The database file, for error messages.
    let path: String
    private var handle: OpaquePointer?

    /// Opens `path` for reading and writing, creating it if `create` is set.
    init(path: String, create: Bool) throws(PhotoFixtureError) {
        self.path = path
        var connection: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &connection, flags, nil)
        guard status == SQLITE_OK, let connection else {
            let message = connection.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(status))
            sqlite3_close_v2(connection)
            throw .catalog("open catalog", path: path, message: message)
        }
        handle = connection
    }

    deinit {
        if let handle { sqlite3_close_v2(handle) }
    }

    /// The connection; valid until `close()`.
    var connection: OpaquePointer? { handle }

    /// The last error message of the connection.
    var errorMessage: String {
        guard let handle else { return "database is closed" }
        return String(cString: sqlite3_errmsg(handle))
    }

    /// Runs one or more statements without results.
    func execute(_ sql: String) throws(PhotoFixtureError) {
        var error: UnsafeMutablePointer<CChar>?
        if sqlite3_exec(handle, sql, nil, nil, &error) != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? errorMessage
            sqlite3_free(error)
            throw .catalog("run \"\(sql.prefix(60))\" on", path: path, message: message)
        }
    }

    /// Compiles `sql`.
    func prepare(_ sql: String) throws(PhotoFixtureError) -> SQLiteStatement {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw .catalog("prepare \"\(sql.prefix(60))\" on", path: path, message: errorMessage)
        }
        return SQLiteStatement(statement: statement, database: self, sql: sql)
    }

    /// The rowid of the last successful INSERT.
    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// The first column of the first row of `sql`, as an integer (0 when there is no row).
    func integer(_ sql: String, _ values: [SQLiteValue] = []) throws(PhotoFixtureError) -> Int64 {
        let statement = try prepare(sql)
        try statement.bind(values)
        return try statement.step() ? statement.integer(0) : 0
    }

    /// The first column of the first row of `sql`, as text (nil when there is no row or it is NULL).
    func text(_ sql: String, _ values: [SQLiteValue] = []) throws(PhotoFixtureError) -> String? {
        let statement = try prepare(sql)
        try statement.bind(values)
        return try statement.step() ? statement.text(0) : nil
    }

    /// Closes the connection, reporting statements left open or a failed final write.
    func close() throws(PhotoFixtureError) {
        guard let connection = handle else { return }
        let status = sqlite3_close(connection)
        if status != SQLITE_OK {
            throw .catalog("close catalog", path: path, message: String(cString: sqlite3_errstr(status)))
        }
        handle = nil
    }
}

/// A prepared statement, finalised in `deinit`. Keeps its database alive.
final class SQLiteStatement {
    private let statement: OpaquePointer
    private let database: SQLiteDatabase
    private let sql: String

    fileprivate init(statement: OpaquePointer, database: SQLiteDatabase, sql: String) {
        self.statement = statement
        self.database = database
        self.sql = sql
    }

    deinit { sqlite3_finalize(statement) }

    private func failure(_ operation: String) -> PhotoFixtureError {
        .catalog("\(operation) \"\(sql.prefix(60))\" on", path: database.path, message: database.errorMessage)
    }

    /// Resets the statement and binds `values` to parameters 1, 2, ...
    func bind(_ values: [SQLiteValue]) throws(PhotoFixtureError) {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch value {
            case .integer(let number): status = sqlite3_bind_int64(statement, index, number)
            case .real(let number): status = sqlite3_bind_double(statement, index, number)
            case .text(let string): status = sqlite3_bind_text(statement, index, string, -1, tri_sqlite_transient())
            case .null: status = sqlite3_bind_null(statement, index)
            }
            if status != SQLITE_OK { throw failure("bind parameters of") }
        }
    }

    /// Advances to the next row; false when the statement is done.
    func step() throws(PhotoFixtureError) -> Bool {
        switch sqlite3_step(statement) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw failure("execute")
        }
    }

    /// Binds `values` and runs the statement to completion.
    func run(_ values: [SQLiteValue]) throws(PhotoFixtureError) {
        try bind(values)
        while try step() {}
        sqlite3_reset(statement)
    }

    /// Column `index` of the current row as an integer.
    func integer(_ index: Int32) -> Int64 { sqlite3_column_int64(statement, index) }

    /// Column `index` of the current row as a double.
    func real(_ index: Int32) -> Double { sqlite3_column_double(statement, index) }

    /// Column `index` of the current row as text, or nil for NULL.
    func text(_ index: Int32) -> String? {
        guard let pointer = sqlite3_column_text(statement, index) else { return nil }
        return String(cString: pointer)
    }
}
