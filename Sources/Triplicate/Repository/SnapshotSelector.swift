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
    /// A path inside the snapshot (as ``Repository/restore(_:path:to:progress:)`` takes it), or nil
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
