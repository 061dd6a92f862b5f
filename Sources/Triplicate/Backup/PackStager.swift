// PackStager: fills packs with sealed blobs, staging each as a file (never a whole pack in memory).
@_spi(Benchmarks) internal import TriplicateCore
internal import TriplicateDestinations
internal import TriplicateSystem

/// A pack written to a staging file, ready to be stored.
struct StagedPack: Sendable {
    let id: ObjectID
    let path: String
    let size: Int64
    let entries: [PackEntry]
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
        } catch { throw TriplicateError(.internalFailure, "cannot start a pack: \(error)") }
        let p = stagingDirectory + "/pack.tmp-" + FileSystem.uniqueSuffix()
        do { fd = try FileSystem.createExclusive(p) } catch { throw Self.stagingError(error) }
        path = p
        open = true
        return b
    }

    /// Compresses (against `base` when there is one and that pays), seals and stages one blob; returns the pack when
    /// this blob filled it.
    func add(type: BlobType, id: ObjectID, data: UnsafeRawBufferPointer, policy: CompressionPolicy, base: ChunkBase? = nil) throws(TriplicateError) -> StagedPack? {
        try stage(id: id, rawLength: data.count) { (b, sink) throws(CoreError) in
            guard let base else { return try b.add(type: type, id: id, data: data, policy: policy, sink: sink) }
            return try base.plaintext.withUnsafeBytesTyped { (plain) throws(CoreError) in
                try b.add(type: type, id: id, data: data, policy: policy, base: (base.id, plain), sink: sink)
            }
        }
    }

    /// Seals and stages one blob already in its stored form (``PackBuilder/addStored(type:id:payload:compression:rawLength:sink:)``);
    /// returns the pack when this blob filled it.
    func add(_ entry: PackEntry, stored payload: UnsafeRawBufferPointer) throws(TriplicateError) -> StagedPack? {
        try stage(id: entry.id, rawLength: Int(entry.rawLength)) { (b, sink) throws(CoreError) in
            try b.addStored(type: entry.type, id: entry.id, payload: payload, compression: entry.compression, rawLength: Int(entry.rawLength),
                            base: entry.base, sink: sink)
        }
    }

    private func stage(id: ObjectID, rawLength: Int,
                       _ add: (PackBuilder, (UnsafeRawBufferPointer) throws(FileSystemError) -> Void) throws(CoreError) -> Result<PackEntry, FileSystemError>)
        throws(TriplicateError) -> StagedPack? {
        let b: PackBuilder
        if open, let existing = builder { b = existing } else { b = try startPack() }
        let fd = self.fd, path = self.path
        let result: Result<PackEntry, FileSystemError>
        do {
            result = try add(b) { (bytes) throws(FileSystemError) in try FileSystem.writeAll(fd, bytes, path: path) }
        } catch { throw TriplicateError(.internalFailure, "cannot pack blob \(id.short): \(error)") }
        if case .failure(let e) = result { throw Self.stagingError(e) }
        blobsAdded += 1
        bytesAdded += Int64(rawLength)
        return b.size >= packSize ? try finish() : nil
    }

    /// Finishes the pack being filled, if any, and returns it; the caller stores it and removes its file.
    func finish() throws(TriplicateError) -> StagedPack? {
        guard open, let b = builder, !b.isEmpty else { return nil }
        let fd = self.fd, path = self.path
        let finished: (id: ObjectID, bytes: [UInt8], entries: [PackEntry])
        do { finished = try b.finish() } catch { throw TriplicateError(.internalFailure, "cannot finish a pack: \(error)") }
        do { try FileSystem.writeAll(fd, finished.bytes, path: path) } catch { throw Self.stagingError(error) }
        let size = Int64(b.size) + Int64(finished.bytes.count)
        open = false
        self.fd = -1
        do { try FileSystem.closeWritten(fd, path: path) } catch {
            FileSystem.removeQuietly(path)
            throw Self.stagingError(error)
        }
        return StagedPack(id: finished.id, path: path, size: size, entries: finished.entries)
    }

    /// Drops the pack being filled and its staging file.
    func discard() {
        if open {
            FileSystem.closeQuietly(fd)
            FileSystem.removeQuietly(path)
            fd = -1
            open = false
        }
    }

    private static func stagingError(_ e: FileSystemError) -> TriplicateError {
        switch e.category {
        case .noSpace:
            return TriplicateError(.destination(.noSpace), "cannot write a pack (\(e.operation) \(e.path): \(e.reason)); free some space and run the backup again: it resumes from what was stored")
        case .notFound, .disconnected, .ioError:
            return TriplicateError(.destination(.unavailable), "cannot write a pack (\(e.operation) \(e.path): \(e.reason)); is the disk still connected?")
        default:
            return TriplicateError(.destination(.permanent), "cannot write a pack (\(e.operation) \(e.path): \(e.reason))")
        }
    }
}
