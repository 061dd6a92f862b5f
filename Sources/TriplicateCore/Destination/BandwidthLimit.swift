// BandwidthLimit: a cap on the bytes per second that pass through it, shared by every transfer that uses it.
internal import Synchronization

/// A cap on bandwidth: every transfer that uses it together stays at or below ``bytesPerSecond`` on average, so that a
/// backup to the cloud leaves a studio's internet usable. Transfers ask for each piece before sending or after
/// receiving it (``take(_:)``); a piece waits until the bytes before it have had their time on the link.
public final class BandwidthLimit: Sendable {
    /// The cap.
    public let bytesPerSecond: Int
    /// The moment the bytes granted so far have had their time.
    private let next: Mutex<ContinuousClock.Instant>
    /// How far behind an idle link may fall before it stops earning time, so that a pause does not buy a burst.
    private static let slack: Duration = .milliseconds(100)

    /// A cap of `bytesPerSecond` (at least 1).
    public init(bytesPerSecond: Int) {
        self.bytesPerSecond = max(bytesPerSecond, 1)
        next = Mutex(ContinuousClock.now)
    }

    /// A cap of `kibPerSecond` KiB/s, or nil for none (0 or less).
    public static func kibPerSecond(_ kibPerSecond: Int?) -> BandwidthLimit? {
        guard let kibPerSecond, kibPerSecond > 0 else { return nil }
        let (bytes, overflow) = kibPerSecond.multipliedReportingOverflow(by: 1024)
        return BandwidthLimit(bytesPerSecond: overflow ? Int.max : bytes)
    }

    /// Bytes granted so far, by every transfer together.
    public var bytesGranted: Int64 { granted.load(ordering: .relaxed) }
    private let granted = Atomic<Int64>(0)

    /// Waits until `count` more bytes may pass (returns at once when the task is cancelled).
    public func take(_ count: Int) async {
        guard count > 0 else { return }
        let now = ContinuousClock.now
        let start = reserve(count, at: now)
        if start > now { try? await Task.sleep(until: start, clock: .continuous) }
    }

    /// Grants `count` bytes asked for at `now` and returns when they may start: once every byte granted before has had
    /// its time at the cap. A link idle for a while is treated as free since ``slack`` before `now`, no earlier.
    func reserve(_ count: Int, at now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        granted.wrappingAdd(Int64(count), ordering: .relaxed)
        return next.withLock { next in
            let start = max(next, now - Self.slack)
            next = start + .seconds(Double(count) / Double(bytesPerSecond))
            return start
        }
    }

    /// The size of the pieces a transfer under this cap should send, so that it waits often and briefly rather than
    /// seldom and long: a twentieth of a second's worth, between 4 KiB and 1 MiB.
    public var pieceSize: Int { min(max(bytesPerSecond / 20, 4 << 10), 1 << 20) }
}

/// The caps on a destination's transfers: uploads (puts) and downloads (gets), each nil for none.
public struct TransferLimits: Sendable {
    /// The cap on bytes sent.
    public var upload: BandwidthLimit?
    /// The cap on bytes received.
    public var download: BandwidthLimit?

    /// Caps for uploads and downloads (nil: none).
    public init(upload: BandwidthLimit? = nil, download: BandwidthLimit? = nil) {
        self.upload = upload
        self.download = download
    }
}
