// Lightroom's preview cache: `Catalog Previews.lrdata/<0-F>/<XXXX>/<uuid>-<digest>.lrprev`, many small files.

/// Names and contents of `.lrprev` files.
enum PreviewCache {
    /// The cache folder, relative to the photo-set root.
    static let directory = "Lightroom/Catalog Previews.lrdata"

    /// `Lightroom/Catalog Previews.lrdata/A/A1B2/A1B2...-<digest>.lrprev` for an image's preview.
    static func relativePath(imageID: String, digest: String) -> String {
        let first = String(imageID.prefix(1))
        let four = String(imageID.prefix(4))
        return directory + "/" + first + "/" + four + "/" + imageID + "-" + digest + ".lrprev"
    }

    /// The folder holding an image's previews.
    static func folder(imageID: String) -> String {
        directory + "/" + String(imageID.prefix(1)) + "/" + String(imageID.prefix(4))
    }

    /// An `.lrprev` of about `size` bytes (rounded down to 16): an `AgHg` header section with a Lua
    /// description of the pyramid, then two JPEG-like levels.
    static func content(size: Int, imageID: String, width: Int, height: Int, using rng: inout FixtureRandom) -> [UInt8] {
        let quality = rng.int(in: 60...90)
        let small = (width / 8, height / 8)
        let large = (width / 4, height / 4)
        let description = """
            pyramid = {
            \tcolorProfile = "AgColorProfileCode d5\(Hex.string(rng.next(), digits: 8, upperCase: false))",
            \tcroppedHeight = \(height),
            \tcroppedWidth = \(width),
            \tdigest = "\(rng.digest())",
            \tfromProxy = false,
            \tlevels = {
            \t\t{ height = \(small.1), width = \(small.0), },
            \t\t{ height = \(large.1), width = \(large.0), },
            \t},
            \tquality = "standard",
            \tuuid = "\(imageID)",
            }
            """
        var bytes = section("header", Array(description.utf8))
        let remaining = max(256, size - bytes.count - 2 * sectionHeaderSize) & ~15
        let first = max(64, remaining * 15 / 100) & ~15
        let second = max(64, remaining - first) & ~15
        bytes += section("level_1", JPEGLikeStream.bytes(length: first, width: small.0, height: small.1,
                                                         quality: quality, using: &rng))
        bytes += section("level_2", JPEGLikeStream.bytes(length: second, width: large.0, height: large.1,
                                                         quality: quality, using: &rng))
        return bytes
    }

    private static let sectionHeaderSize = 48

    /// `AgHg`, header length, version, kind, data length, padding length, name; then the data padded to 16.
    private static func section(_ name: String, _ data: [UInt8]) -> [UInt8] {
        let padding = (16 - data.count % 16) % 16
        var bytes = Array("AgHg".utf8)
        bytes.appendBigEndian(UInt16(sectionHeaderSize))
        bytes += [1, 0]
        bytes.appendBigEndian(UInt64(data.count))
        bytes.appendBigEndian(UInt64(padding))
        var label = Array(name.utf8.prefix(24))
        label += [UInt8](repeating: 0, count: 24 - label.count)
        bytes += label
        bytes += data
        bytes += [UInt8](repeating: 0, count: padding)
        return bytes
    }
}
