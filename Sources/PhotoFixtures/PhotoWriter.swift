// Writes planned photos to disk and catalog: RAW files (concurrently), sidecars, previews, catalog rows.

import Dispatch
import Synchronization

/// The files written for one photo.
struct WrittenPhoto {
    var raw: WrittenRaw
    var rawPath: String
    var sidecarPath: String?
    var sidecarBytes: Int64 = 0
    var previewPaths: [String] = []
    var previewBytes: Int64 = 0
    /// When the last file of the photo was written.
    var lastTime: CivilTime
}

/// Writes photos below one root, remembering created folders.
///
/// RAW files are written by worker threads that take photos in plan order as they become free
/// (each RAW depends only on its plan); the calling thread follows behind and writes each photo's
/// sidecar, previews and catalog rows in plan order, so the output never depends on scheduling.
final class PhotoWriter {
    let root: String
    private var knownDirectories: Set<String> = []

    init(root: String) { self.root = root }

    /// Creates `relative` below the root (and its parents) unless already done.
    func ensureDirectory(_ relative: String) throws(PhotoFixtureError) {
        guard !knownDirectories.contains(relative) else { return }
        try FileSystem.makeDirectories(root + "/" + relative)
        knownDirectories.insert(relative)
    }

    /// Writes `photos` and calls `written` for each, in order, once all its files and rows exist.
    ///
    /// On failure, RAW files not yet started are skipped, running ones finish, and the first error is thrown.
    func write(_ photos: [PhotoPlan], catalog: LightroomCatalog,
               written: (PhotoPlan, WrittenPhoto) throws(PhotoFixtureError) -> Void) throws(PhotoFixtureError) {
        guard !photos.isEmpty else { return }
        for photo in photos { try ensureDirectory("Photos/" + photo.folder) }
        let jobs = photos.map { RawJob(photo: $0, path: root + "/" + $0.relativePath) }
        let batch = RawBatch(jobs: jobs)
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            DispatchQueue.concurrentPerform(iterations: batch.jobs.count) { batch.run($0) }
            group.leave()
        }
        defer {
            batch.cancel()
            group.wait()
        }
        for job in jobs {
            job.done.wait()
            guard let outcome = job.outcome else { preconditionFailure("RAW job signalled without an outcome") }
            let raw: WrittenRaw
            switch outcome {
            case .success(let value): raw = value
            case .failure(let error): throw error
            }
            try written(job.photo, try finish(job.photo, finalStep: job.finalStep, raw: raw, catalog: catalog))
        }
    }

    /// The sidecar, catalog rows and previews of a photo whose RAW file is written.
    private func finish(_ photo: PhotoPlan, finalStep: DevelopStep, raw: WrittenRaw,
                        catalog: LightroomCatalog) throws(PhotoFixtureError) -> WrittenPhoto {
        var written = WrittenPhoto(raw: raw, rawPath: photo.relativePath, lastTime: finalStep.time)
        var rng = FixtureRandom(seed: photo.detailSeed, stream: 0x9BE7)
        let xmp: String
        if let sidecar = photo.sidecarRelativePath {
            xmp = XMPPacket.sidecar(for: photo, settings: finalStep.settings, width: raw.width, height: raw.height,
                                    saved: finalStep.time, historyEvents: rng.int(in: 1...3))
            let bytes = Array(xmp.utf8)
            try FileSystem.writeFile(root + "/" + sidecar, bytes, time: finalStep.time)
            written.sidecarPath = sidecar
            written.sidecarBytes = Int64(bytes.count)
        } else {
            xmp = XMPPacket.embedded(for: photo, settings: finalStep.settings, width: raw.width, height: raw.height)
        }
        try catalog.insert(photo, raw: raw, xmp: xmp)

        try ensureDirectory(PreviewCache.folder(imageID: photo.imageID))
        var previewTime = photo.importTime.adding(Int64(rng.int(in: 20...300)))
        for size in photo.previewSizes {
            let path = PreviewCache.relativePath(imageID: photo.imageID, digest: rng.digest())
            let bytes = PreviewCache.content(size: size, imageID: photo.imageID, width: raw.width, height: raw.height,
                                             using: &rng)
            try FileSystem.writeFile(root + "/" + path, bytes, time: previewTime)
            written.previewPaths.append(path)
            written.previewBytes += Int64(bytes.count)
            previewTime = previewTime.adding(Int64(rng.int(in: 1...20)))
        }
        written.lastTime = max(written.lastTime, previewTime)
        return written
    }
}

/// One RAW file to write on a worker thread. A job is run once, by one thread, which then signals
/// `done`; its outcome is read only after waiting for that signal, hence the unchecked `Sendable`.
private final class RawJob: @unchecked Sendable {
    let photo: PhotoPlan
    let path: String
    let done = DispatchSemaphore(value: 0)
    private(set) var finalStep: DevelopStep
    private(set) var outcome: Result<WrittenRaw, PhotoFixtureError>?

    init(photo: PhotoPlan, path: String) {
        self.photo = photo
        self.path = path
        finalStep = DevelopStep(name: "", valueString: "", settings: photo.develop, time: photo.importTime)
    }

    /// Writes the file through `sink`, or records that it was skipped.
    func run(skip: Bool, sink: ByteSink) {
        if skip {
            outcome = .failure(PhotoFixtureError(kind: .fileSystem, operation: "write RAW file", path: path,
                                                 detail: "skipped after an earlier failure"))
        } else {
            finalStep = DevelopHistory.final(photo)
            do {
                outcome = .success(try RawFileWriter.write(photo, settings: finalStep.settings, to: path, sink: sink))
            } catch {
                outcome = .failure(error)
            }
        }
        done.signal()
    }
}

/// The RAW jobs of one `PhotoWriter.write` call, the write buffers the workers share (one per
/// running job, reused), and a flag that stops unstarted jobs.
private final class RawBatch: Sendable {
    let jobs: [RawJob]
    private let stopped = Atomic<Bool>(false)
    private let idleSinks = Mutex<[SinkBox]>([])
    private let capacity: Int

    init(jobs: [RawJob]) {
        self.jobs = jobs
        capacity = min(8 << 20, (jobs.map(\.photo.targetBytes).max() ?? 0) + (1 << 16))
    }

    func run(_ index: Int) {
        let job = jobs[index]
        let box = idleSinks.withLock { $0.popLast() } ?? SinkBox(ByteSink(capacity: capacity))
        job.run(skip: stopped.load(ordering: .relaxed), sink: box.sink)
        idleSinks.withLock { $0.append(box) }
        if case .failure = job.outcome { stopped.store(true, ordering: .relaxed) }
    }

    func cancel() { stopped.store(true, ordering: .relaxed) }
}

/// A write buffer handed between worker threads; only one thread uses it at a time (it is taken
/// out of the batch's pool under its lock), hence the unchecked `Sendable`.
private final class SinkBox: @unchecked Sendable {
    let sink: ByteSink
    init(_ sink: ByteSink) { self.sink = sink }
}
