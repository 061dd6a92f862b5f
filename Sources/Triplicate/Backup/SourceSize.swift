// SourceSize: how much a backup will read at most, for its progress and ETA: a quick walk of the metadata.
@_spi(Benchmarks) internal import TriplicateCore
internal import TriplicateDestinations
internal import TriplicateSystem

extension Repository {
    /// The total size of the regular files under `paths`, leaving out `excludes`: a quick metadata-only walk
    /// used to show an ETA. Unreadable entries count as zero.
    public static func estimateSize(paths: [String], excludes: [String]) -> Int64 {
        let matcher = ExcludeMatcher(patterns: excludes)
        func walk(_ path: String) -> Int64 {
            guard let info = try? SourceInfo.lstatPath(path) else { return 0 }
            switch info.kind {
            case .file: return Int64(info.size)
            case .directory:
                guard let entries = try? FileSystem.listDirectory(path) else { return 0 }
                var total: Int64 = 0
                for e in entries {
                    let child = path == "/" ? "/" + e.name : path + "/" + e.name
                    if !matcher.excludes(path: child, name: e.name) { total += walk(child) }
                }
                return total
            default: return 0
            }
        }
        return paths.reduce(0) { $0 + walk(absolute($1)) }
    }
}
