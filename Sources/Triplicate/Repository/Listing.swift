// Listing: browsing the files of a snapshot.

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
    public func list(_ snapshot: Snapshot, path: String? = nil) async throws(TriplicateError) -> [SnapshotEntry] {
        guard let root = snapshot.record.treeID else { throw TriplicateError(.corrupt, "snapshot \(snapshot.id.short) has no tree") }
        let reader = try BlobReader(repository: self, index: try await loadIndex())
        var out: [SnapshotEntry] = []
        let clean = "/" + (path ?? "").split(separator: "/").joined(separator: "/")
        if let node = try await reader.node(at: path ?? "", root: root) {
            out.append(SnapshotEntry(path: clean, node: node))
            if case .directory(let t) = node.content { try await collect(t, prefix: clean, reader: reader, into: &out) }
        } else {
            try await collect(root, prefix: "", reader: reader, into: &out)
        }
        return out
    }

    private func collect(_ tree: ObjectID, prefix: String, reader: BlobReader, into out: inout [SnapshotEntry]) async throws(TriplicateError) {
        for node in try await reader.tree(tree).nodes {
            let p = prefix + "/" + node.nameString
            out.append(SnapshotEntry(path: p, node: node))
            if case .directory(let t) = node.content { try await collect(t, prefix: p, reader: reader, into: &out) }
        }
    }
}
