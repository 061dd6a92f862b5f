// What one editing session changed: files added, modified, renamed and deleted, with their bytes.

/// A folder renamed during an editing session (paths relative to the set's root).
public struct FolderRename: Sendable, Hashable {
    /// The folder's path before, e.g. `Photos/2024/2024-06-12 Wedding`.
    public var from: String
    /// The folder's path after, e.g. `Photos/2024/2024-06-12 Wedding Smith`.
    public var to: String

    /// A rename record.
    public init(from: String, to: String) {
        self.from = from
        self.to = to
    }
}

/// Metadata saved into a DNG: bytes inserted into its XMP packet, shifting everything after them.
public struct DNGMetadataWrite: Sendable, Hashable {
    /// The DNG's path relative to the set's root (after any folder rename of the same session).
    public var path: String
    /// File offset at which the bytes were inserted.
    public var offset: Int64
    /// Number of bytes inserted.
    public var insertedBytes: Int
    /// Length of the leading part of the file left byte-for-byte unchanged (up to the first updated
    /// TIFF offset field; always at most `offset`).
    public var unchangedPrefix: Int64

    /// A record of one insertion.
    public init(path: String, offset: Int64, insertedBytes: Int, unchangedPrefix: Int64) {
        self.path = path
        self.offset = offset
        self.insertedBytes = insertedBytes
        self.unchangedPrefix = unchangedPrefix
    }
}

/// The changes of one `PhotoSet.edit` session. Paths are relative to the set's root and, for files
/// that still exist, use folder names as they are after the session.
public struct EditSummary: Sendable, Hashable, CustomStringConvertible {
    /// The session number.
    public var session: Int
    /// New files (imported RAWs, their sidecars and previews).
    public var addedFiles: [String] = []
    /// Bytes of the new files.
    public var addedBytes: Int64 = 0
    /// Files whose content changed (sidecars, DNGs, the catalog).
    public var modifiedFiles: [String] = []
    /// Bytes of the modified files after the session.
    public var modifiedBytes: Int64 = 0
    /// Files removed (a rejected RAW and its sidecar, some previews).
    public var deletedFiles: [String] = []
    /// Bytes of the removed files.
    public var deletedBytes: Int64 = 0
    /// Folders renamed.
    public var renamedFolders: [FolderRename] = []
    /// Photos imported into a new dated folder.
    public var importedPhotos = 0
    /// Images whose develop settings changed in the catalog.
    public var developEdits = 0
    /// Sidecars rewritten.
    public var sidecarEdits = 0
    /// Metadata insertions into DNG files.
    public var metadataWrites: [DNGMetadataWrite] = []
    /// Catalog size before the session.
    public var catalogBytesBefore: Int64 = 0
    /// Catalog size after the session.
    public var catalogBytesAfter: Int64 = 0

    /// An empty summary for `session`.
    public init(session: Int) { self.session = session }

    /// One line, e.g. `session 1: +9 files (1.2 MiB), 8 modified, 1 folder renamed, 4 deleted (310 KiB), ...`.
    public var description: String {
        "session \(session): +\(addedFiles.count) files (\(ByteCount.format(addedBytes))) from \(importedPhotos) "
            + "imported photos, \(modifiedFiles.count) modified (\(developEdits) develop edits, \(sidecarEdits) "
            + "sidecars, \(metadataWrites.count) DNG metadata writes), \(renamedFolders.count) folder renamed, "
            + "\(deletedFiles.count) deleted (\(ByteCount.format(deletedBytes))), catalog "
            + "\(ByteCount.format(catalogBytesBefore)) -> \(ByteCount.format(catalogBytesAfter))"
    }
}
