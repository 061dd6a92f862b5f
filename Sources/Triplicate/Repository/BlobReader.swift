// BlobReader: fetches blobs from packs through the index, authenticates them and re-checks their IDs.
@_spi(Benchmarks) internal import TriplicateCore
internal import Synchronization

/// What opening blobs needs, owned by one reader at a time: a GCM context, a zstd context, and two buffers reused from
/// blob to blob (the sealed bytes, opened in place, and the decompressed plaintext).
final class BlobOpener {
    let cipher: AESGCM
    let zstd: ZstdDecompressor
    private var sealedBuffer: UnsafeMutableRawBufferPointer?
    private var plainBuffer: UnsafeMutableRawBufferPointer?
    private var rangeBuffer: UnsafeMutableRawBufferPointer?

    init() throws(TriplicateError) {
        do {
            cipher = try AESGCM()
            zstd = try ZstdDecompressor()
        } catch { throw TriplicateError(.corrupt, "cannot set up decryption: \(error)") }
    }

    deinit {
        sealedBuffer?.deallocate()
        plainBuffer?.deallocate()
        rangeBuffer?.deallocate()
    }

    /// The first `size` bytes of a third buffer, for a range of a pack holding several blobs (opened in place one by
    /// one while the other two buffers serve a blob read on its own).
    func range(_ size: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: Self.grow(&rangeBuffer, to: size)[0..<size])
    }

    /// The first `size` bytes of the sealed-bytes buffer (grown to at least 1 MiB when smaller).
    func sealed(_ size: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: Self.grow(&sealedBuffer, to: size)[0..<size])
    }

    /// The plaintext buffer, at least `size` bytes.
    func plain(_ size: Int) -> UnsafeMutableRawBufferPointer { Self.grow(&plainBuffer, to: size) }

    /// Opens `sealed` in place (``PackFormat/openBlob(inPlace:entry:packKey:keys:cipher:zstd:scratch:base:context:)``),
    /// decompressing into the plaintext buffer, against `base` (the plaintext of the entry's base) when it has one.
    func open(_ sealed: UnsafeMutableRawBufferPointer, entry e: PackEntry, packKey: [UInt8], keys: RepositoryKeys, base: [UInt8]?,
              context: String) throws(CoreError) -> UnsafeRawBufferPointer {
        let scratch = plain(Int(e.rawLength))
        guard let base else {
            return try PackFormat.openBlob(inPlace: sealed, entry: e, packKey: packKey, keys: keys, cipher: cipher, zstd: zstd,
                                           scratch: scratch, context: context)
        }
        return try base.withUnsafeBytesTyped { (b) throws(CoreError) -> UnsafeRawBufferPointer in
            try PackFormat.openBlob(inPlace: sealed, entry: e, packKey: packKey, keys: keys, cipher: cipher, zstd: zstd,
                                    scratch: scratch, base: b, context: context)
        }
    }

    private static func grow(_ buffer: inout UnsafeMutableRawBufferPointer?, to size: Int) -> UnsafeMutableRawBufferPointer {
        if let b = buffer, b.count >= size { return b }
        buffer?.deallocate()
        let fresh = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1 << 20), alignment: 64)
        buffer = fresh
        return fresh
    }
}

/// The keys of the packs read so far (each derived from its header), shared by the readers of one operation so that a
/// pack's header is read once, whichever reader needs it first.
final class PackKeyCache: Sendable {
    private let keys = Mutex([ObjectID: [UInt8]]())

    init() {}

    subscript(pack: ObjectID) -> [UInt8]? {
        get { keys.withLock { $0[pack] } }
        set { keys.withLock { $0[pack] = newValue } }
    }
}

/// Listings decoded during one range read.
private final class TreeCollector {
    var trees: [ObjectID: Tree] = [:]
}

/// Reads blobs (chunks and trees) of a repository. Caches pack keys; not thread safe: one task at a time uses
/// it (a parallel restore hands each reader to one task and takes it back when the task ends).
final class BlobReader: @unchecked Sendable {
    let repository: Repository
    let index: MasterIndex
    /// Where blobs found damaged are reported (nil: nowhere).
    let finder: DamageFinder?
    /// Pack keys, shared with the other readers of the operation.
    let packKeys: PackKeyCache
    private let opener: BlobOpener
    private var trees: [ObjectID: Tree] = [:]
    /// When set, the first listing read from a pack brings every listing of that pack along (up to
    /// ``treeReadAhead`` bytes), in few ranges: walking a snapshot of many folders then costs a request per pack of
    /// listings instead of one per folder, which over the internet is most of a restore's time.
    var readsTreesAhead = false
    /// The listings of each pack that holds any, from the index (made on first use).
    private var treeEntries: [UInt32: [PackEntry]]?
    private var treePacksRead: Set<UInt32> = []
    static let treeReadAhead: Int64 = 32 << 20
    /// The plaintexts of the bases read so far (for blobs stored against a base), oldest first, up to ``baseCacheLimit``
    /// bytes: the blocks of one database file are read in order, and each base serves the one block stored against it.
    private var bases: [ObjectID: [UInt8]] = [:]
    private var baseOrder: [ObjectID] = []
    private var baseBytes = 0
    static let baseCacheLimit = 32 << 20
    /// How many bases are being read, one inside the other (a chain of bases is read from its far end).
    private var baseDepth = 0

    init(repository: Repository, index: MasterIndex, finder: DamageFinder? = nil, packKeys: PackKeyCache = PackKeyCache()) throws(TriplicateError) {
        self.repository = repository
        self.index = index
        self.finder = finder
        self.packKeys = packKeys
        opener = try BlobOpener()
    }

    /// A blob that could not be read from one copy: the error, and whether it is damage of that copy (a missing or
    /// unreadable pack, a header or blob that fails authentication) rather than a failure of the destination itself.
    private struct Failed: Error {
        var error: TriplicateError
        var damage: Bool
    }

    /// The key of `pack`, read from its header on `copy` (and cached once read).
    private func packKey(_ pack: ObjectID, from copy: any Destination) async throws(Failed) -> [UInt8] {
        if let k = packKeys[pack] { return k }
        let name = Layout.pack(pack)
        let header: [UInt8]
        do { header = try await copy.get(name, range: 0..<Int64(FileHeader.length)) } catch {
            if error.kind == .notFound || error.kind == .permanent {
                throw Failed(error: TriplicateError(.corrupt, "pack \(name) cannot be read from \(copy.displayName) (\(error))",
                                                          remedy: .check(readData: false)),
                             damage: error.kind == .permanent)
            }
            throw Failed(error: TriplicateError(error, doing: "cannot read pack \(name)"), damage: false)
        }
        return try packKey(pack, header: header)
    }

    /// The key of `pack` derived from its header's bytes (and cached).
    private func packKey(_ pack: ObjectID, header: some Collection<UInt8>) throws(Failed) -> [UInt8] {
        let name = Layout.pack(pack)
        do {
            let h = try FileHeader.decode(Array(header), expecting: .pack, context: name)
            let k = try repository.keys.fileKey(kind: .pack, salt: h.salt)
            packKeys[pack] = k
            return k
        } catch {
            throw Failed(error: TriplicateError.corrupt(error, file: name), damage: true)
        }
    }

    /// The error for a failed read of a blob's bytes from pack `name` on `copy`.
    private func readError(_ error: DestinationError, name: String, entry e: PackEntry, copy: any Destination) -> Failed {
        if error.kind == .notFound {
            return Failed(error: TriplicateError(.corrupt, "pack \(name) is missing from \(copy.displayName)",
                                                     remedy: .check(readData: false)), damage: false)
        }
        // A permanent failure of this one read (a short pack, an I/O error in its sectors) damages the blobs
        // in it, not the operation; an unavailable or refusing destination stops everything.
        if error.kind == .permanent {
            return Failed(error: TriplicateError(.corrupt, "pack \(name) cannot be read at \(e.offset) (\(error))",
                                                     remedy: .check(readData: true)), damage: true)
        }
        return Failed(error: TriplicateError(error, doing: "cannot read pack \(name)"), damage: false)
    }

    /// The error for a blob that no pack of the index holds.
    func missing(_ id: ObjectID) -> TriplicateError {
        if let pack = index.damage.pack(holding: id) {
            return TriplicateError(.corrupt, "blob \(id.short) is recorded as damaged in pack \(Layout.pack(pack)), and no other pack holds it. Back the file up again if you still have it; a repair lists what is lost.",
                                   remedy: .repair)
        }
        return TriplicateError(.corrupt, "blob \(id.short) is in no pack present in the repository (its pack is missing, or no index names it)",
                               remedy: .check(readData: false))
    }

    /// The plaintext of blob `id`, authenticated and checked against its ID.
    func blob(_ id: ObjectID) async throws(TriplicateError) -> [UInt8] {
        try await withBlob(id) { Array($0) }
    }

    /// Calls `body` with the plaintext of blob `id`, authenticated and checked against its ID, held in this
    /// reader's two buffers (reused from blob to blob, so reading allocates nothing); the bytes are valid only
    /// during `body`.
    ///
    /// In a plan's repository, a blob that one copy holds damaged (or whose pack it lacks or cannot read) is read from
    /// the next copy; only when no copy holds it intact is it reported to ``finder`` as damaged.
    func withBlob<R>(_ id: ObjectID, _ body: (UnsafeRawBufferPointer) throws(TriplicateError) -> R) async throws(TriplicateError) -> R {
        guard let loc = index.location(id) else { throw missing(id) }
        let pack = index.packID(loc.pack)
        let plain: UnsafeRawBufferPointer
        do {
            plain = try await open(id, pack: pack, entry: loc.entry, from: repository.destination)
        } catch {
            guard error.damage || error.error.kind == .corrupt else { throw error.error }
            var found: UnsafeRawBufferPointer?
            for copy in repository.replicas?.readCopies.dropFirst() ?? [] {
                packKeys[pack] = nil
                if let p = try? await open(id, pack: pack, entry: loc.entry, from: copy) {
                    found = p
                    break
                }
            }
            guard let found else {
                if error.damage { finder?.found(pack: pack, blobs: [id], problem: error.error.message) }
                throw error.error
            }
            plain = found
        }
        return try body(plain)
    }

    /// Reads `range` of its pack in one request and calls `deliver` with the plaintext of each blob needed there, in
    /// order, each authenticated and checked against its ID (the bytes are valid only during the call).
    ///
    /// A blob that this copy holds damaged, or every blob of a range that cannot be read (a missing or short pack, a
    /// damaged header), is read on its own through ``withBlob(_:_:)``: from the other copies of a plan, reported to
    /// ``finder`` when none holds it intact. The blobs that no copy holds intact are returned with their errors. A
    /// failure of the destination itself (unreachable, refusing) and any error `deliver` throws stop the read.
    ///
    /// With `onlyHere`, nothing is read again on its own: what this read cannot deliver is returned as failed.
    func readRange(_ range: PackRange, onlyHere: Bool = false, deliver: (BlobNeed, UnsafeRawBufferPointer) throws(TriplicateError) -> Void)
        async throws(TriplicateError) -> [(need: BlobNeed, error: TriplicateError)] {
        let name = Layout.pack(range.pack)
        let copy = repository.destination
        // The bases of the blobs stored against one come first, and before this range is read into the buffer
        // that reading them would use.
        await prefetchBases(of: range.needs)
        var retry: [BlobNeed] = []
        whole: do {
            let buffer = opener.range(Int(range.count))
            do { try await copy.get(name, range: range.start..<range.end, into: buffer) } catch {
                let failed = readError(error, name: name, entry: range.needs[0].entry, copy: copy)
                guard failed.damage || failed.error.kind == .corrupt else { throw failed.error }
                retry = range.needs
                break whole
            }
            let key: [UInt8]
            do throws(Failed) {
                if let k = packKeys[range.pack] {
                    key = k
                } else if range.start == 0 {
                    key = try packKey(range.pack, header: UnsafeRawBufferPointer(rebasing: buffer[0..<FileHeader.length]))
                } else {
                    key = try await packKey(range.pack, from: copy)
                }
            } catch {
                guard error.damage || error.error.kind == .corrupt else { throw error.error }
                retry = range.needs
                break whole
            }
            for need in range.needs {
                let at = Int(Int64(need.entry.offset) - range.start)
                let sealed = UnsafeMutableRawBufferPointer(rebasing: buffer[at..<at + Int(need.entry.storedLength)])
                var base: [UInt8]?
                if let b = need.entry.base {
                    do { base = try await self.base(b) } catch {
                        guard error.kind == .corrupt else { throw error }
                        retry.append(need)
                        continue
                    }
                }
                let plain: UnsafeRawBufferPointer
                do {
                    plain = try opener.open(sealed, entry: need.entry, packKey: key, keys: repository.keys, base: base, context: name)
                } catch {
                    retry.append(need)
                    continue
                }
                try deliver(need, plain)
            }
        }
        var failures: [(need: BlobNeed, error: TriplicateError)] = []
        if onlyHere {
            return retry.map { ($0, TriplicateError(.corrupt, "blob \($0.id.short) could not be read with its neighbours from pack \(name)")) }
        }
        for need in retry {
            do { try await withBlob(need.id) { (plain) throws(TriplicateError) in try deliver(need, plain) } } catch {
                guard error.kind == .corrupt else { throw error }
                failures.append((need, error))
            }
        }
        return failures
    }

    /// The plaintext of base `id` when this reader holds it already.
    func cachedBase(_ id: ObjectID) -> [UInt8]? { bases[id] }

    /// The plaintext of `id` as the base of another blob (FORMAT.md §7.2): read and checked like any blob (a base
    /// stored against a base of its own reads that one first, and so on down its chain), and kept for the next blob
    /// that needs it. A chain of more than ``PackFormat/maxBaseChain`` links, which a loop of bases is, is refused.
    func base(_ id: ObjectID) async throws(TriplicateError) -> [UInt8] {
        if let b = bases[id] { return b }
        guard baseDepth < PackFormat.maxBaseChain else {
            throw TriplicateError(.corrupt, "blob \(id.short) lies at the end of a chain of more than \(PackFormat.maxBaseChain) bases (or of a loop of them)",
                                  remedy: .check(readData: false))
        }
        baseDepth += 1
        defer { baseDepth -= 1 }
        let plain = try await blob(id)
        remember(base: id, plain)
        return plain
    }

    /// Reads into the cache the bases that `needs` lack, in a few ranged reads per pack (over the internet, one request per
    /// base would cost a round trip per changed block of a catalog), up to a quarter of the cache: the bases of those
    /// bases are read the same way first, one level down, so the cache holds two levels of a chain at most. What fails here
    /// is read again on its own by ``base(_:)``, which reports it.
    private func prefetchBases(of needs: [BlobNeed]) async {
        guard baseDepth < PackFormat.maxBaseChain else { return }
        var byPack: [UInt32: [BlobNeed]] = [:]
        var seen = Set<ObjectID>()
        var bytes = 0
        for need in needs {
            guard let id = need.entry.base, bases[id] == nil, seen.insert(id).inserted, let loc = index.location(id) else { continue }
            bytes += Int(loc.entry.rawLength)
            if bytes > Self.baseCacheLimit / 4 { break }
            byPack[loc.pack, default: []].append(BlobNeed(id: id, entry: loc.entry, targets: []))
        }
        guard seen.count > 1 else { return }
        baseDepth += 1
        defer { baseDepth -= 1 }
        for (pack, wanted) in byPack {
            let packID = index.packID(pack)
            for range in PackRangePlanner.ranges(pack: packID, needs: wanted, withHeader: packKeys[packID] == nil) {
                _ = try? await readRange(range, onlyHere: true) { (need, plain) throws(TriplicateError) in
                    self.remember(base: need.id, Array(plain))
                }
            }
        }
    }

    /// Keeps the plaintext of base `id`, dropping the oldest ones beyond ``baseCacheLimit`` bytes.
    private func remember(base id: ObjectID, _ plain: [UInt8]) {
        guard bases[id] == nil else { return }
        bases[id] = plain
        baseOrder.append(id)
        baseBytes += plain.count
        while baseBytes > Self.baseCacheLimit, baseOrder.count > 1 {
            let old = baseOrder.removeFirst()
            baseBytes -= bases.removeValue(forKey: old)?.count ?? 0
        }
    }

    /// Reads blob `id` (at `e` in `pack`) from `copy` and opens it into this reader's buffers.
    private func open(_ id: ObjectID, pack: ObjectID, entry e: PackEntry, from copy: any Destination) async throws(Failed) -> UnsafeRawBufferPointer {
        // The base first: reading it uses the buffers this blob is then read into.
        var base: [UInt8]?
        if let b = e.base {
            do { base = try await self.base(b) } catch {
                throw Failed(error: TriplicateError(error.kind, "blob \(id.short) cannot be read without its base: \(error.message)", remedy: error.remedy),
                             damage: false)
            }
        }
        let key = try await packKey(pack, from: copy)
        let name = Layout.pack(pack)
        // The index entry's lengths were checked when it was decoded (at most 64 MiB and 16 bytes).
        let sealed = opener.sealed(Int(e.storedLength))
        do {
            try await copy.get(name, range: Int64(e.offset)..<Int64(e.offset) + Int64(e.storedLength), into: sealed)
        } catch {
            throw readError(error, name: name, entry: e, copy: copy)
        }
        do {
            return try opener.open(sealed, entry: e, packKey: key, keys: repository.keys, base: base, context: name)
        } catch {
            throw Failed(error: TriplicateError.corrupt(error, file: "pack \(name)"), damage: true)
        }
    }

    /// The decoded tree `id` (cached).
    func tree(_ id: ObjectID) async throws(TriplicateError) -> Tree {
        if let t = trees[id] { return t }
        if readsTreesAhead, let loc = index.location(id), !treePacksRead.contains(loc.pack) {
            treePacksRead.insert(loc.pack)
            try await readTrees(inPack: loc.pack, around: loc.entry)
            if let t = trees[id] { return t }
        }
        let t = try await fetchTree(id)
        trees[id] = t
        return t
    }

    /// Reads and caches the listings of pack number `pack` (those nearest `entry`, up to ``treeReadAhead`` bytes).
    /// A listing that cannot be read here is left for ``fetchTree(_:)``, which reports it; only a failure of the
    /// destination itself is thrown.
    private func readTrees(inPack pack: UInt32, around entry: PackEntry) async throws(TriplicateError) {
        if treeEntries == nil {
            var byPack: [UInt32: [PackEntry]] = [:]
            index.forEachLocation { loc in
                if loc.entry.type == .tree { byPack[loc.pack, default: []].append(loc.entry) }
            }
            treeEntries = byPack
        }
        let all = (treeEntries?[pack] ?? []).filter { trees[$0.id] == nil }
            .sorted { abs(Int64($0.offset) - Int64(entry.offset)) < abs(Int64($1.offset) - Int64(entry.offset)) }
        var needs: [BlobNeed] = []
        var total: Int64 = 0
        for e in all {
            total += Int64(e.storedLength)
            if total > Self.treeReadAhead && !needs.isEmpty { break }
            needs.append(BlobNeed(id: e.id, entry: e, targets: []))
        }
        let packID = index.packID(pack)
        for range in PackRangePlanner.ranges(pack: packID, needs: needs, withHeader: packKeys[packID] == nil) {
            let cache = TreeCollector()
            do {
                _ = try await readRange(range, onlyHere: true) { (need, plain) throws(TriplicateError) in
                    if let t = try? Tree.decode(Array(plain), context: "tree \(need.id.short)") { cache.trees[need.id] = t }
                }
            } catch {
                guard error.kind == .corrupt else { throw error }
            }
            trees.merge(cache.trees) { old, _ in old }
        }
    }

    /// True when tree `id` is in this reader's cache.
    func hasTree(_ id: ObjectID) -> Bool { trees[id] != nil }

    /// Puts a tree another reader fetched into this reader's cache.
    func remember(_ tree: Tree, as id: ObjectID) { trees[id] = tree }

    /// The decoded tree `id`, read and decoded without looking in or filling the cache.
    func fetchTree(_ id: ObjectID) async throws(TriplicateError) -> Tree {
        // No check of the blob's type: data chunks and trees share one ID function, so a file chunk whose bytes
        // equal a tree's encoding is stored once, under whichever type came first. The bytes are the same.
        let bytes = try await blob(id)
        do {
            return try Tree.decode(bytes, context: "tree \(id.short)")
        } catch { throw TriplicateError.corrupt(error, file: "tree \(id.short)") }
    }

    /// The node at `path` (components separated by `/`) below the root tree `root`, or nil for the root itself.
    func node(at path: String, root: ObjectID) async throws(TriplicateError) -> TreeNode? {
        let components = path.split(separator: "/").map(String.init).filter { $0 != "." && !$0.isEmpty }
        guard !components.isEmpty else { return nil }
        var tree = try await self.tree(root)
        var current: TreeNode?
        for (i, c) in components.enumerated() {
            guard let n = tree.nodes.first(where: { $0.name == Array(c.utf8) }) else {
                throw TriplicateError(.invalidArgument, "\(path) is not in the snapshot (no \(c) in /\(components[..<i].joined(separator: "/")))")
            }
            current = n
            if i < components.count - 1 {
                guard case .directory(let sub) = n.content else {
                    throw TriplicateError(.invalidArgument, "\(path): \(c) is not a directory in the snapshot")
                }
                tree = try await self.tree(sub)
            }
        }
        return current
    }
}
