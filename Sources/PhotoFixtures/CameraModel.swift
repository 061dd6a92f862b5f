// The cameras and lenses a photo set is shot with, and how each one stores its RAW files.

/// How a camera lays out its sensor samples on disk.
enum RawStorage: Sendable, Hashable {
    /// One little-endian 16-bit word per sample (uncompressed NEF / ARW): zstd gains 15-40 %.
    case uncompressed16
    /// Two 12-bit samples in three bytes (older uncompressed NEF): zstd gains a little less.
    case packed12
    /// Lossless: left-neighbour prediction plus Rice codes (DNG-like): zstd gains almost nothing.
    case riceCompressed
}

/// A lens as EXIF describes it.
struct Lens: Sendable, Hashable {
    var make: String
    var model: String
    /// Shortest and longest focal length in millimetres.
    var focalRange: ClosedRange<Int>
    /// Widest aperture in tenths of an f-stop (28 = f/2.8).
    var maxAperture: Int
}

/// A camera body: its EXIF identity, file naming, and sensor format.
struct CameraModel: Sendable, Hashable {
    var make: String
    var model: String
    var firmware: String
    /// File extension in upper case, without the dot.
    var fileExtension: String
    /// The fixed part of the file name, e.g. `DSC_` or `_A7R`.
    var filePrefix: String
    /// How many counter digits follow the prefix.
    var counterDigits: Int
    var storage: RawStorage
    var bitsPerSample: Int
    var blackLevel: Int32
    var whiteLevel: Int32
    /// The colour of each 2x2 Bayer position: 0 red, 1 green, 2 blue (row-major).
    var cfa: [UInt8]
    var lenses: [Lens]
    var serialPrefix: String

    /// DNG files carry their metadata inside, so Lightroom writes no sidecar for them.
    var isDNG: Bool { fileExtension == "DNG" }

    /// A file name for shot number `counter`, e.g. `DSC_0412`.
    func baseName(counter: Int) -> String {
        var digits = String(counter)
        while digits.count < counterDigits { digits = "0" + digits }
        return filePrefix + digits
    }

    /// The largest shot number the counter can show before it wraps.
    var counterLimit: Int {
        var limit = 1
        for _ in 0..<counterDigits { limit *= 10 }
        return limit - 1
    }
}

/// The bodies photo sets are shot with: half store uncompressed sensor data, half compress it like DNG.
enum CameraCatalogue {
    /// Cameras writing uncompressed sensor data (NEF, ARW).
    static let uncompressed: [CameraModel] = [
        CameraModel(
            make: "NIKON CORPORATION", model: "NIKON Z 7_2", firmware: "Ver.01.60", fileExtension: "NEF",
            filePrefix: "DSC_", counterDigits: 4, storage: .uncompressed16, bitsPerSample: 14,
            blackLevel: 1008, whiteLevel: 15_520, cfa: [0, 1, 1, 2],
            lenses: [
                Lens(make: "Nikon", model: "NIKKOR Z 24-70mm f/2.8 S", focalRange: 24...70, maxAperture: 28),
                Lens(make: "Nikon", model: "NIKKOR Z 85mm f/1.8 S", focalRange: 85...85, maxAperture: 18),
                Lens(make: "Nikon", model: "NIKKOR Z 70-200mm f/2.8 VR S", focalRange: 70...200, maxAperture: 28),
            ],
            serialPrefix: "30"),
        CameraModel(
            make: "NIKON CORPORATION", model: "NIKON D750", firmware: "Ver.1.15", fileExtension: "NEF",
            filePrefix: "DSC_", counterDigits: 4, storage: .packed12, bitsPerSample: 12,
            blackLevel: 150, whiteLevel: 3880, cfa: [0, 1, 1, 2],
            lenses: [
                Lens(make: "Nikon", model: "AF-S NIKKOR 24-120mm f/4G ED VR", focalRange: 24...120, maxAperture: 40),
                Lens(make: "Nikon", model: "AF-S NIKKOR 50mm f/1.8G", focalRange: 50...50, maxAperture: 18),
            ],
            serialPrefix: "60"),
        CameraModel(
            make: "SONY", model: "ILCE-7RM4", firmware: "ILCE-7RM4 v2.00", fileExtension: "ARW",
            filePrefix: "_A7R", counterDigits: 4, storage: .uncompressed16, bitsPerSample: 14,
            blackLevel: 512, whiteLevel: 16_383, cfa: [0, 1, 1, 2],
            lenses: [
                Lens(make: "Sony", model: "FE 24-70mm F2.8 GM II", focalRange: 24...70, maxAperture: 28),
                Lens(make: "Sony", model: "FE 85mm F1.4 GM", focalRange: 85...85, maxAperture: 14),
                Lens(make: "Sony", model: "FE 16-35mm F4 ZA OSS", focalRange: 16...35, maxAperture: 40),
            ],
            serialPrefix: "44"),
        CameraModel(
            make: "SONY", model: "ILCE-7M3", firmware: "ILCE-7M3 v4.01", fileExtension: "ARW",
            filePrefix: "DSC", counterDigits: 5, storage: .uncompressed16, bitsPerSample: 14,
            blackLevel: 512, whiteLevel: 16_383, cfa: [0, 1, 1, 2],
            lenses: [
                Lens(make: "Sony", model: "FE 28-70mm F3.5-5.6 OSS", focalRange: 28...70, maxAperture: 35),
                Lens(make: "Sigma", model: "35mm F1.4 DG HSM | Art 012", focalRange: 35...35, maxAperture: 14),
            ],
            serialPrefix: "37"),
    ]

    /// Cameras whose files are losslessly compressed DNGs.
    static let compressed: [CameraModel] = [
        CameraModel(
            make: "LEICA CAMERA AG", model: "LEICA Q2", firmware: "5.0.0", fileExtension: "DNG",
            filePrefix: "L100", counterDigits: 4, storage: .riceCompressed, bitsPerSample: 14,
            blackLevel: 512, whiteLevel: 16_383, cfa: [0, 1, 1, 2],
            lenses: [Lens(make: "Leica", model: "SUMMILUX 1:1.7/28 ASPH.", focalRange: 28...28, maxAperture: 17)],
            serialPrefix: "52"),
        CameraModel(
            make: "Apple", model: "iPhone 15 Pro", firmware: "17.5.1", fileExtension: "DNG",
            filePrefix: "IMG_", counterDigits: 4, storage: .riceCompressed, bitsPerSample: 12,
            blackLevel: 528, whiteLevel: 4095, cfa: [0, 1, 1, 2],
            lenses: [
                Lens(make: "Apple", model: "iPhone 15 Pro back triple camera 6.765mm f/1.78",
                     focalRange: 24...24, maxAperture: 18),
            ],
            serialPrefix: "F1"),
        CameraModel(
            make: "RICOH IMAGING COMPANY, LTD.", model: "RICOH GR III", firmware: "GR III Ver 2.10",
            fileExtension: "DNG", filePrefix: "R00", counterDigits: 5, storage: .riceCompressed, bitsPerSample: 14,
            blackLevel: 1024, whiteLevel: 16_383, cfa: [0, 1, 1, 2],
            lenses: [Lens(make: "RICOH", model: "GR LENS 18.3mm F2.8", focalRange: 18...18, maxAperture: 28)],
            serialPrefix: "01"),
        CameraModel(
            make: "RICOH IMAGING COMPANY, LTD.", model: "PENTAX K-1 Mark II", firmware: "K-1 Mark II Ver 1.40",
            fileExtension: "DNG", filePrefix: "IMGP", counterDigits: 4, storage: .riceCompressed, bitsPerSample: 14,
            blackLevel: 64, whiteLevel: 16_383, cfa: [2, 1, 1, 0],
            lenses: [
                Lens(make: "PENTAX", model: "smc PENTAX-D FA 28-105mm F3.5-5.6 ED DC WR",
                     focalRange: 28...105, maxAperture: 35),
                Lens(make: "PENTAX", model: "HD PENTAX-D FA* 50mm F1.4 SDM AW", focalRange: 50...50, maxAperture: 14),
            ],
            serialPrefix: "47"),
    ]
}

/// The discrete exposure settings a camera offers, with the APEX values Lightroom stores.
enum ExposureTable {
    /// Shutter speeds as (numerator, denominator, APEX Tv = log2(den/num)).
    static let shutterSpeeds: [(Int, Int, Double)] = [
        (1, 8000, 12.965784284662087), (1, 4000, 11.965784284662087), (1, 2000, 10.965784284662087),
        (1, 1000, 9.965784284662087), (1, 500, 8.965784284662087), (1, 250, 7.965784284662087),
        (1, 200, 7.643856189774724), (1, 160, 7.321928094887363), (1, 125, 6.965784284662087),
        (1, 100, 6.643856189774724), (1, 60, 5.906890595608519), (1, 30, 4.906890595608519),
        (1, 15, 3.9068905956085187), (1, 4, 2.0), (1, 2, 1.0),
    ]
    /// f-numbers in tenths with APEX Av = 2*log2(N).
    static let apertures: [(Int, Double)] = [
        (14, 0.9708536543404498), (17, 1.5310694927259936), (18, 1.6959938131099002),
        (20, 2.0), (28, 2.970853654340450), (35, 3.614709844115208), (40, 4.0), (56, 4.970853654340450),
        (80, 6.0), (110, 6.918863237274595), (160, 8.0),
    ]
    /// ISO speeds, weighted towards the low end as most shoots are.
    static let isoSpeeds: [Int] = [64, 100, 100, 100, 200, 200, 400, 400, 800, 1600, 3200]
}
