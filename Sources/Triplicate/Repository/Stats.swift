// Stats: how much the repository stores against how much it protects.
@_spi(Benchmarks) internal import TriplicateCore

/// Repository figures: original bytes across snapshots against bytes stored, with the ratios.
public struct RepositoryStats: Sendable, Codable {
    /// Number of snapshots.
    public var snapshots: Int
    /// Sum over snapshots of the size of every file they hold (what a restore of all of them would write).
    public var originalBytes: Int64
    /// Plaintext bytes of the distinct chunks (after deduplication, before compression).
    public var uniqueBytes: Int64
    /// Bytes of the sealed blobs in packs (after compression and encryption).
    public var blobBytes: Int64
    /// Bytes of every repository file (packs, index files, snapshots, keys, config).
    public var storedBytes: Int64
    /// Distinct data chunks.
    public var chunks: Int
    /// Distinct tree blobs.
    public var trees: Int
    /// Packs.
    public var packs: Int
    /// Index files.
    public var indexFiles: Int
    /// originalBytes / uniqueBytes: how much deduplication saved (1 = nothing).
    public var deduplicationRatio: Double
    /// uniqueBytes / blobBytes: how much compression saved (1 = nothing).
    public var compressionRatio: Double
    /// originalBytes / storedBytes.
    public var overallRatio: Double
    /// Bytes a bucket still stores and bills for this repository's deleted files, kept as hidden versions (B2 keeps
    /// every version unless the bucket's lifecycle rule says otherwise; Triplicate deletes every version of what it
    /// deletes, so this counts what was deleted otherwise); nil for a place that keeps no versions.
    public var hiddenBytes: Int64?
    /// For a bucket with object lock: the days every file is kept after it is written.
    public var objectLockDays: Int?
}

extension Repository {
    /// Computes ``RepositoryStats`` from the index, the snapshots' root summaries and the file listing.
    public func stats() async throws(TriplicateError) -> RepositoryStats {
        let index = try await loadIndex()
        let all = try await snapshots()
        var unique: Int64 = 0, blob: Int64 = 0, chunks = 0, trees = 0
        index.forEachLocation { loc in
            blob += Int64(loc.entry.storedLength)
            if loc.entry.type == .data {
                unique += Int64(loc.entry.rawLength)
                chunks += 1
            } else {
                trees += 1
            }
        }
        var stored: Int64 = 0
        for info in try await list("", what: "files") { stored = stored.saturatingAdd(max(info.size, 0)) }
        // Snapshot summaries are whatever a repository says: summed without overflow.
        let original = all.reduce(Int64(0)) { $0.saturatingAdd(max($1.summary.bytes, 0)) }
        let indexFiles = try await list(Layout.index, what: "index files").count
        func ratio(_ a: Int64, _ b: Int64) -> Double { b > 0 ? Double(a) / Double(b) : 1 }
        let hidden: Int64?, lock: Retention?
        do {
            hidden = try await destination.hiddenBytes()
            lock = try await destination.retention()
        } catch { throw TriplicateError(error, doing: "cannot read the versions \(destination.displayName) keeps") }
        return RepositoryStats(snapshots: all.count, originalBytes: original, uniqueBytes: unique, blobBytes: blob,
                               storedBytes: stored, chunks: chunks, trees: trees, packs: index.packs.count,
                               indexFiles: indexFiles, deduplicationRatio: ratio(original, unique),
                               compressionRatio: ratio(unique, blob), overallRatio: ratio(original, stored),
                               hiddenBytes: hidden, objectLockDays: lock?.days)
    }
}

extension Int64 {
    /// `self + other`, or `Int64.max` when that overflows.
    func saturatingAdd(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }
}
