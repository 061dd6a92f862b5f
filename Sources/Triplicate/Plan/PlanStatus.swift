// PlanStatus: whether the 3-2-1 rule holds today: how current each copy is, whether any source file is in no backup
// yet, and how old the newest backup is. It never says "safe" when it is not.
@_spi(Benchmarks) internal import TriplicateCore
internal import Foundation

/// How one destination stands, as ``PlanSession/status()`` reports it.
public struct DestinationStatus: Sendable, Codable, Equatable {
    /// The destination's name in the plan.
    public var name: String
    /// Its medium and site, from the plan.
    public var media: Media
    public var site: Site
    /// Whether it could be reached now.
    public var reachable: Bool
    /// Why not, when it could not: the message, and its kind (a missing credential is not a drive in a drawer).
    public var problem: String?
    public var reason: UnreachableReason?
    /// Its snapshots (now, or when it was last seen if it is unreachable; nil if never seen).
    public var snapshots: Int?
    /// Its newest snapshot's ID and time.
    public var newestSnapshot: String?
    public var newestSnapshotTime: String?
    /// Snapshots held somewhere else that it lacks, and the bytes it would need to catch up (bytes only when
    /// reachable).
    public var snapshotsBehind: Int?
    public var bytesBehind: Int64?
    /// True when it holds the newest snapshot (and so all of its data).
    public var upToDate: Bool
    /// When `check` last verified it, whether with `--read-data`, and whether it passed.
    public var lastChecked: String?
    public var lastCheckReadData: Bool?
    public var lastCheckPassed: Bool?
    /// When it was last reached, for an unreachable destination.
    public var lastSeen: String?
    /// The share (0…1) of its packs' bytes read whole and found intact within the last 30 days
    /// (``Repository/verificationWindow``), by any computer's check of this copy; nil when not reachable or empty.
    public var verifiedRecently: Double?
    /// Bytes of repository files it holds, when it was reached now.
    public var bytes: Int64?
    /// For a bucket with object lock: the days every file is kept after it is written, and when the protection of its
    /// newest snapshot ends (nil when reachable without object lock, or not reachable).
    public var objectLockDays: Int?
    public var lockedUntil: String?
}

/// The verdict on the 3-2-1 rule.
public struct RuleVerdict: Sendable, Codable, Equatable {
    /// Up-to-date copies of the newest snapshot's data, counting the source files themselves.
    public var copies: Int
    /// Kinds of media among them (the source counts as the internal disk).
    public var mediaKinds: [Media]
    /// Whether one of them is off site.
    public var offsite: Bool
    /// Three copies, two kinds of media, one off site.
    public var holds: Bool
    /// The rule holds, every destination holds the newest snapshot, every source file is in it, and it is no older
    /// than the plan's `max-age`: nothing is at risk.
    public var allCurrent: Bool
    /// What is wrong, for a person.
    public var problems: [String]
    /// What to do about it, most urgent first, each once.
    public var remedies: [Remedy] = []

    /// Adds a problem, and what to do about it.
    mutating func add(_ problem: String, _ remedy: Remedy? = nil) {
        problems.append(problem)
        if let remedy, !remedies.contains(remedy) { remedies.append(remedy) }
    }
}

/// The whole of ``PlanSession/status()``.
public struct PlanStatus: Sendable, Codable, Equatable {
    /// The newest snapshot anywhere, and its time.
    public var newestSnapshot: String?
    public var newestSnapshotTime: String?
    /// How old the newest backup of the plan's sources from this computer is, in seconds (nil: none yet), and the
    /// plan's limit.
    public var newestBackupAge: Double?
    public var maxAge: Double
    /// Source files the newest backup of the plan's sources does not hold as they are now: new or changed since.
    public var unprotected: UnprotectedFiles?
    /// One entry per destination, in the plan's order.
    public var destinations: [DestinationStatus]
    /// The verdict.
    public var verdict: RuleVerdict
    /// "Am I safe?" in one sentence, for a person to glance at: `SAFE`, `AT RISK` or `NOT SAFE`, the newest backup's
    /// age, files in no backup yet, and the copy that is behind and why.
    public var headline: String = ""
    /// What earlier status calls saw of each copy (its size and verified share), oldest first, with this one last: the
    /// history a chart of the copies draws.
    public var history: [StatusSample] = []
}

/// What one status call saw of each reachable copy.
public struct StatusSample: Sendable, Codable, Equatable {
    /// When (ISO 8601, UTC).
    public var time: String
    /// Bytes of repository files each copy held, by destination name.
    public var bytes: [String: Int64]
    /// The share of each copy's data read and found intact within 30 days, by destination name (0…1).
    public var verified: [String: Double]
}

extension PlanStatus {
    /// A size for a person, in binary units as everywhere in Triplicate's messages: `976 B`, `2.9 MiB`, `1.4 TiB`.
    public static func describe(bytes n: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var v = Double(n)
        var i = 0
        while abs(v) >= 1024, i < units.count - 1 {
            v /= 1024
            i += 1
        }
        return i == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[i])
    }

    /// A duration for a person, in its largest whole unit: `3 days`, `5 hours`, `12 minutes`, `40 seconds`.
    public static func describe(_ seconds: Double) -> String {
        let (value, unit): (Double, String) = seconds >= 2 * 86400 ? (seconds / 86400, "day") : seconds >= 2 * 3600 ? (seconds / 3600, "hour")
            : seconds >= 120 ? (seconds / 60, "minute") : (max(seconds, 0), "second")
        let n = Int(min(value.rounded(.down), 1e15))
        return "\(n) \(unit)\(n == 1 ? "" : "s")"
    }
}

extension PlanSession {
    /// How every destination stands and whether the 3-2-1 rule holds: the newest snapshot anywhere, and for each
    /// destination whether it holds it, how far it lags (snapshots, bytes) and when it was last checked. An
    /// unreachable destination is described as it was last seen and never counts as up to date.
    ///
    /// It also walks the plan's sources with the rule a backup uses to skip unchanged files (metadata only, no file
    /// content read) and counts the files the newest backup of them does not hold as they are now; any such file, or a
    /// newest backup older than the plan's `max-age`, puts the photos at risk.
    public func status() async throws(TriplicateError) -> PlanStatus {
        try await followingTaskCancellation { cancellation throws(TriplicateError) in
            try await status(cancellation: cancellation)
        }
    }

    /// ``status`` with the flag that stops it.
    func status(cancellation: Cancellation?) async throws(TriplicateError) -> PlanStatus {
        var places = try await survey()
        try await unlock(&places)
        let state = loadState(places)
        // What a copy still holds that the others removed (forget, key remove while it was out of reach) is not
        // something the others lack: its next catch-up removes it (FORMAT.md §9.3).
        let removed = await removals(in: places).names
        for i in places.indices { for name in places[i].objects.keys where removed[name] != nil { places[i].objects[name] = nil } }
        let (union, conflicts) = Self.union(places)
        // The newest snapshot: the latest time among the snapshots of every reachable destination.
        var newest: (id: String, time: Date, text: String)?
        var snapshotIDs = Set(union.keys.filter { $0.hasPrefix(Layout.snapshots) }.map { String($0.dropFirst(Layout.snapshots.count)) })
        for p in places {
            if let seen = state?.destinations[p.target.name]?.snapshots, !p.reachable { snapshotIDs.formUnion(seen) }
        }
        // Each snapshot's time, compared as a date (its text is what status shows).
        var times: [String: (date: Date, text: String)] = [:]
        var records: [String: (Snapshot, Place)] = [:]
        let readers = places.filter { $0.reachable && $0.repository != nil }.sorted { $0.speedRank < $1.speedRank }
        if let first = readers.first, let repo = first.repository {
            for s in try await repo.snapshotListing().snapshots {
                times[s.id.hex] = (s.time, s.record.time)
                records[s.id.hex] = (s, first)
            }
        }
        for p in readers {
            for name in p.objects.keys where name.hasPrefix(Layout.snapshots) {
                let id = String(name.dropFirst(Layout.snapshots.count))
                if times[id] == nil, let oid = ObjectID(hex: id), let s = try? await p.repository?.loadSnapshot(oid, size: p.objects[name]) {
                    times[id] = (s.time, s.record.time)
                    records[id] = (s, p)
                }
            }
        }
        for (id, time) in times where newest.map({ (time.date, id) > ($0.time, $0.id) }) ?? true { newest = (id, time.date, time.text) }

        var statuses: [DestinationStatus] = []
        for p in places {
            let seen = state?.destinations[p.target.name]
            var s = DestinationStatus(name: p.target.name, media: p.target.media, site: p.target.site, reachable: p.reachable,
                                      problem: p.unreachable, reason: p.reason, upToDate: false)
            let held: Set<String>?
            if p.reachable {
                held = p.repository == nil ? [] : Set(p.objects.keys.filter { $0.hasPrefix(Layout.snapshots) }.map { String($0.dropFirst(Layout.snapshots.count)) })
                s.bytesBehind = union.filter { p.objects[$0.key] == nil }.values.reduce(Int64(0)) { $0.saturatingAdd(max($1, 0)) }
                if p.repository != nil {
                    s.bytes = p.objects.filter { Layout.isRepositoryFile($0.key) }.values.reduce(Int64(0)) { $0.saturatingAdd(max($1, 0)) }
                }
                if let repo = p.repository, let verification = try? await repo.loadVerification() {
                    var sizes: [ObjectID: Int64] = [:]
                    for (name, size) in p.objects where name.hasPrefix(Layout.data) {
                        if let id = Layout.id(of: name), Layout.pack(id) == name { sizes[id] = size }
                    }
                    s.verifiedRecently = verification.share(of: sizes, since: Date().addingTimeInterval(-Repository.verificationWindow))
                }
                if p.target.location.scheme == "b2" || p.target.location.scheme == "s3",
                   let lock = try? await p.destination.retention() {
                    s.objectLockDays = lock.days
                    if let until = (try? await p.destination.retainedUntil(prefix: Layout.snapshots))?.values.max() {
                        s.lockedUntil = SnapshotRecord.format(until)
                    }
                }
            } else {
                held = seen?.snapshots.map(Set.init)
                s.lastSeen = seen?.lastSeen
            }
            if let held {
                s.snapshots = held.count
                s.snapshotsBehind = snapshotIDs.subtracting(held).count
                if let last = held.compactMap({ id in times[id].map { (id, $0) } }).max(by: { ($0.1.date, $0.0) < ($1.1.date, $1.0) }) {
                    s.newestSnapshot = String(last.0.prefix(8))
                    s.newestSnapshotTime = last.1.text
                }
                // Current: reachable, holding the newest snapshot and every other one seen anywhere, and not failing its
                // last check. With no snapshot anywhere yet, nothing is backed up and no copy is current.
                s.upToDate = p.reachable && p.repository != nil && newest.map { held.contains($0.id) } == true
                    && s.snapshotsBehind == 0 && seen?.lastCheckPassed != false
            }
            s.lastChecked = seen?.lastChecked
            s.lastCheckReadData = seen?.lastCheckReadData
            s.lastCheckPassed = seen?.lastCheckPassed
            statuses.append(s)
        }

        // The sources against their newest backup from this computer (the snapshot a backup would take as its parent).
        var unprotected: UnprotectedFiles?
        var age: Double?
        if !plan.sources.isEmpty {
            let paths = plan.sources.map { Repository.absolute($0.path) }.sorted()
            let host = Host.currentName
            let parent = records.values.filter { $0.0.hostname == host && $0.0.paths.sorted() == paths }
                .max { ($0.0.time, $0.0.id) < ($1.0.time, $1.0.id) }
            var matcher = ExcludeMatcher(patterns: plan.sources.flatMap(\.excludes))
            // The copies inside a source, as a backup leaves them out.
            let roots = places.flatMap(\.destination.localFolders)
            matcher.folders = Set(Repository.repositoryFolders(roots, under: plan.sources.map { Repository.absolute($0.path) }).inside)
            if let (snapshot, place) = parent, let repo = place.repository {
                age = Date().timeIntervalSince(snapshot.time)
                unprotected = try await repo.unprotectedFiles(paths: plan.sources.map(\.path), excludes: matcher, snapshot: snapshot,
                                                              cancellation: cancellation)
            } else if let repo = readers.first?.repository {
                unprotected = try await repo.unprotectedFiles(paths: plan.sources.map(\.path), excludes: matcher, snapshot: nil,
                                                              cancellation: cancellation)
            }
        }
        var verdict = Self.verdict(statuses)
        if let u = unprotected, u.files > 0 {
            verdict.allCurrent = false
            let since = u.comparedWith.map { "since the newest backup (\($0.prefix(8)))" } ?? "(nothing is backed up from this computer yet)"
            verdict.add("\(u.files) source file\(u.files == 1 ? " is" : "s are") new or changed \(since) and in no backup yet (\(PlanStatus.describe(bytes: u.bytes)))", .backup)
        }
        for source in unprotected?.missingSources ?? [] {
            verdict.allCurrent = false
            verdict.add("the source \(source) is not there (is its disk connected?): it cannot be backed up")
        }
        if let age, age > plan.maxAge {
            verdict.allCurrent = false
            verdict.add("the newest backup is \(Self.duration(age)) old, more than the plan's max-age of \(Self.duration(plan.maxAge))", .backup)
        }
        for name in conflicts {
            verdict.allCurrent = false
            verdict.add("\(name) differs between the copies: a check that reads the data finds the damaged one and heals it", .check(readData: true))
        }
        var status = PlanStatus(newestSnapshot: newest.map { String($0.id.prefix(8)) }, newestSnapshotTime: newest?.text,
                                newestBackupAge: age, maxAge: plan.maxAge, unprotected: unprotected, destinations: statuses, verdict: verdict)
        status.headline = Self.headline(status)
        status.history = recordSample(status, places)
        return status
    }

    /// "Am I safe?" first: the verdict's word, then the facts that matter most, in one sentence.
    static func headline(_ s: PlanStatus) -> String {
        let v = s.verdict
        var facts: [String] = []
        if let age = s.newestBackupAge { facts.append("the newest backup is \(PlanStatus.describe(age)) old") } else { facts.append("nothing from this computer is backed up yet") }
        if let u = s.unprotected {
            if u.files > 0 { facts.append("\(u.files) new or changed file\(u.files == 1 ? " is" : "s are") in no backup yet") }
            for m in u.missingSources { facts.append("the source \(m) is not there") }
        }
        for d in s.destinations where !d.upToDate {
            if !d.reachable {
                facts.append("\(d.name) is out of reach (\(d.reason?.summary ?? "not reachable"))" + ((d.snapshotsBehind ?? 0) > 0 ? ", \(d.snapshotsBehind ?? 0) behind" : ""))
            } else if d.lastCheckPassed == false {
                facts.append("\(d.name) failed its last check")
            } else if (d.snapshotsBehind ?? 0) > 0 {
                facts.append("\(d.name) is \(d.snapshotsBehind ?? 0) snapshot\(d.snapshotsBehind == 1 ? "" : "s") behind")
            }
        }
        let up = s.destinations.filter(\.upToDate).map(\.name)
        if v.allCurrent { return "SAFE: \(facts.joined(separator: "; ")), and every copy (\(up.joined(separator: ", "))) holds it" }
        if v.holds { return "AT RISK: " + facts.joined(separator: "; ") }
        return "NOT SAFE: " + (facts + v.problems.prefix(1)).joined(separator: "; ")
    }

    /// Adds what this status saw of each copy to the plan's state (one sample per 10 minutes at most, the last 500
    /// kept) and returns the history.
    func recordSample(_ s: PlanStatus, _ places: [Place]) -> [StatusSample] {
        var state = loadState(places) ?? PlanState()
        var sample = StatusSample(time: PlanState.now(), bytes: [:], verified: [:])
        for d in s.destinations {
            if let b = d.bytes { sample.bytes[d.name] = b }
            if let v = d.verifiedRecently { sample.verified[d.name] = v }
        }
        var history = state.history ?? []
        if let last = history.last, let then = ISOTime.parse(last.time), Date().timeIntervalSince(then) < 600 { history.removeLast() }
        history.append(sample)
        state.history = Array(history.suffix(500))
        try? saveState(state, places)
        return state.history ?? [sample]
    }

    static func duration(_ seconds: Double) -> String { PlanStatus.describe(seconds) }

    /// The 3-2-1 verdict over destinations' statuses, counting the source as one copy on the internal disk.
    static func verdict(_ statuses: [DestinationStatus]) -> RuleVerdict {
        let current = statuses.filter(\.upToDate)
        let nothingYet = statuses.allSatisfy { $0.newestSnapshot == nil && ($0.snapshotsBehind ?? 0) == 0 }
        let copies = 1 + current.count
        let media = Set([Media.internalDisk] + current.map(\.media))
        let offsite = current.contains { $0.site == .offsite }
        let holds = copies >= 3 && media.count >= 2 && offsite
        var verdict = RuleVerdict(copies: copies, mediaKinds: Media.allCases.filter(media.contains), offsite: offsite, holds: holds,
                                  allCurrent: holds && current.count == statuses.count, problems: [])
        if copies < 3 { verdict.add("only \(copies) up-to-date copies counting the source (3 needed)") }
        if media.count < 2 { verdict.add("all up-to-date copies are on one kind of medium (2 needed)") }
        if !offsite { verdict.add("no up-to-date copy is off site") }
        if nothingYet { verdict.add("nothing is backed up yet", .backup) }
        for s in statuses where !s.upToDate && !nothingYet {
            if s.lastCheckPassed == false {
                verdict.add("\(s.name) failed its last check: a check that reads the data says what is wrong, and heals what it can", .check(readData: true))
            } else if !s.reachable {
                let why = s.reason.map { " (\($0.summary))" } ?? ""
                verdict.add("\(s.name) could not be reached\(why)" + (s.snapshotsBehind.map { $0 > 0 ? " and was \($0) snapshot\($0 == 1 ? "" : "s") behind when last seen" : "" } ?? ""))
            } else {
                verdict.add("\(s.name) is \(s.snapshotsBehind ?? 0) snapshot\(s.snapshotsBehind == 1 ? "" : "s") behind", .sync)
            }
        }
        return verdict
    }
}
