// Synthetic sensor rows: a natural-looking linear scene through a Bayer filter, plus signal-dependent noise.

/// Paints the raw samples of one exposure, row by row, into caller-provided buffers.
///
/// The scene is a sky-over-ground gradient with a few blended shapes, a crosshatch texture and
/// lens vignetting, rendered once per Bayer row pair together with each sample's white-balanced
/// signal and noise band. Each row then gets Gaussian-ish noise whose strength grows with the
/// signal (read noise plus shot noise), drawn from L1-sized lookup tables with 10 bits of a
/// xoshiro256** word per sample, and is summed and clamped in a loop the compiler vectorises.
/// The painter owns its scratch buffers and frees them in `deinit`; no allocation happens per row.
final class SensorPainter {
    /// Samples per row (a multiple of 32).
    let width: Int
    /// The height the scene is composed for; painting past it just continues the foreground.
    let plannedHeight: Int
    let bitsPerSample: Int

    private let black: Int32
    private let white: Int32
    private let bandShift: Int32
    private let gains: [Int32]
    private let cfa: [UInt8]
    private let luminance: UnsafeMutablePointer<Int32>
    /// White-balanced signal of the even and the odd row of the current pair.
    private let signalRows: (UnsafeMutablePointer<Int16>, UnsafeMutablePointer<Int16>)
    /// Offset of each sample's noise table (its signal band times the table size).
    private let bands: UnsafeMutablePointer<UInt16>
    /// This row's noise.
    private let noiseRow: UnsafeMutablePointer<Int16>
    private let vignetteX: UnsafeMutablePointer<Int32>
    private let noise: UnsafeMutablePointer<Int16>
    private let texture: UnsafeMutablePointer<Int32>
    /// Perceptual level (0...white-black) to linear signal: gamma of about 2.5.
    private let gamma: UnsafeMutablePointer<Int32>
    private var rng: FixtureRandom

    private let horizon: Int
    private let skyTop: Int32, skyHorizon: Int32, groundTop: Int32, groundBottom: Int32
    private let slope: Int32
    private let skyTexture: Int32, groundTexture: Int32
    private let vignetteStrength: Int32
    private let shapes: [Shape]

    private struct Shape {
        var centerX: Int, centerY: Int, radiusX: Int, radiusY: Int
        var elliptical: Bool
        var level: Int32
        var alpha: Int32
        var texture: Int32
    }

    private static let textureSize = 8192
    private static let noiseBits = 10
    private static let noiseEntries = 1 << noiseBits

    /// A painter for a `width`-wide exposure of `camera` at `iso`, its randomness from `seed`.
    init(width: Int, plannedHeight: Int, camera: CameraModel, iso: Int, seed: UInt64) {
        precondition(width % 32 == 0 && width > 0, "sensor width must be a positive multiple of 32")
        self.width = width
        self.plannedHeight = max(2, plannedHeight)
        bitsPerSample = camera.bitsPerSample
        black = camera.blackLevel
        white = camera.whiteLevel
        bandShift = Int32(camera.bitsPerSample - 4)
        cfa = camera.cfa
        var rng = FixtureRandom(seed: seed, stream: 0x5E45)

        let maxSignal = Double(camera.whiteLevel - camera.blackLevel)
        let exposure = maxSignal * rng.double(in: 0.5...0.9)
        func level(_ range: ClosedRange<Double>, _ rng: inout FixtureRandom) -> Int32 {
            Int32(exposure * rng.double(in: range))
        }
        gains = [Int32(rng.int(in: 110...150)), 256, Int32(rng.int(in: 120...175))]
        horizon = self.plannedHeight * rng.int(in: 30...70) / 100
        skyTop = level(0.45...0.85, &rng)
        skyHorizon = level(0.7...1.0, &rng)
        groundTop = level(0.2...0.55, &rng)
        groundBottom = level(0.05...0.25, &rng)
        slope = Int32(exposure * rng.double(in: -0.3...0.3) * 65_536 / Double(width))
        skyTexture = level(0.0...0.06, &rng)
        groundTexture = level(0.05...0.25, &rng)
        vignetteStrength = Int32(rng.int(in: 120...330))

        var shapes: [Shape] = []
        for _ in 0..<rng.int(in: 3...8) {
            shapes.append(Shape(
                centerX: rng.int(in: 0...width), centerY: rng.int(in: 0...self.plannedHeight),
                radiusX: max(4, width * rng.int(in: 3...30) / 100),
                radiusY: max(4, self.plannedHeight * rng.int(in: 3...30) / 100),
                elliptical: rng.chance(0.6), level: level(0.02...1.3, &rng),
                alpha: Int32(rng.int(in: 128...256)), texture: level(0.0...0.15, &rng)))
        }
        self.shapes = shapes

        luminance = .allocate(capacity: width)
        signalRows = (.allocate(capacity: width), .allocate(capacity: width))
        bands = .allocate(capacity: width)
        noiseRow = .allocate(capacity: width)
        vignetteX = .allocate(capacity: width)
        let half = Double(width) / 2
        for x in 0..<width {
            let d = (Double(x) - half) / half
            vignetteX[x] = 1024 - Int32(Double(vignetteStrength) * d * d)
        }

        // The texture table repeats its start after the end, so a row reads one contiguous run.
        texture = .allocate(capacity: Self.textureSize + width)
        var walk: Int32 = 0
        var peak: Int32 = 1
        for i in 0..<Self.textureSize {
            walk = walk - (walk >> 5) + Int32(truncatingIfNeeded: rng.next() & 0x7F) - 64
            texture[i] = walk
            peak = max(peak, abs(walk))
        }
        for i in 0..<Self.textureSize { texture[i] = texture[i] * 1024 / peak }
        for i in 0..<width { texture[Self.textureSize + i] = texture[i % Self.textureSize] }

        // Gamma of about 2.5 (v^2 * (v + M/2) / 1.5 M^2): the scene is composed in perceptual units
        // but sensors record linear light, so most samples end up low in the range, as in real RAWs.
        let ceiling = Int64(camera.whiteLevel - camera.blackLevel)
        gamma = .allocate(capacity: Int(ceiling) + 1)
        for v in 0...ceiling {
            let square = v * v / max(ceiling, 1)
            gamma[Int(v)] = Int32(min(square * (v + ceiling / 2) / max(ceiling * 3 / 2, 1), ceiling))
        }

        // Noise: 16 signal bands, each a 4096-entry table of Irwin-Hall (n = 4) draws scaled to that band's sigma.
        noise = .allocate(capacity: 16 * Self.noiseEntries)
        let isoGain = (Double(max(iso, 50)) / 100).squareRoot()
        let scale = camera.bitsPerSample >= 14 ? 1.0 : 0.25
        let readNoise = (1.6 + 1.2 * isoGain) * scale
        let shotGain = 0.16 * isoGain * scale
        var tableRNG = FixtureRandom(seed: seed, stream: 0x401_5E)
        for band in 0..<16 {
            let signal = (Double(band) + 0.5) * Double(1 << (camera.bitsPerSample - 4))
            let sigma = (readNoise * readNoise + signal * shotGain).squareRoot()
            for i in 0..<Self.noiseEntries {
                let r = tableRNG.next()
                let sum = Int64(r & 0xFFFF) + Int64((r >> 16) & 0xFFFF) + Int64((r >> 32) & 0xFFFF) + Int64(r >> 48)
                let value = (Double(sum - 131_070) * sigma / 37_837.6).rounded()
                noise[band << Self.noiseBits + i] = Int16(max(-8_000, min(8_000, value)))
            }
        }
        self.rng = rng
    }

    deinit {
        luminance.deallocate()
        signalRows.0.deallocate()
        signalRows.1.deallocate()
        bands.deallocate()
        noiseRow.deallocate()
        vignetteX.deallocate()
        noise.deallocate()
        texture.deallocate()
        gamma.deallocate()
    }

    /// Writes row `y` (rows must be painted in order) as `width` samples into `out`.
    func paintRow(_ y: Int, into out: UnsafeMutablePointer<UInt16>) {
        if y & 1 == 0 { renderPair(y) }
        let signal = y & 1 == 0 ? signalRows.0 : signalRows.1
        let band = bands
        let table = noise
        let row = noiseRow
        var random = rng
        var x = 0
        while x < width {
            let bits = random.next()
            row[x] = table[Int(band[x]) | Int(bits & 0x3FF)]
            row[x + 1] = table[Int(band[x + 1]) | Int((bits &>> 16) & 0x3FF)]
            row[x + 2] = table[Int(band[x + 2]) | Int((bits &>> 32) & 0x3FF)]
            row[x + 3] = table[Int(band[x + 3]) | Int((bits &>> 48) & 0x3FF)]
            x += 4
        }
        rng = random
        // Signal, black level and noise all fit in Int16 (levels below 2^14, noise within +-8000).
        let black = Int16(truncatingIfNeeded: self.black)
        let white = Int16(truncatingIfNeeded: self.white)
        for i in 0..<width {
            let value = min(max(black &+ signal[i] &+ row[i], 0), white)
            out[i] = UInt16(bitPattern: value)
        }
    }

    /// Renders the scene for rows `y` and `y + 1` (a Bayer row pair), then each sample's
    /// white-balanced signal and noise band.
    private func renderPair(_ y: Int) {
        let lum = luminance
        let tex = texture
        let mask = Self.textureSize - 1
        let base: Int32
        let textureAmount: Int32
        if y < horizon {
            base = skyTop + Int32(Int64(skyHorizon - skyTop) * Int64(y) / Int64(max(horizon, 1)))
            textureAmount = skyTexture
        } else {
            let depth = min(y - horizon, plannedHeight - horizon)
            base = groundTop + Int32(Int64(groundBottom - groundTop) * Int64(depth) / Int64(max(plannedHeight - horizon, 1)))
            textureAmount = groundTexture
        }
        // Two diagonal runs of the texture make a crosshatch that drifts smoothly from row to row.
        let rising = tex + (y & mask)
        let falling = tex + ((Self.textureSize - (y & mask)) & mask)
        let slope = self.slope
        let center = Int32(width / 2)
        for x in 0..<width {
            let t = rising[x] &+ falling[x]
            lum[x] = base &+ ((slope &* (Int32(truncatingIfNeeded: x) &- center)) &>> 16) &+ ((t &* textureAmount) &>> 11)
        }
        for shape in shapes {
            let dy = y - shape.centerY
            guard abs(dy) < shape.radiusY else { continue }
            var half = shape.radiusX
            if shape.elliptical {
                let f = Double(dy) / Double(shape.radiusY)
                half = Int(Double(shape.radiusX) * (1 - f * f).squareRoot())
            }
            let from = max(0, shape.centerX - half)
            let to = min(width, shape.centerX + half)
            guard from < to else { continue }
            let alpha = shape.alpha
            let keep = 256 - alpha
            let weighted = shape.level &* alpha
            let amount = shape.texture
            let run = tex + ((y &* 3) & mask)
            for x in from..<to {
                lum[x] = ((lum[x] &* keep &+ weighted) &>> 8) &+ ((run[x] &* amount) &>> 10)
            }
        }
        let half = Double(plannedHeight) / 2
        let d = (Double(y) - half) / half
        let vertical = 1024 - Int32(Double(vignetteStrength) * min(d * d, 1.5))
        let ceiling = white - black
        let vx = vignetteX
        let curve = gamma
        let even = signalRows.0
        let odd = signalRows.1
        let band = bands
        let shift = bandShift
        let gains = (self.gains[Int(cfa[0])], self.gains[Int(cfa[1])], self.gains[Int(cfa[2])], self.gains[Int(cfa[3])])
        var x = 0
        while x < width {
            let va = (((lum[x] &* vx[x]) &>> 10) &* vertical) &>> 10
            let vb = (((lum[x + 1] &* vx[x + 1]) &>> 10) &* vertical) &>> 10
            let a = curve[Int(min(max(va, 0), ceiling))]
            let b = curve[Int(min(max(vb, 0), ceiling))]
            even[x] = Int16(truncatingIfNeeded: (a &* gains.0) &>> 8)
            even[x + 1] = Int16(truncatingIfNeeded: (b &* gains.1) &>> 8)
            odd[x] = Int16(truncatingIfNeeded: (a &* gains.2) &>> 8)
            odd[x + 1] = Int16(truncatingIfNeeded: (b &* gains.3) &>> 8)
            band[x] = UInt16(truncatingIfNeeded: min(a &>> shift, 15) &<< 10)
            band[x + 1] = UInt16(truncatingIfNeeded: min(b &>> shift, 15) &<< 10)
            x += 2
        }
    }

}
