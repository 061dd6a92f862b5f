// ExcludeMatcher: decides which source paths a backup leaves out.
@_spi(Benchmarks) internal import TriplicateCore
internal import TriplicateSystem

/// Exclude patterns, as shell globs (`*`, `?`, `[...]`):
/// - a pattern without `/` is matched against every file and folder name (`*.tmp`, `.DS_Store`, `Cache`);
/// - a pattern that starts with `/` is matched against the whole absolute path, where `*` does not cross `/`
///   (`/home/*/Photos/Exports`);
/// - any other pattern with `/` is matched against the end of the path, as many components as it has
///   (`Lightroom/*Previews.lrdata` leaves out `/home/jose/Pictures/Lightroom/Catalog Previews.lrdata`).
///
/// A match of a folder excludes everything below it. A `/` at the end of a pattern is ignored.
struct ExcludeMatcher: Sendable {
    let patterns: [String]
    /// Folders left out by their exact absolute path (a repository inside a source folder), not as patterns.
    var folders: Set<String> = []

    func excludes(path: String, name: String) -> Bool {
        if folders.contains(path) { return true }
        for p in patterns where Self.matches(p, path: path, name: name) { return true }
        return false
    }

    static func matches(_ p: String, path: String, name: String) -> Bool {
        guard p.contains("/") else { return FileSystem.globMatches(p, name) }
        var pattern = Substring(p)
        while pattern.count > 1, pattern.hasSuffix("/") { pattern.removeLast() }
        if pattern.hasPrefix("/") { return FileSystem.globMatches(String(pattern), path, pathname: true) }
        // The path's last components, as many as the pattern has.
        let depth = pattern.split(separator: "/", omittingEmptySubsequences: true).count
        var start = path.endIndex
        var found = 0
        while found < depth, let slash = path[..<start].lastIndex(of: "/") {
            start = slash
            found += 1
        }
        guard found == depth else { return false }
        return FileSystem.globMatches(String(pattern), String(path[path.index(after: start)...]), pathname: true)
    }

    /// Why pattern `p` can match nothing below `roots` (absolute paths), or nil when it may match: an empty pattern,
    /// or one that starts with `/` and names a place outside every root (its part before the first wildcard is
    /// neither inside a root nor above one).
    static func unmatchable(_ p: String, roots: [String]) -> String? {
        if p.isEmpty || p.allSatisfy({ $0 == "/" }) { return "it is empty" }
        guard p.hasPrefix("/") else { return nil }
        let literal = String(p.prefix { !"*?[\\".contains($0) })
        let fixed = literal.hasSuffix("/") || literal == p ? literal : String(literal[..<(literal.lastIndex(of: "/") ?? literal.startIndex)]) + "/"
        for r in roots {
            let root = r.hasSuffix("/") ? r : r + "/"
            if fixed.hasPrefix(root) || root.hasPrefix(fixed) { return nil }
        }
        return "it starts with / so it is matched against whole absolute paths, and no path backed up (\(roots.joined(separator: ", "))) can start with \(literal == p ? p : fixed); to match at any depth, leave out the leading / (e.g. \(p.split(separator: "/").suffix(2).joined(separator: "/")))"
    }
}
