// Helpers for the photo-set tests: temporary folders, tree snapshots, catalog queries, zstd.

import Foundation
@testable import PhotoFixtures

/// A fresh path under the system temporary folder (not created); removed by `removeTree`.
func temporaryRoot(_ label: String) -> String {
    NSTemporaryDirectory() + "photofixtures-\(label)-\(UUID().uuidString)"
}

/// Deletes a test folder, ignoring errors.
func removeTree(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

/// One file of a snapshot.
struct SnapshotFile: Equatable {
    var bytes: [UInt8]
    var modified: Int64
}

/// Every regular file below `root` by relative path, with content and modification time.
func snapshot(_ root: String) throws -> [String: SnapshotFile] {
    var files: [String: SnapshotFile] = [:]
    func walk(_ relative: String) throws {
        let path = relative.isEmpty ? root : root + "/" + relative
        for name in try FileSystem.directoryEntries(path) {
            let child = relative.isEmpty ? name : relative + "/" + name
            switch try FileSystem.entry(at: root + "/" + child) {
            case .directory: try walk(child)
            case .file:
                files[child] = SnapshotFile(bytes: try FileSystem.readFile(root + "/" + child),
                                            modified: try FileSystem.modificationTime(root + "/" + child).seconds)
            default: break
            }
        }
    }
    try walk("")
    return files
}

/// Modification times of every directory below `root` by relative path.
func directoryTimes(_ root: String) throws -> [String: Int64] {
    var times: [String: Int64] = [:]
    func walk(_ relative: String) throws {
        let path = relative.isEmpty ? root : root + "/" + relative
        for name in try FileSystem.directoryEntries(path) {
            let child = relative.isEmpty ? name : relative + "/" + name
            if case .directory = try FileSystem.entry(at: root + "/" + child) {
                times[child] = try FileSystem.modificationTime(root + "/" + child).seconds
                try walk(child)
            }
        }
    }
    try walk("")
    return times
}

/// Opens the catalog of the set at `root` read-write (tests only read).
func openCatalog(_ root: String) throws -> SQLiteDatabase {
    try SQLiteDatabase(path: root + "/" + PhotoSet.catalogPath, create: false)
}

/// All rows of a one-column query, as text.
func column(_ database: SQLiteDatabase, _ sql: String) throws -> [String] {
    let statement = try database.prepare(sql)
    var values: [String] = []
    while try statement.step() { values.append(statement.text(0) ?? "") }
    return values
}

/// Paths (relative to the root) of every file the catalog lists.
func catalogFilePaths(_ database: SQLiteDatabase) throws -> [String] {
    try column(database, """
        SELECT 'Photos/' || fo.pathFromRoot || f.baseName || '.' || f.extension
        FROM AgLibraryFile f JOIN AgLibraryFolder fo ON f.folder = fo.id_local ORDER BY f.id_local
        """)
}

/// The zstd command-line tool, if installed.
let zstdPath: String? = ["/usr/bin/zstd", "/usr/local/bin/zstd", "/opt/homebrew/bin/zstd"]
    .first { FileManager.default.isExecutableFile(atPath: $0) }

/// The size `zstd -3` compresses `path` to.
func zstdSize(_ path: String) throws -> Int {
    guard let zstdPath else { return -1 }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: zstdPath)
    process.arguments = ["-3", "-c", "-q", path]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return data.count
}

extension Array where Element == UInt8 {
    /// Whether `needle` occurs in the array.
    func containsBytes(_ needle: String) -> Bool {
        firstRange(of: Array(needle.utf8)) != nil
    }
}
