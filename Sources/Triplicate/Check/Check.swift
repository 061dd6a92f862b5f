// Check: verifies a repository's structure and, on request, every byte of every pack.
internal import Foundation

/// What `check` found.
public struct CheckReport: Sendable {
    /// Problems that lose data or make a snapshot unrestorable: each names the file and what depends on it.
    public var errors: [String] = []
    /// Harmless findings: leftovers of interrupted backups, unreferenced blobs.
    public var notes: [String] = []
    /// Packs that are damaged or missing.
    public var damagedPacks: [String] = []
    /// For each damaged pack, the snapshot files that have data in it (`snapshot-short:/path`).
    public var affectedFiles: [String: [String]] = [:]
    /// Figures.
    public var snapshots = 0, packs = 0, indexFiles = 0, blobs = 0, packsRead = 0
    /// True when no error was found.
    public var isHealthy: Bool { errors.isEmpty }
}

extension Repository {
    /// Checks the repository: config and keys (already proved by opening it), every index file against the
    /// packs present, every snapshot's trees and chunks present in the index; with `readData`, every pack is
    /// read whole, its name compared with its SHA-256, its table and every blob authenticated and every blob
    /// re-hashed. Damaged packs are named together with the files that depend on them.
    ///
    /// `progress` is called with (packs read, packs to read) after each pack `readData` reads.
    public func check(readData: Bool = false,
                      progress: (@Sendable (_ read: Int, _ total: Int) -> Void)? = nil) async throws(TriplicateError) -> CheckReport {
        var report = CheckReport()
        var index = MasterIndex()
        for info in try await list(Layout.index, what: "index files") {
            guard let id = Layout.id(of: info.name) else {
                report.notes.append("\(info.name): not an index file name; ignored")
                continue
            }
            do {
                let file = try await loadIndexFile(id)
                for p in file.packs { index.add(pack: p.id, entries: p.entries) }
                report.indexFiles += 1
            } catch {
                report.errors.append("\(info.name): \(error.message)")
            }
        }
        report.blobs = index.count
        let byPack = index.entriesByPack()
        var packSizes: [ObjectID: Int64] = [:]
        for info in try await list(Layout.data, what: "packs") {
            guard let id = Layout.id(of: info.name), info.name == Layout.pack(id) else {
                report.notes.append("\(info.name): not a pack name; ignored")
                continue
            }
            packSizes[id] = info.size
        }
        report.packs = packSizes.count
        var damaged: [ObjectID: PackDamage] = [:]
        for pack in index.packs {
            let name = Layout.pack(pack)
            guard let size = packSizes[pack] else {
                damaged[pack] = PackDamage(problem: "\(name) is missing but the index names it")
                continue
            }
            // A pack ends with at least a sealed table (a tag) and the trailer after its last blob.
            let limit = size - Int64(PackFormat.trailerLength + AESGCM.tagLength)
            let cut = (byPack[pack] ?? []).filter { Int64($0.offset) + Int64($0.storedLength) > limit }
            if !cut.isEmpty {
                damaged[pack] = PackDamage(problem: "\(name) is truncated to \(size) bytes; \(cut.count) blobs the index places in it are cut off",
                                           blobs: Set(cut.map(\.id)))
            }
        }
        for (pack, size) in packSizes where !index.hasPack(pack) {
            report.notes.append("\(Layout.pack(pack)) (\(size) bytes) is in no index file: left by an interrupted backup; harmless, the next backup reuses it")
        }
        if readData {
            // One pack per core at a time: reading, decrypting and re-hashing are independent per pack.
            let todo = index.packs.sorted().filter { damaged[$0] == nil }
            let parallel = max(1, ProcessInfo.processInfo.activeProcessorCount)
            var next = 0
            var stop: TriplicateError?
            await withTaskGroup(of: PackVerification.self) { group in
                func start() {
                    let pack = todo[next]
                    let expected = byPack[pack] ?? []
                    next += 1
                    group.addTask { await self.verification(of: pack, expected: expected) }
                }
                while next < todo.count && next < parallel { start() }
                while let done = await group.next() {
                    if let e = done.error, stop == nil { stop = e }
                    if let damage = done.damage { damaged[done.pack] = damage }
                    report.packsRead += 1
                    progress?(report.packsRead, index.packs.count)
                    if stop == nil && next < todo.count { start() }
                }
            }
            if let stop { throw stop }
        }
        // Walk every snapshot: trees must decode and every blob must be indexed (and not in a damaged pack).
        let reader = try BlobReader(repository: self, index: index)
        var used = Set<ObjectID>()
        var affected: [ObjectID: [String]] = [:]
        let snapshotInfos = try await list(Layout.snapshots, what: "snapshots")
        for info in snapshotInfos {
            guard let sid = Layout.id(of: info.name) else { continue }
            let snapshot: Snapshot
            do { snapshot = try await loadSnapshot(sid) } catch {
                report.errors.append("\(info.name): \(error.message)")
                continue
            }
            report.snapshots += 1
            guard let root = snapshot.record.treeID else { continue }
            var walker = CheckWalker(reader: reader, index: index, damaged: damaged, snapshot: sid)
            try await walker.walk(tree: root, path: "", used: &used)
            report.errors.append(contentsOf: walker.errors)
            for (pack, files) in walker.affected { affected[pack, default: []].append(contentsOf: files) }
        }
        for (pack, damage) in damaged.sorted(by: { $0.key < $1.key }) {
            let problem = damage.problem
            let files = affected[pack] ?? []
            report.damagedPacks.append(Layout.pack(pack))
            report.affectedFiles[Layout.pack(pack)] = files
            var line = "damaged pack: \(problem)"
            if files.isEmpty {
                line += "; no snapshot has data in its damaged part"
            } else {
                line += "; files affected: " + files.prefix(20).joined(separator: ", ") + (files.count > 20 ? " and \(files.count - 20) more" : "")
            }
            report.errors.append(line)
        }
        var unused = 0, unusedBytes: Int64 = 0
        index.forEachLocation { loc in
            if !used.contains(loc.entry.id) {
                unused += 1
                unusedBytes += Int64(loc.entry.storedLength)
            }
        }
        if unused > 0 {
            report.notes.append("\(unused) blobs (\(unusedBytes) bytes) are used by no snapshot: left by an interrupted backup or a removed snapshot; harmless")
        }
        return report
    }

    /// ``verifyPack(_:expected:)`` as a value a task group can collect.
    private func verification(of pack: ObjectID, expected: [PackEntry]) async -> PackVerification {
        do { return PackVerification(pack: pack, damage: try await verifyPack(pack, expected: expected), error: nil) } catch {
            return PackVerification(pack: pack, damage: nil, error: error)
        }
    }

    /// Reads a whole pack and verifies it; returns what is wrong, or nil when every byte is right.
    private func verifyPack(_ pack: ObjectID, expected: [PackEntry]) async throws(TriplicateError) -> PackDamage? {
        let name = Layout.pack(pack)
        let bytes: [UInt8]
        do { bytes = try await destination.get(name) } catch {
            // A pack that cannot be read is damaged; a destination that went away stops the check.
            guard error.kind == .notFound || error.kind == .permanent else {
                throw TriplicateError(error, doing: "check stopped: cannot read \(name)")
            }
            return PackDamage(problem: "\(name) cannot be read: \(error)")
        }
        var problems: [String] = []
        if SHA256.hash(bytes) != pack { problems.append("its bytes no longer match its name") }
        // Open every blob the index places here, so that only the files using a damaged blob are named.
        var bad = Set<ObjectID>()
        do {
            let header = try FileHeader.decode(bytes, expecting: .pack, context: name)
            let key = try keys.fileKey(kind: .pack, salt: header.salt)
            let cipher = try AESGCM(), zstd = try ZstdDecompressor()
            for e in expected {
                let end = Int(e.offset) + Int(e.storedLength)
                guard end <= bytes.count else {
                    bad.insert(e.id)
                    continue
                }
                do {
                    try bytes.withUnsafeBytesTyped { (b) throws(CoreError) in
                        _ = try PackFormat.openBlob(UnsafeRawBufferPointer(rebasing: b[Int(e.offset)..<end]), entry: e,
                                                    packKey: key, keys: keys, cipher: cipher, zstd: zstd, context: name)
                    }
                } catch {
                    bad.insert(e.id)
                }
            }
        } catch {
            return PackDamage(problem: "\(name): \(error)")
        }
        if !bad.isEmpty { problems.append("\(bad.count) of its \(expected.count) blobs fail authentication") }
        // The table must still open and agree with the index.
        do {
            let range = try PackFormat.tableRange(trailer: Array(bytes.suffix(PackFormat.trailerLength)),
                                                  packSize: Int64(bytes.count), context: name)
            let entries = try PackFormat.openTable(header: Array(bytes[0..<FileHeader.length]),
                                                   sealedTable: Array(bytes[Int(range.lowerBound)..<Int(range.upperBound)]),
                                                   packSize: range.lowerBound, keys: keys, context: name)
            let table = Set(entries)
            if expected.contains(where: { !table.contains($0) }) { problems.append("its table disagrees with the index") }
        } catch {
            problems.append("its table cannot be read (\(error))")
        }
        guard !problems.isEmpty else { return nil }
        return PackDamage(problem: "\(name): " + problems.joined(separator: "; "), blobs: bad)
    }
}

/// The result of verifying one pack: its damage, or the error that stopped the check.
struct PackVerification: Sendable {
    let pack: ObjectID
    let damage: PackDamage?
    let error: TriplicateError?
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

/// Walks one snapshot's trees for check, collecting missing blobs and the files in damaged packs.
struct CheckWalker {
    let reader: BlobReader
    let index: MasterIndex
    let damaged: [ObjectID: PackDamage]
    let snapshot: ObjectID
    var errors: [String] = []
    var affected: [ObjectID: [String]] = [:]

    init(reader: BlobReader, index: MasterIndex, damaged: [ObjectID: PackDamage], snapshot: ObjectID) {
        self.reader = reader
        self.index = index
        self.damaged = damaged
        self.snapshot = snapshot
    }

    private func damagedPack(of blob: ObjectID) -> ObjectID? {
        guard let loc = index.location(blob) else { return nil }
        let pack = index.packID(loc.pack)
        return damaged[pack]?.affects(blob) == true ? pack : nil
    }

    /// Walks a tree; damage is collected, but a destination that fails stops the check (thrown).
    mutating func walk(tree: ObjectID, path: String, used: inout Set<ObjectID>) async throws(TriplicateError) {
        used.insert(tree)
        let display = "snapshot \(snapshot.short):" + (path.isEmpty ? "/" : path)
        guard index.contains(tree) else {
            errors.append("\(display): tree \(tree.short) is missing from the index")
            return
        }
        if let pack = damagedPack(of: tree) {
            affected[pack, default: []].append("\(snapshot.short):\(path.isEmpty ? "/" : path) (folder listing)")
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
                try await walk(tree: sub, path: childPath, used: &used)
            case .file(let chunks, _, _, _):
                let length = chunks.reduce(Int64(0)) { $0 + Int64(index.location($1)?.entry.rawLength ?? 0) }
                if chunks.allSatisfy({ index.contains($0) }), length != Int64(node.size) {
                    errors.append("snapshot \(snapshot.short):\(childPath): its chunks hold \(length) bytes but the snapshot says \(node.size)")
                }
                var reported = Set<ObjectID>()
                for c in chunks {
                    used.insert(c)
                    if !index.contains(c) {
                        errors.append("snapshot \(snapshot.short):\(childPath): chunk \(c.short) is missing from the index")
                        break
                    }
                    if let pack = damagedPack(of: c), reported.insert(pack).inserted {
                        affected[pack, default: []].append("\(snapshot.short):\(childPath)")
                    }
                }
            case .symlink:
                break
            }
        }
    }
}
