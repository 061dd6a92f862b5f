// PackUploader: stores staged packs in order and writes an index file after every few, so no index names a pack
// that is not stored.
@_spi(Benchmarks) internal import TriplicateCore
internal import Synchronization
internal import TriplicateDestinations
internal import TriplicateSystem

/// Stores staged packs in order of arrival and writes an index file after every ``BackupOptions/packsPerIndexFile``
/// packs, so no index file ever names a pack that is not stored.
final class PackUploader: @unchecked Sendable {
    // Mutable state is touched only by the one upload task, and read by the walk after that task has ended.
    private let repository: Repository
    private let packsPerIndexFile: Int
    private var unindexed: [IndexFile.Pack]
    private let stored = Atomic<Int64>(0)
    /// The backup's lock: an index file makes its packs part of the repository, so none is written once the lock may
    /// have been taken as abandoned (a prune elsewhere may have deleted what the packs' blobs were deduplicated against).
    private let lock: RepositoryLock?

    init(repository: Repository, packsPerIndexFile: Int, adopted: [IndexFile.Pack], lock: RepositoryLock?) {
        self.repository = repository
        self.lock = lock
        self.packsPerIndexFile = max(packsPerIndexFile, 1)
        unindexed = adopted
    }

    /// Bytes stored so far (packs and index files); safe to read from any thread.
    var bytesStored: Int64 { stored.load(ordering: .relaxed) }

    func countStored(_ n: Int) { stored.wrappingAdd(Int64(n), ordering: .relaxed) }

    /// Stores every pack from `packs` until it closes; the first failure is recorded and the rest are dropped.
    func run(_ packs: Channel<StagedPack>, failure: PipelineFailure) async {
        while let pack = await packs.receive() {
            defer { FileSystem.removeQuietly(pack.path) }
            guard failure.current == nil else { continue }
            do {
                try await repository.put(Layout.pack(pack.id), file: pack.path)
                countStored(Int(pack.size))
                unindexed.append(IndexFile.Pack(id: pack.id, entries: pack.entries))
                if unindexed.count >= packsPerIndexFile { try await writeIndex() }
            } catch {
                failure.fail(error)
            }
        }
    }

    /// Writes one index file naming every pack stored since the last one.
    func writeIndex() async throws(TriplicateError) {
        guard !unindexed.isEmpty else { return }
        try lock?.ensureHeld(before: "writing an index file")
        let bytes: [UInt8]
        do { bytes = try SealedFile.seal(IndexFile(packs: unindexed).encode(), kind: .index, keys: repository.keys) } catch {
            throw TriplicateError(.internalFailure, "cannot encode an index file: \(error)")
        }
        try await repository.put(Layout.index(SHA256.hash(bytes)), bytes)
        countStored(bytes.count)
        unindexed.removeAll()
    }
}
