// MasterIndex: the in-memory union of every index file — for each blob, which pack holds it and where —
// kept as a compact sorted array of 48-byte records instead of a dictionary of objects.

/// Where a blob lies: the pack (by number in ``MasterIndex/packs``) and the entry.
struct BlobLocation: Sendable {
    var pack: UInt32
    var entry: PackEntry
}

/// One indexed blob in 48 bytes: the ID, then the pack number with the blob's type and compression in its two
/// top bits, the offset, the stored length and the raw length.
struct IndexRecord: Sendable {
    var id: ObjectID
    var packAndFlags: UInt32
    var offset: UInt32
    var storedLength: UInt32
    var rawLength: UInt32

    static let typeBit: UInt32 = 1 << 31
    static let compressionBit: UInt32 = 1 << 30
    static let packMask: UInt32 = (1 << 30) - 1

    init(pack: UInt32, entry e: PackEntry) {
        id = e.id
        packAndFlags = pack | (e.type == .tree ? Self.typeBit : 0) | (e.compression == .zstd ? Self.compressionBit : 0)
        offset = e.offset
        storedLength = e.storedLength
        rawLength = e.rawLength
    }

    var pack: UInt32 { packAndFlags & Self.packMask }

    var location: BlobLocation {
        BlobLocation(pack: pack, entry: PackEntry(
            id: id, type: packAndFlags & Self.typeBit != 0 ? .tree : .data,
            compression: packAndFlags & Self.compressionBit != 0 ? .zstd : .none,
            offset: offset, storedLength: storedLength, rawLength: rawLength))
    }
}

/// Every indexed blob, by ID. A blob indexed twice (in two packs written by concurrent or resumed backups, or in
/// one pack named by two index files) is kept once; both packs stay valid.
///
/// Memory: 48 bytes per blob in one sorted array, plus a small unsorted tail (with a dictionary over it) for
/// blobs added since the last merge; the tail is merged once it reaches 1/16 of the sorted part, so the
/// overhead stays below a few bytes per blob. Lookups are a binary search (O(log n)) and a hash lookup.
struct MasterIndex: Sendable {
    private(set) var packs: [ObjectID] = []
    private var packNumbers: [ObjectID: UInt32] = [:]
    private var sorted: [IndexRecord] = []
    private var recent: [IndexRecord] = []
    private var recentSlots: [ObjectID: Int] = [:]
    /// Index files that could not be read, with the reason.
    var problems: [String] = []
    /// Packs that index files name but that are missing from the destination or cut short; their blobs
    /// (the cut-off ones, for a short pack) are not in this index.
    var missingPacks: [ObjectID] = []
    /// Every pack present on the destination when the index was loaded, with its size.
    var presentPacks: [ObjectID: Int64] = [:]

    /// Number of distinct blobs.
    var count: Int { sorted.count + recent.count }

    func contains(_ id: ObjectID) -> Bool { record(id) != nil }

    func location(_ id: ObjectID) -> BlobLocation? { record(id)?.location }

    func packID(_ number: UInt32) -> ObjectID { packs[Int(number)] }

    func hasPack(_ id: ObjectID) -> Bool { packNumbers[id] != nil }

    private func record(_ id: ObjectID) -> IndexRecord? {
        if let slot = recentSlots[id] { return recent[slot] }
        return sorted.withUnsafeBufferPointer { buffer -> IndexRecord? in
            var low = 0, high = buffer.count
            while low < high {
                let mid = (low + high) >> 1
                if buffer[mid].id < id { low = mid + 1 } else { high = mid }
            }
            return low < buffer.count && buffer[low].id == id ? buffer[low] : nil
        }
    }

    private mutating func number(of pack: ObjectID) -> UInt32 {
        if let n = packNumbers[pack] { return n }
        let n = UInt32(packs.count)
        packs.append(pack)
        packNumbers[pack] = n
        return n
    }

    /// Adds the blobs of one pack, skipping those already indexed.
    mutating func add(pack id: ObjectID, entries: [PackEntry]) {
        let number = number(of: id)
        for e in entries where !contains(e.id) {
            recentSlots[e.id] = recent.count
            recent.append(IndexRecord(pack: number, entry: e))
        }
        if recent.count >= max(1 << 16, sorted.count >> 4) { merge() }
    }

    /// Adds many packs at once (loading index files): one sort at the end instead of a merge per batch.
    mutating func load(_ list: [(pack: ObjectID, entries: [PackEntry])]) {
        merge()
        sorted.reserveCapacity(sorted.count + list.reduce(0) { $0 + $1.entries.count })
        for (pack, entries) in list {
            let number = number(of: pack)
            for e in entries { sorted.append(IndexRecord(pack: number, entry: e)) }
        }
        sorted.sort { $0.id < $1.id }
        removeDuplicates()
    }

    /// Moves the unsorted tail into the sorted array.
    private mutating func merge() {
        guard !recent.isEmpty else { return }
        sorted.reserveCapacity(sorted.count + recent.count)
        sorted.append(contentsOf: recent)
        recent.removeAll()
        recentSlots.removeAll()
        // Both runs are sorted after this; the standard sort handles a sorted prefix and a short tail well.
        sorted.sort { $0.id < $1.id }
        removeDuplicates()
    }

    private mutating func removeDuplicates() {
        guard sorted.count > 1 else { return }
        var write = 1
        for read in 1..<sorted.count where sorted[read].id != sorted[write - 1].id {
            sorted[write] = sorted[read]
            write += 1
        }
        sorted.removeSubrange(write...)
    }

    /// Calls `body` with every blob location (one per distinct blob), without copying the index.
    func forEachLocation(_ body: (BlobLocation) -> Void) {
        for r in sorted { body(r.location) }
        for r in recent { body(r.location) }
    }

    /// The entries of each pack, as indexed (a blob indexed in two packs appears under one of them).
    func entriesByPack() -> [ObjectID: [PackEntry]] {
        var out: [ObjectID: [PackEntry]] = [:]
        for r in sorted { out[packs[Int(r.pack)], default: []].append(r.location.entry) }
        for r in recent { out[packs[Int(r.pack)], default: []].append(r.location.entry) }
        return out
    }
}
