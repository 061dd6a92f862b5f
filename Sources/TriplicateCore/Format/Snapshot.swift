// Snapshot: the JSON record of one backup — when, what, from where, and the root tree it points at.
public import Foundation

/// The record of one backup: the commit point of the format. Encoded as JSON (UTF-8) inside a sealed
/// snapshot file (FORMAT.md, "Snapshots").
package struct SnapshotRecord: Sendable, Codable, Equatable {
    /// Record version, 1.
    package var version: Int
    /// When the backup started, ISO 8601 UTC with fractional seconds, e.g. `2026-11-28T15:02:29.123Z`.
    package var time: String
    /// The root tree's ID, 64 hex digits. The root tree holds one node per backed-up path.
    package var tree: String
    /// The absolute source paths, as given.
    package var paths: [String]
    /// The computer's host name.
    package var hostname: String
    /// The user who ran the backup.
    package var username: String
    /// Free-form tags given with `--tag`.
    package var tags: [String]
    /// Exclude patterns in force.
    package var excludes: [String]
    /// The snapshot this one was compared against for unchanged files, if any (64 hex digits).
    package var parent: String?
    /// Figures about the backup.
    package var summary: SnapshotSummary

    /// Creates a record.
    package init(time: Date, tree: ObjectID, paths: [String], hostname: String, username: String, tags: [String],
                excludes: [String], parent: ObjectID?, summary: SnapshotSummary) {
        version = 1
        self.time = SnapshotRecord.format(time)
        self.tree = tree.hex
        self.paths = paths
        self.hostname = hostname
        self.username = username
        self.tags = tags
        self.excludes = excludes
        self.parent = parent?.hex
        self.summary = summary
    }

    /// The root tree ID, or nil if the field is malformed.
    package var treeID: ObjectID? { ObjectID(hex: tree) }

    /// The parent snapshot ID, if any.
    package var parentID: ObjectID? { parent.flatMap { ObjectID(hex: $0) } }

    /// The backup time as a `Date` (distant past if the field is malformed), parsed by ``ISOTime``.
    package var date: Date { ISOTime.parse(time) ?? .distantPast }

    /// `date` as the repository records times: RFC 3339 in UTC with milliseconds.
    package static func format(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }

    /// The JSON payload (keys sorted).
    package func encode() throws(CoreError) -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        do { return Array(try e.encode(self)) } catch { throw .invalidArgument("snapshot does not encode: \(error)") }
    }

    /// Decodes the JSON payload; `context` names the file in errors.
    package static func decode(_ bytes: [UInt8], context: String) throws(CoreError) -> SnapshotRecord {
        let record: SnapshotRecord
        do { record = try JSONDecoder().decode(SnapshotRecord.self, from: Data(bytes)) } catch {
            throw .malformed("\(context): snapshot JSON does not decode (\(error))")
        }
        guard record.version == 1 else { throw .malformed("\(context): snapshot record version \(record.version) is not supported") }
        guard record.treeID != nil else { throw .malformed("\(context): tree is not a 64-digit hex ID") }
        return record
    }
}

/// Figures recorded with a snapshot.
public struct SnapshotSummary: Sendable, Codable, Equatable {
    /// Regular files in the snapshot.
    public var files: Int
    /// Directories in the snapshot.
    public var directories: Int
    /// Symbolic links in the snapshot.
    public var symlinks: Int
    /// Total size of the files' content.
    public var bytes: Int64
    /// Files that were read (new or changed); the others reused the parent's chunk list.
    public var filesRead: Int
    /// Bytes read from those files.
    public var bytesRead: Int64
    /// Blobs (chunks and trees) this backup added to the repository.
    public var blobsAdded: Int
    /// Plaintext bytes of those blobs.
    public var bytesAdded: Int64
    /// Bytes this backup wrote to the repository (packs, index files and the snapshot).
    public var bytesStored: Int64
    /// Source entries that could not be read and are missing from the snapshot.
    public var errors: Int

    /// Creates a summary with every figure zero.
    public init() {
        files = 0; directories = 0; symlinks = 0; bytes = 0; filesRead = 0; bytesRead = 0
        blobsAdded = 0; bytesAdded = 0; bytesStored = 0; errors = 0
    }
}
