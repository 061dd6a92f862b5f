// What `PhotoSet.generate` wrote: counts and bytes per kind of file.

/// Counts and sizes of a generated photo set. All paths it describes are below the set's root.
public struct PhotoSetSummary: Sendable, Hashable, CustomStringConvertible {
    /// Every file written.
    public var files = 0
    /// The bytes of every file written.
    public var bytes: Int64 = 0
    /// Dated shoot folders under `Photos/`.
    public var folders = 0
    /// RAW files (NEF, ARW, DNG), one per photo.
    public var rawFiles = 0
    /// Bytes of all RAW files.
    public var rawBytes: Int64 = 0
    /// RAW files whose sensor data is compressed (the DNGs).
    public var compressedRawFiles = 0
    /// Bytes of the compressed RAW files.
    public var compressedRawBytes: Int64 = 0
    /// `.xmp` sidecars (one per NEF/ARW).
    public var sidecars = 0
    /// Bytes of all sidecars.
    public var sidecarBytes: Int64 = 0
    /// `.lrprev` files in the preview cache.
    public var previews = 0
    /// Bytes of all previews.
    public var previewBytes: Int64 = 0
    /// Size of `Lightroom/Catalog.lrcat`.
    public var catalogBytes: Int64 = 0

    /// An empty summary.
    public init() {}

    /// One line, e.g. `41 files, 4.0 MiB: 14 RAW (7 DNG) 3.5 MiB, 7 sidecars 61 KiB, 14 previews 205 KiB, catalog 232 KiB`.
    public var description: String {
        "\(files) files, \(ByteCount.format(bytes)): \(rawFiles) RAW (\(compressedRawFiles) DNG) "
            + "\(ByteCount.format(rawBytes)), \(sidecars) sidecars \(ByteCount.format(sidecarBytes)), "
            + "\(previews) previews \(ByteCount.format(previewBytes)), catalog \(ByteCount.format(catalogBytes))"
    }
}

/// Human-readable byte counts with binary units.
public enum ByteCount {
    /// `512 B`, `61 KiB`, `3.5 MiB`, `1.02 GiB`: integer arithmetic only, so output is stable.
    public static func format(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var unit = 0
        var scale: Int64 = 1
        while unit < units.count - 1 && bytes >= scale * 1024 {
            scale *= 1024
            unit += 1
        }
        if unit == 0 { return "\(bytes) B" }
        let tenths = (bytes * 10 + scale / 2) / scale
        if tenths >= 100 { return "\((bytes + scale / 2) / scale) \(units[unit])" }
        return "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }
}
