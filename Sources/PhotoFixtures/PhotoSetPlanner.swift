// Turns a spec into a plan: how many photos of what size, grouped into dated shoots, with previews and history.

/// Random-stream numbers, so that each part of a set draws from its own stream.
enum Streams {
    static let plan: UInt64 = 1
    static let catalog: UInt64 = 2
    /// Stream of the per-photo choices of photo `index` of the generated set.
    static func photo(_ index: Int) -> UInt64 { 0x1_0000_0000 &+ UInt64(index) }
    /// Stream of editing session `session`.
    static func edit(_ session: Int) -> UInt64 { 0xED17_0000_0000 &+ (UInt64(session) << 20) }
}

/// Decides the layout of a photo set from its spec; writes nothing.
enum PhotoSetPlanner {
    /// Catalog bytes per photo with a one-step history (develop text, XMP copy, rows, index entries;
    /// texts of a few KB take an overflow page each at page size 4096).
    static let catalogBytesPerPhoto: Int64 = 20_000
    /// Catalog bytes per further develop history step.
    static let catalogBytesPerHistoryStep: Int64 = 5_600
    /// Catalog bytes that do not depend on the photo count (schema; at least a page per table and index).
    static let catalogFixedBytes: Int64 = 170_000

    /// The plan for `spec` (which must have passed `validate()`).
    static func plan(_ spec: PhotoSetSpec) -> PhotoSetPlan {
        var rng = FixtureRandom(seed: spec.seed, stream: Streams.plan)

        // RAW sizes until the budget is spent (an average sidecar is about 8 KB, DNGs have none). Each
        // photo also costs catalog rows; the catalog takes its share of the total or, if more, what its rows need.
        var sizes: [Int] = []
        var used: Int64 = 0
        while true {
            let size = rng.int(in: spec.rawSizeRange)
            let cost = Int64(size) + 4_000
            let catalog = max(spec.catalogBudget, catalogFixedBytes + catalogBytesPerPhoto * Int64(sizes.count + 1))
            let left = spec.totalBytes - spec.previewBudget - catalog - used
            if sizes.count >= 2 && left < cost / 2 { break }
            sizes.append(size)
            used += cost
        }
        let count = sizes.count

        // Previews: at least one per photo, sizes averaging the budget over the count.
        let previewRange = spec.previewSizeRange
        let typicalPreview = Int64((previewRange.lowerBound + previewRange.upperBound) / 2)
        let previewCount = max(Int64(count), spec.previewBudget / max(typicalPreview, 1))
        let averagePreview = Int(spec.previewBudget / max(previewCount, 1))
        var previewSizes: [[Int]] = Array(repeating: [], count: count)
        for index in 0..<Int(previewCount) {
            let low = max(previewRange.lowerBound, averagePreview * 6 / 10)
            let high = max(low, min(previewRange.upperBound, averagePreview * 14 / 10))
            previewSizes[index % count].append(rng.int(in: low...high))
        }

        // History steps fill what the catalog budget leaves after the per-photo rows.
        let historyBudget = spec.catalogBudget - catalogFixedBytes - catalogBytesPerPhoto * Int64(count)
        let totalSteps = Int64(count) + max(0, historyBudget / catalogBytesPerHistoryStep)
        let stepsPerPhoto = Int(totalSteps / Int64(count))
        let extraSteps = Int(totalSteps % Int64(count))

        // Shoots: consecutive runs of 2...maxShoot photos, alternating camera kinds by share.
        let maxShoot = max(2, min(60, count / 2))
        var groups: [Range<Int>] = []
        var start = 0
        while start < count {
            var size = min(count - start, rng.int(in: 2...maxShoot))
            if count - start - size == 1 { size += 1 }
            groups.append(start..<(start + size))
            start += size
        }

        let photographer = rng.pick(Vocabulary.photographers)
        var day = CivilTime(year: 2022, month: 1, day: 3).adding(Int64(rng.int(in: 0...120)) * 86_400)
        let gapLimit = max(3, 1_000 / max(groups.count, 1))
        var counters: [String: Int] = [:]
        var assignedBytes = 0.0
        var compressedBytes = 0.0
        var lastTheme = -1
        var shoots: [ShootPlan] = []
        var lastImport = day
        for group in groups {
            // Give this shoot to DNG cameras when that keeps the DNG share of RAW bytes closest to the spec's.
            let groupBytes = Double(group.reduce(0) { $0 + sizes[$1] })
            let compressed = spec.compressedShare * (assignedBytes + groupBytes) - compressedBytes >= groupBytes / 2
            assignedBytes += groupBytes
            if compressed { compressedBytes += groupBytes }
            let camera = rng.pick(compressed ? CameraCatalogue.compressed : CameraCatalogue.uncompressed)
            var theme = rng.int(in: 0...(Vocabulary.themes.count - 1))
            if theme == lastTheme { theme = (theme + 1) % Vocabulary.themes.count }
            lastTheme = theme
            let year = day.components.year
            let folder = "\(year)/\(day.dayString) \(Vocabulary.themes[theme].name)"
            var capture = day.adding(Int64(rng.int(in: 7 * 3600...17 * 3600)))
            var counter = counters[camera.model] ?? rng.int(in: 1...(camera.counterLimit * 9 / 10))
            var photos: [PhotoPlan] = []
            var captures: [CivilTime] = []
            for _ in group {
                captures.append(capture)
                capture = capture.adding(Int64(rng.int(in: 3...240)))
            }
            let importTime = capture.adding(Int64(rng.int(in: 3600...30 * 3600)))
            for (offset, index) in group.enumerated() {
                counter = counter % camera.counterLimit + 1
                let steps = stepsPerPhoto + (index < extraSteps ? 1 : 0)
                photos.append(PhotoPlan.make(
                    seed: spec.seed, stream: Streams.photo(index), camera: camera, counter: counter,
                    folder: folder, captureTime: captures[offset], importTime: importTime,
                    targetBytes: sizes[index], themeKeywords: Vocabulary.themes[theme].keywords,
                    photographer: photographer, historySteps: steps, previewSizes: previewSizes[index]))
                counter += rng.int(in: 0...2)
            }
            counters[camera.model] = counter
            shoots.append(ShootPlan(folder: folder, photos: photos))
            lastImport = importTime
            day = importTime.startOfDay.adding(Int64(rng.int(in: 1...gapLimit)) * 86_400)
        }
        let generatedAt = lastImport.adding(Int64(rng.int(in: 86_400...5 * 86_400)))
        return PhotoSetPlan(shoots: shoots, generatedAt: generatedAt, photographer: photographer)
    }
}
