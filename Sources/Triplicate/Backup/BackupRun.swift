// BackupRun: one running backup. The walk (this class, on the calling task) reads files into segments and cuts
// chunks; worker threads hash and pack them (BackupPipeline.swift); an upload task stores the packs. Folder
// listings are encoded once every file in them has its chunk IDs, in the order the walk finished the folders.
internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif
internal import TriplicateDestinations

/// An entry of a folder being backed up, possibly still waiting for its chunk IDs or its listing's ID.
private enum Child {
    /// Complete: a reused file, a symlink, or a folder stored earlier.
    case ready(TreeNode)
    /// A file whose chunks are being hashed; the node's chunk list is filled in from the pending file.
    case file(PendingFile, TreeNode)
    /// A folder whose listing is stored once its files are complete.
    case directory(PendingDirectory)
}

/// A folder walked completely whose listing waits for its files' chunk IDs.
private final class PendingDirectory {
    let path: String
    var node: TreeNode
    var children: [Child]
    /// Children before this index are known to be complete.
    var checked = 0

    init(path: String, node: TreeNode, children: [Child]) {
        self.path = path
        self.node = node
        self.children = children
    }

    /// True when every file in the folder has its chunk IDs. Sub-folders finish earlier (the walk is post-order).
    var isReady: Bool {
        while checked < children.count {
            if case .file(let f, _) = children[checked], !f.isComplete { return false }
            checked += 1
        }
        return true
    }
}

/// The state of one running backup: the walk, the pipeline and the figures.
final class BackupRun {
    let repository: Repository
    let reader: BlobReader
    let options: BackupOptions
    let excludes: ExcludeMatcher
    var summary = SnapshotSummary()
    var errors: [String] = []
    var warnings: [String] = []
    private var chunkers: [UInt8: FastCDC] = [:]
    /// Blobs of the repository found damaged during this backup (listings of the parent snapshot): recorded at the end.
    let damage = DamageFinder()
    /// Timestamps at or after this (one second before the backup started) are racy.
    let racyLimit: Timestamp

    // The pipeline.
    private let claims: BlobClaims
    private let jobs = Channel<ChunkJob>()
    private let pool = Channel<Segment>()
    private let packs: Channel<StagedPack>
    private let failure: PipelineFailure
    private let uploader: PackUploader
    private let treeStager: PackStager
    private var workers: [BackupWorker] = []
    private let workersDone: WaitGroup
    private let workerCount: Int

    // The segment being filled: bytes `start..<filled` are read but not yet cut.
    private var segment: Segment?
    private var start = 0
    private var filled = 0
    /// Folders whose listing is not stored yet, in the order the walk finished them.
    private var pendingDirectories: [PendingDirectory] = []
    private var pendingHead = 0

    /// Size of a segment: room for the largest chunk any profile cuts plus a 2 MiB read. There are one more
    /// segments than workers, which keeps every worker busy while the walk fills the next one and bounds the
    /// memory of file data in flight (30 MiB with two workers) whatever the size of the files.
    static let segmentSize = ChunkingProfile.all.map(\.maxSize).max().map { $0 + (2 << 20) } ?? (10 << 20)

    init(repository: Repository, index: MasterIndex, adopted: [IndexFile.Pack], options: BackupOptions, started: Date) throws(TriplicateError) {
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
        uploader = PackUploader(repository: repository, packsPerIndexFile: options.packsPerIndexFile, adopted: adopted)
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

    func progressValue(path: String) -> BackupProgress {
        BackupProgress(files: summary.files, bytes: summary.bytes, bytesRead: summary.bytesRead,
                       bytesStored: uploader.bytesStored, currentPath: path)
    }

    /// Backs up `roots` and returns the ID of the root listing once every pack and index file is stored.
    /// On any failure the workers and the upload task are stopped and their staged files removed before it throws.
    func run(roots: [(path: String, name: [UInt8])], parent: Snapshot?) async throws(TriplicateError) -> ObjectID {
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

    private func send(_ pack: StagedPack) async throws(TriplicateError) {
        guard await packs.send(pack) else {
            FileSystem.removeQuietly(pack.path)
            throw failure.current ?? TriplicateError(.cancelled, "backup stopped")
        }
    }

    private func checkCancelled() throws(TriplicateError) {
        if let e = failure.current { throw e }
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

    // MARK: The walk

    /// Backs up one entry; nil when it is skipped (excluded by the caller, unreadable, or a special file). With
    /// `followLink` (a path the backup was asked for), a symbolic link to a folder or file is backed up as what it points
    /// to, as other backup tools do with a named source; links inside are stored as links.
    private func node(path: String, name: [UInt8], parent: TreeNode?, followLink: Bool = false) async throws(TriplicateError) -> Child? {
        try checkCancelled()
        var info: SourceInfo
        do { info = try SourceInfo.lstatPath(path) } catch {
            errors.append("\(path): cannot read its metadata (\(error.reason))")
            return nil
        }
        var readPath = path
        if followLink, info.kind == .symlink, let target = try? SourceInfo.statPath(path), target.kind == .directory || target.kind == .file {
            info = target
            // A file is opened with O_NOFOLLOW, so it is read through its resolved path; a folder's entries are read
            // through the link, so that paths and excludes stay the ones the user gave.
            if target.kind == .file, let resolved = FileSystem.resolvedPath(path) { readPath = resolved }
        }
        switch info.kind {
        case .directory:
            return try await directory(path: path, name: name, info: info, parent: parent)
        case .file:
            return try await file(path: readPath, name: name, info: info, parent: parent)
        case .symlink:
            do {
                let target = try SourceInfo.readLink(path)
                summary.symlinks += 1
                return .ready(TreeNode(name: name, mode: info.mode, mtime: info.mtime, size: UInt64(target.count), content: .symlink(target: target)))
            } catch {
                errors.append("\(path): cannot read the link (\(error.reason))")
                return nil
            }
        case .other:
            warnings.append("\(path): skipped (not a file, folder or symbolic link)")
            return nil
        }
    }

    private func directory(path: String, name: [UInt8], info: SourceInfo, parent: TreeNode?) async throws(TriplicateError) -> Child? {
        let entries: [FileSystem.DirectoryEntry]
        do { entries = try FileSystem.listDirectory(path) } catch {
            errors.append("\(path): cannot list the folder (\(error.reason))")
            return nil
        }
        var parentNodes: [[UInt8]: TreeNode] = [:]
        if let parent, case .directory(let id) = parent.content, let tree = await parentTree(id, path: path) {
            for n in tree.nodes { parentNodes[n.name] = n }
        }
        // Entries of the previous snapshot that are gone under their old names may have been renamed or moved
        // (a folder renamed in Lightroom): remember their files by inode, so that the same files under a new name
        // are reused instead of read again.
        if !parentNodes.isEmpty {
            let present = Set(entries.map { Array($0.name.utf8) })
            for (oldName, node) in parentNodes where !present.contains(oldName) {
                try await rememberMoved(node, path: (path == "/" ? "/" : path + "/") + String(decoding: oldName, as: UTF8.self))
            }
        }
        var children: [Child] = []
        for e in entries.sorted(by: { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }) {
            let childPath = path == "/" ? "/" + e.name : path + "/" + e.name
            guard e.hasValidName else {
                errors.append("\(childPath): the name is not valid UTF-8, so it cannot be backed up; rename it")
                continue
            }
            if excludes.excludes(path: childPath, name: e.name) { continue }
            let childName = Array(e.name.utf8)
            if let c = try await node(path: childPath, name: childName, parent: parentNodes[childName]) { children.append(c) }
        }
        summary.directories += 1
        let placeholder = TreeNode(name: name, mode: info.mode, mtime: info.mtime, size: 0, content: .directory(tree: Self.placeholderID))
        let pending = PendingDirectory(path: path, node: placeholder, children: children)
        pendingDirectories.append(pending)
        try await storePendingDirectories(onlyReady: true)
        return .directory(pending)
    }

    private static let placeholderID = ObjectID(bytes: [UInt8](repeating: 0, count: 32))

    /// Stores the listings of finished folders, oldest first, while their files are complete (all of them when
    /// `onlyReady` is false, which the caller may ask only after every worker has finished).
    private func storePendingDirectories(onlyReady: Bool = false) async throws(TriplicateError) {
        while pendingHead < pendingDirectories.count {
            let d = pendingDirectories[pendingHead]
            if onlyReady && !d.isReady { return }
            let id = try await storeTree(resolve(d.children), path: d.path)
            d.node.content = .directory(tree: id)
            d.children = []
            pendingHead += 1
            if pendingHead >= 256 && pendingHead * 2 >= pendingDirectories.count {
                pendingDirectories.removeFirst(pendingHead)
                pendingHead = 0
            }
        }
    }

    /// The finished nodes of `children`, whose files are complete and sub-folders stored.
    private func resolve(_ children: [Child]) -> [TreeNode] {
        children.map { child in
            switch child {
            case .ready(let n): return n
            case .file(let f, var n):
                if case let .file(_, profile, ctime, inode) = n.content {
                    n.content = .file(chunks: f.ids, profile: profile, ctime: ctime, inode: inode)
                }
                return n
            case .directory(let d): return d.node
            }
        }
    }

    /// Files of the previous snapshot no longer at their old path, by inode: candidates for a renamed file.
    private var moved: [UInt64: TreeNode] = [:]
    /// Listings of vanished folders already remembered: one listing shared by many folders (a snapshot may repeat
    /// the same subtree any number of times) is walked once, so this costs at most the repository's listings.
    private var movedTrees = Set<ObjectID>()

    /// Records the files of a vanished entry (a whole folder, recursively) in ``moved``.
    private func rememberMoved(_ node: TreeNode, path: String, depth: Int = 0) async throws(TriplicateError) {
        switch node.content {
        case .file(_, _, let ctime, let inode):
            // A zero ctime marks metadata that is not to be trusted (the racy-timestamp rule): never reused.
            if ctime != Timestamp(seconds: 0, nanoseconds: 0) { moved[inode] = node }
        case .directory(let id):
            try checkCancelled()
            guard depth < maxTreeDepth, movedTrees.insert(id).inserted, let tree = await parentTree(id, path: path) else { return }
            for n in tree.nodes { try await rememberMoved(n, path: path + "/" + n.nameString, depth: depth + 1) }
        case .symlink:
            break
        }
    }

    /// The parent snapshot's tree `id`, or nil (with a warning) when it cannot be read: the folder's files are
    /// then read again instead of reused, which costs time but never correctness. A listing whose data is damaged is
    /// recorded as such, and this backup stores the listing again when it needs one with the same content.
    func parentTree(_ id: ObjectID, path: String) async -> Tree? {
        do { return try await reader.tree(id) } catch {
            if error.kind == .corrupt { claims.revoke(id) }
            warnings.append("\(path): the previous snapshot's listing cannot be read (\(error.message)); its files are read again")
            return nil
        }
    }

    /// Encodes and stores a tree (unless an identical one is stored), returning its ID.
    private func storeTree(_ nodes: [TreeNode], path: String) async throws(TriplicateError) -> ObjectID {
        let tree: Tree
        do { tree = try Tree(nodes: nodes) } catch { throw TriplicateError(.invalidArgument, "\(path): \(error)") }
        let bytes = tree.encode()
        let id = repository.keys.idHasher.id(bytes)
        if claims.claim(id) {
            let pack = try bytes.withUnsafeBytesTyped { (b) throws(TriplicateError) in
                try treeStager.add(type: .tree, id: id, data: b, policy: .always)
            }
            if let pack { try await send(pack) }
        }
        return id
    }

    // MARK: Files

    private func file(path: String, name: [UInt8], info: SourceInfo, parent: TreeNode?) async throws(TriplicateError) -> Child? {
        let profile = ChunkingProfile.forFile(named: String(decoding: name, as: UTF8.self))
        // The previous version: the same path, or else a vanished file with this inode (renamed or moved).
        let previous = parent.flatMap { p -> TreeNode? in
            if case .file = p.content { return p }
            return nil
        } ?? moved[info.inode]
        if let parent = previous, case let .file(chunks, parentProfile, ctime, inode) = parent.content,
           info.isUnchanged(from: parent), chunks.allSatisfy({ claims.has($0) }) {
            summary.files += 1
            summary.bytes += Int64(info.size)
            options.progress?(progressValue(path: path))
            return .ready(TreeNode(name: name, mode: info.mode, mtime: info.mtime, size: info.size,
                                   content: .file(chunks: chunks, profile: parentProfile, ctime: ctime, inode: inode)))
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
        var pending: PendingFile
        var total: Int64
        var stable = false
        while true {
            pending = PendingFile()
            guard let read = try await readChunks(fd: fd, path: path, chunker: chunker, into: pending) else { return nil }
            total = read
            let after = (try? SourceInfo.fstatFD(fd, path: path)) ?? before
            stable = after.mtime == before.mtime && after.ctime == before.ctime && after.size == before.size
                && after.inode == before.inode && Int64(after.size) == read
            if stable { break }
            if attempt == 3 {
                errors.append("\(path): kept changing while it was read (3 attempts); the snapshot holds the last \(read) bytes read, which may be inconsistent. Back it up again once the program writing it is closed")
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
        summary.bytes += total
        summary.bytesRead += total
        options.progress?(progressValue(path: path))
        // A file changed less than a second before this backup started could change again within the same tick
        // of a coarse file-system clock without its ctime moving; record a zero ctime so that the next backup
        // reads it again instead of trusting these fields (the "racy timestamp" rule, FORMAT.md §14.6).
        // A file that never read stably is recorded the same way.
        let racy = !stable || before.ctime >= racyLimit || before.mtime >= racyLimit
        let ctime = racy ? Timestamp(seconds: 0, nanoseconds: 0) : before.ctime
        return .file(pending, TreeNode(name: name, mode: before.mode, mtime: before.mtime, size: UInt64(total),
                                       content: .file(chunks: [], profile: profile.id, ctime: ctime, inode: before.inode)))
    }

    /// Moves to a free segment, carrying over the bytes read but not yet cut.
    private func nextSegment() async throws(TriplicateError) {
        guard let fresh = await pool.receive() else {
            throw failure.current ?? TriplicateError(.cancelled, "backup stopped")
        }
        fresh.retain()
        let tail = filled - start
        if let old = segment {
            if tail > 0, let to = fresh.buffer.baseAddress, let from = old.buffer.baseAddress {
                memcpy(to, from + start, tail)
            }
            old.release()
        }
        segment = fresh
        start = 0
        filled = tail
    }

    /// Reads the open file from its current offset to the end and hands every chunk to the workers; returns
    /// the bytes read, or nil after a read error, which is recorded.
    private func readChunks(fd: Int32, path: String, chunker: FastCDC, into file: PendingFile) async throws(TriplicateError) -> Int64? {
        let maxSize = chunker.parameters.maxSize
        var eof = false
        var total: Int64 = 0
        var sinceProgress: Int64 = 0
        while true {
            try checkCancelled()
            // Read until a whole maximum-size chunk lies after `start`, or the file ends.
            while !eof && filled - start < maxSize {
                if segment == nil || filled == segment?.buffer.count { try await nextSegment() }
                guard let seg = segment, let base = seg.buffer.baseAddress else { break }
                let n = read(fd, base + filled, seg.buffer.count - filled)
                if n < 0 {
                    if errno == EINTR { continue }
                    errors.append("\(path): read failed after \(total + Int64(filled - start)) bytes (\(String(cString: strerror(errno))))")
                    start = filled
                    return nil
                }
                if n == 0 { eof = true } else { filled += n }
            }
            guard let seg = segment, start < filled else { break }
            // Cut every chunk whose end is certain: a cut before the end of what is read, or a full-size chunk.
            while start < filled {
                let window = UnsafeRawBufferPointer(rebasing: seg.buffer[start..<filled])
                let length = chunker.cut(window)
                if length == window.count && !eof && length < maxSize { break }
                seg.retain()
                guard jobs.sendBlocking(ChunkJob(segment: seg, start: start, count: length, file: file, slot: file.addSlot())) else {
                    seg.release()
                    throw failure.current ?? TriplicateError(.cancelled, "backup stopped")
                }
                start += length
                total += Int64(length)
                sinceProgress += Int64(length)
            }
            if sinceProgress >= 8 << 20 {
                sinceProgress = 0
                var p = progressValue(path: path)
                p.bytes += total
                p.bytesRead += total
                options.progress?(p)
            }
        }
        return total
    }
}
