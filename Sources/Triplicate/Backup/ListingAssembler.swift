// ListingAssembler: a backup's folder listings, each encoded and stored once every file in it has its chunk IDs, in
// the order the walk finished the folders (so trees are stored bottom-up and identical to a sequential backup's).
@_spi(Benchmarks) internal import TriplicateCore
internal import Foundation
internal import TriplicateDestinations
internal import TriplicateSystem

/// An entry of a folder being backed up, possibly still waiting for its chunk IDs or its listing's ID.
enum Child {
    /// Complete: a reused file, a symlink, or a folder stored earlier.
    case ready(TreeNode)
    /// A file whose chunks are being hashed; the node's chunk list is filled in from the pending file.
    case file(PendingFile, TreeNode)
    /// A folder whose listing is stored once its files are complete.
    case directory(PendingDirectory)
}

/// A folder walked completely whose listing waits for its files' chunk IDs.
final class PendingDirectory {
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

extension BackupRun {
    static let placeholderID = ObjectID(bytes: [UInt8](repeating: 0, count: 32))

    /// Stores the listings of finished folders, oldest first, while their files are complete (all of them when
    /// `onlyReady` is false, which the caller may ask only after every worker has finished).
    func storePendingDirectories(onlyReady: Bool = false) async throws(TriplicateError) {
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
    func resolve(_ children: [Child]) -> [TreeNode] {
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

    /// Encodes and stores a tree (unless an identical one is stored), returning its ID.
    func storeTree(_ nodes: [TreeNode], path: String) async throws(TriplicateError) -> ObjectID {
        let tree: Tree
        do { tree = try Tree(nodes: nodes) } catch { throw TriplicateError(.sourceUnreadable, "\(path): cannot be stored: \(error)") }
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
}
