// SourceWalker: a backup's walk of the source folders: metadata of every entry, the parent snapshot's node of the
// same name, renamed folders matched by inode, excludes; files go to the chunker, folders to the listing assembler.
@_spi(Benchmarks) internal import TriplicateCore
internal import Foundation
internal import TriplicateDestinations
internal import TriplicateSystem

extension BackupRun {
    /// Backs up one entry; nil when it is skipped (excluded by the caller, unreadable, or a special file). With
    /// `followLink` (a path the backup was asked for), a symbolic link to a folder or file is backed up as what it points
    /// to, as other backup tools do with a named source; links inside are stored as links.
    func node(path: String, name: [UInt8], parent: TreeNode?, followLink: Bool = false) async throws(TriplicateError) -> Child? {
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

    func directory(path: String, name: [UInt8], info: SourceInfo, parent: TreeNode?) async throws(TriplicateError) -> Child? {
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
        // The non-empty write-ahead logs and journals of this folder, found once: a database beside one is a candidate
        // for SQLite's consistent copy.
        let liveSideFiles = Set(entries.filter { !$0.isDirectory && $0.size > 0 && DatabaseCapture.sideFiles.contains(where: $0.name.hasSuffix) }.map(\.name))
        for e in entries.sorted(by: { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }) {
            let childPath = path == "/" ? "/" + e.name : path + "/" + e.name
            guard e.hasValidName else {
                errors.append("\(childPath): the name is not valid UTF-8, so it cannot be backed up; rename it")
                continue
            }
            if excludes.excludes(path: childPath, name: e.name) { continue }
            let childName = Array(e.name.utf8)
            // Lightroom's lock file and SQLite's index beside a catalog: useless in a backup, harmful restored.
            if !e.isDirectory, RestoreOptions.isLightroomHousekeeping(childName) { continue }
            // A database copied whole by SQLite already holds what its write-ahead log or journal held (names sort the
            // database before them): stored too, they would be applied again over the copy when it is opened.
            if !e.isDirectory, let side = DatabaseCapture.sideFiles.first(where: { e.name.hasSuffix($0) }),
               capturedDatabases.contains(String(childPath.dropLast(side.count))) { continue }
            if !e.isDirectory, !liveSideFiles.isEmpty, DatabaseCapture.sideFiles.contains(where: { liveSideFiles.contains(e.name + $0) }) {
                databaseCandidates.insert(childPath)
            }
            if let c = try await node(path: childPath, name: childName, parent: parentNodes[childName]) { children.append(c) }
        }
        summary.directories += 1
        let placeholder = TreeNode(name: name, mode: info.mode, mtime: info.mtime, size: 0, content: .directory(tree: Self.placeholderID),
                                   attributes: Self.attributes(path: path))
        let pending = PendingDirectory(path: path, node: placeholder, children: children)
        pendingDirectories.append(pending)
        try await storePendingDirectories(onlyReady: true)
        return .directory(pending)
    }

    /// Records the files of a vanished entry (a whole folder, recursively) in ``moved``.
    func rememberMoved(_ node: TreeNode, path: String, depth: Int = 0) async throws(TriplicateError) {
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
}
