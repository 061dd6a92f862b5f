// Restore: writes a snapshot, or a part of it, into a target folder without ever leaving that folder.
@_spi(Benchmarks) internal import TriplicateCore
internal import Foundation
internal import Synchronization
internal import TriplicateDestinations
internal import TriplicateSystem

/// The outcome of a restore.
public struct RestoreResult: Sendable {
    /// Files written.
    public var files: Int
    /// Folders created or updated.
    public var directories: Int
    /// Symbolic links created.
    public var symlinks: Int
    /// Bytes of file content written.
    public var bytes: Int64
    /// Files and folders that could not be restored because their data is damaged or missing in the
    /// repository, each with the reason; everything else was restored.
    public var errors: [String]
    /// Things worth knowing that are not errors (a target inside a folder the snapshot backed up, a Lightroom lock
    /// file not restored).
    public var warnings: [String] = []
    /// Files and links left as they were in the target, by ``RestoreOptions/overwrite``.
    public var kept: Int = 0
    /// The damage record written for the damaged data this restore found (nil: none found, or it could not be
    /// written, which ``warnings`` then says).
    public var damageRecorded: String?
}

extension Repository {
    /// Restores `snapshot` (or only `path` inside it) into `target`.
    ///
    /// With a `path` naming a folder, that folder's content goes into `target`; naming a file, that file does.
    /// Every byte written is authenticated and its chunk ID re-checked. Nothing is ever written outside
    /// `target`: each folder is entered with `openat(…, O_NOFOLLOW)`, so a symbolic link on the way (already in the
    /// target, or created by the restore) is refused, and names that are empty, `.`, `..`, or contain `/` or NUL
    /// are refused. Files are written under a temporary name and renamed into place, so an interrupted restore
    /// leaves no half-written file under a real name. Each folder is flushed to disk once its content is in place.
    ///
    /// A file whose data is damaged in the repository is skipped and listed in ``RestoreResult/errors``; the
    /// restore goes on with the others. Set-user-ID and set-group-ID bits are not restored.
    ///
    /// `options` choose the entries restored (``RestoreOptions/includes``, ``RestoreOptions/excludes``) and what
    /// happens to files already in the target (``RestoreOptions/overwrite``). Lightroom's lock file and SQLite's
    /// shared-memory index beside a catalog (`*.lrcat.lock`, `*.lrcat-shm`) are never restored (a warning says so).
    ///
    /// `progress` is called with the figures so far, with the total files and bytes to restore; it must be cheap and
    /// thread safe.
    public func restore(_ snapshot: Snapshot, path: String? = nil, to target: String, options: RestoreOptions = RestoreOptions(),
                        progress: ProgressHandler? = nil) async throws(TriplicateError) -> RestoreResult {
        try await followingTaskCancellation { cancellation throws(TriplicateError) in
            try await restore(snapshot, path: path, to: target, options: options, cancellation: cancellation, progress: progress)
        }
    }

    /// ``restore`` with the flag that stops it.
    func restore(_ snapshot: Snapshot, path: String? = nil, to target: String, options: RestoreOptions = RestoreOptions(),
                 cancellation: Cancellation?, progress: ProgressHandler? = nil) async throws(TriplicateError) -> RestoreResult {
        // A shared lock, so that no prune deletes a pack while it is read (done without on a read-only copy).
        try await withLock(.shared, operation: "restore", optional: true) { _ throws(TriplicateError) in
            try await restoreHoldingLock(snapshot, path: path, to: target, options: options, cancellation: cancellation, progress: progress)
        }
    }

    private func restoreHoldingLock(_ snapshot: Snapshot, path: String?, to target: String, options: RestoreOptions,
                                    cancellation: Cancellation?, progress: ProgressHandler?) async throws(TriplicateError) -> RestoreResult {
        guard let rootID = snapshot.record.treeID else { throw TriplicateError(.corrupt, "snapshot \(snapshot.id.short) has no tree") }
        // A path as `snapshots` shows the sources (/home/studio/Pictures/…) or as `ls` shows the tree (/Pictures/…).
        let path = path.map(snapshot.treePath)
        let index = try await loadIndex()
        let finder = DamageFinder()
        let reader = try BlobReader(repository: self, index: index, finder: finder)
        reader.readsTreesAhead = true
        let node = try await reader.node(at: path ?? "", root: rootID)
        let selection = RestoreSelection(options, reader: reader, cancellation: cancellation)
        // Paths in the snapshot of what goes into the target: a folder's content, or a file beside its siblings.
        let components = (path ?? "").split(separator: "/").filter { $0 != "." }
        var base = components.isEmpty ? "" : "/" + components.joined(separator: "/")
        if let node, case .directory = node.content {} else if node != nil { base = "/" + components.dropLast().joined(separator: "/") }
        if base == "/" { base = "" }
        // The total for progress: the snapshot's own figures for all of it, else what the selection holds.
        var total: (files: Int, bytes: Int64)?
        if progress != nil {
            if node == nil, selection.takesEverything {
                total = (Int(clamping: snapshot.summary.files), Int64(clamping: snapshot.summary.bytes))
            } else if let node, case .directory(let t) = node.content {
                total = try await selection.size(of: t, path: base, included: options.includes.isEmpty, depth: 0)
            } else if let node {
                total = (1, Int64(clamping: node.size))
            } else {
                total = try await selection.size(of: rootID, path: "", included: options.includes.isEmpty, depth: 0)
            }
        }
        do { try FileSystem.makeDirectories(target) } catch {
            throw TriplicateError(.targetWrite, "cannot create the target folder \(target): \(error.reason)")
        }
        let root: Folder
        do { root = try Folder(path: target) } catch {
            throw TriplicateError(.targetWrite, "cannot open the target folder \(target): \(error.reason)")
        }
        defer { root.close() }
        let run = try RestoreRun(reader: reader, target: target, selection: selection, base: base, total: total,
                                 cancellation: cancellation, progress: progress)
        if let inside = Self.sourceHolding(target, paths: snapshot.paths) {
            run.result.warnings.append("the target \(target) is inside \(inside), which this snapshot backed up: the next backup of that folder takes the restored files too")
        }
        do throws(TriplicateError) {
            let folder = RestoredFolder(root)
            if let node {
                switch node.content {
                case .directory(let tree): try await run.restoreTree(tree, in: root, display: target, depth: 0, included: options.includes.isEmpty)
                default:
                    RestoreRun.removeLeftovers(root)
                    // A file asked for by its path is restored whatever the patterns say.
                    try await run.restore(node, in: folder, display: target, depth: 0, included: true)
                }
            } else {
                try await run.restoreTree(rootID, in: root, display: target, depth: 0, included: options.includes.isEmpty)
            }
            try await run.flush()
            do { try root.sync(path: target) } catch {
                throw TriplicateError(.targetWrite, "cannot flush the target folder \(target): \(error.reason)")
            }
        } catch {
            run.abandon()
            // What was found damaged before the restore stopped is still worth recording.
            _ = try? await recordDamage(finder.packs, found: "restore", known: index.damage)
            throw error
        }
        if run.attributesRefused > 0 {
            run.result.warnings.append("the extended attributes (tags, ratings) of \(run.attributesRefused == 1 ? "1 entry" : "\(run.attributesRefused) entries") could not be set: \(target) is on a file system that does not keep them (FAT, exFAT, some network shares) or they are not user. attributes")
        }
        if !finder.isEmpty {
            do { run.result.damageRecorded = try await recordDamage(finder.packs, found: "restore", known: index.damage) } catch {
                run.result.warnings.append("the damaged data this restore found could not be recorded in the repository (\(error.message))")
            }
        }
        return run.result
    }

    /// The backed-up path of `paths` that holds `target`, if any (both resolved through symbolic links).
    static func sourceHolding(_ target: String, paths: [String]) -> String? {
        guard let real = FileSystem.resolvedPath(target) else { return nil }
        for p in paths {
            guard let source = FileSystem.resolvedPath(p) else { continue }
            if real == source || real.hasPrefix(source == "/" ? "/" : source + "/") { return p }
        }
        return nil
    }
}

/// A folder being restored into: its descriptor, and the entries this restore put in it (by inode), so that two names
/// of the snapshot that the target's file system takes for one (`Photo.JPG` and `photo.jpg` on a FAT drive) are
/// caught instead of the second silently replacing the first.
final class RestoredFolder: Sendable {
    let folder: Folder
    private let placed = Mutex(Set<UInt64>())

    init(_ folder: Folder) { self.folder = folder }

    /// Runs `place` (which puts an entry at `name`) unless an entry this restore already put there holds the name;
    /// records the entry placed. Returns false on such a collision, without running `place`.
    func place(_ name: [CChar], _ place: () throws(TriplicateError) -> Void) throws(TriplicateError) -> Bool {
        try placed.withLock { (set) throws(TriplicateError) -> Bool in
            if let existing = folder.inode(name), set.contains(existing) { return false }
            try place()
            if let placedInode = folder.inode(name) { set.insert(placedInode) }
            return true
        }
    }
}

/// A file being restored: written under a temporary name in its folder, put in place when its batch ends.
struct BatchFile: Sendable {
    let folder: RestoredFolder
    let node: TreeNode
    let display: String
    let tmp: String
    let fd: Int32
}

/// A folder whose content is complete, waiting for its batch's files to be put in place before it gets its mode,
/// times and flush.
struct FinishedFolder: Sendable {
    let folder: Folder
    let node: TreeNode
    let display: String
}

/// The files a restore writes together, and the folders that are complete once they are in place. A batch is read by
/// pack: every blob its files need, grouped by the pack holding it and read in few large ranges by several readers at
/// once, each blob written to every file and offset that holds it.
struct RestoreBatch {
    /// At most this many files are open at once: each batch reads a pack once (or in a few ranges), so larger batches
    /// mean fewer requests; the process's limit on open files is raised for them where the system allows.
    static let maxFiles: Int = {
        let limit = FileSystem.raiseOpenFileLimit(to: 8192)
        return min(max((limit - 256) / 2, 64), 2048)
    }()
    /// Folders held open, waiting to be finished.
    static let maxFolders = 64
    /// Bytes of file content per batch: each batch ends with a flush of the file system, so a batch spans seconds.
    static let maxBytes: Int64 = 2 << 30

    var files: [BatchFile] = []
    var folders: [FinishedFolder] = []
    var bytes: Int64 = 0

    var isEmpty: Bool { files.isEmpty && folders.isEmpty }
    var isFull: Bool { files.count >= Self.maxFiles || folders.count >= Self.maxFolders || bytes >= Self.maxBytes }

    /// Closes and removes what an interrupted batch holds.
    func abandon() {
        for f in files {
            FileSystem.closeQuietly(f.fd)
            f.folder.folder.removeQuietly(f.tmp)
        }
        for f in folders { f.folder.close() }
    }
}

/// The state of one restore. Folders are walked in order, each folder's subfolders' listings read ahead by several
/// readers at once. Files are gathered into batches (``RestoreBatch``); a batch is read pack by pack, its files
/// flushed, put in place, and the folders completed in it finished. Durability, in one batch: the files' content is
/// flushed (one `syncfs` where the file system honours it, else each file), then each file is renamed into place,
/// then the finished folders get their modes and times and are flushed (again one `syncfs`, or each folder), so that
/// once restore returns everything is on disk, and at no moment does a final name hold a partial file.
final class RestoreRun {
    let reader: BlobReader
    let target: String
    let cancellation: Cancellation?
    let progress: ProgressHandler?
    /// Which entries are restored.
    let selection: RestoreSelection
    /// The path in the snapshot of what goes into the target (empty for the whole snapshot).
    let base: String
    /// Files and bytes of content to restore, when known (for progress).
    let total: (files: Int, bytes: Int64)?
    var result = RestoreResult(files: 0, directories: 0, symlinks: 0, bytes: 0, errors: [])
    /// Readers for the ranges of a batch and for listings read ahead, one lent to each task in flight.
    private var readers: [BlobReader] = []
    private var batch = RestoreBatch()
    /// Bytes of file content written so far (progress: a batch's ranges report as they arrive, before its files are
    /// in place).
    private var bytesWritten: Int64 = 0
    /// Entries whose extended attributes the target's file system refused (one without them, such as FAT).
    var attributesRefused = 0
    /// Ranges read at once: from an object store, enough requests in flight to hide the network's round trips
    /// (restic uses 8); from a folder or drive, one per core, at least two, since opening blobs is then the work
    /// (measured: four on two cores were no faster, and held twice the buffers).
    let readConcurrency: Int
    /// The largest range read at once: from an object store, 8 MiB, since each request costs a round trip; from a
    /// folder or drive, where a read costs no round trip, 2 MiB, so each reader's buffer stays small.
    let maxRange: Int64

    init(reader: BlobReader, target: String, selection: RestoreSelection, base: String, total: (files: Int, bytes: Int64)?,
         cancellation: Cancellation?, progress: ProgressHandler?) throws(TriplicateError) {
        self.reader = reader
        self.target = target
        self.selection = selection
        self.base = base
        self.total = total
        self.cancellation = cancellation
        self.progress = progress
        let cores = max(2, ProcessInfo.processInfo.activeProcessorCount)
        readConcurrency = reader.repository.readsFromObjectStore ? max(8, cores) : cores
        maxRange = reader.repository.readsFromObjectStore ? PackRangePlanner.maxRange : 2 << 20
        for _ in 0..<readConcurrency {
            readers.append(try BlobReader(repository: reader.repository, index: reader.index, finder: reader.finder, packKeys: reader.packKeys))
        }
    }

    /// Permission bits restored: everything but set-user-ID and set-group-ID, which a restored file should
    /// not carry when the repository may come from anywhere.
    static func safeMode(_ mode: UInt32) -> UInt32 { mode & 0o1777 }

    private static func checkCancelled(_ cancellation: Cancellation?) throws(TriplicateError) {
        if cancellation?.isCancelled == true {
            throw TriplicateError(.cancelled, "restore interrupted; the files restored so far are complete, the ones in progress were removed")
        }
    }

    private static func fail(_ what: String, _ display: String, _ error: FileSystemError) -> TriplicateError {
        TriplicateError(.targetWrite, "cannot \(what) \(display): \(error.reason)")
    }

    /// The error for two entries of one folder that the target's file system takes for one name.
    private static func collision(_ display: String) -> String {
        "not restored: another entry of this folder has the same name on the target's file system (it ignores case or normalizes names); restore it into another folder"
    }

    func restoreTree(_ id: ObjectID, in dir: Folder, display: String, depth: Int, included: Bool) async throws(TriplicateError) {
        try Self.checkCancelled(cancellation)
        guard depth <= maxTreeDepth else {
            throw TriplicateError(.refused, "refusing to restore \(display): its folders are nested more than \(maxTreeDepth) deep, which no backup writes; the snapshot was made by hand")
        }
        let tree: Tree
        do { tree = try await reader.tree(id) } catch {
            guard error.kind == .corrupt else { throw error }
            result.errors.append("\(display): the folder's listing is damaged, its content was not restored (\(error.message))")
            return
        }
        for node in tree.nodes {
            guard TreeNode.isSafeName(node.name) else { throw Self.hostile(node, display) }
        }
        await readAhead(tree)
        // A restore killed before may have left a temporary entry here; it is removed before this one writes.
        Self.removeLeftovers(dir)
        let folder = RestoredFolder(dir)
        for node in tree.nodes { try await restore(node, in: folder, display: display, depth: depth, included: included) }
    }

    /// Reads the listings of `tree`'s subfolders several at once, so that walking a snapshot costs a round trip per
    /// level rather than per folder. A listing that cannot be read is left for the walk, which reports it.
    private func readAhead(_ tree: Tree) async {
        var ids: [ObjectID] = []
        for node in tree.nodes {
            if case .directory(let sub) = node.content, !reader.hasTree(sub) { ids.append(sub) }
        }
        guard ids.count > 1 else { return }
        var read: [(ObjectID, Tree)] = []
        await forEachConcurrently(ids, workers: readers, { id, r in
            (id, try? await r.fetchTree(id))
        }, collect: { (id, tree) in
            if let tree { read.append((id, tree)) }
            return true
        })
        for (id, tree) in read { reader.remember(tree, as: id) }
    }

    private static func hostile(_ node: TreeNode, _ parent: String) -> TriplicateError {
        TriplicateError(.refused, "refusing to restore an entry named \(String(reflecting: node.nameString)) in \(parent): the repository holds a hostile or damaged name; nothing outside the target was written")
    }

    /// Removes the `.triplicate-restore-` entries (16 hex digits after it) an interrupted restore left in a folder.
    static func removeLeftovers(_ dir: Folder) {
        let prefix = Array(".triplicate-restore-".utf8)
        for name in dir.entryNames() {
            guard name.count == prefix.count + 16, name.starts(with: prefix),
                  name.dropFirst(prefix.count).allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else { continue }
            dir.removeQuietly(Folder.cName(name))
        }
    }

    /// Sets `node`'s extended attributes on the open file or folder `fd` (only `user.` ones, whatever the repository
    /// holds: a `security.` or `trusted.` attribute could grant what a backup never should); counts a refusal.
    private func setAttributes(_ node: TreeNode, on fd: Int32) {
        var refused = false
        for a in node.attributes where !FileSystem.setUserAttribute(fd: fd, name: a.name, value: a.value) { refused = true }
        if refused { attributesRefused += 1 }
    }

    /// True when ``RestoreOptions/overwrite`` leaves the entry already at `name` as it is instead of restoring `node`.
    private func keepsExisting(_ node: TreeNode, in dir: Folder, _ name: [CChar]) -> Bool {
        let policy = selection.options.overwrite
        guard policy != .always, let there = dir.entry(name) else { return false }
        switch policy {
        case .always: return false
        case .never: return true
        case .ifNewer:
            return (there.seconds, there.nanoseconds) >= (node.mtime.seconds, node.mtime.nanoseconds)
        case .ifChanged:
            guard case .file = node.content, there.isFile else { return false }
            return UInt64(clamping: there.size) == node.size && there.seconds == node.mtime.seconds && there.nanoseconds == node.mtime.nanoseconds
        }
    }

    /// Adds a file to the batch: its temporary file is created now, its content written when the batch is.
    private func add(file node: TreeNode, in folder: RestoredFolder, display: String) async throws(TriplicateError) {
        let tmp = Self.temporaryName()
        let fd: Int32
        do { fd = try folder.folder.createFile(tmp) } catch { throw Self.fail("create file", display, error) }
        setAttributes(node, on: fd)
        batch.files.append(BatchFile(folder: folder, node: node, display: display, tmp: tmp, fd: fd))
        batch.bytes += Int64(clamping: node.size)
        if batch.isFull { try await flush() }
    }

    /// Finishes a folder whose content is all restored or in the batch: at once when the batch is empty, else once the
    /// batch's files are in place (the folder stays open until then).
    private func finish(folder: Folder, node: TreeNode, display: String) async throws(TriplicateError) {
        guard batch.isEmpty else {
            batch.folders.append(FinishedFolder(folder: folder, node: node, display: display))
            if batch.isFull { try await flush() }
            return
        }
        defer { folder.close() }
        Self.applyModeAndTimes(folder.fd, node)
        do { try folder.sync(path: display) } catch { throw Self.fail("flush folder", display, error) }
        result.directories += 1
    }

    /// Writes the batch and starts a new one. On failure, the batch's temporary files are removed and its folders closed.
    func flush() async throws(TriplicateError) {
        let current = batch
        batch = RestoreBatch()
        try await write(current)
    }

    /// Closes and removes what the current batch holds (after a failure elsewhere).
    func abandon() {
        batch.abandon()
        batch = RestoreBatch()
    }

    /// Reads the batch's blobs by pack into its files, flushes them, puts them in place and finishes its folders; on
    /// failure, removes the temporary files not yet in place. Either way, closes every descriptor the batch holds.
    private func write(_ b: RestoreBatch) async throws(TriplicateError) {
        // Files before `settled` are closed (and in place or removed).
        var settled = 0
        defer { for f in b.folders { f.folder.close() } }
        do {
            try await write(b, settled: &settled)
        } catch {
            for f in b.files[settled...] {
                FileSystem.closeQuietly(f.fd)
                f.folder.folder.removeQuietly(f.tmp)
            }
            throw error
        }
    }

    private func write(_ b: RestoreBatch, settled: inout Int) async throws(TriplicateError) {
        var failed = [String?](repeating: nil, count: b.files.count)
        var perPack: [UInt32: [ObjectID: BlobNeed]] = [:]
        for (i, f) in b.files.enumerated() {
            guard case .file(let chunks, _, _, _) = f.node.content else { failed[i] = "not a file"; continue }
            // Counted in UInt64: a hostile node may claim any size, and the chunks are checked against it.
            var offset: UInt64 = 0
            var needs: [(ObjectID, BlobLocation, Int64)] = []
            for c in chunks {
                guard let loc = reader.index.location(c) else {
                    failed[i] = "not restored, its data is damaged (\(reader.missing(c).message))"
                    break
                }
                needs.append((c, loc, Int64(offset)))
                offset += UInt64(loc.entry.rawLength)
                guard offset <= f.node.size else {
                    failed[i] = "not restored, its chunks hold more than the \(f.node.size) bytes the snapshot says"
                    break
                }
            }
            guard failed[i] == nil else { continue }
            guard offset == f.node.size else {
                failed[i] = "not restored, the snapshot says \(f.node.size) bytes but its chunks hold \(offset)"
                continue
            }
            do { try FileSystem.setSize(f.fd, Int64(offset), path: f.display) } catch { throw Self.fail("write", f.display, error) }
            for (id, loc, at) in needs {
                perPack[loc.pack, default: [:]][id, default: BlobNeed(id: id, entry: loc.entry, targets: [])]
                    .targets.append(BlobTarget(file: i, offset: at))
            }
        }
        let ranges = PackRangePlanner.interleaved(perPack.sorted { $0.key < $1.key }.map { number, needs in
            let pack = reader.index.packID(number)
            return PackRangePlanner.ranges(pack: pack, needs: Array(needs.values), withHeader: reader.packKeys[pack] == nil,
                                           maxRange: maxRange)
        })
        try await read(ranges, into: b.files, failed: &failed)
        try Self.checkCancelled(cancellation)

        // The content, flushed before any file gets its final name.
        var flushed = Set<UInt64>()
        for (i, f) in b.files.enumerated() where failed[i] == nil { Self.applyModeAndTimes(f.fd, f.node) }
        for (i, f) in b.files.enumerated() where failed[i] == nil {
            do throws(FileSystemError) {
                if try !Self.flushFileSystem(of: f.fd, path: f.display, flushed: &flushed) { try FileSystem.sync(f.fd, path: f.display) }
            } catch { throw Self.fail("flush", f.display, error) }
        }
        for (i, f) in b.files.enumerated() {
            settled = i + 1
            if let why = failed[i] {
                FileSystem.closeQuietly(f.fd)
                f.folder.folder.removeQuietly(f.tmp)
                result.errors.append("\(f.display): \(why)")
                continue
            }
            do { try FileSystem.closeWritten(f.fd, path: f.display) } catch {
                f.folder.folder.removeQuietly(f.tmp)
                throw Self.fail("write", f.display, error)
            }
            guard try Self.replace(in: f.folder, tmp: f.tmp, name: Folder.cName(f.node.name), display: f.display) else {
                result.errors.append("\(f.display): " + Self.collision(f.display))
                continue
            }
            result.files += 1
            result.bytes += Int64(f.node.size)
            report(f.display)
        }

        // The folders completed in this batch, children before their parents.
        flushed = []
        for f in b.folders { Self.applyModeAndTimes(f.folder.fd, f.node) }
        for f in b.folders {
            do throws(FileSystemError) {
                if try !Self.flushFileSystem(of: f.folder.fd, path: f.display, flushed: &flushed) { try f.folder.sync(path: f.display) }
            } catch { throw Self.fail("flush folder", f.display, error) }
            result.directories += 1
        }
    }

    /// Flushes the whole file system holding `fd` once per batch step (`flushed` holds the devices already flushed).
    /// False when that file system must be flushed file by file instead.
    private static func flushFileSystem(of fd: Int32, path: String, flushed: inout Set<UInt64>) throws(FileSystemError) -> Bool {
        guard let device = FileSystem.device(of: fd) else { return false }
        if flushed.contains(device) { return true }
        guard try FileSystem.syncFileSystem(of: fd, path: path) else { return false }
        flushed.insert(device)
        return true
    }

    /// Reads `ranges` with ``readConcurrency`` readers at once, writing each blob to its files; the files whose data
    /// no copy holds intact are marked in `failed`.
    private func read(_ ranges: [PackRange], into files: [BatchFile], failed: inout [String?]) async throws(TriplicateError) {
        let cancellation = self.cancellation
        var firstError: TriplicateError?
        await forEachConcurrently(ranges, workers: readers, { range, reader in
            do throws(TriplicateError) {
                try Self.checkCancelled(cancellation)
                let bytes = range.needs.reduce(Int64(0)) { $0 + Int64($1.entry.rawLength) * Int64($1.targets.count) }
                return .success((bytes, try await reader.readRange(range) { (need, plain) throws(TriplicateError) in
                    // Each file was given its full size, unwritten: a chunk of zeros left unwritten stays a hole, so a
                    // sparse file (a disk image, a database) is restored sparse.
                    if isAllZero(plain) { return }
                    for t in need.targets {
                        let f = files[t.file]
                        do throws(FileSystemError) { try FileSystem.writeAll(f.fd, plain, at: t.offset, path: f.display) } catch {
                            throw Self.fail("write", f.display, error)
                        }
                    }
                }))
            } catch {
                return .failure(error)
            }
        }, collect: { (outcome: Result<(Int64, [(need: BlobNeed, error: TriplicateError)]), TriplicateError>) in
            switch outcome {
            case .success((let bytes, let failures)):
                bytesWritten += bytes
                report(files.first?.display)
                for (need, error) in failures {
                    for t in need.targets where failed[t.file] == nil {
                        failed[t.file] = "not restored, its data is damaged (\(error.message))"
                    }
                }
            case .failure(let e):
                if firstError == nil { firstError = e }
            }
            return firstError == nil
        })
        if let firstError { throw firstError }
    }

    /// Reports the figures so far, with the totals when known.
    private func report(_ path: String?) {
        progress?(ProgressEvent(.restore, done: result.files, total: total?.files, bytes: bytesWritten, totalBytes: total?.bytes, currentPath: path))
    }

    /// Restores `node` into `folder`; `included` says whether everything below the folder is to be restored
    /// (``RestoreSelection``).
    func restore(_ node: TreeNode, in folder: RestoredFolder, display parent: String, depth: Int, included: Bool) async throws(TriplicateError) {
        try Self.checkCancelled(cancellation)
        guard TreeNode.isSafeName(node.name) else { throw Self.hostile(node, parent) }
        let name = Folder.cName(node.name)
        let display = parent + "/" + node.nameString
        let dir = folder.folder
        if case .file = node.content, RestoreOptions.isLightroomHousekeeping(node.name) {
            result.warnings.append("\(display): not restored; Lightroom's lock file (or SQLite's index beside the catalog, which is rebuilt from it) would make Lightroom take the catalog for open elsewhere")
            return
        }
        let below: Bool
        if selection.takesEverything {
            below = true
        } else {
            guard let b = try await selection.decide(node, path: base + String(display.dropFirst(target.count)), included: included) else { return }
            below = b
        }
        if case .directory = node.content {} else if keepsExisting(node, in: dir, name) {
            result.kept += 1
            return
        }
        switch node.content {
        case .directory(let tree):
            var opened: Folder?
            let placed = try folder.place(name) { () throws(TriplicateError) in
                do throws(FileSystemError) { try dir.makeFolder(name) } catch { throw Self.fail("create folder", display, error) }
                do throws(FileSystemError) { opened = try dir.openFolder(name) } catch {
                    if Folder.isNotAFolder(error) {
                        throw TriplicateError(.refused, "refusing to restore into \(display): it exists and is not a folder (a symbolic link or a file); nothing was written through it")
                    }
                    throw Self.fail("open folder", display, error)
                }
            }
            guard placed, let child = opened else {
                result.errors.append("\(display): " + Self.collision(display))
                return
            }
            // The folder may exist from an earlier restore with its final, possibly read-only mode: make it
            // writable for its content, then give it its recorded mode.
            child.setMode(0o700)
            setAttributes(node, on: child.fd)
            do {
                try await restoreTree(tree, in: child, display: display, depth: depth + 1, included: below)
            } catch {
                child.close()
                throw error
            }
            // The folder is handed over, and closed once finished.
            try await finish(folder: child, node: node, display: display)
        case .file:
            try await add(file: node, in: folder, display: display)
        case .symlink(let target):
            let tmp = Self.temporaryName()
            guard !target.contains(0) else {
                result.errors.append("\(display): not restored, its link target holds a NUL byte")
                return
            }
            // The target is written as the raw bytes the backup read, whether or not they are UTF-8.
            do { try dir.makeLink(tmp, to: Folder.cName(target)) } catch { throw Self.fail("create link", display, error) }
            dir.setTimes(tmp, seconds: node.mtime.seconds, nanoseconds: node.mtime.nanoseconds)
            guard try Self.replace(in: folder, tmp: tmp, name: name, display: display) else {
                result.errors.append("\(display): " + Self.collision(display))
                return
            }
            result.symlinks += 1
        }
    }

    /// Renames the temporary entry over `name`, refusing to replace a folder or an entry this restore put there (then
    /// the temporary entry is removed and false returned).
    private static func replace(in folder: RestoredFolder, tmp: String, name: [CChar], display: String) throws(TriplicateError) -> Bool {
        let dir = folder.folder
        let placed = try folder.place(name) { () throws(TriplicateError) in
            do throws(FileSystemError) { try dir.rename(tmp, to: name) } catch {
                dir.removeQuietly(tmp)
                throw Self.fail("put in place", display, error)
            }
        }
        if !placed { dir.removeQuietly(tmp) }
        return placed
    }

    /// A name for an entry being written, renamed over its real name once complete (FORMAT.md §15).
    static func temporaryName() -> String { ".triplicate-restore-" + FileSystem.uniqueSuffix() }

    /// Gives an open file or folder its recorded (safe) mode and its mtime; failures leave the defaults.
    static func applyModeAndTimes(_ fd: Int32, _ node: TreeNode) {
        FileSystem.setModeAndTime(fd, mode: safeMode(node.mode), seconds: node.mtime.seconds, nanoseconds: node.mtime.nanoseconds)
    }
}
