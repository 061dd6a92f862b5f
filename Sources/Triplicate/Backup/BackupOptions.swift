// BackupOptions: what a backup takes (paths, excludes, tags, tuning) and what it reports back.
@_spi(Benchmarks) internal import TriplicateCore
internal import Foundation
internal import Synchronization

/// Settings of one backup.
public struct BackupOptions: Sendable {
    /// Exclude patterns, shell globs: a pattern without `/` matches any file or folder name (`*.tmp`), a pattern that
    /// starts with `/` matches whole absolute paths (`/home/*/Pictures/Exports`), any other pattern with `/` matches
    /// the end of a path (`Lightroom/*Previews.lrdata`). What is excluded is left out with everything below it. A
    /// pattern that can match nothing (an absolute one outside every path backed up) gets a warning.
    public var excludes: [String]
    /// Tags recorded in the snapshot.
    public var tags: [String]
    /// Target size of a pack in bytes; a pack is finished once it reaches this size (at most ``maxPackSize``).
    public var packSize: Int
    /// The largest pack target accepted: packs stay far below FAT32's 4 GiB file limit and are held in memory.
    public static let maxPackSize = 512 << 20
    /// zstd level for blobs that compress (1-19).
    public var compressionLevel: Int32
    /// The default level, 1: on uncompressed RAW data it runs about four times as fast as level 3 and stores about
    /// 7% more (README, "Benchmarks"); already-compressed RAW, JPEG and DNG are stored raw whatever the level.
    public static let defaultCompressionLevel: Int32 = 1
    /// Write an index file after this many packs, so that an interrupted backup loses little.
    public var packsPerIndexFile: Int
    /// Threads that hash, compress and seal chunks; nil for one per processor core. The walk that reads files
    /// and the upload of packs run beside them.
    public var workers: Int?
    /// Host name recorded in the snapshot (default: this machine's).
    public var hostname: String?
    /// Called with progress after each file and each pack; must be cheap and thread safe.
    public var progress: ProgressHandler?
    /// Reads and cuts the files, and compresses and encrypts their new chunks, as a backup does, to count what it would
    /// store, but writes nothing to the repository: no pack, index file, damage record, snapshot or lock file
    /// (``BackupResult/isDryRun``; the snapshot it returns was not stored). Packs are staged in the temporary folder
    /// (or the destination's staging folder) and removed.
    public var dryRun = false
    /// Where a backup keeps, for each SQLite database it reads (a Lightroom catalog), a copy of the version it last
    /// stored, so that the next backup compresses each changed 256 KiB block against the previous version without
    /// reading it back from the repository (FORMAT.md §13): one file as large as the database, per database and
    /// repository, under `<folder>/<repository ID>/`, readable by its owner only. Everything in it is checked against
    /// the repository's block IDs before use, so it may be deleted at any time. nil keeps no copy: changed blocks are
    /// then read back from the repository (not from a bucket, where they are stored whole instead). The default is
    /// ``defaultBlockCache``.
    public var blockCache: String? = BackupOptions.defaultBlockCache
    /// `$XDG_CACHE_HOME/triplicate`, else `$HOME/.cache/triplicate`; nil when neither is set.
    public static var defaultBlockCache: String? {
        let environment = ProcessInfo.processInfo.environment
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") { return xdg + "/triplicate" }
        if let home = environment["HOME"], home.hasPrefix("/") { return home + "/.cache/triplicate" }
        return nil
    }
    /// Called with each file the backup reads (new, or changed since the parent snapshot), once it is read; files
    /// reused unread are not reported. Must be cheap; it is called from one task at a time.
    public var fileRead: (@Sendable (BackupFileRead) -> Void)?
    /// Set by the backup when its Task is cancelled: the workers stop at the next file or chunk.
    var cancellation: Cancellation?
    /// Folders left out by their exact absolute path, with no pattern matching: the copies of the repository that
    /// live inside a source folder (set by the engine).
    var excludedFolders: [String] = []

    /// Default options: no excludes or tags, 32 MiB packs, zstd level 1, one worker per core.
    public init(excludes: [String] = [], tags: [String] = [], packSize: Int = 32 << 20, compressionLevel: Int32 = BackupOptions.defaultCompressionLevel,
                packsPerIndexFile: Int = 16, workers: Int? = nil, hostname: String? = nil,
                progress: ProgressHandler? = nil) {
        self.excludes = excludes
        self.tags = tags
        self.packSize = packSize
        self.compressionLevel = compressionLevel
        self.packsPerIndexFile = packsPerIndexFile
        self.workers = workers
        self.hostname = hostname
        self.progress = progress
    }
}

extension BackupOptions {
    /// The number of worker threads to start: ``workers`` (at least 1, at most 64) or the active core count.
    var resolvedWorkers: Int { min(max(workers ?? ProcessInfo.processInfo.activeProcessorCount, 1), 64) }
}

/// A flag that asks a running operation to stop; safe to set from any thread. Set when the operation's Task is
/// cancelled (``followingTaskCancellation(_:)``), and read by the parts of it that run on threads.
final class Cancellation: Sendable {
    private let flag = Atomic<Bool>(false)
    /// A flag that is not set.
    init() {}
    /// Asks the operation to stop.
    func cancel() { flag.store(true, ordering: .relaxed) }
    /// True once ``cancel()`` was called.
    var isCancelled: Bool { flag.load(ordering: .relaxed) }
}

/// A file a backup read (``BackupOptions/fileRead``).
public struct BackupFileRead: Sendable {
    /// Its absolute path.
    public var path: String
    /// True when the parent snapshot does not hold it (at this path, or at another with its inode: a renamed file).
    public var isNew: Bool
    /// Bytes read.
    public var size: Int64
}

/// The outcome of a backup.
public struct BackupResult: Sendable {
    /// The snapshot written.
    public var snapshot: Snapshot
    /// Files and folders that could not be read, each with the reason; they are missing from the snapshot.
    public var errors: [String]
    /// Things worth knowing that are not errors (files that changed while read, skipped special files).
    public var warnings: [String]
    /// Packs of an earlier interrupted backup that this backup indexed and reused.
    public var adoptedPacks: Int
    /// For a plan's repository (``PlanSession/openForBackup(progress:)``): what happened at each
    /// destination, in the plan's order; empty for a repository on one destination.
    public var destinations: [DestinationReport] = []
    /// True for a dry run (``BackupOptions/dryRun``): nothing was written, and ``snapshot`` is what would have been.
    public var isDryRun = false
    /// True when every destination holds the new snapshot (always, for a repository on one destination).
    public var reachedEveryDestination: Bool { destinations.allSatisfy { $0.outcome == .done } }
}

/// Runs `body` with a ``Cancellation`` that is set when the current Task is cancelled: every long operation stops
/// promptly when its Task is cancelled, including the parts that run on threads of their own (the backup's workers),
/// which look at the flag.
func followingTaskCancellation<T>(_ body: (Cancellation) async throws(TriplicateError) -> T) async throws(TriplicateError) -> T {
    let cancellation = Cancellation()
    let outcome: Outcome<T> = await withTaskCancellationHandler {
        do throws(TriplicateError) { return Outcome(value: try await body(cancellation)) } catch { return Outcome(error: error) }
    } onCancel: {
        cancellation.cancel()
    }
    if let error = outcome.error { throw error }
    guard let value = outcome.value else { throw TriplicateError(.cancelled, "the operation was cancelled") }
    return value
}

/// A value or the error that stopped it: a struct, not a `Result` over a typed error (see ``Lent``).
private struct Outcome<T> {
    var value: T?
    var error: TriplicateError?
    init(value: T) { self.value = value }
    init(error: TriplicateError) { self.error = error }
}
