// BandwidthLimitTests: the schedule a cap grants, on given instants (no clock is read, nothing waits).
@testable import TriplicateCore
import Testing

@Suite("Bandwidth limit") struct BandwidthLimitTests {
    @Test("each piece starts once the bytes before it had their time; an idle link earns 100 ms, no more")
    func theScheduleOfACap() {
        let limit = BandwidthLimit(bytesPerSecond: 1000)
        let t0 = ContinuousClock.now + .seconds(1)
        // A first piece on an idle link may start at once (its 100 ms of slack included).
        #expect(limit.reserve(500, at: t0) == t0 - .milliseconds(100))
        // The next waits for the first's half second.
        #expect(limit.reserve(500, at: t0) == t0 + .milliseconds(400))
        // Asked later, still behind the schedule: it waits for both.
        #expect(limit.reserve(1000, at: t0 + .milliseconds(200)) == t0 + .milliseconds(900))
        // After ten idle seconds, only the slack is earned: no burst of ten seconds' worth.
        #expect(limit.reserve(100, at: t0 + .seconds(10)) == t0 + .milliseconds(9900))
        #expect(limit.reserve(100, at: t0 + .seconds(10)) == t0 + .seconds(10))
        #expect(limit.bytesGranted == 2200)
    }

    @Test("KiB/s become bytes; none for zero or less; pieces stay between 4 KiB and 1 MiB")
    func unitsAndPieces() {
        #expect(BandwidthLimit.kibPerSecond(2048)?.bytesPerSecond == 2 << 20)
        #expect(BandwidthLimit.kibPerSecond(0) == nil && BandwidthLimit.kibPerSecond(nil) == nil)
        #expect(BandwidthLimit.kibPerSecond(Int.max)?.bytesPerSecond == Int.max)
        #expect(BandwidthLimit(bytesPerSecond: 1000).pieceSize == 4 << 10)
        #expect(BandwidthLimit(bytesPerSecond: 2 << 20).pieceSize == (2 << 20) / 20)
        #expect(BandwidthLimit(bytesPerSecond: 1 << 30).pieceSize == 1 << 20)
    }
}
