// ExcludeMatcher: decides which source paths a backup leaves out.
@_spi(Benchmarks) internal import TriplicateCore
internal import TriplicateSystem

/// Exclude patterns, as shell globs (`*`, `?`, `[...]`):
/// - a pattern without `/` is matched against every file and folder name (`*.tmp`, `.DS_Store`, `Cache`);
/// - a pattern with `/` is matched against the whole absolute path, where `*` does not cross `/`
///   (`/home/*/Photos/Exports`); a match of a folder excludes everything below it.
struct ExcludeMatcher: Sendable {
    let patterns: [String]
    /// Folders left out by their exact absolute path (a repository inside a source folder), not as patterns.
    var folders: Set<String> = []

    func excludes(path: String, name: String) -> Bool {
        if folders.contains(path) { return true }
        for p in patterns {
            if p.contains("/") {
                var pattern = p
                while pattern.count > 1, pattern.hasSuffix("/") { pattern.removeLast() }
                if FileSystem.globMatches(pattern, path, pathname: true) { return true }
            } else if FileSystem.globMatches(p, name) {
                return true
            }
        }
        return false
    }
}
