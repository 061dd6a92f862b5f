// ISOTimeTests: the times snapshots record, parsed by hand: known instants, every field checked, and the hostile
// strings that crashed Foundation's parser refused without a crash.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Testing
@testable import TriplicateCore

@Suite("ISO 8601 times")
struct ISOTimeTests {
    @Test("known instants, with and without fractions and offsets")
    func knownInstants() throws {
        let cases: [(String, Double)] = [
            ("1970-01-01T00:00:00Z", 0),
            ("2026-11-28T15:02:29.123Z", 1_795_878_149.123),
            ("2026-11-28t15:02:29.123z", 1_795_878_149.123),
            ("2000-02-29T12:00:00+02:00", 951_818_400),
            ("1969-12-31T23:59:59.5Z", -0.5),
            ("0001-01-01T00:00:00Z", -62_135_596_800),
            ("9999-12-31T23:59:59Z", 253_402_300_799),
            ("2026-11-28T15:02:29.123456789-01:30", 1_795_878_149.123456789 + 5400),
        ]
        for (text, seconds) in cases {
            let date = try #require(ISOTime.parse(text), "\(text)")
            #expect(abs(date.timeIntervalSince1970 - seconds) < 1e-6, "\(text)")
        }
    }

    @Test("anything else is not a time, and a snapshot with it sorts first")
    func refused() {
        for text in ["", "2026-11-28", "2026-11-28T15:02:29", "2026-13-01T00:00:00Z", "2001-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
                     "2026-11-28T24:00:00Z", "2026-11-28T15:60:00Z", "2026-11-28T15:02:60Z", "2026-11-28T15:02:29.Z",
                     "2026-11-28T15:02:29.1234567890Z", "2026-11-28T15:02:29+2:00", "2026-11-28T15:02:29Z ", "+2026-11-28T15:02:29Z",
                     "2025-11-30T10:53:20.000" + String(repeating: "5", count: 60) + "Z"] {
            #expect(ISOTime.parse(text) == nil, "\(text)")
        }
    }
}
