// Damage: what commands found damaged in packs, kept in the repository so that no later command builds on it.
@_spi(Benchmarks) internal import TriplicateCore
internal import Foundation
internal import Synchronization

/// The blobs recorded as damaged, by pack: the union of every readable damage record (FORMAT.md §9.1).
struct DamageSet: Sendable {
    private(set) var byPack: [ObjectID: Set<ObjectID>] = [:]
    /// The record files this set was loaded from.
    var files: [String] = []
    /// Damage records that could not be read (by name), with the reason.
    var problems: [(name: String, message: String)] = []

    var isEmpty: Bool { byPack.isEmpty }

    /// True when blob `blob` must not be read from pack `pack`.
    func contains(pack: ObjectID, blob: ObjectID) -> Bool { byPack[pack]?.contains(blob) ?? false }

    /// Adds blobs of `pack` to the set.
    mutating func insert(pack: ObjectID, blobs: some Sequence<ObjectID>) { byPack[pack, default: []].formUnion(blobs) }

    /// A pack in which `blob` is recorded as damaged, if any.
    func pack(holding blob: ObjectID) -> ObjectID? { byPack.first { $0.value.contains(blob) }?.key }

    /// The entries of `pack` that are not recorded as damaged.
    func usable(_ entries: [PackEntry], in pack: ObjectID) -> [PackEntry] {
        guard let bad = byPack[pack] else { return entries }
        return entries.filter { !bad.contains($0.id) }
    }
}

/// Collects the blobs commands find damaged while they read (a restore's file tasks, a check's pack readers),
/// from any thread.
final class DamageFinder: Sendable {
    private struct Found {
        var blobs: [ObjectID: Set<ObjectID>] = [:]
        var problems: [ObjectID: String] = [:]
    }
    private let state = Mutex(Found())

    /// Notes that blob `blob` of pack `pack` is damaged, with what was wrong (the first problem per pack is kept).
    func found(pack: ObjectID, blobs: some Sequence<ObjectID>, problem: String) {
        state.withLock { s in
            s.blobs[pack, default: []].formUnion(blobs)
            if s.problems[pack] == nil { s.problems[pack] = problem }
        }
    }

    var isEmpty: Bool { state.withLock { $0.blobs.isEmpty } }

    /// What was found, as the packs of a damage record.
    var packs: [DamageRecord.Pack] {
        state.withLock { s in
            s.blobs.map { DamageRecord.Pack(pack: $0.key, blobs: Array($0.value), problem: s.problems[$0.key] ?? "damaged") }
        }
    }
}

extension Repository {
    /// Loads every damage record. A record that cannot be read is named in ``DamageSet/problems`` (check reports it);
    /// a failure of the destination itself stops the loading.
    func loadDamage() async throws(TriplicateError) -> DamageSet {
        var set = DamageSet()
        for info in try await list(Layout.damage, what: "damage records") {
            guard let id = Layout.id(of: info.name), info.name == Layout.damageRecord(id) else { continue }
            do {
                let record = try await loadDamageRecord(id, size: info.size)
                for p in record.packs {
                    guard let pack = p.packID else { continue }
                    set.insert(pack: pack, blobs: p.blobs.compactMap { ObjectID(hex: $0) })
                }
                set.files.append(info.name)
            } catch {
                if case .destination = error.kind { throw error }
                set.problems.append((info.name, error.message))
            }
        }
        return set
    }

    func loadDamageRecord(_ id: ObjectID, size: Int64?) async throws(TriplicateError) -> DamageRecord {
        let name = Layout.damageRecord(id)
        let payload = try await openSealed(name, id: id, kind: .damage, size: size)
        do { return try DamageRecord.decode(payload, context: name) } catch { throw TriplicateError.corrupt(error, file: name) }
    }

    /// Writes a damage record of `packs` (leaving out what `known` already records); returns its name, or nil
    /// when there was nothing new to record.
    func recordDamage(_ packs: [DamageRecord.Pack], found: String, known: DamageSet = DamageSet()) async throws(TriplicateError) -> String? {
        let files = try damageRecordFiles(packs, found: found, known: known)
        for (name, bytes) in files { try await put(name, bytes) }
        return files.first?.0
    }

    /// Blob IDs per damage record: 100,000 of them make about 7 MB of JSON, far below what a reader accepts (§6.3).
    static let blobsPerDamageRecord = 100_000

    /// The names and bytes of the damage records of `packs` (leaving out what `known` already records; several records
    /// when there are more than ``blobsPerDamageRecord`` blobs), empty when there is nothing new; a plan stores the same
    /// bytes on every copy.
    func damageRecordFiles(_ packs: [DamageRecord.Pack], found: String, known: DamageSet = DamageSet()) throws(TriplicateError) -> [(String, [UInt8])] {
        var batches: [[DamageRecord.Pack]] = [[]]
        var inBatch = 0
        for var p in packs {
            guard let pack = p.packID else { continue }
            var fresh = p.blobs.filter { b in ObjectID(hex: b).map { !known.contains(pack: pack, blob: $0) } ?? false }
            while !fresh.isEmpty {
                let room = Self.blobsPerDamageRecord - inBatch
                if room == 0 {
                    batches.append([])
                    inBatch = 0
                    continue
                }
                p.blobs = Array(fresh.prefix(room))
                fresh.removeFirst(p.blobs.count)
                batches[batches.count - 1].append(p)
                inBatch += p.blobs.count
            }
        }
        var out: [(String, [UInt8])] = []
        let now = Date()
        for batch in batches where !batch.isEmpty {
            let record = DamageRecord(time: now, hostname: Host.currentName, found: found, packs: batch)
            let bytes: [UInt8]
            do { bytes = try SealedFile.seal(try record.encode(), kind: .damage, keys: keys) } catch {
                throw TriplicateError(.internalFailure, "cannot encode a damage record: \(error)")
            }
            out.append((Layout.damageRecord(SHA256.hash(bytes)), bytes))
        }
        return out
    }

    /// The payload of the sealed file `name` (an index file, snapshot or damage record named by `id`, the SHA-256 of its
    /// bytes): read whole (refused first when `size`, or the destination's answer, exceeds what its kind may be), checked
    /// against its name, authenticated and decompressed.
    ///
    /// In a plan's repository, a file the first copy holds damaged is read from the next copy that holds it intact.
    func openSealed(_ name: String, id: ObjectID, kind: FileKind, size: Int64?) async throws(TriplicateError) -> [UInt8] {
        do { return try await openSealed(name, id: id, kind: kind, size: size, from: destination) } catch {
            guard error.kind == .corrupt, let others = replicas?.readCopies.dropFirst(), !others.isEmpty else { throw error }
            for copy in others {
                if let payload = try? await openSealed(name, id: id, kind: kind, size: nil, from: copy) { return payload }
            }
            throw error
        }
    }

    private func openSealed(_ name: String, id: ObjectID, kind: FileKind, size: Int64?,
                            from copy: any Destination) async throws(TriplicateError) -> [UInt8] {
        let bytes = try await getSealed(name, kind: kind, size: size, from: copy)
        guard SHA256.hash(bytes) == id else {
            throw TriplicateError(.corrupt, "\(name) is damaged: its content does not match its name")
        }
        do { return try SealedFile.open(bytes, kind: kind, keys: keys, context: name) } catch { throw TriplicateError.corrupt(error, file: name) }
    }

    /// Reads a sealed file (index, snapshot, damage record) whole from `copy`, refusing one larger than its kind allows
    /// before reading it; `size` is what a listing said (nil: asked from the destination).
    private func getSealed(_ name: String, kind: FileKind, size: Int64?, from copy: any Destination) async throws(TriplicateError) -> [UInt8] {
        var known = size
        if known == nil {
            do { known = try await copy.stat(name).size } catch {
                if error.kind == .notFound {
                    throw TriplicateError(.corrupt, "\(name) is missing from \(copy.displayName)", remedy: .check(readData: false))
                }
                throw TriplicateError(error, doing: "cannot read \(name)")
            }
        }
        if let known, known > SealedFile.maxFileSize(kind) {
            throw TriplicateError(.corrupt, "\(name) is damaged: it is \(known) bytes, more than a \(kind.label) file may hold")
        }
        do { return try await copy.get(name) } catch {
            if error.kind == .notFound {
                throw TriplicateError(.corrupt, "\(name) is missing from \(copy.displayName)", remedy: .check(readData: false))
            }
            throw TriplicateError(error, doing: "cannot read \(name)")
        }
    }
}
