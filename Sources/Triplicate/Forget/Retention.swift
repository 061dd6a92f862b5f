// Retention: which snapshots a policy keeps (restic's rules: the newest N, one per hour/day/week/month/year, all
// within a duration of the newest, all with a tag), per group of snapshots of one computer and one set of paths.
internal import Foundation

/// Which snapshots to keep. A snapshot is kept when any rule keeps it; every other snapshot of its group is forgotten.
/// The rules apply to each group of snapshots made by one computer of one set of paths, newest first:
///
/// - ``keepLast``: the newest N.
/// - ``keepHourly`` … ``keepYearly``: going from the newest, the first snapshot of each hour (day, ISO week, month,
///   year) met, until N such periods have one; periods are in local time.
/// - ``keepWithin``: every snapshot no older than this many seconds before the group's newest.
/// - ``keepTags``: every snapshot with one of these tags.
///
/// A policy with no rule keeps everything and is refused by ``Repository/forget(policy:dryRun:)``, so that a
/// forgotten option never forgets every snapshot.
public struct RetentionPolicy: Sendable, Codable, Equatable {
    public var keepLast: Int?
    public var keepHourly: Int?
    public var keepDaily: Int?
    public var keepWeekly: Int?
    public var keepMonthly: Int?
    public var keepYearly: Int?
    /// Seconds.
    public var keepWithin: Double?
    public var keepTags: [String]

    /// A policy; every rule left out keeps nothing by itself.
    public init(keepLast: Int? = nil, keepHourly: Int? = nil, keepDaily: Int? = nil, keepWeekly: Int? = nil,
                keepMonthly: Int? = nil, keepYearly: Int? = nil, keepWithin: Double? = nil, keepTags: [String] = []) {
        self.keepLast = keepLast
        self.keepHourly = keepHourly
        self.keepDaily = keepDaily
        self.keepWeekly = keepWeekly
        self.keepMonthly = keepMonthly
        self.keepYearly = keepYearly
        self.keepWithin = keepWithin
        self.keepTags = keepTags
    }

    /// True when no rule is set (such a policy is refused).
    public var isEmpty: Bool {
        [keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly].allSatisfy { ($0 ?? 0) <= 0 }
            && (keepWithin ?? 0) <= 0 && keepTags.isEmpty
    }

    /// The periods of the bucket rules, with their counts.
    enum Period: String, CaseIterable {
        case hourly, daily, weekly, monthly, yearly
    }

    func count(_ period: Period) -> Int {
        switch period {
        case .hourly: keepHourly ?? 0
        case .daily: keepDaily ?? 0
        case .weekly: keepWeekly ?? 0
        case .monthly: keepMonthly ?? 0
        case .yearly: keepYearly ?? 0
        }
    }

    /// The period a time falls in, as comparable numbers (local time in `calendar`).
    static func bucket(_ period: Period, _ time: Date, _ calendar: Calendar) -> [Int] {
        switch period {
        case .hourly:
            let c = calendar.dateComponents([.year, .month, .day, .hour], from: time)
            return [c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0]
        case .daily:
            let c = calendar.dateComponents([.year, .month, .day], from: time)
            return [c.year ?? 0, c.month ?? 0, c.day ?? 0]
        case .weekly:
            var iso = Calendar(identifier: .iso8601)
            iso.timeZone = calendar.timeZone
            let c = iso.dateComponents([.yearForWeekOfYear, .weekOfYear], from: time)
            return [c.yearForWeekOfYear ?? 0, c.weekOfYear ?? 0]
        case .monthly:
            let c = calendar.dateComponents([.year, .month], from: time)
            return [c.year ?? 0, c.month ?? 0]
        case .yearly:
            return [calendar.component(.year, from: time)]
        }
    }

    /// For items of one group (any order), whether each is kept and why, by index into `items`.
    func decide(_ items: [(time: Date, tags: [String])], calendar: Calendar) -> [[String]] {
        var reasons = [[String]](repeating: [], count: items.count)
        let order = items.indices.sorted { items[$0].time > items[$1].time }
        if let n = keepLast, n > 0 {
            for i in order.prefix(n) { reasons[i].append("last \(n)") }
        }
        for period in Period.allCases {
            let n = count(period)
            guard n > 0 else { continue }
            var seen: [Int]?
            var kept = 0
            for i in order {
                let b = Self.bucket(period, items[i].time, calendar)
                guard b != seen else { continue }
                seen = b
                reasons[i].append("\(period.rawValue) \(kept + 1) of \(n)")
                kept += 1
                if kept == n { break }
            }
        }
        if let within = keepWithin, within > 0, let newest = order.first.map({ items[$0].time }) {
            for i in order where newest.timeIntervalSince(items[i].time) <= within {
                reasons[i].append("within \(PlanStatus.describe(within)) of the newest")
            }
        }
        if !keepTags.isEmpty {
            for i in order {
                let tags = items[i].tags.filter(keepTags.contains)
                if !tags.isEmpty { reasons[i].append("tagged " + tags.joined(separator: ", ")) }
            }
        }
        return reasons
    }
}

/// What forget decided for one group of snapshots (one computer, one set of paths).
public struct ForgetGroup: Sendable {
    public var hostname: String
    public var paths: [String]
    /// The snapshots kept, newest first, each with the rules that keep it.
    public var kept: [(snapshot: Snapshot, reasons: [String])]
    /// The snapshots forgotten (or, with a dry run, that would be), newest first.
    public var forgotten: [Snapshot]
}

extension RetentionPolicy {
    /// Applies the policy to `snapshots`, grouped by computer and paths; groups in the order of their newest snapshot.
    /// Periods are in local time.
    public func apply(to snapshots: [Snapshot]) -> [ForgetGroup] { apply(to: snapshots, calendar: .current) }

    /// ``apply(to:)`` with periods in `calendar`'s time zone.
    func apply(to snapshots: [Snapshot], calendar: Calendar) -> [ForgetGroup] {
        var groups: [String: [Snapshot]] = [:]
        for s in snapshots {
            groups[s.hostname + "\u{0}" + s.paths.sorted().joined(separator: "\u{0}"), default: []].append(s)
        }
        var out: [(newest: Date, group: ForgetGroup)] = []
        for members in groups.values {
            let sorted = members.sorted { ($0.time, $0.id) > ($1.time, $1.id) }
            let reasons = decide(sorted.map { ($0.time, $0.tags) }, calendar: calendar)
            var group = ForgetGroup(hostname: sorted[0].hostname, paths: sorted[0].paths.sorted(), kept: [], forgotten: [])
            for (s, r) in zip(sorted, reasons) {
                if r.isEmpty { group.forgotten.append(s) } else { group.kept.append((s, r)) }
            }
            out.append((sorted[0].time, group))
        }
        return out.sorted { $0.newest > $1.newest }.map(\.group)
    }
}
