// ISOTime: reads the times a repository records (`2026-11-28T15:02:29.123Z`) without Foundation's date parser, which
// crashes on some hostile strings (ICU divides by zero on a fraction of 60 digits).
package import Foundation

/// The internet date-time form of ISO 8601 (RFC 3339) that snapshots and damage records use, parsed by hand.
package enum ISOTime {
    /// The instant `text` denotes, or nil when it is not `YYYY-MM-DDTHH:MM:SS`, optionally `.` and 1 to 9 fraction
    /// digits, then `Z` or `+HH:MM`/`-HH:MM` (`T` and `Z` may be lowercase). Fields out of range (month 13, day 31 of
    /// a 30-day month, hour 24, second 60) are not a time.
    package static func parse(_ text: String) -> Date? {
        let b = Array(text.utf8)
        guard b.count >= 20, b.count <= 35 else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var n = 0
            for i in range {
                guard b[i] >= 0x30, b[i] <= 0x39 else { return nil }
                n = n * 10 + Int(b[i] - 0x30)
            }
            return n
        }
        guard let year = number(0..<4), b[4] == 0x2D, let month = number(5..<7), b[7] == 0x2D, let day = number(8..<10),
              b[10] == 0x54 || b[10] == 0x74, let hour = number(11..<13), b[13] == 0x3A, let minute = number(14..<16),
              b[16] == 0x3A, let second = number(17..<19) else { return nil }
        var i = 19
        var nanoseconds = 0
        if b[i] == 0x2E {
            i += 1
            var digits = 0
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                guard digits < 9 else { return nil }
                nanoseconds = nanoseconds * 10 + Int(b[i] - 0x30)
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<9 { nanoseconds *= 10 }
        }
        var offset = 0
        guard i < b.count else { return nil }
        if b[i] == 0x5A || b[i] == 0x7A {
            i += 1
        } else if b[i] == 0x2B || b[i] == 0x2D, i + 6 == b.count, let h = number(i + 1..<i + 3), b[i + 3] == 0x3A,
                  let m = number(i + 4..<i + 6), h <= 23, m <= 59 {
            offset = (b[i] == 0x2B ? 1 : -1) * (h * 3600 + m * 60)
            i += 6
        } else {
            return nil
        }
        let monthDays = [31, year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard i == b.count, (1...12).contains(month), (1...monthDays[month - 1]).contains(day), hour <= 23, minute <= 59,
              second <= 59 else { return nil }
        // Days since 1970-01-01 of the proleptic Gregorian date (the civil-from-days algorithm, inverted).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(seconds) + Double(nanoseconds) / 1e9)
    }
}
