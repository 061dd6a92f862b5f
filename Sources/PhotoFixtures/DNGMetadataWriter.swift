// "Save metadata to file" for DNGs: insert XMP into the packet near the start, shifting the rest of the file.

/// Inserts text into the XMP packet of a DNG written by `RawFileWriter`, keeping its TIFF structure valid.
enum DNGMetadataWriter {
    /// TIFF tags whose single LONG value is a file offset.
    private static let offsetTags: Set<UInt16> = [273, 324, 330, 513, 34665]

    /// Inserts `insertion` before the end of the packet's `xmpMM:History` sequence, updates every
    /// offset that pointed past it, rewrites the file in place and sets its time.
    static func insert(_ insertion: [UInt8], intoFileAt path: String, relativePath: String,
                       time: CivilTime) throws(PhotoFixtureError) -> DNGMetadataWrite {
        var bytes = try FileSystem.readFile(path)
        func malformed(_ detail: String) -> PhotoFixtureError {
            PhotoFixtureError(kind: .notAPhotoSet, operation: "save metadata into", path: path, detail: detail)
        }
        guard let ifd0Offset = TIFFReader.firstDirectoryOffset(bytes),
              let ifd0 = TIFFReader.directory(bytes, at: ifd0Offset) else {
            throw malformed("not a little-endian TIFF/DNG file")
        }
        guard let xmpField = ifd0.first(where: { $0.tag == 700 }) else { throw malformed("no XMP packet (tag 700)") }
        let xmpStart = Int(xmpField.value)
        let xmpEnd = xmpStart + Int(xmpField.count)
        let marker = Array(XMPPacket.historyEnd.utf8)
        guard xmpEnd <= bytes.count,
              let markerIndex = bytes[xmpStart..<xmpEnd].firstRange(of: marker)?.lowerBound else {
            throw malformed("the XMP packet has no xmpMM:History sequence")
        }
        let insertAt = markerIndex
        let delta = UInt32(insertion.count)

        var directories = [ifd0]
        for field in ifd0 where field.tag == 330 || field.tag == 34665 {
            if field.count == 1, let directory = TIFFReader.directory(bytes, at: Int(field.value)) {
                directories.append(directory)
            }
        }
        var firstPatched = insertAt
        func patch(_ position: Int, _ value: UInt32) {
            bytes.writeLittleEndian(value, at: position)
            firstPatched = min(firstPatched, position)
        }
        for directory in directories {
            for field in directory {
                if field.tag == 700 {
                    patch(field.valuePosition - 4, field.count + delta)
                } else if (field.isOffset || (offsetTags.contains(field.tag) && field.count == 1))
                            && Int(field.value) >= insertAt {
                    patch(field.valuePosition, field.value + delta)
                }
            }
        }
        bytes.insert(contentsOf: insertion, at: insertAt)
        try FileSystem.writeFile(path, bytes, time: time)
        return DNGMetadataWrite(path: relativePath, offset: Int64(insertAt), insertedBytes: insertion.count,
                                unchangedPrefix: Int64(firstPatched))
    }
}
