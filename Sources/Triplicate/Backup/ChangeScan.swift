// ChangeScan: which source files are in no backup yet, found the way a backup decides what to read (metadata only,
// no file content read).
@_spi(Benchmarks) internal import TriplicateCore
internal import Foundation
internal import TriplicateDestinations
internal import TriplicateSystem

/// Source files that the newest backup of their folders does not hold as they are now.
public struct UnprotectedFiles: Sendable, Codable, Equatable {
    /// Files new or changed since that backup (or every file, when there is none yet).
    public var files: Int
    /// Their size in bytes.
    public var bytes: Int64
    /// A few of their paths, for a person.
    public var examples: [String]
    /// The snapshot they were compared with (64 hex digits), nil when no backup of these folders exists yet.
    public var comparedWith: String?
    /// Source paths that are not there at all (a photo drive that is not plugged in): nothing under them can be
    /// backed up, and a backup refuses to run.
    public var missingSources: [String] = []
}

extension Repository {
    /// Walks `paths` with the rule a backup uses to skip unchanged files (``SourceInfo/isUnchanged(from:)``, including
    /// files found again by inode in a renamed folder, and chunks that are still in the repository) and counts the
    /// files that `snapshot` does not hold as they are now. Reads metadata only. Excluded names and folders are left
    /// out as a backup leaves them out; a name that is not valid UTF-8 counts (a backup cannot store it).
    func unprotectedFiles(paths: [String], excludes: ExcludeMatcher, snapshot: Snapshot?,
                          cancellation: Cancellation? = nil) async throws(TriplicateError) -> UnprotectedFiles {
        var scan = ChangeScan(excludes: excludes, cancellation: cancellation)
        var root: Tree?
        if let snapshot, let id = snapshot.record.treeID {
            scan.started = Timestamp(seconds: Int64(snapshot.time.timeIntervalSince1970.rounded(.down)), nanoseconds: 0)
            let index = try await loadIndex()
            scan.index = index
            scan.reader = try BlobReader(repository: self, index: index)
            root = await scan.tree(id)
        }
        var missing: [String] = []
        // Each path's node in the snapshot is named as the backup named it (FORMAT.md §10.4).
        let own = Snapshot.rootNames(of: paths.map(Self.absolute)), recorded = Snapshot.rootNames(of: snapshot?.paths ?? [])
        for p in paths {
            let abs = Self.absolute(p)
            guard FileSystem.exists(abs) else {
                missing.append(abs)
                continue
            }
            let name = Array((recorded[abs] ?? own[abs] ?? "root").utf8)
            try await scan.visit(abs, parent: root?.nodes.first { $0.name == name }, followLink: true)
        }
        return UnprotectedFiles(files: scan.files, bytes: scan.bytes, examples: scan.examples, comparedWith: snapshot?.id.hex,
                                missingSources: missing)
    }
}

/// The walk of ``Repository/unprotectedFiles(paths:excludes:snapshot:cancellation:)``.
private struct ChangeScan {
    let excludes: ExcludeMatcher
    let cancellation: Cancellation?
    var index: MasterIndex?
    var reader: BlobReader?
    /// The whole second in which the compared backup started.
    var started = Timestamp(seconds: 0, nanoseconds: 0)
    var files = 0
    var bytes: Int64 = 0
    var examples: [String] = []
    /// Files of vanished entries by inode, and the listings already remembered (each once).
    private var moved: [UInt64: TreeNode] = [:]
    private var movedTrees = Set<ObjectID>()

    init(excludes: ExcludeMatcher, cancellation: Cancellation?) {
        self.excludes = excludes
        self.cancellation = cancellation
    }

    func tree(_ id: ObjectID) async -> Tree? { try? await reader?.tree(id) }

    mutating func unprotected(_ path: String, size: UInt64) {
        files += 1
        bytes = bytes.saturatingAdd(Int64(clamping: size))
        if examples.count < 10 { examples.append(path) }
    }

    mutating func visit(_ path: String, parent: TreeNode?, followLink: Bool = false, depth: Int = 0) async throws(TriplicateError) {
        if cancellation?.isCancelled == true { throw TriplicateError(.cancelled, "status interrupted") }
        guard var info = try? SourceInfo.lstatPath(path) else { return }
        if followLink, info.kind == .symlink, let target = try? SourceInfo.statPath(path), target.kind != .symlink { info = target }
        switch info.kind {
        case .file:
            let previous = parent.flatMap { p -> TreeNode? in
                if case .file = p.content { return p }
                return nil
            } ?? moved[info.inode]
            if let node = previous, case .file(let chunks, _, let ctime, let inode) = node.content, let index,
               info.isUnchanged(from: node) || Self.isRacyButUnchanged(info, node: node, ctime: ctime, inode: inode, started: started),
               chunks.allSatisfy(index.contains) {
                return
            }
            unprotected(path, size: info.size)
        case .directory:
            guard depth < maxTreeDepth, let entries = try? FileSystem.listDirectory(path) else { return }
            var parentNodes: [[UInt8]: TreeNode] = [:]
            if let parent, case .directory(let id) = parent.content, let t = await tree(id) {
                for n in t.nodes { parentNodes[n.name] = n }
            }
            let present = Set(entries.map { Array($0.name.utf8) })
            for (name, node) in parentNodes where !present.contains(name) { await remember(node, depth: 0) }
            for e in entries {
                let child = path == "/" ? "/" + e.name : path + "/" + e.name
                guard e.hasValidName else {
                    unprotected(child, size: UInt64(max(e.size, 0)))
                    continue
                }
                if excludes.excludes(path: child, name: e.name) { continue }
                try await visit(child, parent: parentNodes[Array(e.name.utf8)], depth: depth + 1)
            }
        case .symlink, .other:
            return
        }
    }

    /// A file the backup recorded with a zero ctime (it changed less than a second before the backup started, so the
    /// next backup reads it again, FORMAT.md §14.6) whose size, mtime and inode are the same and whose last change is
    /// before the whole second in which that backup started: it was read after it last changed, so the backup holds it
    /// as it is, even on a file system whose clock counts whole seconds.
    static func isRacyButUnchanged(_ info: SourceInfo, node: TreeNode, ctime: Timestamp, inode: UInt64, started: Timestamp) -> Bool {
        ctime == Timestamp(seconds: 0, nanoseconds: 0) && node.size == info.size && node.mtime == info.mtime && inode == info.inode
            && info.ctime < started
    }

    /// Remembers the files below a vanished entry by inode, as a backup does for a renamed folder.
    private mutating func remember(_ node: TreeNode, depth: Int) async {
        switch node.content {
        case .file(_, _, let ctime, let inode):
            if ctime != Timestamp(seconds: 0, nanoseconds: 0) { moved[inode] = node }
        case .directory(let id):
            guard depth < maxTreeDepth, cancellation?.isCancelled != true, movedTrees.insert(id).inserted, let t = await tree(id) else { return }
            for n in t.nodes { await remember(n, depth: depth + 1) }
        case .symlink:
            break
        }
    }
}
