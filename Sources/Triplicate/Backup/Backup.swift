// Backup: walks the source paths, stores new chunks and trees, and commits a snapshot.
@_spi(Benchmarks) internal import TriplicateCore
internal import Foundation
internal import TriplicateDestinations
internal import TriplicateSystem

extension Repository {
    /// Backs up `paths` (files or folders) into a new snapshot.
    ///
    /// Files whose size, mtime, ctime and inode match the parent snapshot (the latest one of the same host and
    /// paths) reuse its chunk list without being read. Write order: packs, then index files, then the snapshot;
    /// an interruption at any point leaves only unreferenced files, and packs left by an interrupted backup are
    /// adopted by the next one.
    ///
    /// Source entries that cannot be read are left out and listed in ``BackupResult/errors``; a path given
    /// here that does not exist is an error before anything is written.
    ///
    /// Cancelling the Task stops the backup at the next file or chunk, with ``TriplicateError/Kind-swift.enum/cancelled``;
    /// what was stored so far is reused by the next backup.
    public func backup(paths: [String], options: BackupOptions = BackupOptions()) async throws(TriplicateError) -> BackupResult {
        try await followingTaskCancellation { cancellation throws(TriplicateError) in
            var options = options
            options.cancellation = cancellation
            return try await backup(paths: paths, following: options)
        }
    }

    /// ``backup(paths:options:)`` with `options.cancellation` set.
    func backup(paths: [String], following options: BackupOptions) async throws(TriplicateError) -> BackupResult {
        guard !paths.isEmpty else { throw TriplicateError(.invalidArgument, "no paths to back up") }
        var absolutePaths: [String] = []
        for p in paths {
            let abs = Self.absolute(p)
            guard FileSystem.exists(abs) else {
                throw TriplicateError(.sourceUnreadable, "\(p) does not exist; nothing was backed up")
            }
            guard !absolutePaths.contains(abs) else {
                throw TriplicateError(.invalidArgument, "\(p) is given twice (as \(abs)); name each path once")
            }
            absolutePaths.append(abs)
        }
        let names = Snapshot.rootNames(of: absolutePaths)
        let roots = absolutePaths.map { (path: $0, name: Array((names[$0] ?? "root").utf8)) }
        var options = options
        var warnings: [String] = []
        for p in options.excludes {
            if let why = ExcludeMatcher.unmatchable(p, roots: roots.map(\.path)) { warnings.append("the exclude pattern \(p) can match nothing: \(why)") }
        }
        for r in roots where Self.isEmptyFolder(r.path) {
            warnings.append("\(r.path) is an empty folder (is its drive mounted?): this snapshot holds nothing of it")
        }
        if let replicas, let report = options.progress {
            // A plan's backup says how much each destination has received.
            options.progress = { p in
                var p = p
                p.storedPerDestination = replicas.written
                report(p)
            }
        }
        // A copy of this repository inside a folder being backed up would back itself up: it is left out.
        let (inside, itself) = Self.repositoryFolders(destination.localFolders, under: roots.map(\.path))
        if let itself {
            throw TriplicateError(.invalidArgument, "\(itself) is the repository itself; back up the folders it is meant to protect")
        }
        for folder in inside where !options.excludedFolders.contains(folder) {
            options.excludedFolders.append(folder)
            warnings.append("\(folder) holds this repository: it is left out of the backup")
        }
        let started = Date()
        let hostname = options.hostname ?? Host.currentName
        // A shared lock: backups run side by side, and no prune or repair deletes anything while one runs (§14.12).
        // A dry run writes nothing, not even a lock file.
        if options.dryRun {
            return try await backup(roots: roots, options: options, warnings: warnings, started: started, hostname: hostname, lock: nil)
        }
        return try await withLock(.shared, operation: "backup") { lock throws(TriplicateError) in
            // On a plan, each copy takes packs, index files and the snapshot from its own queue, so that a fast copy
            // is not held back pack by pack by a slow one (FORMAT.md §14.10); the lock is checked again on each copy
            // just before it writes an index file or the snapshot, which a slow copy may do minutes later.
            guard let replicas, replicas.use == .writing else {
                return try await backup(roots: roots, options: options, warnings: warnings, started: started, hostname: hostname, lock: lock)
            }
            replicas.beginQueuedWrites(room: Int64(max(options.packSize, 1 << 20)) * Self.packsACopyMayLag) { name throws(DestinationError) in
                do throws(TriplicateError) { try lock?.ensureHeld(before: "writing \(name)") } catch {
                    throw DestinationError(.permanent, object: name, error.message)
                }
            }
            do throws(TriplicateError) {
                let result = try await backup(roots: roots, options: options, warnings: warnings, started: started, hostname: hostname, lock: lock)
                await replicas.endQueuedWrites()
                return result
            } catch {
                await replicas.endQueuedWrites()
                throw error
            }
        }
    }

    /// True for a folder with no entries at all: the mount point of a photo drive that is not mounted, most often.
    static func isEmptyFolder(_ path: String) -> Bool {
        guard FileSystem.isDirectory(path), let entries = try? FileSystem.listDirectory(path) else { return false }
        return entries.isEmpty
    }

    /// How many packs a copy of a plan may be behind the fastest before the backup waits for it: each is a staged file
    /// on the local disk until the slowest copy has it.
    static let packsACopyMayLag: Int64 = 16

    private func backup(roots: [(path: String, name: [UInt8])], options: BackupOptions, warnings: [String], started: Date,
                        hostname: String, lock: RepositoryLock?) async throws(TriplicateError) -> BackupResult {
        var index = try await loadIndex(recover: false)
        let adopted = try await adoptUnindexedPacks(into: &index)
        let all = try await snapshots()
        let sortedPaths = roots.map(\.path).sorted()
        let parent = all.last { $0.hostname == hostname && $0.paths.sorted() == sortedPaths }
        let run = try BackupRun(repository: self, index: index, adopted: adopted, options: options, started: started, lock: lock)
        run.warnings = warnings
        for pack in index.missingPacks {
            run.warnings.append("\(Layout.pack(pack)) is missing or cut short although an index names it: this backup stores its data again; check the repository to see what else depends on it")
        }
        let rootID = try await run.run(roots: roots, parent: parent)
        // Listings of the parent snapshot found damaged on the way are recorded, so that later backups, from any
        // computer, store them again too (this one already did).
        if !run.damage.isEmpty, !options.dryRun {
            do {
                if let name = try await recordDamage(run.damage.packs, found: "backup", known: index.damage) {
                    run.warnings.append("damaged data found in the repository is recorded in \(name); a check that reads the data says what else depends on it")
                }
            } catch {
                run.warnings.append("damaged data found in the repository could not be recorded (\(error.message))")
            }
        }
        run.summary.blobsAdded = run.blobsAdded
        run.summary.bytesAdded = run.bytesAdded
        run.summary.errors = run.errors.count
        let record = SnapshotRecord(time: started, tree: rootID, paths: roots.map(\.path), hostname: hostname,
                                    username: Host.userName, tags: options.tags, excludes: options.excludes,
                                    parent: parent?.id, summary: run.summary)
        let (bytes, final) = try sealSnapshot(record, storedBefore: run.bytesStored)
        let id = SHA256.hash(bytes)
        if options.dryRun {
            var result = BackupResult(snapshot: Snapshot(id: id, record: final), errors: run.errors, warnings: run.warnings, adoptedPacks: adopted.count)
            result.isDryRun = true
            return result
        }
        try lock?.ensureHeld(before: "writing its snapshot")
        do { try await put(Layout.snapshot(id), bytes) } catch {
            // A plan's copies check the lock again when each writes the snapshot: a lost lock is named as such.
            try lock?.ensureHeld(before: "writing its snapshot")
            throw error
        }
        run.countStored(bytes.count)
        options.progress?(run.progressValue(path: ""))
        return BackupResult(snapshot: Snapshot(id: id, record: final), errors: run.errors, warnings: run.warnings,
                            adoptedPacks: adopted.count, destinations: replicas.flatMap { r in r.run?.finish(r, snapshot: id) } ?? [])
    }

    /// Seals `record` with `summary.bytesStored` equal to `storedBefore` plus the size of the sealed file itself
    /// (FORMAT.md §11). That size depends on the number written, so it is sealed until the two agree; a compressed
    /// payload can change length with one digit and swing between two sizes, and then the payload is stored without
    /// compression, whose length only grows with the number.
    func sealSnapshot(_ record: SnapshotRecord, storedBefore: Int64) throws(TriplicateError) -> (bytes: [UInt8], record: SnapshotRecord) {
        var record = record
        do {
            for compress in [true, false] {
                var size: Int64 = 0
                for _ in 0..<6 {
                    record.summary.bytesStored = storedBefore &+ size
                    let bytes = try SealedFile.seal(try record.encode(), kind: .snapshot, keys: keys, compress: compress)
                    if Int64(bytes.count) == size { return (bytes, record) }
                    size = Int64(bytes.count)
                }
            }
        } catch { throw TriplicateError(.internalFailure, "cannot encode the snapshot: \(error)") }
        throw TriplicateError(.internalFailure, "cannot encode the snapshot: its size does not settle")
    }

    /// Of the repository folders `roots`, those that lie inside one of the source `paths`, each as the walk of that source
    /// meets it (the source's path as given, then the rest: symbolic links on the way resolved for the comparison
    /// only), and a source that is itself a repository folder.
    static func repositoryFolders(_ roots: [String], under paths: [String]) -> (inside: [String], itself: String?) {
        var inside: [String] = []
        for root in roots {
            guard let real = FileSystem.resolvedPath(root) else { continue }
            for path in paths {
                guard let source = FileSystem.resolvedPath(path) else { continue }
                if real == source { return (inside, path) }
                let prefix = source == "/" ? "/" : source + "/"
                guard real.hasPrefix(prefix) else { continue }
                let folder = (path == "/" ? "" : path) + "/" + real.dropFirst(prefix.count)
                if !inside.contains(folder) { inside.append(folder) }
            }
        }
        return (inside, nil)
    }

    /// Indexes packs that are on the destination but in no index file (an interrupted backup's), so their
    /// blobs are reused instead of uploaded again; returns them, for the backup's first index file. Packs whose
    /// table cannot be read are left for `check`.
    private func adoptUnindexedPacks(into index: inout MasterIndex) async throws(TriplicateError) -> [IndexFile.Pack] {
        var adopted: [IndexFile.Pack] = []
        // A pack with recorded damage is not adopted: `repair` takes it out of use, and a backup stores what it needs
        // from it again.
        for (id, size) in unindexedPacks(index) where index.damage.byPack[id] == nil {
            guard let entries = try? await readPackTable(id, size: size) else { continue }
            index.add(pack: id, entries: entries)
            adopted.append(IndexFile.Pack(id: id, entries: entries))
        }
        return adopted
    }

    static func absolute(_ path: String) -> String {
        var p = path
        if !p.hasPrefix("/") { p = FileManager.default.currentDirectoryPath + "/" + p }
        var parts: [Substring] = []
        for c in p.split(separator: "/") {
            if c == "." || c.isEmpty { continue }
            if c == ".." { _ = parts.popLast(); continue }
            parts.append(c)
        }
        return "/" + parts.joined(separator: "/")
    }
}

