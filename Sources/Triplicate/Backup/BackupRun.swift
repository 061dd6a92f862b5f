// BackupRun: one running backup: its state, and the lifecycle of its stages. The walk (SourceWalker.swift, on the
// calling task) reads files into segments and cuts chunks (FileChunker.swift); worker threads hash and pack them
// (BackupWorker.swift); an upload task stores the packs (PackUploader.swift); folder listings are assembled once
// every file in them has its chunk IDs (ListingAssembler.swift).
@_spi(Benchmarks) internal import TriplicateCore
internal import Foundation
internal import TriplicateDestinations
internal import TriplicateSystem

/// The state of one running backup: the walk, the pipeline and the figures.
final class BackupRun {
    let repository: Repository
    let reader: BlobReader
    let options: BackupOptions
    let excludes: ExcludeMatcher
    var summary = SnapshotSummary()
    var errors: [String] = []
    var warnings: [String] = []
    var chunkers: [UInt8: FastCDC] = [:]
    /// Files with a non-empty write-ahead log or journal beside them: if they are SQLite databases, SQLite copies them.
    var databaseCandidates = Set<String>()
    /// Databases SQLite could not copy, each with the consistent copy of it this snapshot holds (Lightroom's own backup).
    var consistentCopies: [String: String] = [:]
    /// The sources being backed up (paths as the walk reads them).
    var rootPaths: [String] = []
    /// Databases SQLite copied whole: their write-ahead logs and journals are left out.
    var capturedDatabases = Set<String>()
    /// Where packs (and database copies) are staged.
    var stagingDirectory: String { repository.destination.stagingDirectory ?? FileManager.default.temporaryDirectory.path }
    /// Blobs of the repository found damaged during this backup (listings of the parent snapshot): recorded at the end.
    let damage = DamageFinder()
    /// Timestamps at or after this (one second before the backup started) are racy.
    let racyLimit: Timestamp

    // The pipeline.
    let claims: BlobClaims
    let jobs = Channel<ChunkJob>()
    let pool = Channel<Segment>()
    let packs: Channel<StagedPack>
    let failure: PipelineFailure
    let uploader: PackUploader
    let treeStager: PackStager
    var workers: [BackupWorker] = []
    let workersDone: WaitGroup
    let workerCount: Int

    // The segment being filled: bytes `start..<filled` are read but not yet cut.
    var segment: Segment?
    var start = 0
    var filled = 0
    /// Folders whose listing is not stored yet, in the order the walk finished them.
    var pendingDirectories: [PendingDirectory] = []
    var pendingHead = 0

    /// Size of a segment: room for the largest chunk any profile cuts plus a 2 MiB read. There are one more
    /// segments than workers, which keeps every worker busy while the walk fills the next one and bounds the
    /// memory of file data in flight (30 MiB with two workers) whatever the size of the files.
    static let segmentSize = ChunkingProfile.all.map(\.maxSize).max().map { $0 + (2 << 20) } ?? (10 << 20)

    init(repository: Repository, index: MasterIndex, adopted: [IndexFile.Pack], options: BackupOptions, started: Date,
         lock: RepositoryLock?) throws(TriplicateError) {
        self.repository = repository
        let limit = started.timeIntervalSince1970 - 1
        racyLimit = Timestamp(seconds: Int64(limit.rounded(.down)), nanoseconds: UInt32((limit - limit.rounded(.down)) * 1e9))
        self.options = options
        reader = try BlobReader(repository: repository, index: index, finder: damage)
        var matcher = ExcludeMatcher(patterns: options.excludes)
        matcher.folders = Set(options.excludedFolders)
        excludes = matcher
        claims = BlobClaims(base: index)
        workerCount = options.resolvedWorkers
        packs = Channel<StagedPack>(capacity: workerCount + 1)
        let jobs = self.jobs, pool = self.pool, packs = self.packs
        failure = PipelineFailure {
            jobs.close()
            pool.close()
            packs.close()
        }
        uploader = PackUploader(repository: repository, packsPerIndexFile: options.packsPerIndexFile, adopted: adopted, lock: lock,
                                dryRun: options.dryRun)
        let staging = repository.destination.stagingDirectory ?? FileManager.default.temporaryDirectory.path
        let packSize = min(max(options.packSize, 64 << 10), BackupOptions.maxPackSize)
        treeStager = PackStager(keys: repository.keys, level: options.compressionLevel, packSize: packSize, stagingDirectory: staging)
        workersDone = WaitGroup(count: workerCount)
        for _ in 0..<workerCount {
            let stager = PackStager(keys: repository.keys, level: options.compressionLevel, packSize: packSize, stagingDirectory: staging)
            workers.append(BackupWorker(keys: repository.keys, claims: claims, stager: stager))
        }
        for _ in 0...workerCount { pool.sendBlocking(Segment(size: Self.segmentSize, pool: pool)) }
    }

    /// Blobs and plaintext bytes this backup stored; complete once ``run(roots:parent:)`` returned.
    var blobsAdded: Int { workers.reduce(treeStager.blobsAdded) { $0 + $1.stager.blobsAdded } }
    var bytesAdded: Int64 { workers.reduce(treeStager.bytesAdded) { $0 + $1.stager.bytesAdded } }
    var bytesStored: Int64 { uploader.bytesStored }
    func countStored(_ n: Int) { uploader.countStored(n) }

    func progressValue(path: String) -> ProgressEvent {
        ProgressEvent(.backup, done: summary.files, bytes: summary.bytes, bytesRead: summary.bytesRead,
                      bytesStored: uploader.bytesStored, currentPath: path)
    }

    /// Backs up `roots` and returns the ID of the root listing once every pack and index file is stored.
    /// On any failure the workers and the upload task are stopped and their staged files removed before it throws.
    func run(roots: [(path: String, name: [UInt8])], parent: Snapshot?) async throws(TriplicateError) -> ObjectID {
        rootPaths = roots.map(\.path)
        let jobs = self.jobs, packs = self.packs, failure = self.failure, done = workersDone
        for worker in workers {
            let thread = Thread {
                worker.run(jobs: jobs, packs: packs, failure: failure)
                done.done()
            }
            thread.name = "triplicate-backup-worker"
            thread.start()
        }
        let uploader = self.uploader
        let upload = Task { await uploader.run(packs, failure: failure) }
        do throws(TriplicateError) {
            var parentRoot: Tree?
            if let parent, let rootID = parent.record.treeID {
                parentRoot = await parentTree(rootID, path: "/")
            }
            var rootChildren: [Child] = []
            for r in roots {
                let parentNode = parentRoot?.nodes.first { $0.name == r.name }
                if let child = try await node(path: r.path, name: r.name, parent: parentNode, followLink: true) { rootChildren.append(child) }
            }
            segment?.release()
            segment = nil
            jobs.close()
            await done.wait()
            if let e = failure.current { throw e }
            try await storePendingDirectories()
            let rootID = try await storeTree(resolve(rootChildren), path: "/")
            if let pack = try treeStager.finish() { try await send(pack) }
            packs.close()
            await upload.value
            if let e = failure.current { throw e }
            try await uploader.writeIndex()
            return rootID
        } catch {
            failure.fail(error)
            segment?.release()
            segment = nil
            await done.wait()
            await upload.value
            treeStager.discard()
            throw failure.current ?? error
        }
    }

    func send(_ pack: StagedPack) async throws(TriplicateError) {
        guard await packs.send(pack) else {
            FileSystem.removeQuietly(pack.path)
            throw failure.current ?? TriplicateError(.cancelled, "backup stopped")
        }
    }

    func checkCancelled() throws(TriplicateError) {
        if let e = failure.current { throw e }
        if options.cancellation?.isCancelled == true {
            throw TriplicateError(.cancelled, "backup interrupted; the repository is consistent and the next backup resumes from what was stored")
        }
    }

    /// Files of the previous snapshot no longer at their old path, by inode: candidates for a renamed file.
    var moved: [UInt64: TreeNode] = [:]
    /// Listings of vanished folders already remembered: one listing shared by many folders (a snapshot may repeat
    /// the same subtree any number of times) is walked once, so this costs at most the repository's listings.
    var movedTrees = Set<ObjectID>()
}
