// MasterIndex: the in-memory union of every index file — for each blob, which pack holds it and where.

/// Where a blob lies: the pack (by number in ``MasterIndex/packs``) and the entry.
struct BlobLocation: Sendable {
    var pack: UInt32
    var entry: PackEntry
}

/// Every indexed blob, keyed by ID. Blobs indexed twice (two packs written by concurrent or resumed backups)
/// keep their first location; both packs stay valid.
struct MasterIndex: Sendable {
    private(set) var packs: [ObjectID] = []
    private var packNumbers: [ObjectID: UInt32] = [:]
    private var blobs: [ObjectID: BlobLocation] = [:]
    /// Entries of every pack, as the index files give them.
    private(set) var entriesByPack: [ObjectID: [PackEntry]] = [:]
    /// Index files that could not be read, with the reason.
    var problems: [String] = []
    /// Packs that index files name but that are missing from the destination or cut short; their blobs
    /// (the cut-off ones, for a short pack) are not in this index.
    var missingPacks: [ObjectID] = []
    /// Every pack present on the destination when the index was loaded, with its size.
    var presentPacks: [ObjectID: Int64] = [:]

    /// Number of distinct blobs.
    var count: Int { blobs.count }

    func contains(_ id: ObjectID) -> Bool { blobs[id] != nil }

    func location(_ id: ObjectID) -> BlobLocation? { blobs[id] }

    func packID(_ number: UInt32) -> ObjectID { packs[Int(number)] }

    func hasPack(_ id: ObjectID) -> Bool { packNumbers[id] != nil }

    mutating func add(pack id: ObjectID, entries: [PackEntry]) {
        let number: UInt32
        if let n = packNumbers[id] {
            number = n
        } else {
            number = UInt32(packs.count)
            packs.append(id)
            packNumbers[id] = number
        }
        // The same pack may be named by two index files (two backups adopted it): record each blob once.
        var known = Set(entriesByPack[id]?.map(\.id) ?? [])
        for e in entries where known.insert(e.id).inserted {
            entriesByPack[id, default: []].append(e)
            if blobs[e.id] == nil { blobs[e.id] = BlobLocation(pack: number, entry: e) }
        }
    }

    /// Every blob location (one per distinct blob).
    var allLocations: Dictionary<ObjectID, BlobLocation>.Values { blobs.values }
}
