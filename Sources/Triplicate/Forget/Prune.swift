// Prune: deletes the packs no kept snapshot needs, repacks the packs that are mostly unused, and rewrites the index
// files that named what went (FORMAT.md §14.9, §14.12). It holds the repository's exclusive lock, so no backup runs
// meanwhile, and it only deletes once everything kept is stored and indexed elsewhere.
@_spi(Benchmarks) internal import TriplicateCore
public import struct Foundation.Date
internal import Foundation
internal import TriplicateSystem

/// How ``Repository/prune(options:progress:)`` decides.
public struct PruneOptions: Sendable, Equatable {
    /// How much unused data may stay in packs that also hold used data, rather than be repacked.
    public enum MaxUnused: Sendable, Hashable {
        /// At most this percentage (0 to 100) of the data left after the prune may be unused, as in restic.
        case percent(Double)
        /// At most this many bytes.
        case bytes(Int64)
        /// Never repack: only packs with no used data at all are deleted.
        case unlimited
    }

    /// How much unused data may stay (default 5 %). Packs with no used data are always deleted.
    public var maxUnused: MaxUnused
    /// Only say what would be done.
    public var dryRun: Bool

    /// Options: repack until at most `maxUnused` is unused; with `dryRun`, change nothing.
    public init(maxUnused: MaxUnused = .percent(5), dryRun: Bool = false) {
        self.maxUnused = maxUnused
        self.dryRun = dryRun
    }

    /// The unused bytes that may stay beside `used` bytes of used data.
    func limit(used: Int64) -> Int64 {
        switch maxUnused {
        case .unlimited: return .max
        case .bytes(let n): return max(0, n)
        case .percent(let p):
            // p % of the total (used + unused) is unused: unused = used · p / (100 − p).
            guard p < 100 else { return .max }
            return Int64(Double(used) * max(0, p) / (100 - max(0, p)))
        }
    }
}

/// What ``Repository/prune(options:progress:)`` found and did (with a dry run: would do).
public struct PruneReport: Sendable, Codable {
    /// True when nothing was changed because it was a dry run.
    public var dryRun: Bool
    /// Snapshots whose data was kept.
    public var snapshots = 0
    /// Blobs (chunks and listings) the snapshots need, and their stored bytes.
    public var blobsUsed = 0
    public var bytesUsed: Int64 = 0
    /// Packs, and their bytes, before the prune.
    public var packsBefore = 0
    public var bytesBefore: Int64 = 0
    /// Packs deleted because no snapshot needs anything in them.
    public var packsRemoved: [String] = []
    /// Packs whose used blobs were copied into new packs, then deleted.
    public var packsRepacked: [String] = []
    /// Blobs copied by repacking, and their stored bytes.
    public var blobsRepacked = 0
    public var bytesRepacked: Int64 = 0
    /// The packs written by repacking (empty for a dry run).
    public var packsWritten: [String] = []
    /// Index files written in place of those that named deleted packs, and for packs no index file named.
    public var indexFilesWritten: [String] = []
    /// Index files deleted once the new ones were stored.
    public var indexFilesRemoved: [String] = []
    /// Damage records deleted because every pack they name is gone.
    public var damageRecordsRemoved: [String] = []
    /// Packs, and their bytes, after the prune.
    public var packsAfter = 0
    public var bytesAfter: Int64 = 0
    /// Bytes of unused data left in packs that also hold used data (within ``PruneOptions/maxUnused``).
    public var unusedAfter: Int64 = 0
    /// Unused packs that object lock still protects (FORMAT.md §14.9): they stay, and a prune after ``lockedUntil``
    /// deletes them; with their bytes.
    public var packsLocked = 0
    public var bytesLocked: Int64 = 0
    /// When the last of them is no longer protected.
    public var lockedUntil: Date?
    /// Things worth knowing (packs left alone, and why).
    public var notes: [String] = []
    /// On a plan: the copies that failed part way, each with the reason; pruning again finishes them.
    public var copiesLeftBehind: [String] = []

    /// Bytes of packs freed.
    public var bytesFreed: Int64 { bytesBefore - bytesAfter }
    /// True when anything was (with a dry run: would be) written or deleted.
    public var changed: Bool {
        !packsRemoved.isEmpty || !packsRepacked.isEmpty || !indexFilesWritten.isEmpty || !indexFilesRemoved.isEmpty
            || !damageRecordsRemoved.isEmpty
    }

    init(dryRun: Bool) { self.dryRun = dryRun }
}

/// One bit per blob of a compacted ``MasterIndex``: which blobs the snapshots need.
struct BlobMarks {
    private var words: [UInt64]
    init(count: Int) { words = [UInt64](repeating: 0, count: (count + 63) / 64) }
    subscript(_ i: Int) -> Bool { words[i >> 6] & (1 << UInt64(i & 63)) != 0 }
    /// Sets bit `i`; returns false when it was set already.
    mutating func insert(_ i: Int) -> Bool {
        let bit: UInt64 = 1 << UInt64(i & 63)
        if words[i >> 6] & bit != 0 { return false }
        words[i >> 6] |= bit
        return true
    }
}

extension MasterIndex {
    /// For each pack (by number in ``packs``): how many of its indexed blobs `marks` holds, and their stored bytes. The
    /// memory prune needs beyond the index itself is `marks` (a bit per blob) and these two arrays (16 bytes per pack).
    func usage(of marks: BlobMarks) -> (count: [Int], bytes: [Int64]) {
        var count = [Int](repeating: 0, count: packs.count)
        var bytes = [Int64](repeating: 0, count: packs.count)
        forEachPosition { position, location in
            guard marks[position] else { return }
            count[Int(location.pack)] += 1
            bytes[Int(location.pack)] += Int64(location.entry.storedLength)
        }
        return (count, bytes)
    }
}

extension Repository {
    /// Deletes what no snapshot needs (FORMAT.md §14.9):
    ///
    /// 1. takes the repository's exclusive lock (FORMAT.md §14.12): it fails while a backup, a restore or a check runs,
    ///    and backups wait for it to finish;
    /// 2. walks every snapshot's listings and marks the blobs they need; it refuses, changing nothing, when an index
    ///    file or a snapshot cannot be read or a needed blob is not in the repository (check and repair first);
    /// 3. deletes packs that hold no needed blob, and repacks the packs with the most unused data (their needed blobs,
    ///    read and verified, go into new packs) until at most ``PruneOptions/maxUnused`` stays;
    /// 4. writes index files for the new packs and in place of those that named deleted packs, then deletes those
    ///    index files, then the packs.
    ///
    /// Nothing is deleted before what is kept is stored and indexed elsewhere, so an interruption at any moment (a kill,
    /// an unplugged drive, a server that goes away) leaves a repository that check accepts, with every snapshot
    /// restorable; pruning again finishes the job. A plan's repository must come from
    /// ``PlanSession/openEveryCopy(for:progress:)`` (``PlanSession/prune(options:progress:)`` does that), so that every
    /// copy loses the same files and gets the same new ones.
    public func prune(options: PruneOptions = PruneOptions(), progress: ProgressHandler? = nil) async throws(TriplicateError) -> PruneReport {
        try await followingTaskCancellation { cancellation throws(TriplicateError) in
            try await prune(options: options, cancellation: cancellation, progress: progress)
        }
    }

    /// ``prune(options:progress:)`` with the flag that stops it.
    func prune(options: PruneOptions, cancellation: Cancellation?, progress: ProgressHandler?) async throws(TriplicateError) -> PruneReport {
        if !options.dryRun { try requireEveryCopy("prune") }
        // A dry run only reads: a shared lock, as a check takes, done without where the repository cannot be written.
        return try await withLock(options.dryRun ? .shared : .exclusive, operation: "prune", optional: options.dryRun) { lock throws(TriplicateError) in
            var report = try await prune(options: options, lock: lock, cancellation: cancellation, progress: progress)
            report.copiesLeftBehind = copiesLeftBehind
            return report
        }
    }

    private func prune(options: PruneOptions, lock: RepositoryLock?, cancellation: Cancellation?,
                       progress: ProgressHandler?) async throws(TriplicateError) -> PruneReport {
        var report = PruneReport(dryRun: options.dryRun)
        if !options.dryRun, let lock {
            // A key that may not delete (append-only) is found out now, before anything is written. Under object lock
            // the lock file itself cannot be deleted yet, so nothing can be proved that way: a refused delete then
            // stops prune later, before any pack is deleted.
            let retention: Retention?
            do { retention = try await destination.retention() } catch {
                throw TriplicateError(error, doing: "cannot learn whether \(destination.displayName) uses object lock")
            }
            if retention == nil { try await lock.proveDeletes(for: "prune") }
        }
        func stopIfCancelled() throws(TriplicateError) {
            if cancellation?.isCancelled == true {
                throw TriplicateError(.cancelled, "prune interrupted; the repository is consistent, and pruning again finishes the work", remedy: .runAgain)
            }
        }

        // What the repository holds.
        progress?(ProgressEvent(.prune, message: "loading the index"))
        var index = try await loadIndex(recover: false, keepFiles: true)
        if let first = index.problems.first {
            throw TriplicateError(.corrupt, "prune must know every index file, and \(index.problems.count) cannot be read (\(first)); nothing was changed", remedy: .repair)
        }
        if let first = index.missingPacks.first {
            throw TriplicateError(.corrupt, "\(index.missingPacks.count) packs that index files name are missing or cut short (\(Layout.pack(first))); nothing was changed", remedy: .repair)
        }
        // Packs no index file names (what an interrupted backup or prune left): their tables say what they hold.
        var unindexed: [ObjectID: [PackEntry]] = [:]
        var unreadable = Set<ObjectID>()
        for (id, size) in unindexedPacks(index) {
            try stopIfCancelled()
            do {
                let table = try await readPackTable(id, size: size)
                unindexed[id] = table
                index.entryCounts[id] = table.count
                index.add(pack: id, entries: index.damage.usable(table, in: id))
            } catch {
                if case .destination(let kind) = error.kind, kind != .permanent, kind != .notFound { throw error }
                unreadable.insert(id)
                report.notes.append("\(Layout.pack(id)) is named by no index file and its table cannot be read (\(error.message)); it is left for check and repair")
            }
        }
        index.compact()

        // What the snapshots need.
        let listing = try await snapshotListing()
        if let first = listing.damaged.first {
            throw TriplicateError(.corrupt, "prune must know what every snapshot needs, and \(listing.damaged.count) snapshot files cannot be read (\(first)); nothing was changed. A check of a plan heals such a file from another copy; one that no copy holds intact can only be deleted by hand", remedy: .check(readData: false))
        }
        report.snapshots = listing.snapshots.count
        progress?(ProgressEvent(.prune, message: "finding what \(listing.snapshots.count) snapshots need"))
        var marks = BlobMarks(count: index.count)
        var missing = 0
        var firstMissing = ""
        let reader = try BlobReader(repository: self, index: index)
        for snapshot in listing.snapshots {
            var pending = [snapshot.tree]
            while let treeID = pending.popLast() {
                try stopIfCancelled()
                guard let position = index.position(of: treeID) else {
                    if missing == 0 { firstMissing = "listing \(treeID.short) of snapshot \(snapshot.id.short)" }
                    missing += 1
                    continue
                }
                guard marks.insert(position) else { continue }
                let tree: Tree
                do { tree = try await reader.tree(treeID) } catch {
                    if case .destination(let kind) = error.kind, kind != .permanent { throw error }
                    throw TriplicateError(.corrupt, "the listing \(treeID.short) of snapshot \(snapshot.id.short) cannot be read (\(error.message)); nothing was changed", remedy: .check(readData: true))
                }
                for node in tree.nodes {
                    switch node.content {
                    case .directory(let sub): pending.append(sub)
                    case .file(let chunks, _, _, _):
                        for chunk in chunks {
                            if let p = index.position(of: chunk) {
                                // A chunk stored against a base keeps its whole chain of bases (the index holds only
                                // chunks whose chain it holds, FORMAT.md §9); a chain already marked is not walked again.
                                var next: Int? = p
                                var link = chunk
                                while let position = next, marks.insert(position), let base = index.location(link)?.entry.base {
                                    link = base
                                    next = index.position(of: base)
                                }
                            } else {
                                if missing == 0 { firstMissing = "chunk \(chunk.short) of \(node.nameString) in snapshot \(snapshot.id.short)" }
                                missing += 1
                            }
                        }
                    case .symlink: break
                    }
                }
            }
        }
        if missing > 0 {
            throw TriplicateError(.corrupt, "the snapshots need \(missing) blobs the repository does not hold (the first: \(firstMissing)); prune cannot tell what else they need, so nothing was changed", remedy: .check(readData: true))
        }

        // How much of each pack is used.
        let (usedCount, usedBytes) = index.usage(of: marks)
        var remove: [ObjectID] = []
        var partial: [(id: ObjectID, unused: Int64, share: Double)] = []
        var damagedKept = 0
        var usedTotal: Int64 = 0
        for (id, size) in index.presentPacks.sorted(by: { $0.key < $1.key }) {
            report.packsBefore += 1
            report.bytesBefore += size
            if unreadable.contains(id) { continue }
            let number = index.packNumber(id).map(Int.init)
            let used = number.map { usedCount[$0] } ?? 0
            let bytes = number.map { usedBytes[$0] } ?? 0
            report.blobsUsed += used
            report.bytesUsed += bytes
            usedTotal += bytes
            if used == 0 {
                remove.append(id)
            } else if used < index.entryCounts[id] ?? 0 {
                if index.damage.byPack[id] != nil {
                    damagedKept += 1
                } else {
                    let unused = max(0, size - bytes)
                    partial.append((id, unused, Double(unused) / Double(max(size, 1))))
                }
            }
        }
        if damagedKept > 0 {
            report.notes.append("\(damagedKept) packs hold recorded damage beside used data: they are left to repair, which copies their intact blobs")
        }
        // The most wasteful packs first, until what stays unused is within the limit.
        var unusedLeft = partial.reduce(Int64(0)) { $0 + $1.unused }
        let limit = options.limit(used: usedTotal)
        var repack: [ObjectID] = []
        for p in partial.sorted(by: { ($0.share, $0.id) > ($1.share, $1.id) }) where unusedLeft > limit {
            repack.append(p.id)
            unusedLeft -= p.unused
        }
        report.unusedAfter = unusedLeft
        report.packsRemoved = remove.map(Layout.pack)
        report.packsRepacked = repack.map(Layout.pack)
        let repackSet = Set(repack)
        var wanted: [ObjectID: [PackEntry]] = [:]
        if !repackSet.isEmpty {
            index.forEachPosition { position, location in
                let pack = index.packID(location.pack)
                guard marks[position], repackSet.contains(pack) else { return }
                wanted[pack, default: []].append(location.entry)
            }
        }
        for entries in wanted.values {
            report.blobsRepacked += entries.count
            report.bytesRepacked += entries.reduce(Int64(0)) { $0 + Int64($1.storedLength) }
        }
        // Object lock: what the destination still protects is not deleted (not even tried: a bucket that keeps versions
        // would hide it behind a delete marker), and neither is a pack that a protected index file names.
        let retainedPacks = try await retained(Layout.data)
        let retainedIndexFiles = try await retained(Layout.index)
        func lockedOut(_ packs: [ObjectID]) -> Set<ObjectID> {
            var out = Set(packs.filter { retainedPacks[Layout.pack($0)] != nil })
            for f in index.files where retainedIndexFiles[f.name] != nil { out.formUnion(f.packs.filter(packs.contains)) }
            return out
        }
        let removeLocked = lockedOut(remove)
        if !removeLocked.isEmpty {
            remove.removeAll { removeLocked.contains($0) }
            report.packsLocked = removeLocked.count
            report.bytesLocked = removeLocked.reduce(Int64(0)) { $0 + (index.presentPacks[$1] ?? 0) }
            report.lockedUntil = removeLocked.compactMap { retainedPacks[Layout.pack($0)] }.max()
                ?? retainedIndexFiles.values.max()
            report.notes.append("\(removeLocked.count) packs no snapshot needs are kept by object lock\(report.lockedUntil.map { " until \(SnapshotRecord.format($0))" } ?? ""); a prune after that deletes them")
            report.packsRemoved = remove.map(Layout.pack)
        }
        // A pack object lock keeps is not repacked either: its blobs would only be stored twice.
        let repackLocked = lockedOut(repack)
        if !repackLocked.isEmpty {
            repack.removeAll { repackLocked.contains($0) }
            report.packsRepacked = repack.map(Layout.pack)
            wanted = wanted.filter { !repackLocked.contains($0.key) }
            report.blobsRepacked = wanted.values.reduce(0) { $0 + $1.count }
            report.bytesRepacked = wanted.values.reduce(Int64(0)) { $0 + $1.reduce(Int64(0)) { $0 + Int64($1.storedLength) } }
        }
        let removedBytes = remove.reduce(Int64(0)) { $0 + (index.presentPacks[$1] ?? 0) }
            + repack.reduce(Int64(0)) { $0 + (index.presentPacks[$1] ?? 0) }
        if options.dryRun {
            report.packsAfter = report.packsBefore - remove.count - repack.count + (report.bytesRepacked > 0 ? Int((report.bytesRepacked + (32 << 20) - 1) / (32 << 20)) : 0)
            report.bytesAfter = report.bytesBefore - removedBytes + report.bytesRepacked
            return report
        }

        // Repack: the used blobs of each chosen pack, read and verified, into new packs.
        var written: [IndexFile.Pack] = []
        var writtenBytes: Int64 = 0
        var repacked: [ObjectID] = []
        if !repack.isEmpty {
            progress?(ProgressEvent(.prune, message: "repacking \(report.blobsRepacked) blobs from \(repack.count) packs"))
            let staging = destination.stagingDirectory ?? FileManager.default.temporaryDirectory.path
            let stager = PackStager(keys: keys, level: BackupOptions.defaultCompressionLevel, packSize: 32 << 20, stagingDirectory: staging)
            defer { stager.discard() }
            let scanner = try PackScanner(repository: self, index: index)
            var damaged: [DamageRecord.Pack] = []
            for pack in repack {
                try stopIfCancelled()
                let entries = wanted[pack] ?? []
                let want = Set(entries.map(\.id))
                var copied = Set<ObjectID>()
                var staged: [StagedPack] = []
                let scan = try await scanner.scan(pack, size: index.presentPacks[pack] ?? 0, expected: entries, cancellation: cancellation) { (e, _, stored) throws(TriplicateError) in
                    // Verified (opened, decompressed, re-hashed) by the scan: copied as stored, not compressed again.
                    guard want.contains(e.id), copied.insert(e.id).inserted else { return }
                    if let full = try stager.add(e, stored: stored) { staged.append(full) }
                }
                for s in staged { writtenBytes += try await storeRepacked(s, into: &written, report: &report) }
                let failed = want.subtracting(copied)
                if failed.isEmpty {
                    repacked.append(pack)
                } else {
                    // A needed blob that does not read intact: the pack stays, and its damage is recorded so that
                    // backups store that data again; repair copies what is intact and lists what is lost.
                    let problem = failed.compactMap { scan.bad[$0] ?? scan.withoutBase[$0] }.first ?? scan.readProblem ?? "it does not read intact"
                    damaged.append(DamageRecord.Pack(pack: pack, blobs: Array(failed), problem: "\(failed.count) blobs fail to read, authenticate or re-hash (\(problem))"))
                    report.notes.append("\(Layout.pack(pack)) holds \(failed.count) damaged blobs that snapshots need: it is kept, and the damage is recorded; check --read-data and repair say what depends on them")
                }
            }
            if let last = try stager.finish() { writtenBytes += try await storeRepacked(last, into: &written, report: &report) }
            if !damaged.isEmpty { _ = try await recordDamage(damaged, found: "prune", known: index.damage) }
        }
        report.packsRepacked = repacked.map(Layout.pack)

        // Index files: one for the new packs, and in place of every file that names a pack about to go (or a pack an
        // earlier file names too); then those files are deleted.
        try stopIfCancelled()
        let going = Set(remove).union(repacked)
        var covered = Set<ObjectID>()
        var obsolete: [String] = []
        // Index files object lock keeps come first: they stay, and cover their packs.
        for f in index.files.sorted(by: { (retainedIndexFiles[$0.name] == nil ? 1 : 0, $0.name) < (retainedIndexFiles[$1.name] == nil ? 1 : 0, $1.name) }) {
            if retainedIndexFiles[f.name] != nil {
                covered.formUnion(f.packs)
            } else if f.packs.contains(where: { going.contains($0) || covered.contains($0) }) {
                obsolete.append(f.name)
            } else {
                covered.formUnion(f.packs)
            }
        }
        var batch = written
        func flush(_ all: Bool) async throws(TriplicateError) {
            while !batch.isEmpty, all || batch.count >= 256 || batch.reduce(0, { $0 + $1.entries.count }) >= 200_000 {
                let take = min(batch.count, 256)
                try lock?.ensureHeld(before: "writing an index file")
                report.indexFilesWritten.append(try await writeIndexFile(Array(batch.prefix(take))))
                batch.removeFirst(take)
            }
        }
        for name in obsolete {
            try stopIfCancelled()
            guard let id = Layout.id(of: name) else { continue }
            for p in try await loadIndexFile(id, size: nil).packs where !going.contains(p.id) && !covered.contains(p.id) && index.presentPacks[p.id] != nil {
                covered.insert(p.id)
                batch.append(p)
            }
            try await flush(false)
        }
        for (id, table) in unindexed.sorted(by: { $0.key < $1.key }) where !going.contains(id) && !covered.contains(id) {
            covered.insert(id)
            batch.append(IndexFile.Pack(id: id, entries: table))
        }
        try await flush(true)
        if !obsolete.isEmpty || !going.isEmpty {
            progress?(ProgressEvent(.prune, message: "deleting \(obsolete.count) index files and \(going.count) packs"))
        }
        for name in obsolete {
            try stopIfCancelled()
            try lock?.ensureHeld(before: "deleting an index file")
            try await delete(name)
            report.indexFilesRemoved.append(name)
        }

        // The packs, now named by no index file; then the damage records all of whose packs are gone.
        for pack in going.sorted() {
            try stopIfCancelled()
            try lock?.ensureHeld(before: "deleting a pack")
            try await delete(Layout.pack(pack))
        }
        let remaining = Set(index.presentPacks.keys).subtracting(going)
        // Only records all of whose packs this prune deleted: a pack that is gone from this copy (or from one of a
        // plan's copies) for another reason may still be present elsewhere, and its record keeps it out of use there.
        let retainedRecords = try await retained(Layout.damage)
        for name in index.damage.files where retainedRecords[name] == nil {
            guard let id = Layout.id(of: name), let record = try? await loadDamageRecord(id, size: nil), !record.packs.isEmpty,
                  record.packs.allSatisfy({ $0.packID.map(going.contains) ?? false }) else { continue }
            try lock?.ensureHeld(before: "deleting a damage record")
            try await delete(name)
            report.damageRecordsRemoved.append(name)
        }
        report.packsAfter = remaining.count + report.packsWritten.count
        report.bytesAfter = report.bytesBefore - going.reduce(Int64(0)) { $0 + (index.presentPacks[$1] ?? 0) } + writtenBytes
        return report
    }

    /// The objects under `folder` that object lock still protects, with when it ends.
    func retained(_ folder: String) async throws(TriplicateError) -> [String: Date] {
        do { return try await destination.retainedUntil(prefix: folder) } catch {
            throw TriplicateError(error, doing: "cannot learn which files of \(folder) object lock protects")
        }
    }

    /// Stores one repacked pack and queues it for an index file; returns its size.
    private func storeRepacked(_ pack: StagedPack, into written: inout [IndexFile.Pack], report: inout PruneReport) async throws(TriplicateError) -> Int64 {
        defer { FileSystem.removeQuietly(pack.path) }
        try await put(Layout.pack(pack.id), file: pack.path)
        written.append(IndexFile.Pack(id: pack.id, entries: pack.entries))
        report.packsWritten.append(Layout.pack(pack.id))
        return pack.size
    }
}
