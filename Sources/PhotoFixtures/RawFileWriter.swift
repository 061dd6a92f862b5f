// Writes one RAW file: TIFF header with EXIF, an embedded JPEG preview, then the sensor data.

/// How sensor data sizes relate to file sizes.
enum SensorLayout {
    /// Bytes per sample on disk (an estimate for compressed storage).
    static func bytesPerSample(_ camera: CameraModel) -> Double {
        switch camera.storage {
        case .uncompressed16: return 2
        case .packed12: return 1.5
        case .riceCompressed: return camera.bitsPerSample >= 14 ? 0.95 : 0.7
        }
    }

    /// The row width (a multiple of 32) of a 3:2 sensor whose data takes about `sensorBytes`.
    static func width(sensorBytes: Int, camera: CameraModel) -> Int {
        let samples = Double(max(sensorBytes, 4096)) / bytesPerSample(camera)
        return max(64, Int((samples * 1.5).squareRoot()) / 32 * 32)
    }

    /// The row width a file of `targetBytes` will get.
    static func estimatedWidth(targetBytes: Int, camera: CameraModel) -> Int {
        width(sensorBytes: targetBytes * 92 / 100, camera: camera)
    }
}

/// What was written for one RAW file.
struct WrittenRaw {
    var width: Int
    var height: Int
    var bytes: Int64
}

/// Writes RAW files in the layout real NEF, ARW and DNG files share:
///
/// ```
/// 0        "II" 42, offset of IFD0 (8)
/// 8        IFD0: make, model, dates, pointers to the Exif IFD, the raw SubIFD, the preview (and XMP for DNG)
///          Exif IFD: exposure, ISO, lens, serial numbers, MakerNote
///          raw SubIFD: dimensions, CFA pattern, black and white level, strip offset and length
///          XMP packet (DNG only; Lightroom's "Save metadata to file" inserts into it)
/// align 16 embedded JPEG preview, 5-10 % of the file
/// align 16 sensor data: 16-bit LE words, packed 12-bit, or Rice-coded
/// ```
enum RawFileWriter {
    /// Writes `photo` to `path` with `settings` embedded (DNG) and returns its dimensions and size.
    static func write(_ photo: PhotoPlan, settings: DevelopSettings, to path: String,
                      sink: ByteSink) throws(PhotoFixtureError) -> WrittenRaw {
        let camera = photo.camera
        var rng = FixtureRandom(seed: photo.pixelSeed, stream: 0x4EAD)
        let target = photo.targetBytes
        let previewLength = max(4096, target * rng.int(in: 50...100) / 1000) & ~15
        let width = SensorLayout.estimatedWidth(targetBytes: target, camera: camera)
        let makerNote = makerNote(camera: camera, using: &rng)
        let previewWidth = 1620
        let previewHeight = 1080

        // Lay the header out once with provisional values; its size does not depend on them.
        var layout = HeaderLayout(photo: photo, settings: settings, width: width, previewWidth: previewWidth,
                                  previewHeight: previewHeight, previewLength: previewLength, makerNote: makerNote)
        let provisional = layout.build(rows: 2, sensorOffset: 0, sensorBytes: 0, xmpLength: nil)
        let xmpLength = layout.xmpLength
        let previewOffset = (provisional.count + 15) & ~15
        let sensorOffset = (previewOffset + previewLength + 15) & ~15
        layout.previewOffset = previewOffset
        let sensorTarget = max(target - sensorOffset, width * 4)

        try sink.open(path)
        let painterSeed = photo.pixelSeed
        let rowBuffer = UnsafeMutablePointer<UInt16>.allocate(capacity: width)
        defer { rowBuffer.deallocate() }
        let rows: Int
        let sensorBytes: Int
        switch camera.storage {
        case .uncompressed16, .packed12:
            let rowBytes = camera.storage == .uncompressed16 ? width * 2 : width * 3 / 2
            rows = max(2, sensorTarget / rowBytes & ~1)
            sensorBytes = rows * rowBytes
            let header = layout.build(rows: rows, sensorOffset: sensorOffset, sensorBytes: sensorBytes, xmpLength: xmpLength)
            try writeHeadAndPreview(header, previewOffset: previewOffset, previewLength: previewLength,
                                    sensorOffset: sensorOffset, previewSize: (previewWidth, previewHeight),
                                    sink: sink, rng: &rng)
            let painter = SensorPainter(width: width, plannedHeight: rows, camera: camera, iso: photo.iso, seed: painterSeed)
            for y in 0..<rows {
                painter.paintRow(y, into: rowBuffer)
                let target = try sink.reserve(rowBytes)
                if camera.storage == .uncompressed16 {
                    storeLittleEndian(rowBuffer, count: width, to: target)
                } else {
                    pack12(rowBuffer, count: width, to: target)
                }
                sink.commit(rowBytes)
            }
        case .riceCompressed:
            let plannedRows = max(2, Int(Double(sensorTarget) / (Double(width) * SensorLayout.bytesPerSample(camera))) & ~1)
            let header = layout.build(rows: plannedRows, sensorOffset: sensorOffset, sensorBytes: 0, xmpLength: xmpLength)
            try writeHeadAndPreview(header, previewOffset: previewOffset, previewLength: previewLength,
                                    sensorOffset: sensorOffset, previewSize: (previewWidth, previewHeight),
                                    sink: sink, rng: &rng)
            let painter = SensorPainter(width: width, plannedHeight: plannedRows, camera: camera, iso: photo.iso,
                                        seed: painterSeed)
            let worst = RiceCoding.worstCaseBytes(width: width)
            let scratch = UnsafeMutablePointer<UInt32>.allocate(capacity: width)
            defer { scratch.deallocate() }
            var writer = BitWriter(output: try sink.reserve(worst))
            var y = 0
            while true {
                for _ in 0..<2 {
                    painter.paintRow(y, into: rowBuffer)
                    let start = try sink.reserve(worst)
                    writer.output = start
                    RiceCoding.encodeRow(rowBuffer, width: width, bitsPerSample: camera.bitsPerSample, scratch: scratch,
                                         into: &writer)
                    sink.commit(writer.output - start)
                    y += 1
                }
                if sink.position - Int64(sensorOffset) >= Int64(sensorTarget) || y >= plannedRows * 4 { break }
            }
            let start = try sink.reserve(16)
            writer.output = start
            writer.finish()
            sink.commit(writer.output - start)
            rows = y
            sensorBytes = Int(sink.position) - sensorOffset
            let final = layout.build(rows: rows, sensorOffset: sensorOffset, sensorBytes: sensorBytes, xmpLength: xmpLength)
            try sink.patch(final, at: 0)
        }
        let bytes = try sink.close(time: photo.captureTime.adding(1))
        return WrittenRaw(width: width, height: rows, bytes: bytes)
    }

    private static func writeHeadAndPreview(_ header: [UInt8], previewOffset: Int, previewLength: Int, sensorOffset: Int,
                                            previewSize: (Int, Int), sink: ByteSink,
                                            rng: inout FixtureRandom) throws(PhotoFixtureError) {
        try sink.append(header)
        try sink.appendZeros(previewOffset - header.count)
        try JPEGLikeStream.write(length: previewLength, width: previewSize.0, height: previewSize.1, quality: 85,
                                 using: &rng, to: sink)
        try sink.appendZeros(sensorOffset - previewOffset - previewLength)
    }

    /// 16-bit little-endian words.
    private static func storeLittleEndian(_ samples: UnsafeMutablePointer<UInt16>, count: Int, to target: UnsafeMutableRawPointer) {
        #if _endian(little)
            target.copyMemory(from: samples, byteCount: count * 2)
        #else
            for i in 0..<count { target.storeBytes(of: samples[i].littleEndian, toByteOffset: 2 * i, as: UInt16.self) }
        #endif
    }

    /// Two 12-bit samples in three bytes: low byte of the first, the two high nibbles' neighbours, high byte of the second.
    private static func pack12(_ samples: UnsafeMutablePointer<UInt16>, count: Int, to target: UnsafeMutableRawPointer) {
        let bytes = target.bindMemory(to: UInt8.self, capacity: count * 3 / 2)
        var i = 0
        var o = 0
        while i < count {
            let a = samples[i]
            let b = samples[i + 1]
            bytes[o] = UInt8(truncatingIfNeeded: a)
            bytes[o + 1] = UInt8(truncatingIfNeeded: (a >> 8) & 0x0F | (b & 0x0F) << 4)
            bytes[o + 2] = UInt8(truncatingIfNeeded: b >> 4)
            i += 2
            o += 3
        }
    }

    /// A MakerNote: a part every file of the camera model shares, then shot-specific fields.
    private static func makerNote(camera: CameraModel, using rng: inout FixtureRandom) -> [UInt8] {
        var shared = FixtureRandom(seed: StableHash.of(camera.model), stream: 0x3A4E)
        var bytes = Array(camera.make.prefix(5).utf8) + [0, 2, 0x10, 0, 0]
        for _ in 0..<shared.int(in: 400...900) {
            let roll = shared.next()
            bytes.append(roll & 3 == 0 ? UInt8(truncatingIfNeeded: roll >> 8) : UInt8(truncatingIfNeeded: (roll >> 8) & 7))
        }
        for _ in 0..<rng.int(in: 300...2200) {
            let roll = rng.next()
            bytes.append(roll & 1 == 0 ? UInt8(truncatingIfNeeded: roll >> 8) : UInt8(truncatingIfNeeded: (roll >> 8) & 15))
        }
        return bytes
    }
}

/// The metadata block at the start of a RAW file, rebuilt with final sizes once they are known.
struct HeaderLayout {
    var photo: PhotoPlan
    var settings: DevelopSettings
    var width: Int
    var previewWidth: Int
    var previewHeight: Int
    var previewLength: Int
    var makerNote: [UInt8]
    var previewOffset = 0
    /// UTF-8 length of the embedded XMP packet after the first build (DNG only).
    var xmpLength: Int?

    init(photo: PhotoPlan, settings: DevelopSettings, width: Int, previewWidth: Int, previewHeight: Int,
         previewLength: Int, makerNote: [UInt8]) {
        self.photo = photo
        self.settings = settings
        self.width = width
        self.previewWidth = previewWidth
        self.previewHeight = previewHeight
        self.previewLength = previewLength
        self.makerNote = makerNote
    }

    /// The header bytes (TIFF header, three directories, XMP packet for DNG).
    mutating func build(rows: Int, sensorOffset: Int, sensorBytes: Int, xmpLength: Int?) -> [UInt8] {
        let camera = photo.camera
        let dng = camera.isDNG
        let shutter = ExposureTable.shutterSpeeds[photo.shutterIndex]
        let aperture = ExposureTable.apertures[photo.apertureIndex]
        let lens = photo.lens

        var ifd0 = TIFFDirectory(entries: [
            .long(254, [1]), .long(256, [UInt32(previewWidth)]), .long(257, [UInt32(previewHeight)]),
            .short(259, [6]), .ascii(271, camera.make), .ascii(272, camera.model), .short(274, [1]),
            .ascii(305, camera.firmware), .ascii(306, photo.captureTime.exifString), .ascii(315, photo.photographer),
            .long(330, [0]), .long(513, [0]), .long(514, [UInt32(previewLength)]),
            .ascii(33432, "Copyright \(photo.captureTime.components.year) \(photo.photographer)"),
            .long(34665, [0]),
        ])
        var xmp: [UInt8] = []
        if dng {
            xmp = Array(XMPPacket.embedded(for: photo, settings: settings, width: width, height: rows,
                                           length: xmpLength).utf8)
            self.xmpLength = xmp.count
            ifd0.entries += [
                .external(700, .byte, count: UInt32(xmp.count), offset: 0),
                .bytes(50706, .byte, [1, 4, 0, 0]), .bytes(50707, .byte, [1, 1, 0, 0]),
                .ascii(50708, camera.make + " " + camera.model),
                .signedRational(50721, [(7_500, 10_000), (-2_000, 10_000), (-800, 10_000), (-4_200, 10_000),
                                        (12_100, 10_000), (1_900, 10_000), (-600, 10_000), (1_400, 10_000),
                                        (6_300, 10_000)]),
                .short(50778, [21]),
            ]
        }
        let exif = TIFFDirectory(entries: [
            .rational(33434, [(UInt32(shutter.0), UInt32(shutter.1))]),
            .rational(33437, [(UInt32(aperture.0), 10)]),
            .short(34850, [3]), .short(34855, [UInt16(photo.iso)]),
            .bytes(36864, .undefined, Array("0231".utf8)),
            .ascii(36867, photo.captureTime.exifString), .ascii(36868, photo.captureTime.exifString),
            .signedRational(37377, [(Int32(shutter.2 * 1_000_000), 1_000_000)]),
            .rational(37378, [(UInt32(aperture.1 * 1_000_000), 1_000_000)]),
            .signedRational(37380, [(0, 6)]), .short(37383, [5]), .short(37385, [16]),
            .rational(37386, [(UInt32(photo.focalLength), 1)]),
            .bytes(37500, .undefined, makerNote),
            .ascii(42033, photo.bodySerial),
            .rational(42034, [(UInt32(lens.focalRange.lowerBound), 1), (UInt32(lens.focalRange.upperBound), 1),
                              (UInt32(lens.maxAperture), 10), (UInt32(lens.maxAperture), 10)]),
            .ascii(42035, lens.make), .ascii(42036, lens.model), .ascii(42037, photo.lensSerial),
        ])
        let bits: UInt16
        let compression: UInt16
        switch camera.storage {
        case .uncompressed16: (bits, compression) = (16, 1)
        case .packed12: (bits, compression) = (12, 1)
        case .riceCompressed: (bits, compression) = (UInt16(camera.bitsPerSample), 7)
        }
        var raw = TIFFDirectory(entries: [
            .long(254, [0]), .long(256, [UInt32(width)]), .long(257, [UInt32(rows)]), .short(258, [bits]),
            .short(259, [compression]), .short(262, [32803]), .long(273, [UInt32(sensorOffset)]),
            .short(277, [1]), .long(278, [UInt32(rows)]), .long(279, [UInt32(sensorBytes)]), .short(284, [1]),
            .short(33421, [2, 2]), .bytes(33422, .byte, camera.cfa),
            .long(50714, [UInt32(camera.blackLevel)]), .long(50717, [UInt32(camera.whiteLevel)]),
        ])
        raw.setLong(273, UInt32(sensorOffset))

        let ifd0Offset = 8
        let exifOffset = ifd0Offset + ifd0.encodedSize
        let rawOffset = exifOffset + exif.encodedSize
        let xmpOffset = rawOffset + raw.encodedSize
        ifd0.setLong(330, UInt32(rawOffset))
        ifd0.setLong(513, UInt32(previewOffset))
        ifd0.setLong(34665, UInt32(exifOffset))
        if dng { ifd0.setExternal(700, count: UInt32(xmp.count), offset: UInt32(xmpOffset)) }

        var bytes: [UInt8] = [0x49, 0x49, 42, 0]
        bytes.appendLittleEndian(UInt32(ifd0Offset))
        bytes += ifd0.encode(at: ifd0Offset)
        bytes += exif.encode(at: exifOffset)
        bytes += raw.encode(at: rawOffset)
        bytes += xmp
        return bytes
    }
}
