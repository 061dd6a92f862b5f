// A photo's develop history: the import step and the edits after it, ending in its current settings.

/// One step of a develop history.
struct DevelopStep {
    var name: String
    var valueString: String
    var settings: DevelopSettings
    var time: CivilTime
}

/// Replays the develop history of a photo from its own random stream, so it can be walked twice:
/// once cheaply for the final settings (which the sidecar needs) and once to store every step.
enum DevelopHistory {
    /// Walks the `photo.historySteps` steps in order and returns the final settings.
    @discardableResult
    static func walk(_ photo: PhotoPlan,
                     _ body: (DevelopStep) throws(PhotoFixtureError) -> Void) throws(PhotoFixtureError) -> DevelopStep {
        var rng = FixtureRandom(seed: photo.detailSeed, stream: 0x4157)
        var settings = photo.develop
        var time = photo.importTime.adding(Int64(rng.int(in: 5...90)))
        var step = DevelopStep(name: "Import (\(photo.importTime.shortString))", valueString: "",
                               settings: settings, time: time)
        try body(step)
        for _ in 1..<max(1, photo.historySteps) {
            let keys = settings.tweak(count: 1, using: &rng)
            time = time.adding(Int64(rng.int(in: 4...180)))
            let key = keys.first ?? "Exposure2012"
            step = DevelopStep(name: displayName(key), valueString: settings.displayValue(key),
                               settings: settings, time: time)
            try body(step)
        }
        return step
    }

    /// The last step, without visiting the others' text.
    static func final(_ photo: PhotoPlan) -> DevelopStep {
        do {
            return try walk(photo) { (_: DevelopStep) throws(PhotoFixtureError) in }
        } catch {
            return DevelopStep(name: "", valueString: "", settings: photo.develop, time: photo.importTime)
        }
    }

    /// `Exposure` for `Exposure2012`, as Lightroom names history steps.
    static func displayName(_ key: String) -> String {
        key.hasSuffix("2012") ? String(key.dropLast(4)) : key
    }
}
