// Check: verifies a repository's structure and, on request, every byte of every pack.
@_spi(Benchmarks) internal import TriplicateCore
internal import Foundation

/// What `check` found.
public struct CheckReport: Sendable {
    /// Problems that lose data or make a snapshot unrestorable: each names the file and what depends on it.
    public var errors: [String] = []
    /// Harmless findings: leftovers of interrupted backups, unreferenced blobs, damage already recorded that nothing
    /// needs any more.
    public var notes: [String] = []
    /// Packs that are damaged or missing.
    public var damagedPacks: [String] = []
    /// For each damaged pack, the snapshot files that have data in it (`snapshot-short:/path`).
    public var affectedFiles: [String: [String]] = [:]
    /// Repository files (packs, index files, snapshots, key files, damage records) whose bytes are wrong: each can be
    /// replaced by the file of the same name from another copy of the repository (a plan's check does).
    public var damagedFiles: [String] = []
    /// Packs that an index file names but that are not there.
    public var missingFiles: [String] = []
    /// The damage record this check wrote for what it found (nil: nothing new, or not asked to record).
    public var damageRecorded: String?
    /// The blobs this check found damaged, by pack (recorded when asked to, or by a plan's check for what it cannot
    /// heal).
    var foundDamage: [DamageRecord.Pack] = []
    /// Figures.
    public var snapshots = 0, packs = 0, indexFiles = 0, blobs = 0, packsRead = 0
    /// The share (0…1) of the packs' bytes read whole and found intact within ``Repository/verificationWindow`` (30
    /// days), after this check; nil when there are no packs. For a plan's repository, the least of the copies'.
    public var verifiedRecently: Double?
    /// For a plan's repository: each destination's own check, in the plan's order, after healing. The fields above then
    /// sum them up: every copy's errors (named), and a destination that could not be checked is one.
    public var copies: [DestinationCheck] = []
    /// True when no error was found.
    public var isHealthy: Bool { errors.isEmpty }
}

extension CheckReport {
    /// The report of a plan's check: each copy's, and their errors and figures together.
    init(summing copies: [DestinationCheck]) {
        self.copies = copies
        for c in copies {
            guard let r = c.report else {
                errors.append("\(c.name) was not checked: \(c.problem ?? "not reachable")")
                continue
            }
            errors += r.errors.map { "\(c.name): \($0)" }
            notes += r.notes.map { "\(c.name): \($0)" }
            damageRecorded = damageRecorded ?? r.damageRecorded
            snapshots = max(snapshots, r.snapshots)
            packs = max(packs, r.packs)
            indexFiles = max(indexFiles, r.indexFiles)
            blobs = max(blobs, r.blobs)
            packsRead += r.packsRead
            if let v = r.verifiedRecently { verifiedRecently = min(verifiedRecently ?? v, v) }
        }
    }
}

/// The deepest nesting of folders a command follows (FORMAT.md §10.4): a path of the backed-up file system cannot be
/// deeper than PATH_MAX (4,096 bytes) allows, so anything deeper was written by hand.
let maxTreeDepth = 4096

extension Repository {
    /// Checks the repository: config and keys (already proved by opening it; key files are also compared with their
    /// names), every index file against the packs present, every snapshot's trees and chunks present in the index;
    /// with `readData`, every pack is read whole, its name compared with its SHA-256, its table and every blob
    /// authenticated and every blob re-hashed. Damaged packs are named together with the files that depend on them.
    ///
    /// Work is linear in the number of distinct listings: a listing shared by many folders or snapshots is verified
    /// once. Blobs found damaged are recorded in the repository (FORMAT.md §9.1) when `record` is true, so that later
    /// backups store that data again.
    ///
    /// `progress` is called with (packs read, packs to read) after each pack `readData` reads.
    ///
    /// A plan's repository (``PlanSession/openRepository(from:)``) checks every copy, and with `heal` replaces a file
    /// damaged or missing on one copy by the intact file of the same name from another
    /// (``PlanSession/check(readData:heal:progress:)``); ``CheckReport/copies`` has each copy's report.
    public func check(readData: Bool = false, record: Bool = true, heal: Bool = true, progress: ProgressHandler? = nil) async throws(TriplicateError) -> CheckReport {
        try await followingTaskCancellation { cancellation throws(TriplicateError) in
            try await check(readData: readData, record: record, heal: heal, cancellation: cancellation, progress: progress)
        }
    }

    /// Checks the repository as ``check(readData:record:heal:progress:)`` does, reading whole only the packs `subset`
    /// selects: with ``DataSubset/share(_:)``, those verified least recently first, so that a check of a few percent
    /// each day reads every pack within weeks. When each pack was read intact is recorded in the copy it was read from
    /// (FORMAT.md §9.2); ``CheckReport/verifiedRecently`` is the share of the data verified within
    /// ``verificationWindow``.
    public func check(readDataSubset subset: DataSubset, record: Bool = true, heal: Bool = true,
                      progress: ProgressHandler? = nil) async throws(TriplicateError) -> CheckReport {
        try await followingTaskCancellation { cancellation throws(TriplicateError) in
            try await check(readData: true, subset: subset, record: record, heal: heal, cancellation: cancellation, progress: progress)
        }
    }

    /// ``check`` with the flag that stops it.
    func check(readData: Bool = false, subset: DataSubset? = nil, record: Bool = true, recordVerification: Bool = true,
               heal: Bool = true, cancellation: Cancellation?, progress: ProgressHandler? = nil) async throws(TriplicateError) -> CheckReport {
        if let run = replicas?.run {
            let copies = try await run.session.check(run.places, readData: readData, subset: subset, heal: heal, cancellation: cancellation,
                                                     packProgress: progress)
            return CheckReport(summing: copies)
        }
        // A shared lock, so that no prune deletes a pack while it is checked (done without on a read-only copy).
        return try await withLock(.shared, operation: "check", optional: true) { _ throws(TriplicateError) in
            try await checkHoldingLock(readData: readData, subset: subset, record: record, recordVerification: recordVerification,
                                       heal: heal, cancellation: cancellation, progress: progress)
        }
    }

    private func checkHoldingLock(readData: Bool, subset: DataSubset?, record: Bool, recordVerification: Bool,
                                  heal: Bool, cancellation: Cancellation?, progress: ProgressHandler?) async throws(TriplicateError) -> CheckReport {
        var report = CheckReport()
        // Snapshots are listed first, then index files, then packs: a snapshot is written after the index files it
        // needs, and an index file after its packs, so a backup committing meanwhile never looks incomplete.
        let snapshotInfos = try await list(Layout.snapshots, what: "snapshots")
        let indexInfos = try await list(Layout.index, what: "index files")
        var packSizes: [ObjectID: Int64] = [:]
        for info in try await list(Layout.data, what: "packs") {
            guard let id = Layout.id(of: info.name), info.name == Layout.pack(id) else {
                report.notes.append("\(info.name): not a pack name; ignored")
                continue
            }
            packSizes[id] = max(info.size, 0)
        }
        report.packs = packSizes.count
        try await checkKeyFiles(into: &report)
        let damage = try await loadDamage()
        for (name, problem) in damage.problems {
            report.errors.append(problem)
            report.damagedFiles.append(name)
        }

        // The index: entries of packs that are gone, cut short or recorded as damaged are kept aside (`lost`), so that
        // the files needing them can be named.
        var index = MasterIndex()
        var lost: [ObjectID: ObjectID] = [:]
        var damaged: [ObjectID: PackDamage] = [:]
        // Blobs stored in more than one pack: the other packs, so that damage to one copy of a blob is not blamed on
        // the files when another copy is intact.
        var alternatives: [ObjectID: [ObjectID]] = [:]
        func add(_ pack: ObjectID, _ entries: [PackEntry]) {
            for e in entries {
                if let loc = index.location(e.id), index.packID(loc.pack) != pack { alternatives[e.id, default: []].append(pack) }
            }
            index.add(pack: pack, entries: entries)
        }
        for info in indexInfos {
            guard let id = Layout.id(of: info.name), info.name == Layout.index(id) else {
                report.notes.append("\(info.name): not an index file name; ignored")
                continue
            }
            let file: IndexFile
            do { file = try await loadIndexFile(id, size: info.size) } catch {
                if case .destination = error.kind { throw error }
                report.errors.append("\(info.name): \(error.message)")
                report.damagedFiles.append(info.name)
                continue
            }
            report.indexFiles += 1
            for p in file.packs {
                let name = Layout.pack(p.id)
                guard let size = packSizes[p.id] else {
                    if damaged[p.id] == nil {
                        damaged[p.id] = PackDamage(problem: "\(name) is missing but the index names it")
                        report.missingFiles.append(name)
                    }
                    for e in p.entries { lost[e.id] = p.id }
                    continue
                }
                var usable: [PackEntry] = []
                var cut = Set<ObjectID>()
                for e in p.entries {
                    if !PackFormat.fits(e, packSize: size) {
                        cut.insert(e.id)
                        lost[e.id] = p.id
                    } else if damage.contains(pack: p.id, blob: e.id) {
                        lost[e.id] = p.id
                    } else {
                        usable.append(e)
                    }
                }
                if !cut.isEmpty {
                    damaged[p.id, default: PackDamage(problem: "\(name) is truncated to \(size) bytes; blobs the index places in it are cut off", blobs: [])].blobs?.formUnion(cut)
                    report.damagedFiles.append(name)
                }
                add(p.id, usable)
            }
        }
        // Packs no readable index file names: their tables stand in for the index (FORMAT.md §9), and the next backup
        // indexes them again.
        var unindexed = 0
        for (pack, size) in packSizes.sorted(by: { $0.key < $1.key }) where !index.hasPack(pack) && damaged[pack] == nil {
            if cancellation?.isCancelled == true { throw Self.interrupted }
            do {
                let entries = try await readPackTable(pack, size: size)
                for e in entries where damage.contains(pack: pack, blob: e.id) { lost[e.id] = pack }
                add(pack, damage.usable(entries, in: pack))
                unindexed += 1
            } catch {
                // A pack removed since the listing, or whose table cannot be read, is left out.
                if case .destination(let kind) = error.kind, kind != .permanent, kind != .notFound { throw error }
                report.notes.append("\(Layout.pack(pack)) (\(size) bytes) is in no index file and its table cannot be read (\(error.message)); nothing uses it")
            }
        }
        if unindexed > 0 {
            report.notes.append("\(unindexed) packs are in no index file (left by an interrupted backup, or their index file is gone): their tables were read instead; harmless, the next backup or a repair indexes them")
        }
        report.blobs = index.count

        let finder = DamageFinder()
        var verification = VerificationState()
        do { verification = try await loadVerification() } catch {
            if case .destination = error.kind { throw error }
            report.notes.append("the verification records cannot be read (\(error.message)); every pack counts as not verified")
        }
        for p in verification.problems { report.notes.append("a verification record is unreadable and is replaced: \(p)") }
        var read: [ObjectID]?
        if readData {
            let chosen = subset?.select(packSizes.filter { index.packs.contains($0.key) }, verified: verification.latest)
            read = try await verifyPacks(index: index, sizes: packSizes, skip: Set(damaged.keys), only: chosen, damage: damage, finder: finder,
                                         cancellation: cancellation, damaged: &damaged, report: &report, progress: progress)
        }

        // Walk every snapshot listed at the start: trees must decode and every blob must be in the index.
        let reader = try BlobReader(repository: self, index: index, finder: finder)
        var walker = CheckWalker(reader: reader, index: index, lost: lost, damaged: damaged, alternatives: alternatives,
                                 cancellation: cancellation)
        for info in snapshotInfos {
            guard let sid = Layout.id(of: info.name), info.name == Layout.snapshot(sid) else { continue }
            let snapshot: Snapshot
            do { snapshot = try await loadSnapshot(sid, size: info.size) } catch {
                if case .destination = error.kind { throw error }
                report.errors.append("\(info.name): \(error.message)")
                report.damagedFiles.append(info.name)
                continue
            }
            report.snapshots += 1
            guard let root = snapshot.record.treeID else { continue }
            walker.snapshot = sid
            try await walker.walk(tree: root, path: "", depth: 0)
        }
        report.errors.append(contentsOf: walker.errors)

        // Blobs found damaged while reading listings (not by --read-data) damage their packs too.
        for p in finder.packs {
            guard let pack = p.packID, damaged[pack] == nil else { continue }
            damaged[pack] = PackDamage(problem: "\(Layout.pack(pack)): \(p.problem)", blobs: Set(p.blobs.compactMap { ObjectID(hex: $0) }))
            report.damagedFiles.append(Layout.pack(pack))
        }
        // What was verified is recorded once the walk is done too: a pack it found damaged (one read intact by an
        // earlier check, whose listing fails now) is no longer verified.
        if let read, recordVerification {
            let bad = Set(finder.packs.compactMap(\.packID)).union(damaged.keys).union(damage.byPack.keys)
            do {
                verification = try await writeVerification(read, bad: bad, state: verification, sizes: packSizes)
            } catch {
                if error.kind == .cancelled { throw error }
                report.notes.append("what was verified could not be recorded in the repository (\(error.message))")
            }
        }
        report.verifiedRecently = verification.share(of: packSizes, since: Date().addingTimeInterval(-Self.verificationWindow))
        for (pack, damage) in damaged.sorted(by: { $0.key < $1.key }) {
            let files = walker.affected[pack] ?? []
            report.damagedPacks.append(Layout.pack(pack))
            report.affectedFiles[Layout.pack(pack)] = files
            var line = "damaged pack: \(damage.problem)"
            if files.isEmpty {
                line += "; no snapshot has data in its damaged part"
            } else {
                line += "; files affected: " + files.prefix(20).joined(separator: ", ") + (files.count > 20 ? " and \(files.count - 20) more" : "")
            }
            report.errors.append(line)
        }
        // Damage recorded earlier: an error while a snapshot still needs a blob that exists nowhere else, a note once
        // every such blob is stored again (or nothing needs it).
        for (pack, blobs) in damage.byPack.sorted(by: { $0.key < $1.key }) where damaged[pack] == nil && packSizes[pack] != nil {
            let files = walker.affected[pack] ?? []
            if files.isEmpty {
                report.notes.append("\(Layout.pack(pack)) holds \(blobs.count) blobs recorded as damaged; none is needed (each is stored again elsewhere or used by no snapshot). a repair re-packs the rest of it and removes it")
            } else {
                report.damagedPacks.append(Layout.pack(pack))
                report.affectedFiles[Layout.pack(pack)] = files
                report.errors.append("damaged pack: \(Layout.pack(pack)) holds data recorded as damaged that no other pack holds; files affected: "
                    + files.prefix(20).joined(separator: ", ") + (files.count > 20 ? " and \(files.count - 20) more" : "")
                    + ". Back up those files again if you still have them: the backup stores their data anew")
            }
        }
        var unused = 0, unusedBytes: Int64 = 0
        index.forEachLocation { loc in
            if !walker.used.contains(loc.entry.id) {
                unused += 1
                unusedBytes += Int64(loc.entry.storedLength)
            }
        }
        if unused > 0 {
            report.notes.append("\(unused) blobs (\(unusedBytes) bytes) are used by no snapshot: left by an interrupted backup or a removed snapshot; harmless")
        }
        report.foundDamage = finder.packs
        if record, !finder.isEmpty {
            do {
                report.damageRecorded = try await recordDamage(finder.packs, found: readData ? "check --read-data" : "check", known: damage)
            } catch {
                report.notes.append("the damage found could not be recorded in the repository (\(error.message)); later backups may still point at it until it is")
            }
            if let name = report.damageRecorded {
                report.notes.append("the damage found is recorded in \(name): later backups store that data again instead of pointing at it")
            }
        }
        report.damagedFiles = Array(Set(report.damagedFiles)).sorted()
        report.missingFiles.sort()
        return report
    }

    static let interrupted = TriplicateError(.cancelled, "check interrupted; nothing was changed")

    /// Compares every key file with its name (each is named by the SHA-256 of its bytes).
    private func checkKeyFiles(into report: inout CheckReport) async throws(TriplicateError) {
        for info in try await list(Layout.keys, what: "key files") {
            guard let id = Layout.id(of: info.name), info.name == Layout.key(id) else {
                report.notes.append("\(info.name): not a key file name; ignored")
                continue
            }
            guard info.size <= Layout.maxSmallFile else {
                report.errors.append("\(info.name) is damaged: \(info.size) bytes is not a key file")
                report.damagedFiles.append(info.name)
                continue
            }
            let bytes: [UInt8]
            do { bytes = try await destination.get(info.name) } catch {
                if error.kind == .notFound { continue }
                if error.kind == .permanent {
                    report.errors.append("\(info.name) cannot be read (\(error))")
                    report.damagedFiles.append(info.name)
                    continue
                }
                throw TriplicateError(error, doing: "cannot read \(info.name)")
            }
            if SHA256.hash(bytes) != id {
                report.errors.append("\(info.name) is damaged: its content does not match its name (the password it holds may no longer open the repository)")
                report.damagedFiles.append(info.name)
            }
        }
    }

    /// Reads every pack the index names (and that is not already known to be damaged), one per core at a time.
    /// Returns the packs read (only those `only` names, when given).
    private func verifyPacks(index: MasterIndex, sizes: [ObjectID: Int64], skip: Set<ObjectID>, only: Set<ObjectID>?, damage: DamageSet,
                             finder: DamageFinder, cancellation: Cancellation?, damaged: inout [ObjectID: PackDamage],
                             report: inout CheckReport, progress: ProgressHandler?) async throws(TriplicateError) -> [ObjectID] {
        let byPack = index.entriesByPack()
        let todo = index.packs.sorted().filter { !skip.contains($0) && sizes[$0] != nil && (only?.contains($0) ?? true) }
        let parallel = max(1, ProcessInfo.processInfo.activeProcessorCount)
        var scanners: [PackScanner] = []
        for _ in 0..<min(parallel, max(todo.count, 1)) { scanners.append(try PackScanner(repository: self, index: index)) }
        var stop: TriplicateError?
        var results: [(ObjectID, PackScan)] = []
        var read = 0
        await forEachConcurrently(todo, workers: scanners, { pack, scanner in
            await scanner.scanned(pack, size: sizes[pack] ?? 0, expected: byPack[pack] ?? [], cancellation: cancellation)
        }, collect: { done in
            if let scan = done.scan { results.append((done.pack, scan)) }
            if let e = done.error, stop == nil { stop = e }
            read += 1
            progress?(ProgressEvent(.check, done: read, total: todo.count))
            return stop == nil
        })
        report.packsRead = read
        if let stop { throw stop }
        for (pack, scan) in results {
            let name = Layout.pack(pack)
            let recorded = damage.byPack[pack] ?? []
            let fresh = scan.bad.filter { !recorded.contains($0.key) }
            let inUse = Set((byPack[pack] ?? []).map(\.id))
            if !fresh.isEmpty {
                finder.found(pack: pack, blobs: fresh.keys, problem: "\(fresh.count) blobs fail to read, authenticate or re-hash (\(fresh.values.first ?? ""))")
            }
            if !recorded.isEmpty {
                // The pack's bytes are known to be wrong; only new damage to blobs still in use matters.
                guard fresh.contains(where: { inUse.contains($0.key) }) else { continue }
            }
            var problems: [String] = []
            if let r = scan.readProblem { problems.append(r) }
            if !scan.matchesName, scan.readProblem == nil { problems.append("its bytes no longer match its name") }
            if !fresh.isEmpty { problems.append("\(fresh.count) of its \(max(inUse.count, fresh.count)) blobs fail authentication") }
            if let t = scan.tableProblem {
                problems.append("its table cannot be read (\(t))")
            } else if let table = scan.table {
                let entries = Set(table)
                if (byPack[pack] ?? []).contains(where: { !entries.contains($0) }) { problems.append("its table disagrees with the index") }
            }
            guard !problems.isEmpty else { continue }
            damaged[pack] = PackDamage(problem: "\(name): " + problems.joined(separator: "; "), blobs: Set(fresh.keys))
            report.damagedFiles.append(name)
        }
        return results.map(\.0)
    }
}

/// What is wrong with one pack: a description, and which blobs are unreadable (nil: all of them).
struct PackDamage: Sendable {
    var problem: String
    var blobs: Set<ObjectID>?

    init(problem: String, blobs: Set<ObjectID>? = nil) {
        self.problem = problem
        self.blobs = blobs
    }

    func affects(_ blob: ObjectID) -> Bool { blobs?.contains(blob) ?? true }
}

/// Walks the snapshots' trees for check, each distinct tree once, collecting missing blobs and the files whose data is
/// damaged or lost.
struct CheckWalker {
    let reader: BlobReader
    let index: MasterIndex
    /// Blobs that are not in the index because their pack is gone, cut short or recorded as damaged, with that pack.
    let lost: [ObjectID: ObjectID]
    let damaged: [ObjectID: PackDamage]
    /// Other packs that hold a blob.
    let alternatives: [ObjectID: [ObjectID]]
    let cancellation: Cancellation?
    var snapshot = ObjectID(bytes: [UInt8](repeating: 0, count: 32))
    var errors: [String] = []
    /// For each damaged pack, the files (`snapshot-short:/path`) with data in it, each named where it was first seen.
    var affected: [ObjectID: [String]] = [:]
    /// Every blob a snapshot uses.
    var used = Set<ObjectID>()
    /// Trees already walked: a listing shared by many folders or snapshots is verified once.
    private var walked = Set<ObjectID>()

    init(reader: BlobReader, index: MasterIndex, lost: [ObjectID: ObjectID], damaged: [ObjectID: PackDamage],
         alternatives: [ObjectID: [ObjectID]], cancellation: Cancellation?) {
        self.reader = reader
        self.index = index
        self.lost = lost
        self.damaged = damaged
        self.alternatives = alternatives
        self.cancellation = cancellation
    }

    /// The pack whose damage makes `blob` unreadable, if any: its indexed pack when that is damaged, or the pack it was
    /// lost with.
    private func damagedPack(of blob: ObjectID) -> ObjectID? {
        if let loc = index.location(blob) {
            let pack = index.packID(loc.pack)
            guard damaged[pack]?.affects(blob) == true else { return nil }
            // Another pack holding it intact serves it.
            let intact = alternatives[blob]?.contains { damaged[$0]?.affects(blob) != true } ?? false
            return intact ? nil : pack
        }
        return lost[blob]
    }

    /// Follows the chain of bases that starts at `start` (FORMAT.md §7.2), marking each base used: a damaged pack on the
    /// way is counted against `file`. Returns the base where the chain cannot be read (not indexed, or past 64 links:
    /// a loop), nil when it reaches a blob stored whole or damage was counted.
    private mutating func brokenLink(from start: ObjectID, file: String, reported: inout Set<ObjectID>) -> ObjectID? {
        var base = start
        for _ in 0..<PackFormat.maxBaseChain {
            used.insert(base)
            if let pack = damagedPack(of: base) {
                if reported.insert(pack).inserted { affected[pack, default: []].append(file) }
                return nil
            }
            guard let next = index.location(base)?.entry.base else { return index.contains(base) ? nil : base }
            base = next
        }
        return base
    }

    /// Walks a tree; damage is collected, but a destination that fails stops the check (thrown).
    mutating func walk(tree: ObjectID, path: String, depth: Int) async throws(TriplicateError) {
        used.insert(tree)
        guard walked.insert(tree).inserted else { return }
        if cancellation?.isCancelled == true { throw Repository.interrupted }
        let display = "snapshot \(snapshot.short):" + (path.isEmpty ? "/" : path)
        guard depth <= maxTreeDepth else {
            errors.append("\(display): folders nested more than \(maxTreeDepth) deep; a backup cannot write that, so the snapshot was written by hand (restore refuses it)")
            return
        }
        if let pack = damagedPack(of: tree) {
            affected[pack, default: []].append("\(snapshot.short):\(path.isEmpty ? "/" : path) (folder listing)")
            return
        }
        guard index.contains(tree) else {
            errors.append("\(display): tree \(tree.short) is missing from the index")
            return
        }
        let t: Tree
        do { t = try await reader.tree(tree) } catch {
            if case .destination = error.kind { throw error }
            errors.append("\(display): \(error.message)")
            return
        }
        for node in t.nodes {
            let childPath = path + "/" + node.nameString
            if !TreeNode.isSafeName(node.name) {
                errors.append("snapshot \(snapshot.short):\(path.isEmpty ? "/" : path): entry with a hostile name \(String(reflecting: node.nameString)); restore refuses it")
            }
            switch node.content {
            case .directory(let sub):
                try await walk(tree: sub, path: childPath, depth: depth + 1)
            case .file(let chunks, _, _, _):
                // Sums in UInt64: a hostile node may claim any size (2^64 - 1 included).
                var length: UInt64 = 0
                var complete = true
                var reported = Set<ObjectID>()
                var missing: [ObjectID] = []
                var unbased: [(chunk: ObjectID, base: ObjectID)] = []
                for c in chunks {
                    used.insert(c)
                    let location = index.location(c)
                    if let rawLength = location?.entry.rawLength {
                        length &+= UInt64(rawLength)
                    } else {
                        complete = false
                    }
                    if let pack = damagedPack(of: c) {
                        if reported.insert(pack).inserted { affected[pack, default: []].append("\(snapshot.short):\(childPath)") }
                    } else if location == nil {
                        missing.append(c)
                    } else if let base = location?.entry.base,
                              let broken = brokenLink(from: base, file: "\(snapshot.short):\(childPath)", reported: &reported) {
                        unbased.append((c, broken))
                    }
                }
                if let first = unbased.first {
                    errors.append("snapshot \(snapshot.short):\(childPath): chunk \(first.chunk.short) is stored against a chain of bases that cannot be read ("
                        + (index.contains(first.base) ? "more than \(PackFormat.maxBaseChain) links, or a loop" : "blob \(first.base.short) is missing from the index")
                        + ")" + (unbased.count > 1 ? " (and \(unbased.count - 1) more such chunks)" : ""))
                }
                if let first = missing.first {
                    errors.append("snapshot \(snapshot.short):\(childPath): chunk \(first.short)\(missing.count > 1 ? " and \(missing.count - 1) more" : "") missing from the index")
                }
                if complete, length != node.size {
                    errors.append("snapshot \(snapshot.short):\(childPath): its chunks hold \(length) bytes but the snapshot says \(node.size)")
                }
            case .symlink:
                break
            }
        }
    }
}
