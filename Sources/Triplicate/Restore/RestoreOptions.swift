// RestoreOptions: which entries of a snapshot a restore writes, and what it does with a file already in the target.
@_spi(Benchmarks) internal import TriplicateCore

/// Settings of one restore.
public struct RestoreOptions: Sendable {
    /// What a restore does with an entry already at a file's or link's name in the target. Folders are always merged
    /// into.
    public enum Overwrite: String, Sendable, CaseIterable, Codable {
        /// Replace it (the default).
        case always
        /// Leave a regular file whose size and modification time are those of the snapshot's; replace anything else.
        case ifChanged = "if-changed"
        /// Replace it only when the snapshot's entry is newer (a later modification time).
        case ifNewer = "if-newer"
        /// Leave whatever is there.
        case never
    }

    /// Patterns of the entries to restore, with everything below them (the folders on the way are created); empty:
    /// everything. Globs as ``BackupOptions/excludes``, matched against the path inside the snapshot as `ls` shows it
    /// (`*.lrcat*`, `Lightroom/Catalog.lrcat-wal`, `/Pictures/2024/*`).
    public var includes: [String]
    /// Patterns of entries left out, with everything below them; they win over ``includes``.
    public var excludes: [String]
    /// What to do with entries already in the target.
    public var overwrite: Overwrite

    /// Everything, replacing what is in the way, unless told otherwise.
    public init(includes: [String] = [], excludes: [String] = [], overwrite: Overwrite = .always) {
        self.includes = includes
        self.excludes = excludes
        self.overwrite = overwrite
    }

    /// Lightroom Classic's lock file and SQLite's shared-memory index beside a catalog: a restored lock file makes
    /// Lightroom take the catalog for open elsewhere, and the index is rebuilt from the catalog and its `-wal`. Neither
    /// is backed up, and neither is restored from a snapshot that holds one.
    static func isLightroomHousekeeping(_ name: [UInt8]) -> Bool {
        housekeepingSuffixes.contains { name.count > $0.count && name.suffix($0.count).elementsEqual($0) }
    }

    /// The name endings of ``isLightroomHousekeeping(_:)``, as bytes once (the backup asks for every file).
    private static let housekeepingSuffixes = [Array(".lrcat.lock".utf8), Array(".lrcat-shm".utf8)]
}

/// The choice of a restore's entries (``RestoreOptions/includes`` and ``RestoreOptions/excludes``), with what it has
/// learnt of which folders hold an included entry.
final class RestoreSelection {
    let options: RestoreOptions
    private let reader: BlobReader
    private let cancellation: Cancellation?
    /// Listings (at a path) known to hold, or not, an entry to restore.
    private var holds: [String: Bool] = [:]

    init(_ options: RestoreOptions, reader: BlobReader, cancellation: Cancellation?) {
        self.options = options
        self.reader = reader
        self.cancellation = cancellation
    }

    /// True when every entry is restored without looking (no pattern given).
    var takesEverything: Bool { options.includes.isEmpty && options.excludes.isEmpty }

    /// What to do with `node` at `path` in the snapshot, below a folder that is (`included`) or is not itself
    /// included: nil to leave it out, else whether everything below it is included.
    func decide(_ node: TreeNode, path: String, included: Bool) async throws(TriplicateError) -> Bool? {
        if case .file = node.content, RestoreOptions.isLightroomHousekeeping(node.name) { return nil }
        if takesEverything { return true }
        let name = node.nameString
        if options.excludes.contains(where: { ExcludeMatcher.matches($0, path: path, name: name) }) { return nil }
        if included || options.includes.isEmpty { return true }
        if options.includes.contains(where: { ExcludeMatcher.matches($0, path: path, name: name) }) { return true }
        guard case .directory(let tree) = node.content, try await holdsIncluded(tree, path: path, depth: 0) else { return nil }
        return false
    }

    /// True when the listing `tree` at `path` holds, at any depth, an entry that ``decide(_:path:included:)`` includes.
    private func holdsIncluded(_ tree: ObjectID, path: String, depth: Int) async throws(TriplicateError) -> Bool {
        let key = tree.hex + path
        if let known = holds[key] { return known }
        if cancellation?.isCancelled == true { throw TriplicateError(.cancelled, "restore interrupted") }
        guard depth <= maxTreeDepth else {
            throw TriplicateError(.refused, "refusing to restore \(path): its folders are nested more than \(maxTreeDepth) deep, which no backup writes; the snapshot was made by hand")
        }
        var found = false
        for node in try await reader.tree(tree).nodes {
            let p = path + "/" + node.nameString
            if case .file = node.content, RestoreOptions.isLightroomHousekeeping(node.name) { continue }
            let name = node.nameString
            if options.excludes.contains(where: { ExcludeMatcher.matches($0, path: p, name: name) }) { continue }
            if options.includes.contains(where: { ExcludeMatcher.matches($0, path: p, name: name) }) {
                found = true
                break
            }
            if case .directory(let sub) = node.content, try await holdsIncluded(sub, path: p, depth: depth + 1) {
                found = true
                break
            }
        }
        holds[key] = found
        return found
    }

    /// The files and bytes of content the restore of `tree` at `path` writes (for progress and its ETA).
    func size(of tree: ObjectID, path: String, included: Bool, depth: Int) async throws(TriplicateError) -> (files: Int, bytes: Int64) {
        guard depth <= maxTreeDepth else { return (0, 0) }
        if cancellation?.isCancelled == true { throw TriplicateError(.cancelled, "restore interrupted before it wrote anything") }
        var files = 0, bytes: Int64 = 0
        func add(_ n: Int64) {
            let (sum, over) = bytes.addingReportingOverflow(n)
            bytes = over ? .max : sum
        }
        for node in try await reader.tree(tree).nodes {
            let p = path + "/" + node.nameString
            guard let below = try await decide(node, path: p, included: included) else { continue }
            switch node.content {
            case .file:
                files += 1
                add(Int64(clamping: node.size))
            case .directory(let sub):
                let s = try await size(of: sub, path: p, included: below, depth: depth + 1)
                files += s.files
                add(s.bytes)
            case .symlink: break
            }
        }
        return (files, bytes)
    }
}
