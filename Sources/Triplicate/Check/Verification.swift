// Verification: when each pack of one copy was last read whole and found intact (FORMAT.md §9.2), so that a daily
// check can read a share of the data, least recently verified first, and status can say how much was verified lately.
@_spi(Benchmarks) internal import TriplicateCore
internal import Foundation

/// Which packs a check reads whole.
public enum DataSubset: Sendable, Equatable, CustomStringConvertible {
    /// The packs verified least recently (never first), until this fraction (0 < f ≤ 1) of the data is read.
    case share(Double)
    /// Part `n` of `t` (1 ≤ n ≤ t): the packs whose ID's first byte modulo `t` is `n − 1`, as restic's `n/t`.
    case part(Int, of: Int)

    /// Parses `10%`, `2.5%` or `3/7`; nil for anything else (a share above 100 % or not above 0, a part out of range).
    public init?(_ text: String) {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.hasSuffix("%"), let p = Double(t.dropLast()), p > 0, p <= 100, p.isFinite {
            self = .share(p / 100)
        } else if let slash = t.firstIndex(of: "/"), let n = Int(t[..<slash]), let total = Int(t[t.index(after: slash)...]),
                  total >= 1, total <= 256, n >= 1, n <= total {
            self = .part(n, of: total)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .share(let f): String(format: "%g%%", f * 100)
        case .part(let n, let t): "\(n)/\(t)"
        }
    }

    /// The packs of `sizes` to read, given when each was last verified.
    func select(_ sizes: [ObjectID: Int64], verified: [ObjectID: Date]) -> Set<ObjectID> {
        switch self {
        case .part(let n, let t):
            return Set(sizes.keys.filter { Int($0.bytes[0]) % t == n - 1 })
        case .share(let f):
            let total = sizes.values.reduce(Int64(0)) { $0.saturatingAdd(max($1, 0)) }
            let goal = Int64((Double(total) * f).rounded(.up))
            let order = sizes.keys.sorted { (verified[$0] ?? .distantPast, $0) < (verified[$1] ?? .distantPast, $1) }
            var chosen = Set<ObjectID>()
            var bytes: Int64 = 0
            for id in order where bytes < goal || chosen.isEmpty {
                chosen.insert(id)
                bytes = bytes.saturatingAdd(max(sizes[id] ?? 0, 0))
            }
            return chosen
        }
    }
}

/// What the verification records of one copy say.
struct VerificationState: Sendable {
    /// When each pack was last verified.
    var latest: [ObjectID: Date] = [:]
    /// The records read (to be folded into the next one).
    var records: [String] = []
    /// Records that could not be read, with the reason; they are ignored (a pack they name counts as not verified).
    var problems: [String] = []

    /// The share of the bytes of `sizes` verified at or after `since` (nil when there are no packs).
    func share(of sizes: [ObjectID: Int64], since: Date) -> Double? {
        let total = sizes.values.reduce(Int64(0)) { $0.saturatingAdd(max($1, 0)) }
        guard total > 0 else { return nil }
        let recent = sizes.reduce(Int64(0)) { sum, e in (latest[e.key].map { $0 >= since } ?? false) ? sum.saturatingAdd(max(e.value, 0)) : sum }
        return Double(recent) / Double(total)
    }
}

extension Repository {
    /// How far back ``CheckReport/verifiedRecently`` and a plan's status look.
    public static let verificationWindow: Double = 30 * 86_400

    /// Reads the verification records of this copy (a plan's repository has none of its own: each copy keeps its own).
    func loadVerification() async throws(TriplicateError) -> VerificationState {
        var state = VerificationState()
        for info in try await list(Layout.verified, what: "verification records") {
            guard let id = Layout.id(of: info.name), info.name == Layout.verificationRecord(id) else { continue }
            do throws(TriplicateError) {
                let payload = try await openSealed(info.name, id: id, kind: .verified, size: info.size)
                let record: VerificationRecord
                do { record = try VerificationRecord.decode(payload, context: info.name) } catch {
                    throw TriplicateError.corrupt(error, file: info.name)
                }
                for e in record.packs {
                    guard let (pack, time) = e.parsed else { continue }
                    if state.latest[pack].map({ $0 < time }) ?? true { state.latest[pack] = time }
                }
                state.records.append(info.name)
            } catch {
                if case .destination = error.kind { throw error }
                state.problems.append(error.message)
                // A damaged record is replaced by the next one, which holds what could be read of the others.
                state.records.append(info.name)
            }
        }
        return state
    }

    /// Records that `packs` were read intact now and that `bad` were found damaged (no longer verified): one new record
    /// holding everything `state` knew of the other packs still in `sizes` and these, written before the records it
    /// replaces are removed (an interruption leaves both, which the next check folds together). Returns the new state.
    func writeVerification(_ packs: [ObjectID], bad: Set<ObjectID>, state: VerificationState,
                           sizes: [ObjectID: Int64]) async throws(TriplicateError) -> VerificationState {
        var next = VerificationState()
        for (pack, time) in state.latest where sizes[pack] != nil && !bad.contains(pack) { next.latest[pack] = time }
        let now = Date()
        for p in packs where !bad.contains(p) { next.latest[p] = now }
        let forgotten = state.latest.keys.contains { bad.contains($0) }
        guard !packs.isEmpty || forgotten || !state.problems.isEmpty || state.records.count > 1 else { return state }
        let record = VerificationRecord(hostname: Host.currentName,
                                        packs: next.latest.map { VerificationRecord.Entry(pack: $0.key, time: $0.value) })
        let bytes: [UInt8]
        do { bytes = try SealedFile.seal(try record.encode(), kind: .verified, keys: keys) } catch {
            throw TriplicateError(.internalFailure, "cannot encode a verification record: \(error)")
        }
        let name = Layout.verificationRecord(SHA256.hash(bytes))
        try await put(name, bytes)
        next.records = [name]
        for old in state.records where old != name {
            do { try await destination.delete(old) } catch {
                if error.kind != .notFound { next.records.append(old) }
            }
        }
        return next
    }
}
