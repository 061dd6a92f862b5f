// BackupPipeline: the parallel stages of a backup. The walk reads files into shared segments and cuts chunks;
// worker threads hash, deduplicate, compress and seal them into packs staged as files; an upload task stores
// each finished pack and writes the index files after them.
internal import Foundation
internal import Synchronization
#if canImport(Glibc)
internal import Glibc
#endif
internal import TriplicateDestinations

/// A buffer of file data shared by the walk (which fills it) and the workers (which read chunks out of it);
/// it returns to its pool when the last user releases it. The pool's fixed size bounds the backup's memory.
final class Segment: @unchecked Sendable {
    // The buffer is written only by the walk, before a chunk of it is handed to a worker, and read-only after;
    // the channel hand-off orders those accesses. `users` is atomic.
    let buffer: UnsafeMutableRawBufferPointer
    private let users = Atomic<Int>(0)
    // Weak: the pool holds its free segments, so a strong reference back would keep both alive forever.
    private weak var pool: Channel<Segment>?

    init(size: Int, pool: Channel<Segment>) {
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
        self.pool = pool
    }

    deinit { buffer.deallocate() }

    /// Takes a hold: the walk while it fills the segment, and every chunk job pointing into it.
    func retain() { users.wrappingAdd(1, ordering: .acquiringAndReleasing) }

    /// Drops a hold; the last one returns the segment to its pool.
    func release() {
        if users.wrappingSubtract(1, ordering: .acquiringAndReleasing).newValue == 0 { pool?.sendBlocking(self) }
    }
}

/// The chunk IDs of one file being backed up, filled in by the workers as they hash its chunks.
final class PendingFile: Sendable {
    private struct State {
        var ids: [ObjectID] = []
        var remaining = 0
    }
    private let state = Mutex(State())
    private static let placeholder = ObjectID(bytes: [UInt8](repeating: 0, count: 32))

    /// Reserves the next chunk's place; returns its index.
    func addSlot() -> Int {
        state.withLock { s in
            s.ids.append(Self.placeholder)
            s.remaining += 1
            return s.ids.count - 1
        }
    }

    /// Records the ID of chunk `slot`.
    func fill(_ slot: Int, _ id: ObjectID) {
        state.withLock { s in
            s.ids[slot] = id
            s.remaining -= 1
        }
    }

    /// True once every reserved chunk has its ID.
    var isComplete: Bool { state.withLock { $0.remaining == 0 } }

    /// The chunk IDs in file order; meaningful once ``isComplete``.
    var ids: [ObjectID] { state.withLock { $0.ids } }
}

/// One chunk for a worker: where it lies, and where its ID goes.
struct ChunkJob: Sendable {
    let segment: Segment
    let start: Int
    let count: Int
    let file: PendingFile
    let slot: Int
}

/// A pack written to a staging file, ready to be stored.
struct StagedPack: Sendable {
    let id: ObjectID
    let path: String
    let size: Int64
    let entries: [PackEntry]
}

/// Which blobs the repository has or this backup is storing: the index loaded at the start (read-only) plus
/// every blob claimed since. A blob is packed only by the worker whose claim succeeds.
final class BlobClaims: Sendable {
    private struct State {
        var claimed = Set<ObjectID>()
        /// Blobs of the index found damaged during this backup: stored again when needed.
        var revoked = Set<ObjectID>()
    }
    private let base: MasterIndex
    private let state = Mutex(State())
    /// True once a blob was revoked; until then a blob of the index is found without taking the lock.
    private let anyRevoked = Atomic<Bool>(false)

    init(base: MasterIndex) { self.base = base }

    /// True when the index loaded at the start holds `id` and it was not found damaged since.
    private func inBase(_ id: ObjectID) -> Bool {
        guard base.contains(id) else { return false }
        return !anyRevoked.load(ordering: .acquiring) || !state.withLock { $0.revoked.contains(id) }
    }

    /// True when the caller should store `id`: nobody has it and nobody is storing it yet.
    func claim(_ id: ObjectID) -> Bool {
        if inBase(id) { return false }
        return state.withLock { $0.claimed.insert(id).inserted }
    }

    /// True when the repository holds `id` or this backup stores it.
    func has(_ id: ObjectID) -> Bool {
        inBase(id) || state.withLock { $0.claimed.contains(id) }
    }

    /// Forgets that the repository holds `id` (it was found damaged): whoever needs it next stores it again.
    func revoke(_ id: ObjectID) {
        _ = state.withLock { $0.revoked.insert(id) }
        anyRevoked.store(true, ordering: .releasing)
    }
}

/// The first failure of any stage; once set, every stage stops and the channels close.
final class PipelineFailure: Sendable {
    private let error = Mutex<TriplicateError?>(nil)
    private let onFail: @Sendable () -> Void

    init(onFail: @escaping @Sendable () -> Void) { self.onFail = onFail }

    var current: TriplicateError? { error.withLock { $0 } }

    /// Records `e` unless an earlier failure is recorded, and stops the pipeline.
    func fail(_ e: TriplicateError) {
        let first = error.withLock { (stored: inout TriplicateError?) -> Bool in
            if stored != nil { return false }
            stored = e
            return true
        }
        if first { onFail() }
    }
}

/// Fills packs with new blobs, staging each as a file: it holds one piece of a sealed blob in memory (plus the
/// compressed blob, for data that shrinks), never a pack. Used by one thread (a worker) or one task (the walk,
/// for trees) at a time; the builder, its buffers and its compression contexts are reused from pack to pack.
final class PackStager: @unchecked Sendable {
    private let keys: RepositoryKeys
    private let level: Int32
    private let packSize: Int
    private let stagingDirectory: String
    private var builder: PackBuilder?
    /// True when `builder` holds a pack in progress (with an open staging file).
    private var open = false
    private var fd: Int32 = -1
    private var path = ""
    private(set) var blobsAdded = 0
    private(set) var bytesAdded: Int64 = 0

    init(keys: RepositoryKeys, level: Int32, packSize: Int, stagingDirectory: String) {
        self.keys = keys
        self.level = level
        self.packSize = packSize
        self.stagingDirectory = stagingDirectory
    }

    deinit { discard() }

    /// The builder for a new pack, with its staging file created.
    private func startPack() throws(TriplicateError) -> PackBuilder {
        let b: PackBuilder
        do {
            if let existing = builder {
                try existing.reset()
                b = existing
            } else {
                b = try PackBuilder(keys: keys, level: level, reserve: 1 << 16)
                builder = b
            }
        } catch { throw TriplicateError(.invalidArgument, "cannot start a pack: \(error)") }
        let p = stagingDirectory + "/pack.tmp-" + FileSystem.uniqueSuffix()
        let f = Glibc.open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard f >= 0 else { throw Self.stagingError(FileSystemError("open", p)) }
        fd = f
        path = p
        open = true
        return b
    }

    /// Compresses, seals and stages one blob; returns the pack when this blob filled it.
    func add(type: BlobType, id: ObjectID, data: UnsafeRawBufferPointer, policy: CompressionPolicy) throws(TriplicateError) -> StagedPack? {
        let b: PackBuilder
        if open, let existing = builder { b = existing } else { b = try startPack() }
        let fd = self.fd, path = self.path
        let result: Result<PackEntry, FileSystemError>
        do {
            result = try b.add(type: type, id: id, data: data, policy: policy) { (bytes) throws(FileSystemError) in
                try FileSystem.writeAll(fd, bytes, path: path)
            }
        } catch { throw TriplicateError(.invalidArgument, "cannot pack blob \(id.short): \(error)") }
        if case .failure(let e) = result { throw Self.stagingError(e) }
        blobsAdded += 1
        bytesAdded += Int64(data.count)
        return b.size >= packSize ? try finish() : nil
    }

    /// Finishes the pack being filled, if any, and returns it; the caller stores it and removes its file.
    func finish() throws(TriplicateError) -> StagedPack? {
        guard open, let b = builder, !b.isEmpty else { return nil }
        let fd = self.fd, path = self.path
        let finished: (id: ObjectID, bytes: [UInt8], entries: [PackEntry])
        do { finished = try b.finish() } catch { throw TriplicateError(.invalidArgument, "cannot finish a pack: \(error)") }
        do { try FileSystem.writeAll(fd, finished.bytes, path: path) } catch { throw Self.stagingError(error) }
        let size = Int64(b.size) + Int64(finished.bytes.count)
        open = false
        self.fd = -1
        if close(fd) != 0 {
            let e = FileSystemError("close", path)
            FileSystem.removeQuietly(path)
            throw Self.stagingError(e)
        }
        return StagedPack(id: finished.id, path: path, size: size, entries: finished.entries)
    }

    /// Drops the pack being filled and its staging file.
    func discard() {
        if open {
            close(fd)
            FileSystem.removeQuietly(path)
            fd = -1
            open = false
        }
    }

    private static func stagingError(_ e: FileSystemError) -> TriplicateError {
        switch e.code {
        case ENOSPC, EDQUOT:
            return TriplicateError(.destination(.noSpace), "cannot write a pack (\(e.operation) \(e.path): \(e.reason)); free some space and run the backup again: it resumes from what was stored")
        case ENOENT, ENODEV, ENXIO, ENOTCONN, EIO:
            return TriplicateError(.destination(.unavailable), "cannot write a pack (\(e.operation) \(e.path): \(e.reason)); is the disk still connected?")
        default:
            return TriplicateError(.destination(.permanent), "cannot write a pack (\(e.operation) \(e.path): \(e.reason))")
        }
    }
}

/// Stores staged packs in order of arrival and writes an index file after every ``BackupOptions/packsPerIndexFile``
/// packs, so no index file ever names a pack that is not stored.
final class PackUploader: @unchecked Sendable {
    // Mutable state is touched only by the one upload task, and read by the walk after that task has ended.
    private let repository: Repository
    private let packsPerIndexFile: Int
    private var unindexed: [IndexFile.Pack]
    private let stored = Atomic<Int64>(0)
    private(set) var indexFilesWritten = 0
    private(set) var packsStored = 0

    init(repository: Repository, packsPerIndexFile: Int, adopted: [IndexFile.Pack]) {
        self.repository = repository
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
                packsStored += 1
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
        let bytes: [UInt8]
        do { bytes = try SealedFile.seal(IndexFile(packs: unindexed).encode(), kind: .index, keys: repository.keys) } catch {
            throw TriplicateError(.invalidArgument, "cannot encode an index file: \(error)")
        }
        try await repository.put(Layout.index(SHA256.hash(bytes)), bytes)
        countStored(bytes.count)
        indexFilesWritten += 1
        unindexed.removeAll()
    }
}

/// A worker thread: takes chunk jobs, hashes each chunk, and stages the chunks nobody stored yet.
final class BackupWorker: @unchecked Sendable {
    // Owned by its thread while it runs; the walk reads the figures after the thread has finished.
    private let hasher: KeyedBlake2b
    private let claims: BlobClaims
    let stager: PackStager

    init(keys: RepositoryKeys, claims: BlobClaims, stager: PackStager) {
        hasher = keys.idHasher
        self.claims = claims
        self.stager = stager
    }

    func run(jobs: Channel<ChunkJob>, packs: Channel<StagedPack>, failure: PipelineFailure) {
        while let job = jobs.receiveBlocking() {
            if failure.current == nil {
                do {
                    let data = UnsafeRawBufferPointer(rebasing: job.segment.buffer[job.start..<(job.start + job.count)])
                    let id = hasher.id(data)
                    if claims.claim(id), let pack = try stager.add(type: .data, id: id, data: data, policy: .auto) {
                        if !packs.sendBlocking(pack) { FileSystem.removeQuietly(pack.path) }
                    }
                    job.file.fill(job.slot, id)
                } catch {
                    failure.fail(error)
                }
            }
            job.segment.release()
        }
        guard failure.current == nil else {
            stager.discard()
            return
        }
        do {
            if let pack = try stager.finish(), !packs.sendBlocking(pack) { FileSystem.removeQuietly(pack.path) }
        } catch {
            failure.fail(error)
        }
    }
}
