// MasterIndex: the in-memory union of every index file — for each blob, which pack holds it and where —
// kept as a compact sorted array of 48-byte records instead of a dictionary of objects.
@_spi(Benchmarks) internal import TriplicateCore

/// Where a blob lies: the pack (by number in ``MasterIndex/packs``) and the entry.
struct BlobLocation: Sendable {
    var pack: UInt32
    var entry: PackEntry
}

/// One indexed blob in 48 bytes: the ID, then the pack number with the blob's type and compression in its three
/// top bits, the offset, the stored length and the raw length. (The base of a blob compressed against one is kept
/// beside, in ``MasterIndex``: few blobs have one.)
struct IndexRecord: Sendable {
    var id: ObjectID
    var packAndFlags: UInt32
    var offset: UInt32
    var storedLength: UInt32
    var rawLength: UInt32

    static let typeBit: UInt32 = 1 << 31
    static let compressionShift: UInt32 = 29
    static let packMask: UInt32 = (1 << 29) - 1

    init(pack: UInt32, entry e: PackEntry) {
        id = e.id
        packAndFlags = pack | (e.type == .tree ? Self.typeBit : 0) | UInt32(e.compression.rawValue) << Self.compressionShift
        offset = e.offset
        storedLength = e.storedLength
        rawLength = e.rawLength
    }

    var pack: UInt32 { packAndFlags & Self.packMask }

    var compression: Compression { Compression(rawValue: UInt8((packAndFlags >> Self.compressionShift) & 3)) ?? .none }

    /// True when the blob is compressed against a base.
    var hasBase: Bool { compression == .zstdAgainstBase }

    /// The location; `base` is the blob's base when ``hasBase``.
    func location(base: ObjectID?) -> BlobLocation {
        BlobLocation(pack: pack, entry: PackEntry(
            id: id, type: packAndFlags & Self.typeBit != 0 ? .tree : .data, compression: compression,
            offset: offset, storedLength: storedLength, rawLength: rawLength, base: hasBase ? base : nil))
    }

    /// Sort order: by ID, and among the locations of one ID those stored without a base first, so that removing
    /// duplicates keeps one of those (a blob that serves as a base must be read without one).
    static func precedes(_ a: IndexRecord, _ b: IndexRecord) -> Bool {
        a.id == b.id ? !a.hasBase && b.hasBase : a.id < b.id
    }
}

/// Where a blob compressed against a base lies: the key of ``MasterIndex``'s bases.
private struct PlaceKey: Hashable, Sendable {
    let pack: UInt32
    let offset: UInt32
}

/// Every indexed blob, by ID. A blob indexed twice (in two packs written by concurrent or resumed backups, or in
/// one pack named by two index files) is kept once; both packs stay valid.
///
/// Memory: 48 bytes per blob in one sorted array, plus a small unsorted tail (with a dictionary over it) for
/// blobs added since the last merge; the tail is merged once it reaches 1/16 of the sorted part, so the
/// overhead stays below a few bytes per blob. A fan-out table of 65,536 positions (256 KiB, by the IDs' first
/// two bytes, as in git's pack index) narrows each lookup to one bucket of the sorted array, and since IDs
/// are uniform the next six bytes give the position within it to a few records: with 10 million blobs a
/// lookup touches two or three cache lines instead of the 24 scattered ones of a binary search.
struct MasterIndex: Sendable {
    private(set) var packs: [ObjectID] = []
    private var packNumbers: [ObjectID: UInt32] = [:]
    private var sorted: [IndexRecord] = []
    /// `fanout[p]` is the number of sorted records whose ID's first two bytes are below `p` (65,537 entries).
    private var fanout: [UInt32] = []
    private var recent: [IndexRecord] = []
    private var recentSlots: [ObjectID: Int] = [:]
    /// The base of each blob stored against one, by where it lies.
    private var bases: [PlaceKey: ObjectID] = [:]
    /// Index files that could not be read, with the reason.
    var problems: [String] = []
    /// Packs that index files name but that are missing from the destination or cut short; their blobs
    /// (the cut-off ones, for a short pack) are not in this index.
    var missingPacks: [ObjectID] = []
    /// Every pack present on the destination when the index was loaded, with its size.
    var presentPacks: [ObjectID: Int64] = [:]
    /// The blobs recorded as damaged (left out of this index).
    var damage = DamageSet()
    /// Packs no readable index file names whose tables were read instead.
    var recoveredPacks = 0
    /// With `keepFiles` (prune): each readable index file, by name, with the packs it names, in the order listed.
    var files: [(name: String, packs: [ObjectID])] = []
    /// With `keepFiles`: how many blobs each index file says a pack holds (the most any file says).
    var entryCounts: [ObjectID: Int] = [:]

    /// Number of distinct blobs.
    var count: Int { sorted.count + recent.count }

    func contains(_ id: ObjectID) -> Bool { record(id) != nil }

    func location(_ id: ObjectID) -> BlobLocation? { record(id).map(location) }

    private func location(_ r: IndexRecord) -> BlobLocation {
        r.location(base: r.hasBase ? bases[PlaceKey(pack: r.pack, offset: r.offset)] : nil)
    }

    /// Remembers the base of `e` (in pack number `pack`), if it has one.
    private mutating func noteBase(_ e: PackEntry, pack: UInt32) {
        if let base = e.base { bases[PlaceKey(pack: pack, offset: e.offset)] = base }
    }

    func packID(_ number: UInt32) -> ObjectID { packs[Int(number)] }

    func hasPack(_ id: ObjectID) -> Bool { packNumbers[id] != nil }

    /// The pack's number in ``packs``, when a blob of it was ever added.
    func packNumber(_ id: ObjectID) -> UInt32? { packNumbers[id] }

    private func record(_ id: ObjectID) -> IndexRecord? {
        if let slot = recentSlots[id] { return recent[slot] }
        return sortedPosition(id).map { sorted[$0] }
    }

    /// The position of `id` in the sorted records, if there.
    private func sortedPosition(_ id: ObjectID) -> Int? {
        guard !sorted.isEmpty else { return nil }
        let word = id.leadingWord
        let prefix = Int(truncatingIfNeeded: word >> 48)
        return sorted.withUnsafeBufferPointer { buffer -> Int? in
            let low = Int(fanout[prefix]), high = Int(fanout[prefix + 1])
            guard low < high else { return nil }
            // IDs are keyed hashes, so uniform within the bucket: start where the remaining 48 bits of the first
            // word say, then step to the exact place (a few records away on average).
            let fraction = Double(word & 0xFFFF_FFFF_FFFF) / 281_474_976_710_656.0
            var i = min(low + Int(fraction * Double(high - low)), high - 1)
            if buffer[i].id < id {
                repeat { i += 1 } while i < high && buffer[i].id < id
            } else {
                while i > low && !(buffer[i - 1].id < id) { i -= 1 }
            }
            return i < high && buffer[i].id == id ? i : nil
        }
    }

    /// Rebuilds ``fanout`` from the sorted records (one pass).
    private mutating func buildFanout() {
        var table = [UInt32](repeating: 0, count: 65_537)
        sorted.withUnsafeBufferPointer { buffer in
            table.withUnsafeMutableBufferPointer { t in
                for r in buffer { t[Int(truncatingIfNeeded: r.id.leadingWord >> 48) + 1] += 1 }
                for p in 1..<t.count { t[p] += t[p - 1] }
            }
        }
        fanout = table
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
            noteBase(e, pack: number)
        }
        if recent.count >= max(1 << 16, sorted.count >> 4) { merge() }
    }

    /// Makes room for `count` more records before a series of ``appendForLoading(pack:entries:)`` calls, so that
    /// the array is allocated once at its final size.
    mutating func reserveForLoading(_ count: Int) {
        merge()
        sorted.reserveCapacity(sorted.count + count)
    }

    /// Appends the blobs of one pack without sorting: lookups are wrong until ``finishLoading()``. Loading index
    /// files this way holds each file's entries only while it is appended, never the whole list twice.
    mutating func appendForLoading(pack: ObjectID, entries: [PackEntry]) {
        let number = number(of: pack)
        for e in entries {
            sorted.append(IndexRecord(pack: number, entry: e))
            noteBase(e, pack: number)
        }
    }

    /// Sorts what was appended, drops duplicates and rebuilds the fan-out table.
    mutating func finishLoading() {
        sorted.sort(by: IndexRecord.precedes)
        removeDuplicates()
        buildFanout()
    }

    /// Moves the unsorted tail into the sorted array.
    private mutating func merge() {
        guard !recent.isEmpty else { return }
        sorted.reserveCapacity(sorted.count + recent.count)
        sorted.append(contentsOf: recent)
        recent.removeAll()
        recentSlots.removeAll()
        // Both runs are sorted after this; the standard sort handles a sorted prefix and a short tail well.
        sorted.sort(by: IndexRecord.precedes)
        removeDuplicates()
        buildFanout()
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

    /// The number of links from blob `id` to the first blob of its chain of bases stored without one: 0 for a blob
    /// stored without a base, nil when the blob is not indexed or its chain cannot be read (a base not indexed, or a
    /// chain of more than ``PackFormat/maxBaseChain`` links, which a loop of bases is).
    func chainLength(_ id: ObjectID) -> Int? {
        var current = id
        for links in 0...PackFormat.maxBaseChain {
            guard let r = record(current) else { return nil }
            guard r.hasBase else { return links }
            guard let base = bases[PlaceKey(pack: r.pack, offset: r.offset)] else { return nil }
            current = base
        }
        return nil
    }

    /// Leaves out every blob stored against a base whose chain of bases cannot be read (``chainLength(_:)``, FORMAT.md
    /// §9): a base that is not indexed (its pack is gone, or recorded as damaged), or a chain too long. Such a blob is as
    /// lost as one whose pack is gone: a backup stores it again, and a restore lists the files that need it. Returns how
    /// many were left out.
    @discardableResult
    mutating func dropUnreadableDeltas() -> Int {
        merge()
        guard !bases.isEmpty else { return 0 }
        let before = sorted.count
        let usable = sorted.map { r -> Bool in !r.hasBase || chainLength(r.id) != nil }
        var write = 0
        for read in sorted.indices where usable[read] {
            sorted[write] = sorted[read]
            write += 1
        }
        sorted.removeSubrange(write...)
        guard sorted.count != before else { return 0 }
        buildFanout()
        return before - sorted.count
    }

    /// Merges the unsorted tail, so that every blob has a fixed position in `0..<count` (``position(of:)``) until the
    /// next ``add(pack:entries:)``: prune marks the blobs it needs in a bit set by position, an eighth of a byte per
    /// blob, instead of a set of IDs.
    mutating func compact() { merge() }

    /// The blob's position after ``compact()``; nil when it is not indexed (or the tail is not merged).
    func position(of id: ObjectID) -> Int? {
        recent.isEmpty ? sortedPosition(id) : nil
    }

    /// Calls `body` with each blob's position (after ``compact()``) and location.
    func forEachPosition(_ body: (Int, BlobLocation) -> Void) {
        for (i, r) in sorted.enumerated() { body(i, location(r)) }
    }

    /// Calls `body` with every blob location (one per distinct blob), without copying the index.
    func forEachLocation(_ body: (BlobLocation) -> Void) {
        for r in sorted { body(location(r)) }
        for r in recent { body(location(r)) }
    }

    /// The entries of each pack, as indexed (a blob indexed in two packs appears under one of them).
    func entriesByPack() -> [ObjectID: [PackEntry]] {
        var out: [ObjectID: [PackEntry]] = [:]
        for r in sorted { out[packs[Int(r.pack)], default: []].append(location(r).entry) }
        for r in recent { out[packs[Int(r.pack)], default: []].append(location(r).entry) }
        return out
    }
}
