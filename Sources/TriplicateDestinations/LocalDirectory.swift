// LocalDirectory: a repository in a directory of a local disk or a mounted NAS share.
@_spi(Benchmarks) public import TriplicateCore
internal import TriplicateSystem

/// A destination in a local directory (internal disk, external disk, NAS mount).
///
/// Writes go to a temporary name in the target folder, are flushed with `fsync`, renamed over the final name,
/// and the folder is flushed too; the size is checked afterwards. After a crash at any moment a reader sees
/// either the old state or the whole new object, plus at most a temporary file (`*.tmp-*`) that ``list(prefix:)``
/// never shows.
public struct LocalDirectory: Destination {
    /// The repository's root folder, absolute.
    public let root: String
    /// The file without which nothing else is written (see ``Destination/anchored(_:)``); nil writes anything.
    public let anchor: Anchor?

    /// A destination rooted at `path`. Nothing is touched until an operation runs.
    public init(path: String) {
        var p = path
        while p.count > 1, p.hasSuffix("/") { p.removeLast() }
        root = p
        anchor = nil
    }

    private init(root: String, anchor: Anchor?) {
        self.root = root
        self.anchor = anchor
    }

    /// This folder, refusing every write but those `anchor` allows while its anchor file is missing: a disk or share
    /// that is not mounted leaves an empty mount point, which must not be filled on the internal disk.
    public func anchored(_ anchor: Anchor) -> any Destination { anchoredFolder(anchor) }

    /// ``anchored(_:)`` as a `LocalDirectory`.
    public func anchoredFolder(_ anchor: Anchor) -> LocalDirectory { LocalDirectory(root: root, anchor: anchor) }

    public var placeKind: PlaceKind { .folder }

    public var localFolders: [String] { [root] }

    /// Creates the root folder, as ``createRoot()``.
    public func createPlace() async throws(DestinationError) { try createRoot() }

    /// True when there is no folder at the root.
    public func isAbsent() async -> Bool { !FileSystem.isDirectory(root) }

    public var displayName: String { "local:\(root)" }

    /// True when the root folder exists.
    public var exists: Bool { FileSystem.isDirectory(root) }

    /// Creates the root folder (and its parents) if it is missing, and makes its entry durable.
    public func createRoot() throws(DestinationError) {
        if FileSystem.exists(root), !FileSystem.isDirectory(root) { throw rootMissing }
        do {
            try FileSystem.makeDirectories(root)
            if let slash = root.lastIndex(of: "/") { try FileSystem.syncDirectory(slash == root.startIndex ? "/" : String(root[..<slash])) }
        } catch { throw map(error, object: nil, op: "create the repository folder") }
    }

    /// The names of every entry in the root folder, whatever they are (not only valid object names); empty
    /// when the folder is missing. Used to refuse `init` in a folder that holds anything at all.
    public func rootEntries() async throws(DestinationError) -> [String] {
        ((try? FileSystem.listDirectory(root)) ?? []).map(\.name)
    }

    private func path(_ name: String) throws(DestinationError) -> String {
        guard ObjectName.isValid(name) else {
            throw DestinationError(.invalidName, object: name, "is not a valid object name")
        }
        return root + "/" + name
    }

    private func requireRoot() throws(DestinationError) {
        guard FileSystem.isDirectory(root) else { throw rootMissing }
    }

    /// Why the root folder cannot be used: a file where the folder should be is a mistake in the location (permanent);
    /// no folder at all is an unmounted disk or share (unavailable).
    private var rootMissing: DestinationError {
        if FileSystem.exists(root) {
            return DestinationError(.permanent, object: root, "is a file, not a folder: give the folder that holds (or is to hold) the repository")
        }
        return DestinationError(.unavailable, object: root, "the repository folder does not exist (is the disk or share mounted?)")
    }

    public func put(_ name: String, data: [UInt8]) async throws(DestinationError) {
        try store(name, size: Int64(data.count)) { (tmp) throws(FileSystemError) in try FileSystem.writeFile(tmp, data: data) }
    }

    /// Stores a copy of the file at `path`: a hard link when it is on the same file system (the engine stages
    /// packs in ``stagingDirectory``), otherwise a streamed copy; either way flushed before it is renamed into place.
    public func put(_ name: String, file path: String) async throws(DestinationError) {
        let size: Int64
        do { size = try FileSystem.size(path) } catch { throw map(error, object: name, op: "read the file to store") }
        // A file staged in this folder is linked into place. A file from anywhere else is copied, even on the same file
        // system: two copies of a repository must never share a file, or one bad sector would damage both.
        let own = path.hasPrefix(root.hasSuffix("/") ? root : root + "/")
        try store(name, size: size) { (tmp) throws(FileSystemError) in
            if own, FileSystem.hardLink(path, tmp) {
                try FileSystem.syncFile(tmp)
            } else {
                try FileSystem.copyFile(from: path, to: tmp)
            }
        }
    }

    /// The repository folder itself: packs staged there are linked into place, never copied.
    public var stagingDirectory: String? { root }

    /// Writes an object through `write(tmp)`, which must leave a complete, flushed file at the temporary name,
    /// then renames it over `name`, flushes the folder and checks the size.
    private func store(_ name: String, size expected: Int64, _ write: (String) throws(FileSystemError) -> Void) throws(DestinationError) {
        let final = try path(name)
        try requireRoot()
        // Only creating the repository writes before its anchor exists. Any other write into a folder without it
        // means the disk or share holding the repository is not mounted there now: refuse, instead of silently
        // filling the mount point on the internal disk.
        if let anchor, !anchor.allowsBefore(name), !FileSystem.exists(root + "/" + anchor.object) {
            throw DestinationError(.unavailable, object: root, "the repository is not there any more (no \(anchor.object) file): is the disk or share still mounted?")
        }
        let dir = String(final[..<(final.lastIndex(of: "/") ?? final.endIndex)])
        do {
            if !FileSystem.isDirectory(dir) {
                try FileSystem.makeDirectories(dir)
                // Make every new folder's entry durable: each parent up to and including the root.
                var parent = dir
                while parent.count > root.count, let slash = parent.lastIndex(of: "/") {
                    parent = String(parent[..<slash])
                    try FileSystem.syncDirectory(parent)
                }
            }
            let tmp = final + ".tmp-" + FileSystem.uniqueSuffix()
            do {
                try write(tmp)
                try FileSystem.rename(tmp, final)
            } catch {
                FileSystem.removeQuietly(tmp)
                throw error
            }
            try FileSystem.syncDirectory(dir)
            let size = try FileSystem.size(final)
            guard size == expected else {
                throw DestinationError(.permanent, object: name, "has \(size) bytes after writing \(expected): the disk is failing or full")
            }
        } catch let e as FileSystemError {
            throw map(e, object: name, op: "write")
        } catch let e as DestinationError {
            throw e
        } catch {
            throw DestinationError(.permanent, object: name, "\(error)")
        }
    }

    public func get(_ name: String) async throws(DestinationError) -> [UInt8] {
        let p = try path(name)
        do { return try FileSystem.readFile(p) } catch { throw mapRead(error, name: name) }
    }

    public func get(_ name: String, range: Range<Int64>) async throws(DestinationError) -> [UInt8] {
        let p = try path(name)
        do { return try FileSystem.readRange(p, range: range) } catch { throw mapRead(error, name: name) }
    }

    public func get(_ name: String, range: Range<Int64>, into buffer: UnsafeMutableRawBufferPointer) async throws(DestinationError) {
        let p = try path(name)
        do { try FileSystem.readRange(p, range: range, into: buffer) } catch { throw mapRead(error, name: name) }
    }

    public func list(prefix: String) async throws(DestinationError) -> [ObjectInfo] {
        guard ObjectName.isValidPrefix(prefix) else {
            throw DestinationError(.invalidName, object: prefix, "is not a valid prefix")
        }
        try requireRoot()
        // Walk the deepest folder that the prefix names completely, then filter by the full prefix.
        let folder = prefix.contains("/") ? String(prefix[..<(prefix.lastIndex(of: "/") ?? prefix.startIndex)]) : ""
        var out: [ObjectInfo] = []
        do {
            try walk(relative: folder, prefix: prefix, into: &out)
        } catch {
            throw map(error, object: prefix, op: "list")
        }
        return out
    }

    private func walk(relative: String, prefix: String, into out: inout [ObjectInfo]) throws(FileSystemError) {
        let dir = relative.isEmpty ? root : root + "/" + relative
        let entries: [FileSystem.DirectoryEntry]
        do { entries = try FileSystem.listDirectory(dir) } catch {
            if error.category == .notFound { return }
            throw error
        }
        for e in entries {
            if e.name.contains(".tmp-") { continue }
            let rel = relative.isEmpty ? e.name : relative + "/" + e.name
            if e.isDirectory {
                // Descend only where the prefix can still match.
                if rel.hasPrefix(prefix) || prefix.hasPrefix(rel + "/") { try walk(relative: rel, prefix: prefix, into: &out) }
            } else if rel.hasPrefix(prefix), ObjectName.isValid(rel) {
                out.append(ObjectInfo(name: rel, size: e.size))
            }
        }
    }

    public func delete(_ name: String) async throws(DestinationError) {
        let p = try path(name)
        do {
            try FileSystem.remove(p)
            try FileSystem.syncDirectory(String(p[..<(p.lastIndex(of: "/") ?? p.endIndex)]))
        } catch {
            if error.category == .notFound { return }
            throw map(error, object: name, op: "delete")
        }
    }

    public func stat(_ name: String) async throws(DestinationError) -> ObjectInfo {
        let p = try path(name)
        do { return ObjectInfo(name: name, size: try FileSystem.size(p)) } catch { throw mapRead(error, name: name) }
    }

    private func mapRead(_ e: FileSystemError, name: String) -> DestinationError {
        if e.category == .notFound {
            if !FileSystem.isDirectory(root) { return rootMissing }
            return DestinationError(.notFound, object: name, "does not exist in \(displayName)")
        }
        return map(e, object: name, op: "read")
    }

    private func map(_ e: FileSystemError, object: String?, op: String) -> DestinationError {
        let what = "could not \(op) (\(e.operation) \(e.path): \(e.reason))"
        switch e.category {
        case .noSpace:
            return DestinationError(.noSpace, object: object, "\(what); free some space on \(root) and run the backup again")
        case .denied:
            return DestinationError(.denied, object: object, "\(what); check the permissions of \(root)")
        case .notFound where !FileSystem.isDirectory(root), .disconnected:
            return DestinationError(.unavailable, object: object, "\(what); is the disk or share still connected?")
        case .transient:
            // Passing conditions of this computer, not of the file: never a sign that the data is damaged.
            return DestinationError(.transient, object: object, what)
        default:
            return DestinationError(.permanent, object: object, what)
        }
    }
}
