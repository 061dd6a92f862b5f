// ChunkingProfile: the per-file-type chunk size profiles of format version 1.

/// A set of FastCDC sizes chosen by file type. The profile used for a file is recorded in its tree node, so
/// restore and check never need to know it; a backup needs it only to cut new or changed files the same way.
@_spi(Benchmarks) public struct ChunkingProfile: Sendable, Hashable {
    /// The number recorded in tree nodes.
    public var id: UInt8
    /// A short name for messages.
    public var name: String
    /// FastCDC minimum chunk size.
    public var minSize: Int
    /// FastCDC average (target) chunk size.
    public var averageSize: Int
    /// FastCDC maximum chunk size.
    public var maxSize: Int

    /// Files named like databases (`.lrcat`, `.sqlite`, `.db`, a catalog's `-wal`) that do not start with SQLite's
    /// header: small content-defined chunks, so edits that touch a few pages cost a few chunks. (A real SQLite database
    /// takes ``pages`` instead; catalogs backed up before that was so keep this profile until their next backup.)
    public static let database = ChunkingProfile(id: 1, name: "database", minSize: 4 << 10, averageSize: 16 << 10, maxSize: 64 << 10)
    /// Everything else: sidecars, previews, documents.
    public static let general = ChunkingProfile(id: 2, name: "general", minSize: 64 << 10, averageSize: 256 << 10, maxSize: 1 << 20)
    /// Camera RAW files and video: large, mostly immutable files for which large chunks keep the index small.
    public static let media = ChunkingProfile(id: 3, name: "media", minSize: 512 << 10, averageSize: 2 << 20, maxSize: 8 << 20)

    /// SQLite databases, found by their header whatever their name (a Lightroom catalog above all): fixed blocks of
    /// 256 KiB, so that block *i* of a new version covers the same pages as block *i* of the last one, and a changed
    /// block is stored compressed against its previous version (FORMAT.md §12.7, §13): a day of edits spread over a
    /// large catalog then costs about a tenth of what content-defined chunks cost. Not cut by FastCDC
    /// (``isFixedSize``); 256 KiB is a multiple of every SQLite page size.
    public static let pages = ChunkingProfile(id: 4, name: "pages", minSize: 256 << 10, averageSize: 256 << 10, maxSize: 256 << 10)

    /// Every profile of format version 1, by ID.
    public static let all: [ChunkingProfile] = [.database, .general, .media, .pages]

    /// True for a profile that cuts fixed blocks of ``maxSize`` (the last one shorter) instead of content-defined chunks.
    public var isFixedSize: Bool { minSize == maxSize }

    /// The profile with `id`, if it exists.
    public static func withID(_ id: UInt8) -> ChunkingProfile? { all.first { $0.id == id } }

    /// File-name extensions (lowercase) that select ``database``.
    public static let databaseExtensions: Set<String> = ["lrcat", "sqlite", "sqlite3", "db", "lrcat-wal", "lrcat-journal", "lrcat-data"]
    /// File-name extensions (lowercase) that select ``media``.
    public static let mediaExtensions: Set<String> = [
        "nef", "nrw", "cr2", "cr3", "crw", "arw", "srf", "sr2", "dng", "raf", "orf", "rw2", "pef", "srw", "x3f", "3fr",
        "iiq", "erf", "mef", "mos", "kdc", "dcr", "rwl", "gpr", "mov", "mp4", "m4v", "avi", "mts", "m2ts", "mkv",
        "braw", "r3d", "psb", "tif", "tiff", "psd",
    ]

    /// The profile for a file called `name` (a single path component): by its extension, case-insensitively. (A file that
    /// starts with SQLite's header takes ``pages`` instead, whatever its name: the backup looks at its first bytes.)
    public static func forFile(named name: String) -> ChunkingProfile {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return .general }
        let ext = name[name.index(after: dot)...].lowercased()
        if databaseExtensions.contains(ext) { return .database }
        if mediaExtensions.contains(ext) { return .media }
        return .general
    }

    /// The FastCDC parameters of this profile in a repository whose chunker seed is `seed` (normalization level 1).
    public func parameters(seed: UInt64) -> ChunkerParameters {
        ChunkerParameters(minSize: minSize, averageSize: averageSize, maxSize: maxSize, normalization: 1, seed: seed)
    }
}
