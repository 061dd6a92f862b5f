// BackupWorker: a worker thread of a backup: hashes each chunk and stages the chunks nobody stored yet.
@_spi(Benchmarks) internal import TriplicateCore
internal import TriplicateDestinations
internal import TriplicateSystem

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

    /// The IDs of all-zero chunks by length: a sparse file or a disk image holds many, of few lengths, and each is
    /// hashed once.
    private var zeroIDs: [Int: ObjectID] = [:]

    private func chunkID(_ data: UnsafeRawBufferPointer) -> ObjectID {
        guard data.count >= 4096, isAllZero(data) else { return hasher.id(data) }
        if let id = zeroIDs[data.count] { return id }
        let id = hasher.id(data)
        zeroIDs[data.count] = id
        return id
    }

    func run(jobs: Channel<ChunkJob>, packs: Channel<StagedPack>, failure: PipelineFailure) {
        while let job = jobs.receiveBlocking() {
            if failure.current == nil {
                do {
                    let data = UnsafeRawBufferPointer(rebasing: job.segment.buffer[job.start..<(job.start + job.count)])
                    let id = job.id ?? chunkID(data)
                    if claims.claim(id), let pack = try stager.add(type: .data, id: id, data: data, policy: .auto, base: job.base) {
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
