// What photo set to generate: a seed, a total size, and how that size splits into RAWs, previews and the catalog.

/// The recipe for a photographer's working set. The same spec always yields the same bytes.
///
/// The total is split the way a Lightroom Classic user's disk is: about 2 % catalog (at least
/// `minimumCatalogBytes`), about 5 % previews in many small files, and the rest RAW files with
/// their XMP sidecars. The number of RAW files follows from `rawSizeRange`.
public struct PhotoSetSpec: Sendable, Hashable {
    /// Seed of every random choice; two sets generated with the same spec are byte-identical.
    public var seed: UInt64
    /// The size the whole set should come to, in bytes (the result lands within a few percent).
    public var totalBytes: Int64
    /// Size range of one RAW file in bytes. Real cameras write 20-100 MB; tests use a few hundred KB.
    public var rawSizeRange: ClosedRange<Int>
    /// Size range of one preview file (`.lrprev`) in bytes.
    public var previewSizeRange: ClosedRange<Int>
    /// Fraction of shoots made with cameras that write compressed DNGs (the rest write uncompressed NEF/ARW).
    public var compressedShare: Double
    /// Fraction of `totalBytes` spent on the preview cache.
    public var previewShare: Double
    /// Fraction of `totalBytes` spent on the catalog.
    public var catalogShare: Double
    /// The catalog is never smaller than this, however small the set.
    public var minimumCatalogBytes: Int64

    /// A spec with the given seed and total; `rawSizeRange` defaults to `defaultRawSizeRange(totalBytes:)`.
    public init(seed: UInt64, totalBytes: Int64, rawSizeRange: ClosedRange<Int>? = nil) {
        self.seed = seed
        self.totalBytes = totalBytes
        self.rawSizeRange = rawSizeRange ?? PhotoSetSpec.defaultRawSizeRange(totalBytes: totalBytes)
        previewSizeRange = 10_240...61_440
        compressedShare = 0.5
        previewShare = 0.05
        catalogShare = 0.02
        minimumCatalogBytes = 200 * 1024
    }

    /// RAW sizes that give a set of this total at least a dozen photos, up to real-camera sizes (20-60 MiB).
    ///
    /// About 4 MiB gives 133-400 KiB files; 48 MiB gives 0.7-2 MiB; 2 GiB and more give 20-60 MiB.
    public static func defaultRawSizeRange(totalBytes: Int64) -> ClosedRange<Int> {
        let mebibyte = 1 << 20
        let upper = Int(min(Int64(60 * mebibyte), max(400 * 1024, totalBytes / 24)))
        let lower = max(100 * 1024, upper / 3)
        return lower...upper
    }

    /// About 4 MiB with 100-400 KiB RAW files: the set unit tests generate (a dozen or so photos).
    public static func small(seed: UInt64 = 1) -> PhotoSetSpec {
        PhotoSetSpec(seed: seed, totalBytes: 4 << 20, rawSizeRange: 100 * 1024...400 * 1024)
    }

    /// Tens of megabytes with 1-4 MiB RAW files: big enough to show off, quick to generate.
    public static func demo(seed: UInt64 = 1, totalBytes: Int64 = 48 << 20) -> PhotoSetSpec {
        PhotoSetSpec(seed: seed, totalBytes: totalBytes, rawSizeRange: (1 << 20)...(4 << 20))
    }

    /// Benchmark scale: real-camera RAW sizes of 20-60 MiB.
    public static func benchmark(seed: UInt64 = 1, totalBytes: Int64) -> PhotoSetSpec {
        PhotoSetSpec(seed: seed, totalBytes: totalBytes, rawSizeRange: (20 << 20)...(60 << 20))
    }

    /// The catalog's share of the total.
    var catalogBudget: Int64 {
        max(minimumCatalogBytes, Int64(Double(totalBytes) * catalogShare))
    }

    /// The preview cache's share of the total.
    var previewBudget: Int64 { Int64(Double(totalBytes) * previewShare) }

    /// What is left for RAW files and sidecars.
    var rawBudget: Int64 { totalBytes - catalogBudget - previewBudget }

    /// Throws `.invalidSpec` with an explanation when the spec cannot be generated.
    func validate() throws(PhotoFixtureError) {
        func invalid(_ detail: String) -> PhotoFixtureError {
            PhotoFixtureError(kind: .invalidSpec, operation: "generate a photo set", detail: detail)
        }
        if totalBytes < 1 << 20 {
            throw invalid("the total size \(totalBytes) bytes is below the 1 MiB minimum")
        }
        if rawSizeRange.lowerBound < 64 * 1024 || rawSizeRange.upperBound > 1 << 30 {
            throw invalid("RAW sizes must lie between 64 KiB and 1 GiB, not \(rawSizeRange)")
        }
        if previewSizeRange.lowerBound < 4096 || previewSizeRange.upperBound > 16 << 20 {
            throw invalid("preview sizes must lie between 4 KiB and 16 MiB, not \(previewSizeRange)")
        }
        let shares = [compressedShare, previewShare, catalogShare]
        if shares.contains(where: { !($0 >= 0 && $0 <= 1) }) || previewShare + catalogShare > 0.5 {
            throw invalid("shares must lie in 0...1 and previews plus catalog may take at most half")
        }
        if rawBudget < 2 * Int64(rawSizeRange.lowerBound) {
            throw invalid("\(totalBytes) bytes leave room for fewer than two RAW files of at least "
                + "\(rawSizeRange.lowerBound) bytes; raise the total or lower the RAW size range")
        }
    }
}
