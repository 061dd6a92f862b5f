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
        let writer = PackWriter(repository: self, index: index, options: options)
        let adopted = try await adoptUnindexedPacks(writer: writer)
        index = writer.index
        let all = try await snapshots()
        let sortedPaths = roots.map(\.path).sorted()
        let parent = all.last { $0.record.hostname == hostname && $0.record.paths.sorted() == sortedPaths }
        let run = try BackupRun(repository: self, writer: writer, index: index, options: options, started: started)
        for pack in index.missingPacks {
            run.warnings.append("\(Layout.pack(pack)) is missing or cut short although an index names it: this backup stores its data again; run `triplicate check`")
        }
        var rootNodes: [TreeNode] = []
        var parentRoot: Tree?
        if let parent, let rootID = parent.record.treeID {
            parentRoot = await run.parentTree(rootID, path: "/")
        }
        for r in roots {
            let parentNode = parentRoot?.nodes.first { $0.name == r.name }
            if let node = try await run.node(path: r.path, name: r.name, parent: parentNode) { rootNodes.append(node) }
        }
        let rootID = try await run.storeTree(rootNodes, path: "/")
        try await writer.finish()
        run.summary.blobsAdded = writer.blobsAdded
        run.summary.bytesAdded = writer.bytesAdded
        run.summary.errors = run.errors.count
        var record = SnapshotRecord(time: started, tree: rootID, paths: roots.map(\.path), hostname: hostname,
                                    username: Host.userName, tags: options.tags, excludes: options.excludes,
                                    parent: parent?.id, summary: run.summary)
        let bytes: [UInt8]
        do {
            // bytesStored counts the snapshot file too; its own size is known only after sealing, so seal twice.
            record.summary.bytesStored = writer.bytesStored
            let first = try SealedFile.seal(try record.encode(), kind: .snapshot, keys: keys)
            record.summary.bytesStored = writer.bytesStored + Int64(first.count)
            bytes = try SealedFile.seal(try record.encode(), kind: .snapshot, keys: keys)
        } catch { throw TriplicateError(.invalidArgument, "cannot encode the snapshot: \(error)") }
        let id = SHA256.hash(bytes)
        try await put(Layout.snapshot(id), bytes)
        writer.countStored(bytes.count)
        options.progress?(run.progressValue(path: ""))
        return BackupResult(snapshot: Snapshot(id: id, record: record), errors: run.errors, warnings: run.warnings,
                            adoptedPacks: adopted)
    }

    /// Indexes packs that are on the destination but in no index file (an interrupted backup's), so their
    /// blobs are reused instead of uploaded again. Packs whose table cannot be read are left for `check`.
    private func adoptUnindexedPacks(writer: PackWriter) async throws(TriplicateError) -> Int {
        var adopted = 0
        for (id, size) in unindexedPacks(writer.index) {
            guard let entries = try? await readPackTable(id, size: size) else { continue }
            writer.adopt(pack: id, entries: entries)
            adopted += 1
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

/// The state of one running backup: the walk, the chunking buffers and the figures.
final class BackupRun {
    let repository: Repository
    let writer: PackWriter
    let reader: BlobReader
    let options: BackupOptions
    let excludes: ExcludeMatcher
    var summary = SnapshotSummary()
    var errors: [String] = []
    var warnings: [String] = []
    private var chunkers: [UInt8: FastCDC] = [:]
    private let buffer: UnsafeMutableRawBufferPointer
    private static let bufferSize = 16 << 20

    /// Timestamps at or after this (one second before the backup started) are racy.
    let racyLimit: Timestamp

    init(repository: Repository, writer: PackWriter, index: MasterIndex, options: BackupOptions, started: Date) throws(TriplicateError) {
        self.repository = repository
        let limit = started.timeIntervalSince1970 - 1
        racyLimit = Timestamp(seconds: Int64(limit.rounded(.down)), nanoseconds: UInt32((limit - limit.rounded(.down)) * 1e9))
        self.writer = writer
        self.options = options
        reader = try BlobReader(repository: repository, index: index)
        excludes = ExcludeMatcher(patterns: options.excludes)
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.bufferSize, alignment: 64)
    }

    deinit { buffer.deallocate() }

    func progressValue(path: String) -> BackupProgress {
        BackupProgress(files: summary.files, bytes: summary.bytes, bytesRead: summary.bytesRead,
                       bytesStored: writer.bytesStored, currentPath: path)
    }

    private func checkCancelled() throws(TriplicateError) {
        if options.cancellation?.isCancelled == true {
            throw TriplicateError(.cancelled, "backup interrupted; the repository is consistent and the next backup resumes from what was stored")
        }
    }

    private func chunker(for profile: ChunkingProfile) throws(TriplicateError) -> FastCDC {
        if let c = chunkers[profile.id] { return c }
        do {
            let c = try FastCDC(profile.parameters(seed: repository.keys.chunkerSeed))
            chunkers[profile.id] = c
            return c
        } catch { throw TriplicateError(.invalidArgument, "chunker profile \(profile.name): \(error)") }
    }

    /// Backs up one entry; nil when it is skipped (excluded by the caller, unreadable, or a special file).
    func node(path: String, name: [UInt8], parent: TreeNode?) async throws(TriplicateError) -> TreeNode? {
        try checkCancelled()
        let info: SourceInfo
        do { info = try SourceInfo.lstatPath(path) } catch {
            errors.append("\(path): cannot read its metadata (\(error.reason))")
            return nil
        }
        switch info.kind {
        case .directory:
            return try await directory(path: path, name: name, info: info, parent: parent)
        case .file:
            return try await file(path: path, name: name, info: info, parent: parent)
        case .symlink:
            do {
                let target = try SourceInfo.readLink(path)
                summary.symlinks += 1
                return TreeNode(name: name, mode: info.mode, mtime: info.mtime, size: UInt64(target.count), content: .symlink(target: target))
            } catch {
                errors.append("\(path): cannot read the link (\(error.reason))")
                return nil
            }
        case .other:
            warnings.append("\(path): skipped (not a file, folder or symbolic link)")
            return nil
        }
    }

    private func directory(path: String, name: [UInt8], info: SourceInfo, parent: TreeNode?) async throws(TriplicateError) -> TreeNode? {
        let entries: [FileSystem.DirectoryEntry]
        do { entries = try FileSystem.listDirectory(path) } catch {
            errors.append("\(path): cannot list the folder (\(error.reason))")
            return nil
        }
        var parentNodes: [[UInt8]: TreeNode] = [:]
        if let parent, case .directory(let id) = parent.content, let tree = await parentTree(id, path: path) {
            for n in tree.nodes { parentNodes[n.name] = n }
        }
        var nodes: [TreeNode] = []
        for e in entries.sorted(by: { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }) {
            let childPath = path == "/" ? "/" + e.name : path + "/" + e.name
            guard e.hasValidName else {
                errors.append("\(childPath): the name is not valid UTF-8, so it cannot be backed up; rename it")
                continue
            }
            if excludes.excludes(path: childPath, name: e.name) { continue }
            let childName = Array(e.name.utf8)
            if let n = try await node(path: childPath, name: childName, parent: parentNodes[childName]) { nodes.append(n) }
        }
        summary.directories += 1
        let id = try await storeTree(nodes, path: path)
        return TreeNode(name: name, mode: info.mode, mtime: info.mtime, size: 0, content: .directory(tree: id))
    }

    /// The parent snapshot's tree `id`, or nil (with a warning) when it cannot be read: the folder's files are
    /// then read again instead of reused, which costs time but never correctness.
    func parentTree(_ id: ObjectID, path: String) async -> Tree? {
        do { return try await reader.tree(id) } catch {
            warnings.append("\(path): the previous snapshot's listing cannot be read (\(error.message)); its files are read again")
            return nil
        }
    }

    /// Encodes and stores a tree (unless an identical one is stored), returning its ID.
    func storeTree(_ nodes: [TreeNode], path: String) async throws(TriplicateError) -> ObjectID {
        let tree: Tree
        do { tree = try Tree(nodes: nodes) } catch { throw TriplicateError(.invalidArgument, "\(path): \(error)") }
        let bytes = tree.encode()
        let id = repository.keys.idHasher.id(bytes)
        try await writer.add(type: .tree, id: id, bytes: bytes)
        return id
    }

    private func file(path: String, name: [UInt8], info: SourceInfo, parent: TreeNode?) async throws(TriplicateError) -> TreeNode? {
        let profile = ChunkingProfile.forFile(named: String(decoding: name, as: UTF8.self))
        if let parent, case let .file(chunks, parentProfile, ctime, inode) = parent.content,
           parent.size == info.size, parent.mtime == info.mtime, ctime == info.ctime, inode == info.inode,
           chunks.allSatisfy({ writer.has($0) }) {
            summary.files += 1
            summary.bytes += Int64(info.size)
            options.progress?(progressValue(path: path))
            return TreeNode(name: name, mode: info.mode, mtime: info.mtime, size: info.size,
                            content: .file(chunks: chunks, profile: parentProfile, ctime: ctime, inode: inode))
        }
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            errors.append("\(path): cannot open the file (\(String(cString: strerror(errno))))")
            return nil
        }
        defer { close(fd) }
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        let chunker = try chunker(for: profile)
        // A file written while it is read (a catalog Lightroom is saving) is read again, up to three times.
        var before = info
        var attempt = 1
        var result: (chunks: [ObjectID], total: Int64)
        var stable = false
        while true {
            guard let read = try await readChunks(fd: fd, path: path, chunker: chunker) else { return nil }
            result = read
            let after = (try? SourceInfo.fstatFD(fd, path: path)) ?? before
            stable = after.mtime == before.mtime && after.ctime == before.ctime && after.size == before.size
                && after.inode == before.inode && Int64(after.size) == read.total
            if stable { break }
            if attempt == 3 {
                errors.append("\(path): kept changing while it was read (3 attempts); the snapshot holds the last \(read.total) bytes read, which may be inconsistent. Back it up again once the program writing it is closed")
                break
            }
            attempt += 1
            before = after
            guard lseek(fd, 0, SEEK_SET) == 0 else {
                errors.append("\(path): cannot read it again after it changed (\(String(cString: strerror(errno))))")
                return nil
            }
        }
        summary.files += 1
        summary.filesRead += 1
        summary.bytes += result.total
        summary.bytesRead += result.total
        options.progress?(progressValue(path: path))
        // A file changed less than a second before this backup started could change again within the same tick
        // of a coarse file-system clock without its ctime moving; record a zero ctime so that the next backup
        // reads it again instead of trusting these fields (the "racy timestamp" rule, FORMAT.md §14.6).
        // A file that never read stably is recorded the same way.
        let racy = !stable || before.ctime >= racyLimit || before.mtime >= racyLimit
        let ctime = racy ? Timestamp(seconds: 0, nanoseconds: 0) : before.ctime
        return TreeNode(name: name, mode: before.mode, mtime: before.mtime, size: UInt64(result.total),
                        content: .file(chunks: result.chunks, profile: profile.id, ctime: ctime, inode: before.inode))
    }

    /// Reads the open file from its current offset to the end, storing new chunks; nil after a read error,
    /// which is recorded.
    private func readChunks(fd: Int32, path: String, chunker: FastCDC) async throws(TriplicateError) -> (chunks: [ObjectID], total: Int64)? {
        let reader = ChunkReader(fd: fd, path: path, chunker: chunker, buffer: buffer)
        var chunks: [ObjectID] = []
        var sinceProgress: Int64 = 0
        while true {
            try checkCancelled()
            let next: UnsafeRawBufferPointer?
            do { next = try reader.next() } catch {
                errors.append("\(path): read failed after \(reader.offset) bytes (\(error.reason))")
                return nil
            }
            guard let chunk = next else { break }
            let id = repository.keys.idHasher.id(chunk)
            try await writer.add(type: .data, id: id, data: chunk, policy: .auto)
            chunks.append(id)
            sinceProgress += Int64(chunk.count)
            if sinceProgress >= 8 << 20 {
                sinceProgress = 0
                var p = progressValue(path: path)
                p.bytes += reader.offset
                p.bytesRead += reader.offset
                options.progress?(p)
            }
        }
        return (chunks, reader.offset)
    }
}
