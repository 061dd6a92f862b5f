// Calendar arithmetic and the date formats cameras, XMP and Lightroom write, all in UTC, without Foundation.

/// A moment as whole seconds since 1970-01-01 00:00:00 UTC, with the formats a photo set needs.
struct CivilTime: Hashable, Comparable, Sendable {
    /// Seconds since the Unix epoch.
    var seconds: Int64

    init(seconds: Int64) { self.seconds = seconds }

    /// Midnight UTC of the given calendar day.
    init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        seconds = CivilTime.daysFromCivil(year: year, month: month, day: day) * 86_400
            + Int64(hour * 3600 + minute * 60 + second)
    }

    static func < (lhs: CivilTime, rhs: CivilTime) -> Bool { lhs.seconds < rhs.seconds }

    /// This moment moved by `delta` seconds.
    func adding(_ delta: Int64) -> CivilTime { CivilTime(seconds: seconds + delta) }

    /// Midnight at the start of this moment's day.
    var startOfDay: CivilTime {
        CivilTime(seconds: seconds - ((seconds % 86_400) + 86_400) % 86_400)
    }

    /// Year, month, day, hour, minute, second.
    var components: (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let rest = Int(seconds - days * 86_400)
        let (y, m, d) = CivilTime.civilFromDays(days)
        return (y, m, d, rest / 3600, (rest / 60) % 60, rest % 60)
    }

    /// `2024-06-12`, as in a Lightroom import folder name.
    var dayString: String {
        let c = components
        return "\(c.year)-\(pad(c.month))-\(pad(c.day))"
    }

    /// `2024:06:12 14:03:22`, the EXIF `DateTime` format.
    var exifString: String {
        let c = components
        return "\(c.year):\(pad(c.month)):\(pad(c.day)) \(pad(c.hour)):\(pad(c.minute)):\(pad(c.second))"
    }

    /// `2024-06-12T14:03:22`, as in Lightroom's `captureTime` column.
    var isoString: String {
        let c = components
        return "\(c.year)-\(pad(c.month))-\(pad(c.day))T\(pad(c.hour)):\(pad(c.minute)):\(pad(c.second))"
    }

    /// `2024-06-12T14:03:22.00+00:00`, the XMP date format.
    var xmpString: String { isoString + ".00+00:00" }

    /// Seconds since 2001-01-01, the reference date Lightroom stores its timestamps against.
    var cocoaSeconds: Double { Double(seconds - 978_307_200) }

    /// `6/12/24 14:03:22`, as in Lightroom's history step names.
    var shortString: String {
        let c = components
        return "\(c.month)/\(c.day)/\(pad(c.year % 100)) \(pad(c.hour)):\(pad(c.minute)):\(pad(c.second))"
    }

    private func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    /// Howard Hinnant's days_from_civil: days since 1970-01-01 of a proleptic Gregorian date.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The inverse of `daysFromCivil`.
    static func civilFromDays(_ days: Int64) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (Int(y), Int(m), Int(d))
    }
}
