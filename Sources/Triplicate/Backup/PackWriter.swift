// PackWriter: fills packs with new blobs, uploads each finished pack, and writes index files after them.

/// Collects new blobs into packs and writes them in the format's order: each pack is stored before any index
/// file names it, and index files are written every ``BackupOptions/packsPerIndexFile`` packs and at the end.
/// Not thread safe: one per backup.
final class PackWriter {
    private let repository: Repository
    private let packSize: Int
    private let level: Int32
    private let packsPerIndexFile: Int
    private var builder: PackBuilder?
    /// IDs in the pack being built (not yet in any stored pack).
    private var pending: Set<ObjectID> = []
    /// Finished packs not yet named by an index file written in this backup.
    private var unindexed: [IndexFile.Pack] = []
    /// Every index entry known, including the packs written so far by this backup.
    private(set) var index: MasterIndex
    private(set) var blobsAdded = 0
    private(set) var bytesAdded: Int64 = 0
    private(set) var bytesStored: Int64 = 0
    private(set) var indexFilesWritten = 0

    init(repository: Repository, index: MasterIndex, options: BackupOptions) {
        self.repository = repository
        self.index = index
        packSize = min(max(options.packSize, 64 << 10), BackupOptions.maxPackSize)
        level = options.compressionLevel
        packsPerIndexFile = max(options.packsPerIndexFile, 1)
    }

    /// True when the repository already holds `id` or this backup has queued it.
    func has(_ id: ObjectID) -> Bool { pending.contains(id) || index.contains(id) }

    /// Marks packs found on the destination without an index (left by an interrupted backup) for indexing.
    func adopt(pack id: ObjectID, entries: [PackEntry]) {
        index.add(pack: id, entries: entries)
        unindexed.append(IndexFile.Pack(id: id, entries: entries))
    }

    /// Adds a blob unless it is known; finishes and stores the pack when it is full.
    func add(type: BlobType, id: ObjectID, data: UnsafeRawBufferPointer, policy: CompressionPolicy) async throws(TriplicateError) {
        try pack(type: type, id: id, data: data, policy: policy)
        if let b = builder, b.size >= packSize { try await finishPack() }
    }

    /// Adds a blob held in an array (trees), compressing it whenever that helps.
    func add(type: BlobType, id: ObjectID, bytes: [UInt8]) async throws(TriplicateError) {
        try bytes.withUnsafeBytesTyped { (b) throws(TriplicateError) in try pack(type: type, id: id, data: b, policy: .always) }
        if let b = builder, b.size >= packSize { try await finishPack() }
    }

    /// Compresses, seals and appends a blob to the pack being built, unless it is known.
    private func pack(type: BlobType, id: ObjectID, data: UnsafeRawBufferPointer, policy: CompressionPolicy) throws(TriplicateError) {
        if has(id) { return }
        do {
            if builder == nil { builder = try PackBuilder(keys: repository.keys, level: level, reserve: packSize + (1 << 20)) }
            try builder?.add(type: type, id: id, data: data, policy: policy)
        } catch { throw TriplicateError(.invalidArgument, "cannot pack blob \(id.short): \(error)") }
        pending.insert(id)
        blobsAdded += 1
        bytesAdded += Int64(data.count)
    }

    /// Stores the pack being built, if any.
    func finishPack() async throws(TriplicateError) {
        guard let b = builder, !b.isEmpty else { return }
        builder = nil
        let finished: (id: ObjectID, bytes: [UInt8], entries: [PackEntry])
        do { finished = try b.finish() } catch { throw TriplicateError(.invalidArgument, "cannot finish a pack: \(error)") }
        try await repository.put(Layout.pack(finished.id), finished.bytes)
        bytesStored += Int64(finished.bytes.count)
        index.add(pack: finished.id, entries: finished.entries)
        pending.removeAll(keepingCapacity: true)
        unindexed.append(IndexFile.Pack(id: finished.id, entries: finished.entries))
        if unindexed.count >= packsPerIndexFile { try await writeIndex() }
    }

    /// Writes one index file naming every pack stored since the last one.
    func writeIndex() async throws(TriplicateError) {
        guard !unindexed.isEmpty else { return }
        let bytes: [UInt8]
        do { bytes = try SealedFile.seal(IndexFile(packs: unindexed).encode(), kind: .index, keys: repository.keys) } catch {
            throw TriplicateError(.invalidArgument, "cannot encode an index file: \(error)")
        }
        try await repository.put(Layout.index(SHA256.hash(bytes)), bytes)
        bytesStored += Int64(bytes.count)
        indexFilesWritten += 1
        unindexed.removeAll()
    }

    /// Stores the last pack and the last index file.
    func finish() async throws(TriplicateError) {
        try await finishPack()
        try await writeIndex()
    }

    /// Adds the figures of bytes written outside this writer (the snapshot file).
    func countStored(_ n: Int) { bytesStored += Int64(n) }
}
