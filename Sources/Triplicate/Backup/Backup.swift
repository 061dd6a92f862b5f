// Backup: walks the source paths, stores new chunks and trees, and commits a snapshot.
internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif
internal import TriplicateDestinations

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
    public func backup(paths: [String], options: BackupOptions = BackupOptions()) async throws(TriplicateError) -> BackupResult {
        guard !paths.isEmpty else { throw TriplicateError(.invalidArgument, "no paths to back up") }
        var roots: [(path: String, name: [UInt8])] = []
        for p in paths {
            let abs = Self.absolute(p)
            guard FileSystem.exists(abs) else {
                throw TriplicateError(.sourceUnreadable, "\(p) does not exist; nothing was backed up")
            }
            let name = abs == "/" ? Array("root".utf8) : Array((abs.split(separator: "/").last ?? "root").utf8)
            if roots.contains(where: { $0.name == name }) {
                throw TriplicateError(.invalidArgument, "two paths end in the same name \(String(decoding: name, as: UTF8.self)); back them up separately")
            }
            roots.append((abs, name))
        }
        let started = Date()
        let hostname = options.hostname ?? Host.currentName
        var index = try await loadIndex(recover: false)
        let adopted = try await adoptUnindexedPacks(into: &index)
        let all = try await snapshots()
        let sortedPaths = roots.map(\.path).sorted()
        let parent = all.last { $0.record.hostname == hostname && $0.record.paths.sorted() == sortedPaths }
        let run = try BackupRun(repository: self, index: index, adopted: adopted, options: options, started: started)
        for pack in index.missingPacks {
            run.warnings.append("\(Layout.pack(pack)) is missing or cut short although an index names it: this backup stores its data again; run `triplicate check`")
        }
        let rootID = try await run.run(roots: roots, parent: parent)
        run.summary.blobsAdded = run.blobsAdded
        run.summary.bytesAdded = run.bytesAdded
        run.summary.errors = run.errors.count
        var record = SnapshotRecord(time: started, tree: rootID, paths: roots.map(\.path), hostname: hostname,
                                    username: Host.userName, tags: options.tags, excludes: options.excludes,
                                    parent: parent?.id, summary: run.summary)
        let bytes: [UInt8]
        do {
            // bytesStored counts the snapshot file too; its own size is known only after sealing, so seal twice.
            record.summary.bytesStored = run.bytesStored
            let first = try SealedFile.seal(try record.encode(), kind: .snapshot, keys: keys)
            record.summary.bytesStored = run.bytesStored + Int64(first.count)
            bytes = try SealedFile.seal(try record.encode(), kind: .snapshot, keys: keys)
        } catch { throw TriplicateError(.invalidArgument, "cannot encode the snapshot: \(error)") }
        let id = SHA256.hash(bytes)
        try await put(Layout.snapshot(id), bytes)
        run.countStored(bytes.count)
        options.progress?(run.progressValue(path: ""))
        return BackupResult(snapshot: Snapshot(id: id, record: record), errors: run.errors, warnings: run.warnings,
                            adoptedPacks: adopted.count)
    }

    /// Indexes packs that are on the destination but in no index file (an interrupted backup's), so their
    /// blobs are reused instead of uploaded again; returns them, for the backup's first index file. Packs whose
    /// table cannot be read are left for `check`.
    private func adoptUnindexedPacks(into index: inout MasterIndex) async throws(TriplicateError) -> [IndexFile.Pack] {
        var adopted: [IndexFile.Pack] = []
        for (id, size) in unindexedPacks(index) {
            guard let entries = try? await readPackTable(id, size: size) else { continue }
            index.add(pack: id, entries: entries)
            adopted.append(IndexFile.Pack(id: id, entries: entries))
        }
        return adopted
    }

    /// Reads and authenticates the table of pack `id` of `size` bytes with two ranged reads.
    func readPackTable(_ id: ObjectID, size: Int64) async throws(TriplicateError) -> [PackEntry] {
        let name = Layout.pack(id)
        do {
            guard size > Int64(FileHeader.length + PackFormat.trailerLength) else { throw CoreError.malformed("\(name): truncated") }
            let header = try await destination.get(name, range: 0..<Int64(FileHeader.length))
            let trailer = try await destination.get(name, range: (size - Int64(PackFormat.trailerLength))..<size)
            let range = try PackFormat.tableRange(trailer: trailer, packSize: size, context: name)
            let table = try await destination.get(name, range: range)
            return try PackFormat.openTable(header: header, sealedTable: table, packSize: range.lowerBound, keys: keys, context: name)
        } catch let e as TriplicateError {
            throw e
        } catch let e as DestinationError {
            throw TriplicateError(e, doing: "cannot read pack \(name)")
        } catch let e as CoreError {
            throw TriplicateError.corrupt(e, file: "pack \(name)")
        } catch {
            throw TriplicateError(.corrupt, "pack \(name): \(error)")
        }
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

