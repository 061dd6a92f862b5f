// Tests of the pure pieces: random streams, Rice coding, number and date formats, settings edits, spec scaling.

import Testing
@testable import PhotoFixtures

@Suite("Building blocks")
struct BuildingBlockTests {
    @Test("Random streams are reproducible and independent")
    func randomStreams() {
        var a = FixtureRandom(seed: 7, stream: 1)
        var b = FixtureRandom(seed: 7, stream: 1)
        var c = FixtureRandom(seed: 7, stream: 2)
        let first = (0..<8).map { _ in a.next() }
        #expect(first == (0..<8).map { _ in b.next() })
        #expect(first != (0..<8).map { _ in c.next() })
        var r = FixtureRandom(seed: 1, stream: 3)
        for _ in 0..<1000 { #expect((5...9).contains(r.int(in: 5...9))) }
        #expect(r.sample(3, of: 10).count == 3)
        #expect(r.uuid().count == 36)
    }

    @Test("Rice coding round-trips sensor rows, including escapes")
    func riceRoundTrip() throws {
        let width = 64
        let rows = 3
        var samples = [UInt16](repeating: 0, count: width * rows)
        var rng = FixtureRandom(seed: 3, stream: 3)
        for i in samples.indices { samples[i] = UInt16(rng.int(in: 0...16_383)) }
        for i in 0..<width { samples[width + i] = UInt16(1000 + i % 5) }
        samples[2 * width + 10] = 16_383
        samples[2 * width + 12] = 0
        var encoded = [UInt8](repeating: 0, count: RiceCoding.worstCaseBytes(width: width) * rows + 8)
        let length = encoded.withUnsafeMutableBytes { raw -> Int in
            guard let base = raw.baseAddress else { return 0 }
            var writer = BitWriter(output: base)
            let scratch = UnsafeMutablePointer<UInt32>.allocate(capacity: width)
            defer { scratch.deallocate() }
            samples.withUnsafeBufferPointer { pointer in
                for row in 0..<rows {
                    guard let start = pointer.baseAddress else { return }
                    RiceCoding.encodeRow(start + row * width, width: width, bitsPerSample: 14, scratch: scratch,
                                         into: &writer)
                }
            }
            writer.finish()
            return writer.output - base
        }
        let decoded = try #require(RiceCoding.decode(Array(encoded[0..<length]), width: width, rows: rows, bitsPerSample: 14))
        #expect(decoded == samples)
    }

    @Test("Sensor rows stay within the camera's black and white levels", arguments: CameraCatalogue.uncompressed + CameraCatalogue.compressed)
    func sensorRange(camera: CameraModel) {
        let painter = SensorPainter(width: 128, plannedHeight: 16, camera: camera, iso: 3200, seed: 9)
        var row = [UInt16](repeating: 0, count: 128)
        var sum = 0
        for y in 0..<16 {
            row.withUnsafeMutableBufferPointer { if let base = $0.baseAddress { painter.paintRow(y, into: base) } }
            #expect(row.allSatisfy { Int32($0) <= camera.whiteLevel })
            sum += row.reduce(0) { $0 + Int($1) }
        }
        #expect(sum / (16 * 128) > Int(camera.blackLevel) / 2)
    }

    @Test("Fixed-point numbers print as Lightroom writes them")
    func fixedPoint() {
        #expect(FixedPoint(raw: 35, decimals: 2).formatted(plus: true) == "+0.35")
        #expect(FixedPoint(raw: -5, decimals: 2).formatted() == "-0.05")
        #expect(FixedPoint(raw: 100, decimals: 2).formatted() == "1")
        #expect(FixedPoint(raw: 12, decimals: 0).formatted(plus: true) == "+12")
        #expect(FixedPoint(raw: 0, decimals: 6).formatted(plus: true) == "0")
        #expect(SettingsTextEditor.parse("-0.35") == FixedPoint(raw: -35, decimals: 2))
        #expect(SettingsTextEditor.parse("+12") == FixedPoint(raw: 12, decimals: 0))
        #expect(SettingsTextEditor.parse("abc") == nil)
    }

    @Test("Dates convert both ways and format like EXIF and XMP")
    func civilTime() {
        let time = CivilTime(year: 2024, month: 6, day: 12, hour: 14, minute: 3, second: 22)
        #expect(time.exifString == "2024:06:12 14:03:22")
        #expect(time.isoString == "2024-06-12T14:03:22")
        #expect(time.dayString == "2024-06-12")
        #expect(CivilTime(year: 2001, month: 1, day: 1).cocoaSeconds == 0)
        #expect(CivilTime(year: 2024, month: 2, day: 29).adding(86_400).dayString == "2024-03-01")
        #expect(time.startOfDay == CivilTime(year: 2024, month: 6, day: 12))
    }

    @Test("Develop text edits change numbers in place and leave the rest")
    func settingsEdits() {
        var rng = FixtureRandom(seed: 1, stream: 1)
        let settings = DevelopSettings.random(using: &rng, width: 6000, height: 4000, maskCount: 2)
        let lua = settings.luaText
        #expect(lua.hasPrefix("s = { ") && lua.hasSuffix(" }\n"))
        #expect(lua.firstRange(of: "MaskGroupBasedCorrections = { {") != nil)
        let (edited, changes) = SettingsTextEditor.tweakLua(lua, count: 3, using: &rng)
        #expect(!changes.isEmpty && edited != lua)
        #expect(edited.split(separator: "\n").count == lua.split(separator: "\n").count)
        let xmp = "<x>\n   crs:Exposure2012=\"+0.35\"\n   crs:Contrast2012=\"+5\"\n</x>"
        #expect(SettingsTextEditor.attribute("crs:Exposure2012", in: xmp) == "+0.35")
        #expect(SettingsTextEditor.setAttribute("crs:Contrast2012", to: "-3", in: xmp).firstRange(of: "\"-3\"") != nil)
    }

    @Test("Spec presets and default RAW sizes scale with the total")
    func specScaling() throws {
        #expect(PhotoSetSpec.small().totalBytes == 4 << 20)
        #expect(PhotoSetSpec.small().rawSizeRange == 100 * 1024...400 * 1024)
        #expect((10 << 20...100 << 20).contains(PhotoSetSpec.demo().totalBytes))
        #expect(PhotoSetSpec(seed: 1, totalBytes: 50 << 30).rawSizeRange == (20 << 20)...(60 << 20))
        let medium = PhotoSetSpec(seed: 1, totalBytes: 48 << 20).rawSizeRange
        #expect(medium.upperBound == 2 << 20)
        try PhotoSetSpec.demo().validate()
        try PhotoSetSpec.benchmark(totalBytes: 1 << 30).validate()
        let plan = PhotoSetPlanner.plan(PhotoSetSpec.benchmark(totalBytes: 10 << 30))
        #expect((150...400).contains(plan.photos.count))
        #expect(plan.shoots.count > 5)
    }

    @Test("Byte counts print with binary units")
    func byteCounts() {
        #expect(ByteCount.format(512) == "512 B")
        #expect(ByteCount.format(1536) == "1.5 KiB")
        #expect(ByteCount.format(200 * 1024) == "200 KiB")
        #expect(ByteCount.format(3 << 30) == "3.0 GiB")
    }
}
