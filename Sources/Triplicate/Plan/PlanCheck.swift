// PlanCheck: checks every copy of a plan and heals each damaged or missing file from another copy that holds it intact.
@_spi(Benchmarks) internal import TriplicateCore
internal import Foundation

/// One destination's `check`, as ``PlanSession/check(readData:heal:progress:)`` reports it.
public struct DestinationCheck: Sendable {
    /// The destination's name.
    public var name: String
    /// The report, when it was reachable (after healing: what is still wrong).
    public var report: CheckReport?
    /// Why it was not checked.
    public var problem: String?
    /// Its files that were damaged or missing and were replaced by the intact file of the same name from another copy,
    /// then verified.
    public var healed: [HealedFile] = []

    /// A destination that was checked.
    init(name: String, report: CheckReport) {
        self.name = name
        self.report = report
    }

    /// A destination that was not checked, and why.
    init(name: String, problem: String) {
        self.name = name
        self.problem = problem
    }
}

extension PlanSession {
    /// Checks every reachable destination (with `readData`, every byte) and records when, for ``status()``.
    ///
    /// With `heal`, a file that a copy's check finds damaged or missing (a pack, an index file, a snapshot, a key file,
    /// a damage record) is replaced by the file of the same name from another copy, streamed and checked against its
    /// name (its SHA-256) before it is written and read back and checked again after: ``DestinationCheck/healed`` says
    /// which file, on which copy, from which copy. The healed copy's check then counts as passed. Damage that no copy
    /// can heal is recorded in the repository (the same record on every copy, FORMAT.md §9.1), so that later backups
    /// store that data again. Without `heal`, it only reports (and records nothing).
    public func check(readData: Bool = false, heal: Bool = true, progress: ProgressHandler? = nil) async throws(TriplicateError) -> [DestinationCheck] {
        try await followingTaskCancellation { cancellation throws(TriplicateError) in
            try await check(readData: readData, heal: heal, cancellation: cancellation, progress: progress)
        }
    }

    /// ``check`` with the flag that stops it.
    func check(readData: Bool = false, heal: Bool = true, cancellation: Cancellation?,
                      progress: ProgressHandler? = nil) async throws(TriplicateError) -> [DestinationCheck] {
        var places = try await survey()
        try await unlock(&places)
        return try await check(places, readData: readData, subset: nil, heal: heal, cancellation: cancellation, progress: progress, packProgress: nil)
    }

    /// ``check(readData:heal:progress:)`` of the copies as a survey found them (and unlocked), with each
    /// copy's pack progress (packs read, packs to read).
    func check(_ places: [Place], readData: Bool, subset: DataSubset?, heal: Bool, cancellation: Cancellation?, progress: ProgressHandler? = nil,
               packProgress: ProgressHandler?) async throws(TriplicateError) -> [DestinationCheck] {
        var places = places
        var results: [DestinationCheck] = []
        for p in places {
            guard let repo = p.repository, p.reachable else {
                results.append(DestinationCheck(name: p.target.name, problem: p.unreachable ?? "holds no repository yet"))
                continue
            }
            progress?(ProgressEvent(.check, destination: p.target.name, message: "checking"))
            do {
                // Damage is recorded below, the same record on every copy; what was verified, by each copy's own check.
                let report = try await repo.check(readData: readData, subset: subset, record: false, recordVerification: true,
                                                  cancellation: cancellation, progress: packProgress)
                results.append(DestinationCheck(name: p.target.name, report: report))
            } catch {
                if error.kind == .cancelled { throw error }
                // One copy going away in the middle of its check does not stop the checks of the others.
                results.append(DestinationCheck(name: p.target.name, problem: "its check stopped: \(error.message)"))
            }
        }

        if heal {
            let log = HealLog()
            for i in places.indices {
                guard let report = results[i].report else { continue }
                let missing = Set(report.missingFiles)
                for name in Set(report.damagedFiles).union(missing).sorted() {
                    if cancellation?.isCancelled == true { throw TriplicateError(.cancelled, "check interrupted; what was healed so far is in place") }
                    let problem = missing.contains(name) ? "missing although an index file names it" : "damaged"
                    do {
                        if let from = try await self.heal(name, on: places[i], from: places, problem: problem, log: log) {
                            progress?(ProgressEvent(.check, destination: places[i].target.name, message: "\(name) was \(problem); restored from \(from) and verified"))
                            places[i].objects[name] = places.first { $0.target.name == from }?.objects[name]
                        }
                    } catch {
                        if error.kind == .cancelled { throw error }
                        progress?(ProgressEvent(.check, destination: places[i].target.name, message: "\(name) could not be healed (\(error.message))"))
                    }
                }
            }
            let healed = log.all
            for i in results.indices {
                results[i].healed = healed.filter { $0.destination == results[i].name }
                guard !results[i].healed.isEmpty, let first = results[i].report, let repo = places[i].repository else { continue }
                // The healed files were verified by their names; the structure is checked again around them, and what the
                // first check read that was not healed stays reported.
                let names = Set(results[i].healed.map(\.file))
                var again: CheckReport
                do { again = try await repo.check(readData: false, record: false, cancellation: cancellation) } catch {
                    if error.kind == .cancelled { throw error }
                    results[i].problem = "its check after healing stopped: \(error.message)"
                    continue
                }
                again.packsRead = first.packsRead
                for name in first.damagedFiles where !names.contains(name) && !again.damagedFiles.contains(name) {
                    again.errors += first.errors.filter { $0.contains(name) }
                    again.damagedFiles.append(name)
                    if first.damagedPacks.contains(name) {
                        again.damagedPacks.append(name)
                        again.affectedFiles[name] = first.affectedFiles[name]
                    }
                }
                again.foundDamage = first.foundDamage.filter { p in !names.contains(p.packID.map(Layout.pack) ?? "") }
                results[i].report = again
            }
        }

        // What no copy could heal is recorded, with the same bytes on every copy.
        var unhealed: [ObjectID: (blobs: Set<String>, problem: String)] = [:]
        for r in results {
            for p in r.report?.foundDamage ?? [] {
                guard let pack = p.packID else { continue }
                unhealed[pack, default: ([], p.problem)].blobs.formUnion(p.blobs)
            }
        }
        if heal, !unhealed.isEmpty {
            let packs = unhealed.map { DamageRecord.Pack(pack: $0.key, blobs: $0.value.blobs.compactMap { ObjectID(hex: $0) }, problem: $0.value.problem) }
            if let name = await recordEverywhere(packs, found: readData ? "check --plan --read-data" : "check --plan", places: places) {
                for i in results.indices where results[i].report != nil {
                    results[i].report?.damageRecorded = name
                    results[i].report?.notes.append("the damage no copy could heal is recorded in \(name): later backups store that data again")
                }
            }
        }

        var state = loadState(places) ?? PlanState()
        for r in results {
            guard let report = r.report else { continue }
            state.destinations[r.name, default: PlanState.Seen()].lastChecked = PlanState.now()
            state.destinations[r.name, default: PlanState.Seen()].lastCheckReadData = readData
            state.destinations[r.name, default: PlanState.Seen()].lastCheckPassed = report.isHealthy
        }
        try? saveState(state, places)
        try? recordSeen(places)
        return results
    }
}
