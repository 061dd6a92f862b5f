// One planned photo: which camera shot it, when, where it lives, how big it is, and how it was developed.

/// Everything needed to write one RAW file, its sidecar, previews and catalog rows.
struct PhotoPlan: Sendable {
    /// Seed of the pixel stream (scene, noise, embedded preview).
    var pixelSeed: UInt64
    /// Seed of the catalog-side randomness (history steps, preview digests).
    var detailSeed: UInt64
    var camera: CameraModel
    var lens: Lens
    /// Folder relative to `Photos/`, e.g. `2024/2024-06-12 Wedding`.
    var folder: String
    var baseName: String
    var captureTime: CivilTime
    var importTime: CivilTime
    /// Size the RAW file should have, in bytes.
    var targetBytes: Int
    var iso: Int
    /// Index into `ExposureTable.shutterSpeeds`.
    var shutterIndex: Int
    /// Index into `ExposureTable.apertures`.
    var apertureIndex: Int
    var focalLength: Int
    var bodySerial: String
    var lensSerial: String
    var photographer: String
    var rating: Int
    /// Lightroom's flag: 1 picked, 0 none, -1 rejected.
    var pick: Int
    var colorLabel: String
    var keywords: [String]
    var develop: DevelopSettings
    /// `id_global` of the image in the catalog; also names its previews.
    var imageID: String
    var documentID: String
    /// Develop history steps to store in the catalog (they carry most of its size).
    var historySteps: Int
    /// Sizes of the preview files of this photo.
    var previewSizes: [Int]

    /// `DSC_0412.NEF`.
    var fileName: String { baseName + "." + camera.fileExtension }
    /// `Photos/2024/2024-06-12 Wedding/DSC_0412.NEF`.
    var relativePath: String { "Photos/" + folder + "/" + fileName }
    /// `Photos/2024/2024-06-12 Wedding/DSC_0412.xmp`, or nil for DNGs.
    var sidecarRelativePath: String? { camera.isDNG ? nil : "Photos/" + folder + "/" + baseName + ".xmp" }

    /// The per-photo choices that do not affect the layout of the set, drawn from the photo's own stream.
    static func make(
        seed: UInt64, stream: UInt64, camera: CameraModel, counter: Int, folder: String,
        captureTime: CivilTime, importTime: CivilTime, targetBytes: Int, themeKeywords: [String],
        photographer: String, historySteps: Int, previewSizes: [Int]
    ) -> PhotoPlan {
        var rng = FixtureRandom(seed: seed, stream: stream)
        let lens = rng.pick(camera.lenses)
        let aperturesForLens = ExposureTable.apertures.indices.filter { ExposureTable.apertures[$0].0 >= lens.maxAperture }
        let ratingRoll = rng.int(in: 0...99)
        let rating = ratingRoll < 50 ? 0 : ratingRoll < 65 ? 1 : ratingRoll < 77 ? 2 : ratingRoll < 89 ? 3 : ratingRoll < 97 ? 4 : 5
        let pickRoll = rng.int(in: 0...99)
        var keywords = themeKeywords.filter { _ in rng.chance(0.8) }
        for _ in 0..<rng.int(in: 0...3) {
            let word = rng.pick(Vocabulary.generalKeywords)
            if !keywords.contains(word) { keywords.append(word) }
        }
        let estimatedWidth = SensorLayout.estimatedWidth(targetBytes: targetBytes, camera: camera)
        let maskCount = rng.chance(0.4) ? rng.int(in: 1...3) : 0
        let develop = DevelopSettings.random(
            using: &rng, width: estimatedWidth, height: estimatedWidth * 2 / 3, maskCount: maskCount)
        return PhotoPlan(
            pixelSeed: rng.next(), detailSeed: rng.next(), camera: camera, lens: lens, folder: folder,
            baseName: camera.baseName(counter: counter), captureTime: captureTime, importTime: importTime,
            targetBytes: targetBytes, iso: rng.pick(ExposureTable.isoSpeeds),
            shutterIndex: rng.int(in: 0...(ExposureTable.shutterSpeeds.count - 1)),
            apertureIndex: aperturesForLens.isEmpty ? 0 : rng.pick(aperturesForLens),
            focalLength: rng.int(in: lens.focalRange),
            bodySerial: camera.serialPrefix + String(rng.int(in: 10_000...99_999)),
            lensSerial: String(rng.int(in: 100_000...999_999)),
            photographer: photographer, rating: rating,
            pick: pickRoll < 8 ? -1 : pickRoll < 28 ? 1 : 0,
            colorLabel: rng.pick(Vocabulary.colorLabels), keywords: keywords, develop: develop,
            imageID: rng.uuid(), documentID: rng.digest().uppercased(), historySteps: historySteps,
            previewSizes: previewSizes)
    }
}

/// A dated shoot: one folder of photos from one camera.
struct ShootPlan: Sendable {
    var folder: String
    var photos: [PhotoPlan]
}

/// The whole planned set.
struct PhotoSetPlan: Sendable {
    var shoots: [ShootPlan]
    /// When the catalog was last written; editing sessions happen after this.
    var generatedAt: CivilTime
    var photographer: String

    var photos: [PhotoPlan] { shoots.flatMap(\.photos) }
}
