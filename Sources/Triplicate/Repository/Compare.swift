// Compare: what changed between two snapshots (diff), and which snapshots hold a file (find), reading each listing
// once: a folder whose listing is the same in both snapshots, or already searched, is not read again.
@_spi(Benchmarks) internal import TriplicateCore
internal import TriplicateSystem

/// One difference between two snapshots, as `diff` shows it.
public struct SnapshotChange: Sendable, Equatable {
    /// What happened to the entry.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// Only in the second snapshot.
        case added
        /// Only in the first snapshot.
        case removed
        /// In both, with different content: a file's bytes, a link's target, or a file that became a folder (then it
        /// is also listed as removed and added).
        case changed
        /// In both with the same content, but a different mode, modification time or extended attributes.
        case metadata
    }

    /// What happened.
    public var kind: Kind
    /// The path inside the snapshots, starting with `/`.
    public var path: String
    /// The entry in the first snapshot (nil when added).
    public var before: TreeNode?
    /// The entry in the second snapshot (nil when removed).
    public var after: TreeNode?
}

/// An entry of a snapshot that ``Repository/find(_:in:ignoringCase:each:)`` matched.
public struct FoundEntry: Sendable {
    /// The snapshot that holds it.
    public var snapshot: Snapshot
    /// The entry, with its path inside the snapshot.
    public var entry: SnapshotEntry
}

extension Repository {
    /// Every difference between snapshot `a` and snapshot `b`, depth first in name order: entries added, removed,
    /// changed, or changed only in mode or time. Below a folder that was added or removed, every entry is listed too.
    /// Folders whose listing is the same in both are skipped without being read; a folder is never listed as changed
    /// itself (its time changes whenever its content does), only as ``SnapshotChange/Kind-swift.enum/metadata`` when its
    /// content is the same. Stops with ``TriplicateError/Kind-swift.enum/cancelled`` when its Task is cancelled.
    public func diff(_ a: Snapshot, _ b: Snapshot, each: (SnapshotChange) throws(TriplicateError) -> Void) async throws(TriplicateError) {
        guard let rootA = a.record.treeID else { throw TriplicateError(.corrupt, "snapshot \(a.id.short) has no tree") }
        guard let rootB = b.record.treeID else { throw TriplicateError(.corrupt, "snapshot \(b.id.short) has no tree") }
        try await followingTaskCancellation { cancellation throws(TriplicateError) in
            let reader = try BlobReader(repository: self, index: try await loadIndex())
            reader.readsTreesAhead = true
            try await diffTrees(rootA, rootB, prefix: "", depth: 0, reader: reader, cancellation: cancellation, each: each)
        }
    }

    /// ``diff(_:_:each:)``, collected.
    public func diff(_ a: Snapshot, _ b: Snapshot) async throws(TriplicateError) -> [SnapshotChange] {
        var out: [SnapshotChange] = []
        try await diff(a, b) { out.append($0) }
        return out
    }

    private func diffTrees(_ a: ObjectID, _ b: ObjectID, prefix: String, depth: Int, reader: BlobReader, cancellation: Cancellation?,
                           each: (SnapshotChange) throws(TriplicateError) -> Void) async throws(TriplicateError) {
        guard a != b else { return }
        if cancellation?.isCancelled == true { throw TriplicateError(.cancelled, "diff interrupted") }
        guard depth <= maxTreeDepth else {
            throw TriplicateError(.corrupt, "\(prefix): folders nested more than \(maxTreeDepth) deep; the snapshot was made by hand")
        }
        let before = try await reader.tree(a).nodes, after = try await reader.tree(b).nodes
        // Both listings are in strictly increasing byte order of names (FORMAT.md §10): one merge pass.
        var i = 0, j = 0
        while i < before.count || j < after.count {
            let old = i < before.count ? before[i] : nil, new = j < after.count ? after[j] : nil
            if let old, new == nil || old.name.lexicographicallyPrecedes(new?.name ?? []) {
                try await whole(.removed, old, prefix: prefix, depth: depth, reader: reader, cancellation: cancellation, each: each)
                i += 1
            } else if let new, old == nil || new.name.lexicographicallyPrecedes(old?.name ?? []) {
                try await whole(.added, new, prefix: prefix, depth: depth, reader: reader, cancellation: cancellation, each: each)
                j += 1
            } else if let old, let new {
                let path = prefix + "/" + new.nameString
                let sameMeta = old.mode == new.mode && old.mtime == new.mtime && old.attributes == new.attributes
                switch (old.content, new.content) {
                case (.directory(let ta), .directory(let tb)):
                    if ta == tb, !sameMeta { try each(SnapshotChange(kind: .metadata, path: path, before: old, after: new)) }
                    try await diffTrees(ta, tb, prefix: path, depth: depth + 1, reader: reader, cancellation: cancellation, each: each)
                case (.file(let ca, _, _, _), .file(let cb, _, _, _)) where ca == cb && old.size == new.size:
                    if !sameMeta { try each(SnapshotChange(kind: .metadata, path: path, before: old, after: new)) }
                case (.file, .file):
                    try each(SnapshotChange(kind: .changed, path: path, before: old, after: new))
                case (.symlink(let la), .symlink(let lb)):
                    if la != lb {
                        try each(SnapshotChange(kind: .changed, path: path, before: old, after: new))
                    } else if !sameMeta {
                        try each(SnapshotChange(kind: .metadata, path: path, before: old, after: new))
                    }
                default:
                    // A file became a folder or a link, or the other way round.
                    try await whole(.removed, old, prefix: prefix, depth: depth, reader: reader, cancellation: cancellation, each: each)
                    try await whole(.added, new, prefix: prefix, depth: depth, reader: reader, cancellation: cancellation, each: each)
                }
                i += 1
                j += 1
            }
        }
    }

    /// Reports `node` and everything below it as added or removed.
    private func whole(_ kind: SnapshotChange.Kind, _ node: TreeNode, prefix: String, depth: Int, reader: BlobReader, cancellation: Cancellation?,
                       each: (SnapshotChange) throws(TriplicateError) -> Void) async throws(TriplicateError) {
        let path = prefix + "/" + node.nameString
        try each(SnapshotChange(kind: kind, path: path, before: kind == .removed ? node : nil, after: kind == .added ? node : nil))
        guard case .directory(let t) = node.content else { return }
        if cancellation?.isCancelled == true { throw TriplicateError(.cancelled, "diff interrupted") }
        guard depth < maxTreeDepth else {
            throw TriplicateError(.corrupt, "\(path): folders nested more than \(maxTreeDepth) deep; the snapshot was made by hand")
        }
        for child in try await reader.tree(t).nodes {
            try await whole(kind, child, prefix: path, depth: depth + 1, reader: reader, cancellation: cancellation, each: each)
        }
    }

    /// Every entry of `snapshots` (all of them when nil, oldest first) whose name matches `pattern`, a shell glob (`*`,
    /// `?`, `[...]`): a pattern without `/` is matched against each file, folder and link name (`IMG_0042.*`,
    /// `*.lrcat`); a pattern with `/` against the whole path inside the snapshot, where `*` does not cross `/`
    /// (`/Pictures/2024/*/IMG_0042.CR3`). Each folder's listing is searched once, however many snapshots hold it.
    /// Stops with ``TriplicateError/Kind-swift.enum/cancelled`` when its Task is cancelled.
    public func find(_ pattern: String, in snapshots: [Snapshot]? = nil, ignoringCase: Bool = false,
                     each: (FoundEntry) throws(TriplicateError) -> Void) async throws(TriplicateError) {
        guard !pattern.isEmpty else { throw TriplicateError(.invalidArgument, "find needs a pattern, such as IMG_0042.* or *.lrcat") }
        let chosen: [Snapshot]
        if let snapshots { chosen = snapshots } else { chosen = try await self.snapshots() }
        try await followingTaskCancellation { cancellation throws(TriplicateError) in
            let reader = try BlobReader(repository: self, index: try await loadIndex())
            reader.readsTreesAhead = true
            let search = FindSearch(pattern: pattern, ignoringCase: ignoringCase, reader: reader, cancellation: cancellation)
            for snapshot in chosen {
                guard let root = snapshot.record.treeID else { throw TriplicateError(.corrupt, "snapshot \(snapshot.id.short) has no tree") }
                try await search.search(root, prefix: "", depth: 0) { e throws(TriplicateError) in
                    try each(FoundEntry(snapshot: snapshot, entry: e))
                }
            }
        }
    }

    /// ``find(_:in:ignoringCase:each:)``, collected.
    public func find(_ pattern: String, in snapshots: [Snapshot]? = nil, ignoringCase: Bool = false) async throws(TriplicateError) -> [FoundEntry] {
        var out: [FoundEntry] = []
        try await find(pattern, in: snapshots, ignoringCase: ignoringCase) { out.append($0) }
        return out
    }
}

/// The search of ``Repository/find(_:in:ignoringCase:each:)``. Matches are handed out as they are found (a snapshot
/// that repeats one folder under many names is searched in bounded memory); what is remembered is which listings hold
/// no match at all, so that the folders that did not change between snapshots, nearly all of them, are read once.
private final class FindSearch {
    let pattern: String
    let byPath: Bool
    let ignoringCase: Bool
    let reader: BlobReader
    let cancellation: Cancellation?
    /// Listings with no match below them (for a pattern with `/`, at the path given after the ID).
    private var empty: Set<String> = []

    init(pattern: String, ignoringCase: Bool, reader: BlobReader, cancellation: Cancellation?) {
        self.pattern = pattern
        byPath = pattern.contains("/")
        self.ignoringCase = ignoringCase
        self.reader = reader
        self.cancellation = cancellation
    }

    /// Hands `emit` every match below the listing `tree` found at `prefix`; true when there was one.
    @discardableResult
    func search(_ tree: ObjectID, prefix: String, depth: Int,
                emit: (SnapshotEntry) throws(TriplicateError) -> Void) async throws(TriplicateError) -> Bool {
        let key = byPath ? tree.hex + prefix : tree.hex
        if empty.contains(key) { return false }
        if cancellation?.isCancelled == true { throw TriplicateError(.cancelled, "find interrupted") }
        guard depth <= maxTreeDepth else {
            throw TriplicateError(.corrupt, "\(prefix): folders nested more than \(maxTreeDepth) deep; the snapshot was made by hand")
        }
        var found = false
        for node in try await reader.tree(tree).nodes {
            let path = prefix + "/" + node.nameString
            if FileSystem.globMatches(pattern, byPath ? path : node.nameString, pathname: byPath, ignoringCase: ignoringCase) {
                try emit(SnapshotEntry(path: path, node: node))
                found = true
            }
            if case .directory(let sub) = node.content, try await search(sub, prefix: path, depth: depth + 1, emit: emit) {
                found = true
            }
        }
        if !found { empty.insert(key) }
        return found
    }
}
