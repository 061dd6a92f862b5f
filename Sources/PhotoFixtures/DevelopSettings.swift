// Lightroom develop settings: generated per photo, rendered as catalog Lua text and as XMP `crs:` markup.

/// A decimal number kept as an integer and a count of decimals, so formatting is exact everywhere.
struct FixedPoint: Hashable, Sendable {
    var raw: Int
    var decimals: Int

    /// `0.35`, `-12`, `1` (trailing zeros dropped); with `plus`, positive values get a `+` as XMP writes them.
    func formatted(plus: Bool = false) -> String {
        var scale = 1
        for _ in 0..<decimals { scale *= 10 }
        let sign = raw < 0 ? "-" : (plus && raw > 0 ? "+" : "")
        let magnitude = raw.magnitude
        let whole = magnitude / UInt(scale)
        var fraction = magnitude % UInt(scale)
        var digits = decimals
        while digits > 0 && fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        guard digits > 0 else { return sign + String(whole) }
        var text = String(fraction)
        while text.count < digits { text = "0" + text }
        return sign + String(whole) + "." + text
    }
}

/// One develop setting's value.
enum DevelopValue: Hashable, Sendable {
    /// A number; `signed` numbers are written `+12` in XMP.
    case number(FixedPoint, signed: Bool)
    case flag(Bool)
    case text(String)
    /// A point curve as alternating x, y values.
    case curve([Int])
}

/// One `key = value` of a develop setting.
struct DevelopEntry: Hashable, Sendable {
    var key: String
    var value: DevelopValue
}

/// A local adjustment (gradient, radial or brush mask) with its correction values.
struct MaskCorrection: Hashable, Sendable {
    var name: String
    var syncID: String
    var maskID: String
    var what: String
    var amounts: [DevelopEntry]
    var geometry: [DevelopEntry]
    /// Brush dabs as `d x y` strings (empty for gradients).
    var dabs: [String]
}

/// The develop settings of one photo, as Lightroom keeps them in `Adobe_imageDevelopSettings.text`.
struct DevelopSettings: Hashable, Sendable {
    var entries: [DevelopEntry]
    var masks: [MaskCorrection]
    /// `masks` as catalog Lua text, cached because every history step repeats it.
    var masksLua: String

    /// The processed size after cropping.
    var croppedWidth: Int
    var croppedHeight: Int
    var whiteBalance: String

    /// Settings a photographer might plausibly have arrived at for a shot.
    static func random(using rng: inout FixtureRandom, width: Int, height: Int, maskCount: Int) -> DevelopSettings {
        var entries: [DevelopEntry] = []
        func number(_ key: String, _ value: Int, _ decimals: Int = 0, signed: Bool = true) {
            entries.append(DevelopEntry(key: key, value: .number(FixedPoint(raw: value, decimals: decimals), signed: signed)))
        }
        func maybe(_ key: String, _ range: ClosedRange<Int>, _ p: Double, _ rng: inout FixtureRandom) {
            number(key, rng.chance(p) ? rng.int(in: range) : 0)
        }
        func flag(_ key: String, _ value: Bool) { entries.append(DevelopEntry(key: key, value: .flag(value))) }
        func text(_ key: String, _ value: String) { entries.append(DevelopEntry(key: key, value: .text(value))) }

        let asShot = rng.chance(0.6)
        text("Version", "16.3")
        text("ProcessVersion", "11.0")
        text("WhiteBalance", asShot ? "As Shot" : "Custom")
        number("Temperature", rng.int(in: 3200...7400), signed: false)
        number("Tint", rng.int(in: -15...25))
        number("Exposure2012", rng.int(in: -80...120) / 5 * 5, 2)
        number("Contrast2012", rng.int(in: -20...40))
        number("Highlights2012", rng.int(in: -80...0))
        number("Shadows2012", rng.int(in: 0...70))
        number("Whites2012", rng.int(in: -30...40))
        number("Blacks2012", rng.int(in: -40...15))
        maybe("Texture", -20...35, 0.5, &rng)
        maybe("Clarity2012", -15...40, 0.6, &rng)
        maybe("Dehaze", -10...30, 0.4, &rng)
        number("Vibrance", rng.int(in: -10...35))
        maybe("Saturation", -20...15, 0.4, &rng)
        for key in ["ParametricShadows", "ParametricDarks", "ParametricLights", "ParametricHighlights"] {
            maybe(key, -30...30, 0.25, &rng)
        }
        number("ParametricShadowSplit", 25, signed: false)
        number("ParametricMidtoneSplit", 50, signed: false)
        number("ParametricHighlightSplit", 75, signed: false)
        number("Sharpness", rng.pick([25, 30, 40, 40, 50, 60]), signed: false)
        number("SharpenRadius", rng.pick([10, 10, 12, 8]), 1, signed: false)
        number("SharpenDetail", rng.pick([25, 25, 30, 40]), signed: false)
        number("SharpenEdgeMasking", rng.int(in: 0...60), signed: false)
        number("LuminanceSmoothing", rng.chance(0.5) ? rng.int(in: 5...40) : 0, signed: false)
        number("ColorNoiseReduction", 25, signed: false)
        number("ColorNoiseReductionDetail", 50, signed: false)
        number("ColorNoiseReductionSmoothness", 50, signed: false)
        let colours = ["Red", "Orange", "Yellow", "Green", "Aqua", "Blue", "Purple", "Magenta"]
        // Colour mixer values are stored only for photos whose colours were worked on.
        if rng.chance(0.4) {
            for group in ["HueAdjustment", "SaturationAdjustment", "LuminanceAdjustment"] {
                for colour in colours { maybe(group + colour, -35...35, 0.3, &rng) }
            }
        }
        number("SplitToningShadowHue", rng.chance(0.3) ? rng.int(in: 0...359) : 0, signed: false)
        number("SplitToningShadowSaturation", rng.chance(0.3) ? rng.int(in: 0...25) : 0, signed: false)
        number("SplitToningHighlightHue", rng.chance(0.3) ? rng.int(in: 0...359) : 0, signed: false)
        number("SplitToningHighlightSaturation", rng.chance(0.3) ? rng.int(in: 0...25) : 0, signed: false)
        number("SplitToningBalance", 0)
        if rng.chance(0.3) {
            for key in ["ColorGradeMidtoneHue", "ColorGradeMidtoneSat", "ColorGradeShadowLum", "ColorGradeMidtoneLum",
                        "ColorGradeHighlightLum", "ColorGradeGlobalHue", "ColorGradeGlobalSat", "ColorGradeGlobalLum"] {
                number(key, rng.chance(0.5) ? rng.int(in: 0...40) : 0, signed: false)
            }
            number("ColorGradeBlending", 50, signed: false)
        }
        number("AutoLateralCA", rng.chance(0.8) ? 1 : 0, signed: false)
        number("LensProfileEnable", rng.chance(0.85) ? 1 : 0, signed: false)
        number("LensManualDistortionAmount", 0)
        number("VignetteAmount", 0)
        number("DefringePurpleAmount", 0, signed: false)
        number("DefringePurpleHueLo", 30, signed: false)
        number("DefringePurpleHueHi", 70, signed: false)
        number("DefringeGreenAmount", 0, signed: false)
        number("DefringeGreenHueLo", 40, signed: false)
        number("DefringeGreenHueHi", 60, signed: false)
        number("PerspectiveUpright", rng.chance(0.2) ? rng.int(in: 1...4) : 0, signed: false)
        for key in ["PerspectiveVertical", "PerspectiveHorizontal", "PerspectiveRotate", "PerspectiveAspect"] {
            number(key, 0)
        }
        number("PerspectiveScale", 100, signed: false)
        number("PerspectiveX", 0, 2)
        number("PerspectiveY", 0, 2)
        number("GrainAmount", rng.chance(0.15) ? rng.int(in: 5...30) : 0, signed: false)
        number("PostCropVignetteAmount", rng.chance(0.35) ? rng.int(in: -30...0) : 0)
        number("ShadowTint", 0)
        for key in ["RedHue", "RedSaturation", "GreenHue", "GreenSaturation", "BlueHue", "BlueSaturation"] {
            number(key, 0)
        }
        number("HDREditMode", 0, signed: false)
        flag("OverrideLookVignette", false)
        text("ToneCurveName2012", "Linear")
        text("CameraProfile", rng.pick(["Adobe Standard", "Camera Standard", "Adobe Color", "Camera Landscape"]))
        text("CameraProfileDigest", rng.digest().uppercased())
        flag("HasSettings", true)
        let cropped = rng.chance(0.45)
        let top = cropped ? rng.int(in: 0...120_000) : 0
        let left = cropped ? rng.int(in: 0...120_000) : 0
        let bottom = cropped ? 1_000_000 - rng.int(in: 0...120_000) : 1_000_000
        let right = cropped ? 1_000_000 - rng.int(in: 0...120_000) : 1_000_000
        number("CropTop", top, 6, signed: false)
        number("CropLeft", left, 6, signed: false)
        number("CropBottom", bottom, 6, signed: false)
        number("CropRight", right, 6, signed: false)
        number("CropAngle", cropped && rng.chance(0.3) ? rng.int(in: -300...300) : 0, 2)
        flag("CropConstrainToWarp", false)
        flag("HasCrop", cropped)
        flag("AlreadyApplied", false)
        flag("AutoGrayscaleMix", true)
        number("AutoWhiteVersion", 134_348_800, signed: false)
        flag("ConvertToGrayscale", rng.chance(0.08))
        entries.append(DevelopEntry(key: "ToneCurvePV2012", value: .curve(curve(using: &rng))))
        entries.append(DevelopEntry(key: "ToneCurvePV2012Red", value: .curve([0, 0, 255, 255])))
        entries.append(DevelopEntry(key: "ToneCurvePV2012Green", value: .curve([0, 0, 255, 255])))
        entries.append(DevelopEntry(key: "ToneCurvePV2012Blue", value: .curve([0, 0, 255, 255])))

        var masks: [MaskCorrection] = []
        for index in 0..<maskCount { masks.append(mask(index: index + 1, using: &rng)) }

        let widthFraction = (right - left) > 0 ? right - left : 1_000_000
        let heightFraction = (bottom - top) > 0 ? bottom - top : 1_000_000
        entries.sort { $0.key < $1.key }
        return DevelopSettings(
            entries: entries, masks: masks, masksLua: renderMasksLua(masks),
            croppedWidth: width * widthFraction / 1_000_000, croppedHeight: height * heightFraction / 1_000_000,
            whiteBalance: asShot ? "As Shot" : "Custom")
    }

    private static func curve(using rng: inout FixtureRandom) -> [Int] {
        guard rng.chance(0.5) else { return [0, 0, 255, 255] }
        let shadows = rng.int(in: 40...80)
        let highlights = rng.int(in: 175...215)
        return [0, rng.int(in: 0...20), shadows, shadows - rng.int(in: 0...12), 128, 128,
                highlights, highlights + rng.int(in: 0...12), 255, 255]
    }

    private static func mask(index: Int, using rng: inout FixtureRandom) -> MaskCorrection {
        func amount(_ key: String, _ p: Double, _ rng: inout FixtureRandom) -> DevelopEntry {
            let value = rng.chance(p) ? rng.int(in: -600_000...600_000) : 0
            return DevelopEntry(key: key, value: .number(FixedPoint(raw: value, decimals: 6), signed: false))
        }
        var amounts: [DevelopEntry] = []
        for key in ["LocalExposure2012", "LocalContrast2012", "LocalHighlights2012", "LocalShadows2012",
                    "LocalWhites2012", "LocalBlacks2012", "LocalClarity2012", "LocalDehaze", "LocalTexture",
                    "LocalTemperature", "LocalTint", "LocalSaturation", "LocalSharpness", "LocalLuminanceNoise",
                    "LocalMoire", "LocalDefringe", "LocalToningHue", "LocalToningSaturation", "LocalGrain"] {
            amounts.append(amount(key, 0.3, &rng))
        }
        let kinds = ["Mask/Gradient", "Mask/CircularGradient", "Mask/Paint", "Mask/Image"]
        let what = rng.pick(kinds)
        var geometry: [DevelopEntry] = []
        func coordinate(_ key: String, _ rng: inout FixtureRandom) {
            geometry.append(DevelopEntry(key: key, value: .number(FixedPoint(raw: rng.int(in: 0...1_000_000), decimals: 6),
                                                                  signed: false)))
        }
        var dabs: [String] = []
        switch what {
        case "Mask/Gradient":
            for key in ["ZeroX", "ZeroY", "FullX", "FullY"] { coordinate(key, &rng) }
        case "Mask/CircularGradient":
            for key in ["Top", "Left", "Bottom", "Right", "Angle", "Midpoint", "Roundness", "Feather"] {
                coordinate(key, &rng)
            }
        case "Mask/Paint":
            for key in ["Radius", "Flow", "CenterWeight"] { coordinate(key, &rng) }
            let count = rng.int(in: 8...30)
            var x = rng.int(in: 100_000...900_000)
            var y = rng.int(in: 100_000...900_000)
            for _ in 0..<count {
                x = min(999_999, max(0, x + rng.int(in: -20_000...20_000)))
                y = min(999_999, max(0, y + rng.int(in: -20_000...20_000)))
                dabs.append("d " + FixedPoint(raw: x, decimals: 6).formatted() + " " + FixedPoint(raw: y, decimals: 6).formatted())
            }
        default:
            geometry.append(DevelopEntry(key: "MaskSubType", value: .number(FixedPoint(raw: rng.int(in: 0...2), decimals: 0), signed: false)))
            geometry.append(DevelopEntry(key: "ReferencePoint", value: .text("0.500000 0.500000")))
        }
        return MaskCorrection(name: "Mask \(index)", syncID: rng.uuid().replacingDashes(),
                              maskID: rng.uuid().replacingDashes(), what: what, amounts: amounts,
                              geometry: geometry, dabs: dabs)
    }

    /// Changes `count` numeric settings a little, as one develop step would; returns the changed keys.
    mutating func tweak(count: Int, using rng: inout FixtureRandom) -> [String] {
        let adjustable = ["Exposure2012", "Contrast2012", "Highlights2012", "Shadows2012", "Whites2012",
                          "Blacks2012", "Texture", "Clarity2012", "Dehaze", "Vibrance", "Saturation",
                          "Temperature", "Tint", "SharpenEdgeMasking", "LuminanceSmoothing"]
        var changed: [String] = []
        for _ in 0..<count {
            let key = rng.pick(adjustable)
            guard let index = entries.firstIndex(where: { $0.key == key }),
                  case .number(var value, let signed) = entries[index].value else { continue }
            let step = key == "Temperature" ? rng.int(in: -300...300) : rng.int(in: -12...12)
            value.raw += value.decimals == 2 && key == "Exposure2012" ? step * 5 : step
            entries[index].value = .number(value, signed: signed)
            changed.append(key)
        }
        return changed
    }

    /// The value of `key` as the catalog's history names show it, e.g. `+0.35`.
    func displayValue(_ key: String) -> String {
        guard let entry = entries.first(where: { $0.key == key }) else { return "" }
        switch entry.value {
        case .number(let value, _): return value.formatted(plus: true)
        case .flag(let flag): return flag ? "true" : "false"
        case .text(let text): return text
        case .curve: return ""
        }
    }
}

extension String {
    /// The string without `-`, as Lightroom writes sync IDs.
    func replacingDashes() -> String { String(filter { $0 != "-" }) }
}
