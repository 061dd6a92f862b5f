// LightroomBackup: Lightroom Classic's own catalog backups, the consistent copy a backup can point to when SQLite cannot
// read a catalog that Lightroom holds locked.
internal import Foundation
internal import TriplicateSystem

/// One of Lightroom's own backups of a catalog: `Backups/<date> <time>/<catalog name>.zip` beside the catalog
/// (Lightroom Classic 6 and later zip the catalog), or a `.lrcat` in such a folder (earlier versions).
struct LightroomBackup: Equatable {
    /// Its path.
    var path: String
    /// Its modification time (when Lightroom finished writing it).
    var mtime: Timestamp

    /// The newest complete backup of the catalog at `catalog` (a path ending in `.lrcat`, any case) in the `Backups`
    /// folder beside it, or nil. A zip counts only when it ends with a zip directory (Lightroom writing it at this moment
    /// leaves none yet) and a catalog only when it starts with SQLite's header.
    static func newest(for catalog: String) -> LightroomBackup? {
        guard let slash = catalog.lastIndex(of: "/") else { return nil }
        let name = catalog[catalog.index(after: slash)...]
        guard name.count > 6, name.lowercased().hasSuffix(".lrcat") else { return nil }
        let stem = String(name.dropLast(6))
        let folder = String(catalog[..<slash]) + "/Backups"
        guard let dated = try? FileSystem.listDirectory(folder) else { return nil }
        var best: LightroomBackup?
        for d in dated where d.isDirectory && d.hasValidName {
            for candidate in [stem + ".zip", stem + ".lrcat"] {
                let path = folder + "/" + d.name + "/" + candidate
                guard let info = try? SourceInfo.lstatPath(path), info.kind == .file, info.mtime > (best?.mtime ?? Timestamp(seconds: .min, nanoseconds: 0)),
                      isComplete(path, zip: candidate.hasSuffix(".zip"), size: info.size) else { continue }
                best = LightroomBackup(path: path, mtime: info.mtime)
            }
        }
        return best
    }

    /// True when the file at `path` is a whole zip archive (its end-of-central-directory record, signature `PK 5 6`,
    /// lies in its last 65,557 bytes) or, for a catalog, starts with SQLite's header.
    static func isComplete(_ path: String, zip: Bool, size: UInt64) -> Bool {
        guard let fd = try? FileSystem.openForReading(path, followLink: false) else { return false }
        defer { FileSystem.closeQuietly(fd) }
        if !zip { return DatabaseCapture.isDatabase(fd: fd) }
        // The record is 22 bytes plus a comment of at most 65,535.
        let tail = Int(min(size, 65_557))
        guard tail >= 22, let bytes = try? FileSystem.readExactly(fd, offset: Int64(size) - Int64(tail), count: tail, path: path) else { return false }
        return (0...(bytes.count - 22)).contains { bytes[$0] == 0x50 && bytes[$0 + 1] == 0x4B && bytes[$0 + 2] == 5 && bytes[$0 + 3] == 6 }
    }
}
