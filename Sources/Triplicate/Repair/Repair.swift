// Repair: takes damaged packs out of use (keeping their intact blobs), rebuilds the index from the pack tables, and
// says which files of which snapshots can no longer be restored.
@_spi(Benchmarks) internal import TriplicateCore
internal import Foundation
internal import TriplicateSystem

/// What ``Repository/repair(readData:progress:)`` found and did.
public struct RepairReport: Sendable, Codable {
    /// Packs found damaged (by this repair, or recorded as damaged earlier) and taken out of use.
    public var damagedPacks: [String] = []
    /// Intact blobs of damaged packs, stored in no other pack, that were copied into new packs.
    public var blobsSalvaged = 0
    /// Damaged blobs that no other pack holds: the files that need them cannot be restored (see ``unrestorable``).
    public var blobsLost = 0
    /// The packs written with the salvaged blobs.
    public var packsWritten: [String] = []
    /// Index files written: for packs no index file named, and in place of index files that were damaged, named packs
    /// that are gone or damaged, or disagreed with a pack's table.
    public var indexFilesWritten: [String] = []
    /// Index files removed once the new ones were stored.
    public var indexFilesRemoved: [String] = []
    /// Damaged packs removed once their intact blobs were stored elsewhere and no index file named them.
    public var packsRemoved: [String] = []
    /// Damaged packs kept, out of use, because part of them could not be read at all (an I/O error, which may pass:
    /// a loose cable, a stale network share); the next repair tries them again.
    public var packsKept: [String] = []
    /// Damage records removed once the packs they describe were gone.
    public var damageRecordsRemoved: [String] = []
    /// The damage record written for damage this repair found.
    public var damageRecorded: String?
    /// For each snapshot with files that can no longer be restored, which ones.
    public var unrestorable: [SnapshotLoss] = []
    /// Things worth knowing.
    public var notes: [String] = []

    /// True when the repair wrote or removed anything.
    public var changed: Bool {
        !packsWritten.isEmpty || !indexFilesWritten.isEmpty || !indexFilesRemoved.isEmpty || !packsRemoved.isEmpty
            || !damageRecordsRemoved.isEmpty || damageRecorded != nil
    }
}

/// The files and folders of one snapshot that can no longer be restored.
public struct SnapshotLoss: Sendable, Codable, Equatable {
    /// The snapshot ID (64 hex digits) and its time.
    public var snapshot: String
    public var time: String
    /// The paths, at most ``RepairReport`` keeps per snapshot (see ``count``); a folder whose listing is lost is
    /// named with " (folder listing)".
    public var paths: [String]
    /// How many there are in all (a file in a folder repeated under several names counts each time).
    public var count: Int
}

extension Repository {
    /// Repairs the repository (FORMAT.md §14.11):
    ///
    /// 1. reads every pack's table (with `readData`, every byte of every pack); a pack whose table or header cannot be
    ///    read, whose blobs fail (with `readData`), or that a damage record names, is damaged;
    /// 2. records newly found damage (FORMAT.md §9.1), so that backups stop pointing at it at once;
    /// 3. copies the intact blobs of damaged packs that no other pack holds into new packs;
    /// 4. writes index files for packs that no index file names, and in place of index files that are damaged, name
    ///    packs that are gone or damaged, or disagree with a pack's table; then removes those index files;
    /// 5. removes the damaged packs, then the damage records that describe them;
    /// 6. reports, per snapshot, the files and folders that can no longer be restored.
    ///
    /// Each step only adds what the next relies on before anything is removed, so an interruption at any moment
    /// (a kill, an unplugged drive, a server that goes away) leaves a repository that `check` accepts and that the
    /// next repair finishes. Running it again on a repaired repository changes nothing.
    public func repair(readData: Bool = false, progress: ProgressHandler? = nil) async throws(TriplicateError) -> RepairReport {
        try await followingTaskCancellation { cancellation throws(TriplicateError) in
            try await repair(readData: readData, cancellation: cancellation, progress: progress)
        }
    }

    /// ``repair`` with the flag that stops it.
    func repair(readData: Bool = false, cancellation: Cancellation?,
                       progress: ProgressHandler? = nil) async throws(TriplicateError) -> RepairReport {
        // Repair deletes packs and index files: it needs the repository to itself, like prune.
        try await withLock(.exclusive, operation: "repair") { _ throws(TriplicateError) in
            try await repairHoldingLock(readData: readData, cancellation: cancellation, progress: progress)
        }
    }

    private func repairHoldingLock(readData: Bool, cancellation: Cancellation?,
                                   progress: ProgressHandler?) async throws(TriplicateError) -> RepairReport {
        var report = RepairReport()
        func stopIfCancelled() throws(TriplicateError) {
            if cancellation?.isCancelled == true {
                throw TriplicateError(.cancelled, "repair interrupted; the repository is consistent, and repairing it again finishes the work",
                                      remedy: .repair)
            }
        }
        // Listed in the order loadIndex uses: index files, then packs.
        let indexInfos = try await list(Layout.index, what: "index files").filter { Layout.id(of: $0.name).map(Layout.index) == $0.name }
        var sizes: [ObjectID: Int64] = [:]
        for info in try await list(Layout.data, what: "packs") {
            if let id = Layout.id(of: info.name), info.name == Layout.pack(id) { sizes[id] = info.size }
        }
        let damage = try await loadDamage()
        for (name, problem) in damage.problems { report.notes.append("\(name) cannot be read (\(problem)); it is kept") }

        // The index files as they are.
        var files: [(name: String, packs: [IndexFile.Pack])] = []
        var obsolete = Set<String>()
        var indexed: [ObjectID: Set<PackEntry>] = [:]
        for info in indexInfos {
            guard let id = Layout.id(of: info.name) else { continue }
            do {
                let file = try await loadIndexFile(id, size: info.size)
                files.append((info.name, file.packs))
                for p in file.packs { indexed[p.id, default: []].formUnion(p.entries) }
            } catch {
                if case .destination = error.kind { throw error }
                report.notes.append("\(info.name) is damaged (\(error.message)); it is replaced")
                obsolete.insert(info.name)
            }
        }

        // 1. Every pack's table; with readData (and for packs whose table fails or that hold recorded damage), every byte.
        progress?(ProgressEvent(.repair, message: "reading the tables of \(sizes.count) packs" + (readData ? " and every byte of them" : "")))
        var scans: [ObjectID: PackScan] = [:]
        var tables: [ObjectID: [PackEntry]] = [:]
        let packs = sizes.keys.sorted()
        let packSizes = sizes, indexedEntries = indexed
        // Blobs stored against a base are verified against it, found through the index files as they are.
        var bases = MasterIndex()
        for (pack, entries) in indexed { bases.add(pack: pack, entries: Array(entries)) }
        var scanners: [PackScanner] = []
        for _ in 0..<max(1, min(readData ? 2 : 4, packs.count)) { scanners.append(try PackScanner(repository: self, index: bases)) }
        var failure: TriplicateError?
        await forEachConcurrently(packs, workers: scanners, { pack, scanner in
            await scanner.tableOrScan(pack, size: packSizes[pack] ?? 0, expected: Array(indexedEntries[pack] ?? []),
                                      whole: readData || damage.byPack[pack] != nil, cancellation: cancellation)
        }, collect: { done in
            if let e = done.error {
                if failure == nil { failure = e }
            } else {
                if let table = done.table { tables[done.pack] = table }
                if let scan = done.scan { scans[done.pack] = scan }
            }
            return failure == nil && cancellation?.isCancelled != true
        })
        if let failure { throw failure }
        if cancellation?.isCancelled == true {
            throw TriplicateError(.cancelled, "repair interrupted; the repository is consistent, and repairing it again finishes the work",
                                      remedy: .repair)
        }

        // Which packs are damaged, and which of their blobs are intact.
        var damagedPacks = Set<ObjectID>()
        var newlyBad: [DamageRecord.Pack] = []
        for (pack, scan) in scans {
            let recorded = damage.byPack[pack] ?? []
            if scan.isIntact && recorded.isEmpty {
                if let table = scan.table { tables[pack] = table }
                continue
            }
            if !scan.isIntact || !recorded.isEmpty { damagedPacks.insert(pack) }
            let fresh = scan.bad.keys.filter { !recorded.contains($0) }
            if !fresh.isEmpty {
                newlyBad.append(DamageRecord.Pack(pack: pack, blobs: fresh, problem: "\(fresh.count) blobs fail to read, authenticate or re-hash (\(scan.bad[fresh[0]] ?? ""))"))
            }
        }
        report.damagedPacks = damagedPacks.map(Layout.pack).sorted()
        // Blobs held by a pack that is not damaged.
        var held = Set<ObjectID>()
        for (pack, table) in tables where !damagedPacks.contains(pack) { for e in table { held.insert(e.id) } }

        // 2. Record what is newly found, before anything else changes.
        try stopIfCancelled()
        if !newlyBad.isEmpty {
            report.damageRecorded = try await recordDamage(newlyBad, found: readData ? "repair --read-data" : "repair", known: damage)
        }

        // 3. Salvage: the intact blobs of damaged packs that no other pack holds go into new packs.
        var salvaged: [IndexFile.Pack] = []
        var keep = Set<ObjectID>()
        if !damagedPacks.isEmpty {
            progress?(ProgressEvent(.repair, message: "copying the intact blobs of \(damagedPacks.count) damaged packs"))
            let staging = destination.stagingDirectory ?? FileManager.default.temporaryDirectory.path
            let stager = PackStager(keys: keys, level: BackupOptions.defaultCompressionLevel, packSize: 32 << 20, stagingDirectory: staging)
            defer { stager.discard() }
            // A blob stored against a base is salvaged whole (its plaintext, stored alone) when its base reads from an
            // intact pack; otherwise it is lost with its base.
            var intactIndex = MasterIndex()
            for (pack, table) in tables where !damagedPacks.contains(pack) { intactIndex.add(pack: pack, entries: table) }
            let scanner = try PackScanner(repository: self, index: intactIndex, wholeChains: true)
            var staged: [StagedPack] = []
            var lost = Set<ObjectID>()
            var unreadable = Set<ObjectID>()
            for pack in damagedPacks.sorted() {
                try stopIfCancelled()
                let expected = Array(Set(Array(indexed[pack] ?? []) + (scans[pack]?.table ?? tables[pack] ?? [])))
                let scan = try await scanner.scan(pack, size: sizes[pack] ?? 0, expected: expected, cancellation: cancellation) { (e, plaintext, _) throws(TriplicateError) in
                    guard let plain = plaintext, !held.contains(e.id) else { return }
                    held.insert(e.id)
                    report.blobsSalvaged += 1
                    if let full = try stager.add(type: e.type, id: e.id, data: plain, policy: e.type == .tree ? .always : .auto) { staged.append(full) }
                }
                for id in Array(scan.bad.keys) + Array(scan.withoutBase.keys) where !held.contains(id) { lost.insert(id) }
                // What could not be read at all may read another day: such a pack is kept (out of use) unless every
                // blob it lacks is held elsewhere now.
                if scan.readProblem != nil || scan.unreadable.contains(where: { !held.contains($0) }) { unreadable.insert(pack) }
                for p in staged { try await storeSalvaged(p, into: &salvaged, report: &report) }
                staged.removeAll()
            }
            if let last = try stager.finish() { try await storeSalvaged(last, into: &salvaged, report: &report) }
            report.blobsLost = lost.subtracting(held).count
            keep = unreadable
        }

        // 4. Index files: which ones no longer describe the packs as they are, and which packs no good file covers.
        try stopIfCancelled()
        let good = Set(tables.keys).subtracting(damagedPacks)
        var covered: [ObjectID: Set<PackEntry>] = [:]
        for f in files {
            let wrong = f.packs.contains { p in
                guard good.contains(p.id), let table = tables[p.id] else { return true }
                let entries = Set(table)
                return p.entries.contains { !entries.contains($0) }
            }
            if wrong {
                obsolete.insert(f.name)
            } else {
                for p in f.packs { covered[p.id, default: []].formUnion(p.entries) }
            }
        }
        var toIndex: [IndexFile.Pack] = salvaged
        for pack in good.sorted() {
            guard let table = tables[pack], !Set(table).isSubset(of: covered[pack] ?? []) else { continue }
            toIndex.append(IndexFile.Pack(id: pack, entries: table))
        }
        if !toIndex.isEmpty {
            progress?(ProgressEvent(.repair, message: "indexing \(toIndex.count) packs"))
            var start = 0
            while start < toIndex.count {
                let batch = Array(toIndex[start..<min(start + 16, toIndex.count)])
                report.indexFilesWritten.append(try await writeIndexFile(batch))
                start += batch.count
            }
        }
        for name in obsolete.sorted() {
            try stopIfCancelled()
            try await delete(name)
            report.indexFilesRemoved.append(name)
        }

        // 5. The damaged packs, now named by no index file, then the records that describe them.
        for pack in damagedPacks.sorted() {
            try stopIfCancelled()
            if keep.contains(pack) {
                report.packsKept.append(Layout.pack(pack))
                continue
            }
            try await delete(Layout.pack(pack))
            report.packsRemoved.append(Layout.pack(pack))
        }
        let remaining = Set(sizes.keys).subtracting(damagedPacks).union(keep)
        for name in damage.files {
            guard let id = Layout.id(of: name), let record = try? await loadDamageRecord(id, size: nil),
                  !record.packs.contains(where: { $0.packID.map(remaining.contains) ?? false }) else { continue }
            try await delete(name)
            report.damageRecordsRemoved.append(name)
        }
        if let name = report.damageRecorded, damagedPacks.subtracting(keep).isSuperset(of: newlyBad.compactMap(\.packID)) {
            // The packs it names are gone too: it has done its work.
            try await delete(name)
            report.damageRecordsRemoved.append(name)
        }

        // 6. What can no longer be restored.
        progress?(ProgressEvent(.repair, message: "looking for files that can no longer be restored"))
        report.unrestorable = try await losses(cancellation: cancellation)
        return report
    }

    private func storeSalvaged(_ pack: StagedPack, into salvaged: inout [IndexFile.Pack], report: inout RepairReport) async throws(TriplicateError) {
        defer { FileSystem.removeQuietly(pack.path) }
        try await put(Layout.pack(pack.id), file: pack.path)
        salvaged.append(IndexFile.Pack(id: pack.id, entries: pack.entries))
        report.packsWritten.append(Layout.pack(pack.id))
    }

    /// Seals and stores one index file naming `packs`; returns its name.
    func writeIndexFile(_ packs: [IndexFile.Pack]) async throws(TriplicateError) -> String {
        let bytes: [UInt8]
        do { bytes = try SealedFile.seal(IndexFile(packs: packs).encode(), kind: .index, keys: keys) } catch {
            throw TriplicateError(.internalFailure, "cannot encode an index file: \(error)")
        }
        let name = Layout.index(SHA256.hash(bytes))
        try await put(name, bytes)
        return name
    }

    func delete(_ name: String) async throws(TriplicateError) {
        do { try await destination.delete(name) } catch { throw TriplicateError(error, doing: "cannot remove \(name)") }
    }

    /// For each snapshot, the files and folders whose data is no longer in the repository. Each distinct listing is
    /// read once, and at most 100 paths are kept per listing and per snapshot.
    func losses(cancellation: Cancellation?) async throws(TriplicateError) -> [SnapshotLoss] {
        let index = try await loadIndex()
        let reader = try BlobReader(repository: self, index: index)
        var memo: [ObjectID: (paths: [String], count: Int)] = [:]
        func walk(_ tree: ObjectID, depth: Int) async throws(TriplicateError) -> (paths: [String], count: Int) {
            if let known = memo[tree] { return known }
            if cancellation?.isCancelled == true { throw TriplicateError(.cancelled, "repair interrupted while looking at the snapshots; run it again") }
            var paths: [String] = []
            var count = 0
            func add(_ p: [String], _ c: Int) {
                paths += p.prefix(max(0, 100 - paths.count))
                count = count.addingReportingOverflow(c).overflow ? Int.max : count + c
            }
            let t: Tree
            do throws(TriplicateError) {
                guard depth <= maxTreeDepth else { throw TriplicateError(.corrupt, "nested too deep") }
                t = try await reader.tree(tree)
            } catch {
                if case .destination = error.kind { throw error }
                // The listing itself is lost: "" stands for the folder, named by its parent.
                memo[tree] = ([""], 1)
                return ([""], 1)
            }
            for node in t.nodes {
                let name = "/" + node.nameString
                switch node.content {
                case .directory(let sub):
                    let (p, c) = try await walk(sub, depth: depth + 1)
                    add(p.map { $0.isEmpty ? name + " (folder listing)" : name + $0 }, c)
                case .file(let chunks, _, _, _):
                    if !chunks.allSatisfy(index.contains) { add([name], 1) }
                case .symlink:
                    break
                }
            }
            memo[tree] = (paths, count)
            return (paths, count)
        }
        var out: [SnapshotLoss] = []
        for s in try await snapshots() {
            guard let root = s.record.treeID else { continue }
            let (paths, count) = try await walk(root, depth: 0)
            if count > 0 {
                out.append(SnapshotLoss(snapshot: s.id.hex, time: s.record.time, paths: paths.map { $0.isEmpty ? "/ (folder listing)" : $0 }, count: count))
            }
        }
        return out
    }
}
