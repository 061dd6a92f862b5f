// BlockCache: the last version of a database a backup stored, kept on the backing-up machine, so that the next backup
// compresses each changed block against its previous version without reading that back from the repository.
@_spi(Benchmarks) internal import TriplicateCore
internal import TriplicateSystem

/// The copy of one database file kept in ``BackupOptions/blockCache``: read for the previous version of each changed
/// block (checked against that block's ID), and replaced by the version being read, written beside it and renamed over
/// it once the file is read whole. Not thread safe: the walk owns it while it reads the file.
final class BlockCache {
    private let path: String
    private let temporary: String
    private var previous: Int32 = -1
    private var next: Int32 = -1

    /// The cache of the database at `source` for the repository `repository`, under `folder`; nil when the folder
    /// cannot be made or written (the backup then reads previous versions from the repository).
    init?(folder: String, repository: ObjectID, source: String) {
        let directory = folder + "/" + repository.hex
        do { try FileSystem.makeDirectories(directory) } catch { return nil }
        path = directory + "/" + SHA256.hash(Array(source.utf8)).hex
        temporary = path + ".tmp-" + FileSystem.uniqueSuffix()
        do { next = try FileSystem.createExclusive(temporary) } catch { return nil }
        previous = (try? FileSystem.openForReading(path, followLink: false)) ?? -1
    }

    deinit { discard() }

    /// The previous version of block `index` (`length` bytes at `index · blockSize`), when the cache holds it: its bytes
    /// hash to `id` under `hasher`.
    func block(_ index: Int, blockSize: Int, length: Int, id: ObjectID, hasher: KeyedBlake2b) -> [UInt8]? {
        guard previous >= 0, length > 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: length)
        let offset = Int64(index) * Int64(blockSize)
        let fd = previous
        let read = bytes.withUnsafeMutableBytes { b -> Int in
            var done = 0
            while done < length {
                guard let n = try? FileSystem.readSome(fd, at: offset + Int64(done), into: UnsafeMutableRawBufferPointer(rebasing: b[done..<length]),
                                                       path: "block cache"), n > 0 else { break }
                done += n
            }
            return done
        }
        return read == length && hasher.id(bytes) == id ? bytes : nil
    }

    /// Writes block `index` of the version being read. A failure leaves the cache out of this backup.
    func write(_ index: Int, blockSize: Int, _ bytes: UnsafeRawBufferPointer) {
        guard next >= 0 else { return }
        do { try FileSystem.writeAll(next, bytes, at: Int64(index) * Int64(blockSize), path: temporary) } catch {
            FileSystem.closeQuietly(next)
            FileSystem.removeQuietly(temporary)
            next = -1
        }
    }

    /// Makes the version read the cached one (`length` bytes long).
    func commit(length: Int64) {
        guard next >= 0 else { return }
        let fd = next
        next = -1
        // A file read again after it changed may have been longer the first time: the version is `length` bytes.
        do { try FileSystem.setSize(fd, length, path: temporary) } catch {
            FileSystem.closeQuietly(fd)
            FileSystem.removeQuietly(temporary)
            return
        }
        FileSystem.closeQuietly(fd)
        do { try FileSystem.rename(temporary, path) } catch { FileSystem.removeQuietly(temporary) }
    }

    /// Drops the version being written, keeping the cached one.
    func discard() {
        if next >= 0 {
            FileSystem.closeQuietly(next)
            FileSystem.removeQuietly(temporary)
            next = -1
        }
        if previous >= 0 {
            FileSystem.closeQuietly(previous)
            previous = -1
        }
    }
}
