// In-place edits of stored settings text (catalog Lua, XMP attributes), as a later develop session makes them.

/// Finds and changes individual values in develop-settings text without re-rendering the rest.
enum SettingsTextEditor {
    /// Settings a develop session typically touches.
    static let adjustableKeys = ["Exposure2012", "Contrast2012", "Highlights2012", "Shadows2012", "Whites2012",
                                 "Blacks2012", "Texture", "Clarity2012", "Dehaze", "Vibrance", "Saturation",
                                 "Temperature", "Tint"]

    /// A changed setting: its key and new value as history step names show it.
    struct Change: Hashable {
        var key: String
        var value: String
    }

    /// Nudges up to `count` adjustable numbers in catalog Lua text (`Key = value,` lines).
    static func tweakLua(_ text: String, count: Int, using rng: inout FixtureRandom) -> (String, [Change]) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var changes: [Change] = []
        for _ in 0..<count {
            let key = rng.pick(adjustableKeys)
            let prefix = key + " = "
            guard let index = lines.firstIndex(where: { $0.hasPrefix(prefix) || $0.hasPrefix("s = { " + prefix) }) else {
                continue
            }
            let line = lines[index]
            guard let range = line.firstRange(of: prefix) else { continue }
            let head = String(line[..<range.upperBound])
            var rest = String(line[range.upperBound...])
            var tail = ""
            while let last = rest.last, last == "," || last == " " || last == "}" {
                tail = String(last) + tail
                rest.removeLast()
            }
            guard let number = parse(rest) else { continue }
            let changed = nudge(number, key: key, using: &rng)
            lines[index] = head + changed.formatted() + tail
            changes.append(Change(key: key, value: changed.formatted(plus: true)))
        }
        return (lines.joined(separator: "\n"), changes)
    }

    /// Nudges up to `count` adjustable `crs:` attributes in XMP text.
    static func tweakXMP(_ text: String, count: Int, using rng: inout FixtureRandom) -> (String, [Change]) {
        var result = text
        var changes: [Change] = []
        for _ in 0..<count {
            let key = rng.pick(adjustableKeys)
            guard let old = attribute("crs:" + key, in: result), let number = parse(old) else { continue }
            let changed = nudge(number, key: key, using: &rng)
            let signed = key != "Temperature"
            result = setAttribute("crs:" + key, to: changed.formatted(plus: signed), in: result)
            changes.append(Change(key: key, value: changed.formatted(plus: true)))
        }
        return (result, changes)
    }

    /// The value of the first attribute `name="..."` that starts a line, or nil.
    static func attribute(_ name: String, in text: String) -> String? {
        guard let start = text.firstRange(of: " " + name + "=\"") else { return nil }
        guard let end = text[start.upperBound...].firstIndex(of: "\"") else { return nil }
        return String(text[start.upperBound..<end])
    }

    /// The text with the first attribute `name="..."` set to `value` (unchanged if absent).
    static func setAttribute(_ name: String, to value: String, in text: String) -> String {
        guard let start = text.firstRange(of: " " + name + "=\""),
              let end = text[start.upperBound...].firstIndex(of: "\"") else { return text }
        return String(text[..<start.upperBound]) + value + String(text[end...])
    }

    /// The text with `insertion` placed before the first occurrence of `marker` (unchanged if absent).
    static func insert(_ insertion: String, before marker: String, in text: String) -> String {
        guard let range = text.firstRange(of: marker) else { return text }
        return String(text[..<range.lowerBound]) + insertion + String(text[range.lowerBound...])
    }

    /// Parses `-0.35`, `+12`, `5450` into a fixed-point number.
    static func parse(_ text: String) -> FixedPoint? {
        var raw = 0
        var decimals = 0
        var negative = false
        var seenDot = false
        var seenDigit = false
        for (index, character) in text.enumerated() {
            switch character {
            case "-" where index == 0: negative = true
            case "+" where index == 0: continue
            case "." where !seenDot: seenDot = true
            case "0"..."9":
                guard let digit = character.wholeNumberValue else { return nil }
                raw = raw * 10 + digit
                if seenDot { decimals += 1 }
                seenDigit = true
            default: return nil
            }
        }
        guard seenDigit, decimals <= 9 else { return nil }
        return FixedPoint(raw: negative ? -raw : raw, decimals: decimals)
    }

    private static func nudge(_ number: FixedPoint, key: String, using rng: inout FixtureRandom) -> FixedPoint {
        var result = number
        switch key {
        case "Temperature": result.raw += rng.pick([-400, -250, -150, 150, 250, 400])
        case "Exposure2012":
            var scale = 1
            for _ in 0..<result.decimals { scale *= 10 }
            if result.decimals < 2 {
                let widen = result.decimals == 0 ? 100 : 10
                result = FixedPoint(raw: result.raw * widen, decimals: 2)
                scale = 100
            }
            result.raw += rng.pick([-30, -15, -10, -5, 5, 10, 15, 25, 40]) * scale / 100
        default: result.raw += rng.pick([-15, -10, -6, -3, 3, 5, 8, 12, 20])
        }
        return result
    }
}
