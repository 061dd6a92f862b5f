// SnapshotSelector: which snapshot a command means (`latest` or a prefix of an ID), and optionally a path inside it,
// parsed once from the text `SNAPSHOT[:PATH]` every restore path takes.
@_spi(Benchmarks) internal import TriplicateCore

/// Which snapshot, and optionally which path inside it: `latest`, `3f2a9c1d`, `latest:Pictures/2026`,
/// `3f2a:/home/jose/Pictures/DSC_0001.NEF`.
public struct SnapshotSelector: Sendable, Hashable, CustomStringConvertible {
    /// Which snapshot.
    public enum Which: Sendable, Hashable {
        /// The newest snapshot (by its time).
        case latest
        /// The one snapshot whose ID starts with these hex digits (lowercase).
        case idPrefix(String)
    }

    /// Which snapshot.
    public var which: Which
    /// A path inside the snapshot (as ``Repository/restore(_:path:to:options:progress:)`` takes it), or nil
    /// for all of it.
    public var path: String?

    /// The newest snapshot, whole.
    public static let latest = SnapshotSelector(.latest)

    /// A selector of `which`, and of `path` inside it.
    public init(_ which: Which, path: String? = nil) {
        self.which = which
        self.path = path
    }

    /// Parses `SNAPSHOT[:PATH]`: `latest` or at least one hex digit of an ID, then optionally `:` and a path.
    /// Throws ``TriplicateError/Kind-swift.enum/invalidArgument`` for anything else.
    public init(_ text: String) throws(TriplicateError) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let id = parts.first.map(String.init) ?? ""
        if parts.count > 1 {
            let p = String(parts[1])
            guard !p.isEmpty else { throw TriplicateError(.invalidArgument, "\"\(text)\" names no path after the colon; write SNAPSHOT or SNAPSHOT:PATH") }
            path = p
        }
        if id == "latest" {
            which = .latest
        } else {
            let lower = id.lowercased()
            guard !lower.isEmpty, lower.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
                throw TriplicateError(.invalidArgument, "\"\(id)\" is not a snapshot ID or `latest`")
            }
            which = .idPrefix(lower)
        }
    }

    /// The selector as text, as ``init(_:)`` reads it.
    public var description: String {
        let id = switch which {
        case .latest: "latest"
        case .idPrefix(let p): p
        }
        return path.map { id + ":" + $0 } ?? id
    }
}

extension Repository {
    /// The snapshot `selector` names (its path is not looked at). Errors
    /// (``TriplicateError/Kind-swift.enum/invalidArgument``): no snapshot yet, no snapshot with that prefix, or several.
    public func findSnapshot(_ selector: SnapshotSelector) async throws(TriplicateError) -> Snapshot {
        let all = try await snapshots()
        switch selector.which {
        case .latest:
            guard let last = all.last else { throw TriplicateError(.invalidArgument, "the repository has no snapshots yet") }
            return last
        case .idPrefix(let prefix):
            let matches = all.filter { $0.id.hex.hasPrefix(prefix) }
            switch matches.count {
            case 1: return matches[0]
            case 0: throw TriplicateError(.invalidArgument, "no snapshot has an ID starting with \(prefix)")
            default: throw TriplicateError(.invalidArgument, "\(matches.count) snapshots have IDs starting with \(prefix); give more digits")
            }
        }
    }

    /// The snapshot `text` names (`latest` or an ID prefix), as ``findSnapshot(_:)-(SnapshotSelector)`` with
    /// ``SnapshotSelector/init(_:)``.
    public func findSnapshot(_ text: String) async throws(TriplicateError) -> Snapshot {
        try await findSnapshot(try SnapshotSelector(text))
    }
}

extension Snapshot {
    /// The name of the root tree's node for each of `paths` (absolute, normalized): its last component (`root` for
    /// `/`); when several paths end in the same name, the first of them in byte order of the whole path keeps it and
    /// the others get ` (2)`, ` (3)`… (the first such name no other path has taken), so that `~/Pictures` and
    /// `/media/archive/Pictures` are `Pictures` and `Pictures (2)` (FORMAT.md §10.4).
    public static func rootNames(of paths: [String]) -> [String: String] {
        var names: [String: String] = [:]
        var taken = Set<String>()
        let ordered = Set(paths).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        func last(_ p: String) -> String { p == "/" ? "root" : String(p.split(separator: "/").last ?? "root") }
        // Every path's own name first, so that a later path never takes the plain name of an earlier one's suffix.
        for p in ordered where !taken.contains(last(p)) {
            names[p] = last(p)
            taken.insert(last(p))
        }
        for p in ordered where names[p] == nil {
            var k = 2
            while taken.contains("\(last(p)) (\(k))") { k += 1 }
            names[p] = "\(last(p)) (\(k))"
            taken.insert("\(last(p)) (\(k))")
        }
        return names
    }

    /// `path` as it is inside this snapshot's tree: a path below one of the backed-up ``paths``
    /// (`/home/studio/Pictures/2024/IMG_0001.CR3`, as `snapshots` shows them) becomes the path below its root node
    /// (`/Pictures/2024/IMG_0001.CR3`, as `ls` shows it); any other path is returned as it is. Restore, ls and find
    /// accept both.
    public func treePath(_ path: String) -> String {
        let names = Self.rootNames(of: paths)
        // The longest backed-up path that holds it: `/a` and `/a/b` may both be sources.
        for p in paths.sorted(by: { $0.count > $1.count }) {
            guard let name = names[p] else { continue }
            if path == p { return "/" + name }
            let prefix = p == "/" ? "/" : p + "/"
            if path.hasPrefix(prefix), p != "/" { return "/" + name + "/" + path.dropFirst(prefix.count) }
        }
        return path
    }
}
