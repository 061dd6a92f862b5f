// PackUploader: stores staged packs several at once and writes an index file after every few, so no index names a
// pack that is not stored.
@_spi(Benchmarks) internal import TriplicateCore
internal import Synchronization
internal import TriplicateDestinations
internal import TriplicateSystem

/// Stores staged packs, several at once, and writes an index file once ``BackupOptions/packsPerIndexFile`` packs are
/// stored, naming only packs whose store has returned, so no index file ever names a pack that is not stored.
final class PackUploader: Sendable {
    private let repository: Repository
    private let packsPerIndexFile: Int
    /// Packs stored and not yet named by an index file.
    private let unindexed: Mutex<[IndexFile.Pack]>
    private let stored = Atomic<Int64>(0)
    /// The backup's lock: an index file makes its packs part of the repository, so none is written once the lock may
    /// have been taken as abandoned (a prune elsewhere may have deleted what the packs' blobs were deduplicated against).
    private let lock: RepositoryLock?
    /// Packs stored at once: to an object store, enough to keep the link busy through each request's round trips
    /// (and, with a cap per connection, to use several connections); to a folder or drive, two, so that one pack's
    /// flush to disk overlaps the next one's copy. Each pack in flight is a staged file of up to the pack size.
    let parallel: Int
    /// A dry run: packs and index files are counted, not stored.
    private let dryRun: Bool

    init(repository: Repository, packsPerIndexFile: Int, adopted: [IndexFile.Pack], lock: RepositoryLock?, dryRun: Bool = false) {
        self.repository = repository
        self.dryRun = dryRun
        self.lock = lock
        self.packsPerIndexFile = max(packsPerIndexFile, 1)
        unindexed = Mutex(adopted)
        parallel = repository.writesToObjectStore ? 4 : 2
    }

    /// Bytes stored so far (packs and index files); safe to read from any thread.
    var bytesStored: Int64 { stored.load(ordering: .relaxed) }

    func countStored(_ n: Int) { stored.wrappingAdd(Int64(n), ordering: .relaxed) }

    /// Stores every pack from `packs`, ``parallel`` at once, until it closes; the first failure is recorded and the
    /// rest are dropped.
    func run(_ packs: Channel<StagedPack>, failure: PipelineFailure) async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<parallel {
                group.addTask { await self.store(packs, failure: failure) }
            }
        }
    }

    private func store(_ packs: Channel<StagedPack>, failure: PipelineFailure) async {
        while let pack = await packs.receive() {
            defer { FileSystem.removeQuietly(pack.path) }
            guard failure.current == nil else { continue }
            do {
                if !dryRun { try await repository.put(Layout.pack(pack.id), file: pack.path) }
                countStored(Int(pack.size))
                let full: [IndexFile.Pack]? = unindexed.withLock { u in
                    u.append(IndexFile.Pack(id: pack.id, entries: pack.entries))
                    guard u.count >= packsPerIndexFile else { return nil }
                    defer { u.removeAll() }
                    return u
                }
                if let full { try await writeIndex(full) }
            } catch {
                failure.fail(error)
            }
        }
    }

    /// Writes one index file naming every pack stored since the last one.
    func writeIndex() async throws(TriplicateError) {
        let rest = unindexed.withLock { u in
            defer { u.removeAll() }
            return u
        }
        try await writeIndex(rest)
    }

    private func writeIndex(_ packs: [IndexFile.Pack]) async throws(TriplicateError) {
        guard !packs.isEmpty else { return }
        try lock?.ensureHeld(before: "writing an index file")
        let bytes: [UInt8]
        do { bytes = try SealedFile.seal(IndexFile(packs: packs).encode(), kind: .index, keys: repository.keys) } catch {
            throw TriplicateError(.internalFailure, "cannot encode an index file: \(error)")
        }
        if !dryRun { try await repository.put(Layout.index(SHA256.hash(bytes)), bytes) }
        countStored(bytes.count)
    }
}
