// The entry point: generate a photographer's working set on disk, and change it the way a working day does.

/// Generates and edits deterministic photo sets:
///
/// ```
/// Photos/2023/2023-05-14 Coast/DSC_0412.NEF (+ DSC_0412.xmp)
/// Photos/2024/2024-06-12 Wedding/_A7R1234.ARW (+ .xmp)
/// Photos/2024/2024-07-02 Street/L1004711.DNG          (metadata inside, no sidecar)
/// Lightroom/Catalog.lrcat                             (SQLite, Lightroom's core tables)
/// Lightroom/Catalog Previews.lrdata/<0-F>/<XXXX>/<uuid>-<digest>.lrprev
/// ```
///
/// Same spec, same bytes, names and modification times. RAW files are written by one worker per
/// processor core, each streaming sensor rows through a reusable buffer; everything else follows
/// in plan order on the calling thread, so the result never depends on scheduling.
public enum PhotoSet {
    /// Where the catalog lives, relative to the root.
    public static let catalogPath = "Lightroom/Catalog.lrcat"

    /// Writes the set described by `spec` into `root`, which must be absent or an empty directory.
    ///
    /// - Throws: `.invalidSpec` for a spec that cannot be met, `.rootNotEmpty` when `root` holds
    ///   anything, `.fileSystem` or `.catalog` when writing fails (the partial set is left behind).
    /// - Complexity: O(`spec.totalBytes`); several hundred MB/s in release builds.
    public static func generate(at root: String, spec: PhotoSetSpec) throws(PhotoFixtureError) -> PhotoSetSummary {
        try spec.validate()
        switch try FileSystem.entry(at: root) {
        case .absent:
            try FileSystem.makeDirectories(root)
        case .directory:
            let entries = try FileSystem.directoryEntries(root)
            if !entries.isEmpty {
                throw PhotoFixtureError(
                    kind: .rootNotEmpty, operation: "generate a photo set in", path: root,
                    detail: "the folder already holds \(entries.count) entries (first: \"\(entries[0])\"); "
                        + "choose a new or empty folder")
            }
        default:
            throw PhotoFixtureError(kind: .rootNotEmpty, operation: "generate a photo set in", path: root,
                                    detail: "a file is in the way; choose a new or empty folder")
        }

        let plan = PhotoSetPlanner.plan(spec)
        let writer = PhotoWriter(root: root)
        try writer.ensureDirectory("Lightroom")
        try writer.ensureDirectory(PreviewCache.directory)
        let catalogFile = root + "/" + catalogPath
        let catalog = try LightroomCatalog.create(at: catalogFile, seed: spec.seed, photographer: plan.photographer)
        var summary = PhotoSetSummary()
        let photos = plan.photos
        summary.folders = plan.shoots.count
        try writer.write(photos, catalog: catalog) { (photo: PhotoPlan, written: WrittenPhoto) throws(PhotoFixtureError) in
            summary.rawFiles += 1
            summary.rawBytes += written.raw.bytes
            if photo.camera.storage == .riceCompressed {
                summary.compressedRawFiles += 1
                summary.compressedRawBytes += written.raw.bytes
            }
            if written.sidecarPath != nil {
                summary.sidecars += 1
                summary.sidecarBytes += written.sidecarBytes
            }
            summary.previews += written.previewPaths.count
            summary.previewBytes += written.previewBytes
        }
        let previewCount = photos.reduce(0) { $0 + $1.previewSizes.count }
        let variables: [(String, String)] = [
            (CatalogVariables.seed, String(spec.seed)),
            (CatalogVariables.generatedAt, String(plan.generatedAt.seconds)),
            (CatalogVariables.rawSizeMin, String(spec.rawSizeRange.lowerBound)),
            (CatalogVariables.rawSizeMax, String(spec.rawSizeRange.upperBound)),
            (CatalogVariables.previewSizeMin, String(spec.previewSizeRange.lowerBound)),
            (CatalogVariables.previewSizeMax, String(spec.previewSizeRange.upperBound)),
            (CatalogVariables.previewsPerPhotoPercent, String(previewCount * 100 / max(photos.count, 1))),
            (CatalogVariables.photographer, plan.photographer),
            (CatalogVariables.lastSession, "0"),
        ]
        for (name, value) in variables { try catalog.setVariable(name, value) }
        try catalog.commit()
        try catalog.close()
        try FileSystem.setTime(catalogFile, to: plan.generatedAt)
        summary.catalogBytes = try FileSystem.fileSize(catalogFile)
        summary.files = summary.rawFiles + summary.sidecars + summary.previews + 1
        summary.bytes = summary.rawBytes + summary.sidecarBytes + summary.previewBytes + summary.catalogBytes
        try FileSystem.settleDirectoryTimes(below: root, fallback: plan.generatedAt)
        return summary
    }
}

/// Names of the generator's own rows in `Adobe_variablesTable`, which editing sessions read back.
enum CatalogVariables {
    static let seed = "Triplicate_Seed"
    static let generatedAt = "Triplicate_GeneratedAt"
    static let rawSizeMin = "Triplicate_RawSizeMin"
    static let rawSizeMax = "Triplicate_RawSizeMax"
    static let previewSizeMin = "Triplicate_PreviewSizeMin"
    static let previewSizeMax = "Triplicate_PreviewSizeMax"
    static let previewsPerPhotoPercent = "Triplicate_PreviewsPerPhotoPercent"
    static let photographer = "Triplicate_Photographer"
    static let lastSession = "Triplicate_LastEditSession"
}
