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
