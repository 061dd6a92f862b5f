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
    /// Things worth knowing that are not errors (a target inside a folder the snapshot backed up).
    public var warnings: [String] = []
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
    /// `progress` is called with the figures so far after each file; it must be cheap and thread safe.
    public func restore(_ snapshot: Snapshot, path: String? = nil, to target: String, progress: ProgressHandler? = nil) async throws(TriplicateError) -> RestoreResult {
        try await followingTaskCancellation { cancellation throws(TriplicateError) in
            try await restore(snapshot, path: path, to: target, cancellation: cancellation, progress: progress)
        }
    }

    /// ``restore`` with the flag that stops it.
    func restore(_ snapshot: Snapshot, path: String? = nil, to target: String, cancellation: Cancellation?,
                        progress: ProgressHandler? = nil) async throws(TriplicateError) -> RestoreResult {
        // A shared lock, so that no prune deletes a pack while it is read (done without on a read-only copy).
        try await withLock(.shared, operation: "restore", optional: true) { _ throws(TriplicateError) in
            try await restoreHoldingLock(snapshot, path: path, to: target, cancellation: cancellation, progress: progress)
        }
    }

    private func restoreHoldingLock(_ snapshot: Snapshot, path: String?, to target: String, cancellation: Cancellation?,
                                    progress: ProgressHandler?) async throws(TriplicateError) -> RestoreResult {
        guard let rootID = snapshot.record.treeID else { throw TriplicateError(.corrupt, "snapshot \(snapshot.id.short) has no tree") }
        let index = try await loadIndex()
        let finder = DamageFinder()
        let reader = try BlobReader(repository: self, index: index, finder: finder)
        let node = try await reader.node(at: path ?? "", root: rootID)
        do { try FileSystem.makeDirectories(target) } catch {
            throw TriplicateError(.targetWrite, "cannot create the target folder \(target): \(error.reason)")
        }
        let root: Folder
        do { root = try Folder(path: target) } catch {
            throw TriplicateError(.targetWrite, "cannot open the target folder \(target): \(error.reason)")
        }
        defer { root.close() }
        let run = try RestoreRun(reader: reader, target: target, cancellation: cancellation, progress: progress)
        if let inside = Self.sourceHolding(target, paths: snapshot.paths) {
            run.result.warnings.append("the target \(target) is inside \(inside), which this snapshot backed up: the next backup of that folder takes the restored files too")
        }
        do throws(TriplicateError) {
            let folder = RestoredFolder(root)
            if let node {
                switch node.content {
                case .directory(let tree): try await run.restoreTree(tree, in: root, display: target, depth: 0)
                default:
                    RestoreRun.removeLeftovers(root)
                    try await run.restore(node, in: folder, display: target, depth: 0)
                }
            } else {
                try await run.restoreTree(rootID, in: root, display: target, depth: 0)
            }
            do { try root.sync(path: target) } catch {
                throw TriplicateError(.targetWrite, "cannot flush the target folder \(target): \(error.reason)")
            }
        } catch {
            // What was found damaged before the restore stopped is still worth recording.
            _ = try? await recordDamage(finder.packs, found: "restore", known: index.damage)
            throw error
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

/// What restoring one file did, merged into the run's result by the folder that started it.
private enum FileOutcome: Sendable {
    case restored(bytes: Int64)
    case skipped(String)
    case failed(TriplicateError)
}

/// A finished file task: the file and its outcome.
private struct FileTaskResult: Sendable {
    let display: String
    let outcome: FileOutcome
}

/// The state of one restore. Folders are walked in order; the files of each folder are restored by up to
/// ``parallelFiles`` tasks at once, each with its own ``BlobReader``, and the folder gets its mode, times and
/// flush once all of them are in place.
final class RestoreRun {
    let reader: BlobReader
    let target: String
    let cancellation: Cancellation?
    let progress: ProgressHandler?
    var result = RestoreResult(files: 0, directories: 0, symlinks: 0, bytes: 0, errors: [])
    /// Readers for the file tasks, one lent to each task in flight.
    private var readers: [BlobReader] = []
    /// Files restored at once: one per core, at least two, so that one waiting for its flush to disk leaves the
    /// core to another. More do not help: measured with 2, 4, 8 and 16 on two cores, restoring is then bound by
    /// the kernel's write path and the disk, and each file in flight holds two blob buffers.
    let parallelFiles = max(2, ProcessInfo.processInfo.activeProcessorCount)

    init(reader: BlobReader, target: String, cancellation: Cancellation?, progress: ProgressHandler?) throws(TriplicateError) {
        self.reader = reader
        self.target = target
        self.cancellation = cancellation
        self.progress = progress
        for _ in 0..<parallelFiles { readers.append(try BlobReader(repository: reader.repository, index: reader.index, finder: reader.finder)) }
    }

    /// Permission bits restored: everything but set-user-ID and set-group-ID, which a restored file should
    /// not carry when the repository may come from anywhere.
    static func safeMode(_ mode: UInt32) -> UInt32 { mode & 0o1777 }

    private static func checkCancelled(_ cancellation: Cancellation?) throws(TriplicateError) {
        if cancellation?.isCancelled == true {
            throw TriplicateError(.cancelled, "restore interrupted; the files restored so far are complete, the one in progress was removed")
        }
    }

    private static func fail(_ what: String, _ display: String, _ error: FileSystemError) -> TriplicateError {
        TriplicateError(.targetWrite, "cannot \(what) \(display): \(error.reason)")
    }


    /// The error for two entries of one folder that the target's file system takes for one name.
    private static func collision(_ display: String) -> String {
        "not restored: another entry of this folder has the same name on the target's file system (it ignores case or normalizes names); restore it into another folder"
    }

    func restoreTree(_ id: ObjectID, in dir: Folder, display: String, depth: Int) async throws(TriplicateError) {
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
        // A restore killed before may have left a temporary entry here; it is removed before this one writes.
        Self.removeLeftovers(dir)
        let folder = RestoredFolder(dir)
        var files: [TreeNode] = []
        for node in tree.nodes {
            if case .file = node.content { files.append(node) } else { try await restore(node, in: folder, display: display, depth: depth) }
        }
        try await restoreFiles(files, in: folder, display: display)
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

    /// Restores the files of one folder, up to ``parallelFiles`` at once.
    private func restoreFiles(_ files: [TreeNode], in folder: RestoredFolder, display: String) async throws(TriplicateError) {
        let cancellation = self.cancellation
        var firstError: TriplicateError?
        await forEachConcurrently(files, workers: readers, { node, reader in
            await Self.fileTask(node, reader: reader, folder: folder, display: display + "/" + node.nameString, cancellation: cancellation)
        }, collect: { done in
            switch done.outcome {
            case .restored(let bytes):
                result.files += 1
                result.bytes += bytes
                progress?(ProgressEvent(.restore, done: result.files, bytes: result.bytes, currentPath: done.display))
            case .skipped(let why):
                result.errors.append("\(done.display): \(why)")
            case .failed(let e):
                if firstError == nil { firstError = e }
            }
            return firstError == nil
        })
        if let firstError { throw firstError }
    }

    private static func fileTask(_ node: TreeNode, reader: BlobReader, folder: RestoredFolder, display: String,
                                 cancellation: Cancellation?) async -> FileTaskResult {
        let outcome: FileOutcome
        do { outcome = try await restoreFile(node, reader: reader, folder: folder, display: display, cancellation: cancellation) } catch {
            outcome = .failed(error)
        }
        return FileTaskResult(display: display, outcome: outcome)
    }

    func restore(_ node: TreeNode, in folder: RestoredFolder, display parent: String, depth: Int) async throws(TriplicateError) {
        try Self.checkCancelled(cancellation)
        guard TreeNode.isSafeName(node.name) else { throw Self.hostile(node, parent) }
        let name = Folder.cName(node.name)
        let display = parent + "/" + node.nameString
        let dir = folder.folder
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
            defer { child.close() }
            // The folder may exist from an earlier restore with its final, possibly read-only mode: make it
            // writable for its content, then give it its recorded mode.
            child.setMode(0o700)
            try await restoreTree(tree, in: child, display: display, depth: depth + 1)
            Self.applyModeAndTimes(child.fd, node)
            do { try child.sync(path: display) } catch { throw Self.fail("flush folder", display, error) }
            result.directories += 1
        case .file:
            switch try await Self.restoreFile(node, reader: reader, folder: folder, display: display, cancellation: cancellation) {
            case .restored(let bytes):
                result.files += 1
                result.bytes += bytes
                progress?(ProgressEvent(.restore, done: result.files, bytes: result.bytes, currentPath: display))
            case .skipped(let why):
                result.errors.append("\(display): \(why)")
            case .failed(let e):
                throw e
            }
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

    /// Writes one file under a temporary name, flushes it and renames it into place; a file whose data is
    /// damaged is skipped (and its temporary file removed) with the reason.
    private static func restoreFile(_ node: TreeNode, reader: BlobReader, folder: RestoredFolder, display: String,
                                    cancellation: Cancellation?) async throws(TriplicateError) -> FileOutcome {
        guard case .file(let chunks, _, _, _) = node.content else { return .skipped("not a file") }
        let dir = folder.folder
        let tmp = temporaryName()
        let fd: Int32
        do { fd = try dir.createFile(tmp) } catch { throw fail("create file", display, error) }
        var ok = false
        defer {
            if !ok {
                FileSystem.closeQuietly(fd)
                dir.removeQuietly(tmp)
            }
        }
        // Counted in UInt64: a hostile node may claim any size, and the chunks are checked against it.
        var written: UInt64 = 0
        for c in chunks {
            try checkCancelled(cancellation)
            let count: Int
            do throws(TriplicateError) {
                count = try await reader.withBlob(c) { (data) throws(TriplicateError) -> Int in
                    do throws(FileSystemError) { try FileSystem.writeAll(fd, data, path: display) } catch {
                        throw TriplicateError(.targetWrite, "cannot write \(display): \(error.reason)")
                    }
                    return data.count
                }
            } catch {
                guard error.kind == .corrupt else { throw error }
                return .skipped("not restored, its data is damaged (\(error.message))")
            }
            written &+= UInt64(count)
            guard written <= node.size else {
                return .skipped("not restored, its chunks hold more than the \(node.size) bytes the snapshot says")
            }
        }
        guard written == node.size else {
            return .skipped("not restored, the snapshot says \(node.size) bytes but its chunks hold \(written)")
        }
        applyModeAndTimes(fd, node)
        do { try FileSystem.sync(fd, path: display) } catch { throw fail("flush", display, error) }
        ok = true
        do { try FileSystem.closeWritten(fd, path: display) } catch {
            dir.removeQuietly(tmp)
            throw fail("write", display, error)
        }
        guard try replace(in: folder, tmp: tmp, name: Folder.cName(node.name), display: display) else {
            return .skipped(collision(display))
        }
        return .restored(bytes: Int64(written))
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
