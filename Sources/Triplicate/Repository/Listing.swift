// Listing: browsing the files of a snapshot.
@_spi(Benchmarks) internal import TriplicateCore

/// One entry of a snapshot, as `ls` shows it.
public struct SnapshotEntry: Sendable {
    /// The path inside the snapshot, starting with `/`.
    public var path: String
    /// The node.
    public var node: TreeNode

    /// `file`, `dir` or `symlink`.
    public var kind: String {
        switch node.content {
        case .file: "file"
        case .directory: "dir"
        case .symlink: "symlink"
        }
    }
}

extension Repository {
    /// Every entry of `snapshot` at and below `path` (the whole snapshot when nil), depth first, in name order.
    ///
    /// - Complexity: the result holds every path of the snapshot; ``list(_:path:each:)`` hands them out one
    ///   at a time instead.
    public func list(_ snapshot: Snapshot, path: String? = nil) async throws(TriplicateError) -> [SnapshotEntry] {
        var out: [SnapshotEntry] = []
        try await list(snapshot, path: path) { out.append($0) }
        return out
    }

    /// Calls `each` with every entry of `snapshot` at and below `path` (the whole snapshot when nil), depth first, in
    /// name order, holding only the listings on the way down: memory stays bounded even when a snapshot repeats one
    /// subtree under many names. Stops with ``TriplicateError/Kind-swift.enum/cancelled`` when its Task is cancelled.
    public func list(_ snapshot: Snapshot, path: String? = nil, each: (SnapshotEntry) throws(TriplicateError) -> Void) async throws(TriplicateError) {
        try await followingTaskCancellation { cancellation throws(TriplicateError) in
            try await list(snapshot, path: path, cancellation: cancellation, each: each)
        }
    }

    /// ``list`` with the flag that stops it.
    func list(_ snapshot: Snapshot, path: String? = nil, cancellation: Cancellation?,
                     each: (SnapshotEntry) throws(TriplicateError) -> Void) async throws(TriplicateError) {
        guard let root = snapshot.record.treeID else { throw TriplicateError(.corrupt, "snapshot \(snapshot.id.short) has no tree") }
        // A path as `snapshots` shows the sources (/home/studio/Pictures/…) or as `ls` shows the tree (/Pictures/…).
        let path = path.map(snapshot.treePath)
        let reader = try BlobReader(repository: self, index: try await loadIndex())
        reader.readsTreesAhead = true
        let clean = "/" + (path ?? "").split(separator: "/").joined(separator: "/")
        if let node = try await reader.node(at: path ?? "", root: root) {
            try each(SnapshotEntry(path: clean, node: node))
            if case .directory(let t) = node.content {
                try await collect(t, prefix: clean, depth: 1, reader: reader, cancellation: cancellation, each: each)
            }
        } else {
            try await collect(root, prefix: "", depth: 0, reader: reader, cancellation: cancellation, each: each)
        }
    }

    private func collect(_ tree: ObjectID, prefix: String, depth: Int, reader: BlobReader, cancellation: Cancellation?,
                         each: (SnapshotEntry) throws(TriplicateError) -> Void) async throws(TriplicateError) {
        if cancellation?.isCancelled == true { throw TriplicateError(.cancelled, "listing interrupted") }
        guard depth <= maxTreeDepth else {
            throw TriplicateError(.corrupt, "\(prefix): folders nested more than \(maxTreeDepth) deep; the snapshot was made by hand")
        }
        for node in try await reader.tree(tree).nodes {
            let p = prefix + "/" + node.nameString
            try each(SnapshotEntry(path: p, node: node))
            if case .directory(let t) = node.content {
                try await collect(t, prefix: p, depth: depth + 1, reader: reader, cancellation: cancellation, each: each)
            }
        }
    }
}
