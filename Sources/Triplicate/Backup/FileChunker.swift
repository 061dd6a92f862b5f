// FileChunker: a backup reading one file: unchanged files reuse the parent's chunks; others are read into the shared
// segments and cut with FastCDC, and each chunk goes to the workers; a file that changes while read is read again.
@_spi(Benchmarks) internal import TriplicateCore
internal import Foundation
internal import TriplicateDestinations
internal import TriplicateSystem

/// How a file is cut: into content-defined chunks (FastCDC), or into fixed blocks (profile 4, SQLite databases).
enum Cutter {
    case contentDefined(FastCDC)
    case fixed(Int)

    /// The longest chunk it cuts.
    var maxSize: Int {
        switch self {
        case .contentDefined(let c): c.parameters.maxSize
        case .fixed(let size): size
        }
    }

    /// The length of the chunk at the start of `window` when it is certain (``FastCDC/certainCut(_:atEnd:)``): for fixed
    /// blocks, a whole block, or the rest of the file at its end.
    func certainCut(_ window: UnsafeRawBufferPointer, atEnd: Bool) -> Int? {
        switch self {
        case .contentDefined(let c): return c.certainCut(window, atEnd: atEnd)
        case .fixed(let size):
            guard !window.isEmpty else { return nil }
            return window.count >= size ? size : atEnd ? window.count : nil
        }
    }
}

extension BackupRun {
    func chunker(for profile: ChunkingProfile) throws(TriplicateError) -> Cutter {
        if profile.isFixedSize { return .fixed(profile.maxSize) }
        if let c = chunkers[profile.id] { return .contentDefined(c) }
        do {
            let c = try FastCDC(profile.parameters(seed: repository.keys.chunkerSeed))
            chunkers[profile.id] = c
            return .contentDefined(c)
        } catch { throw TriplicateError(.internalFailure, "chunker profile \(profile.name): \(error)") }
    }

    /// The longest chain of bases block `block` of a database may end (FORMAT.md §13): from 32 to 63 links, staggered by
    /// the block's position so that the blocks of a catalog edited all over start new chains in different sessions, not
    /// all in one.
    static func chainLimit(block: Int) -> Int { 32 + block % 32 }

    /// The blob to compress changed block `block` against, when its previous version was `previous` (FORMAT.md §13):
    /// that block, from the block cache when it holds it, else read through the run's reader (down its chain of bases).
    /// nil when the new block would end a chain longer than ``chainLimit(block:)``, when it is not cached and the
    /// repository is read from a bucket (a chain costs a request per link there), or when the block cannot be read: the
    /// block is then stored on its own.
    func deltaBase(for previous: ObjectID, block: Int, cache: BlockCache?) async -> ChunkBase? {
        guard claims.has(previous), let links = reader.index.chainLength(previous), links + 1 <= Self.chainLimit(block: block),
              let location = reader.index.location(previous) else { return nil }
        if let cached = cache?.block(block, blockSize: ChunkingProfile.pages.maxSize, length: Int(location.entry.rawLength),
                                     id: previous, hasher: repository.keys.idHasher) {
            return ChunkBase(id: previous, plaintext: cached)
        }
        guard !repository.readsFromObjectStore, let plaintext = try? await reader.base(previous) else { return nil }
        return ChunkBase(id: previous, plaintext: plaintext)
    }

    /// The block cache of the database at `path`, when the backup keeps one (``BackupOptions/blockCache``).
    private func blockCache(for path: String) -> BlockCache? {
        guard !options.dryRun, let folder = options.blockCache else { return nil }
        return BlockCache(folder: folder, repository: repository.keys.repositoryID, source: path)
    }

    func file(path: String, name: [UInt8], info: SourceInfo, parent: TreeNode?) async throws(TriplicateError) -> Child? {
        // The previous version: the same path, or else a vanished file with this inode (renamed or moved).
        let previous = parent.flatMap { p -> TreeNode? in
            if case .file = p.content { return p }
            return nil
        } ?? moved[info.inode]
        // A database with a live write-ahead log may hold new transactions in the log alone: never reused unread.
        let liveDatabase = databaseCandidates.contains(path)
        if let parent = previous, case let .file(chunks, parentProfile, ctime, inode) = parent.content, !liveDatabase,
           info.isUnchanged(from: parent), chunks.allSatisfy({ claims.has($0) }) {
            summary.files += 1
            summary.bytes += Int64(info.size)
            options.progress?(progressValue(path: path))
            // Setting an extended attribute changes the ctime: an unchanged file keeps its attributes too.
            return .ready(TreeNode(name: name, mode: info.mode, mtime: info.mtime, size: info.size,
                                   content: .file(chunks: chunks, profile: parentProfile, ctime: ctime, inode: inode),
                                   attributes: parent.attributes))
        }
        let fd: Int32
        do { fd = try FileSystem.openForReading(path, followLink: false) } catch {
            errors.append("\(path): cannot open the file (\(error.reason))")
            return nil
        }
        defer { FileSystem.closeQuietly(fd) }
        FileSystem.adviseSequential(fd)
        // A SQLite database is cut in fixed blocks whatever its name, each changed block against its previous version.
        let isDatabase = DatabaseCapture.isDatabase(fd: fd)
        let profile = isDatabase ? .pages : ChunkingProfile.forFile(named: String(decoding: name, as: UTF8.self))
        var previousBlocks: [ObjectID]?
        if isDatabase, let parent = previous, case let .file(chunks, parentProfile, _, _) = parent.content,
           parentProfile == ChunkingProfile.pages.id {
            previousBlocks = chunks
        }
        let chunker = try chunker(for: profile)
        let cache = isDatabase ? blockCache(for: path) : nil
        if liveDatabase, isDatabase {
            switch DatabaseCapture.copy(path, into: stagingDirectory) {
            case .copied(let copy):
                defer { FileSystem.removeQuietly(copy) }
                if let node = try await captured(copy, path: path, name: name, info: info, profile: profile, chunker: chunker,
                                                 previous: previousBlocks, cache: cache) { return node }
            case .refused(let why):
                let own = LightroomBackup.newest(for: path)
                var note = ""
                if let own, isBackedUp(own.path) {
                    consistentCopies[path] = own.path
                    note = " Lightroom's own backup of it, \(own.path), is in this snapshot too and is consistent."
                } else if let own {
                    note = " Lightroom's newest own backup of it, \(own.path), is not in what this backup reads: add its folder to the sources to keep a consistent copy."
                }
                warnings.append("\(path): SQLite could not take a consistent copy of this database (\(why)); it is stored as the file and its write-ahead log were, which is consistent unless the program wrote it back while both were read.\(note) Close the program (Lightroom) before the backup to be sure")
            }
        }
        // A file written while it is read (a catalog Lightroom is saving) is read again, up to three times.
        var before = info
        var attempt = 1
        var pending: PendingFile
        var total: Int64
        var stable = false
        while true {
            pending = PendingFile()
            guard let read = try await readChunks(fd: fd, path: path, chunker: chunker, into: pending,
                                                  skipHoles: info.size >= Self.sparseThreshold, previous: previousBlocks,
                                                  cache: cache) else { return nil }
            total = read
            let after = (try? SourceInfo.fstatFD(fd, path: path)) ?? before
            stable = after.mtime == before.mtime && after.ctime == before.ctime && after.size == before.size
                && after.inode == before.inode && Int64(after.size) == read
            if stable { break }
            if attempt == 3 {
                // With a consistent copy in the snapshot besides (Lightroom's own backup), this is a warning, not an error.
                if let copy = consistentCopy(of: path) {
                    warnings.append("\(path): kept changing while it was read (3 attempts); the snapshot holds the last \(read) bytes read, which may be inconsistent, and Lightroom's own backup \(copy), which is consistent")
                } else {
                    errors.append("\(path): kept changing while it was read (3 attempts); the snapshot holds the last \(read) bytes read, which may be inconsistent. Back it up again once the program writing it is closed")
                }
                break
            }
            attempt += 1
            before = after
            // readChunks reads at explicit offsets from the start: nothing to rewind.
        }
        countRead(path: path, total: total, isNew: previous == nil)
        cache?.commit(length: total)
        // A file changed less than a second before this backup started could change again within the same tick
        // of a coarse file-system clock without its ctime moving; record a zero ctime so that the next backup
        // reads it again instead of trusting these fields (the "racy timestamp" rule, FORMAT.md §14.6).
        // A file that never read stably is recorded the same way.
        let racy = !stable || before.ctime >= racyLimit || before.mtime >= racyLimit
        let ctime = racy ? Timestamp(seconds: 0, nanoseconds: 0) : before.ctime
        return .file(pending, TreeNode(name: name, mode: before.mode, mtime: before.mtime, size: UInt64(total),
                                       content: .file(chunks: [], profile: profile.id, ctime: ctime, inode: before.inode),
                                       attributes: Self.attributes(fd: fd, path: path)))
    }

    /// True when this backup stores the file at `path`: it lies below one of the sources and neither it nor a folder on
    /// the way there is excluded.
    func isBackedUp(_ path: String) -> Bool {
        rootPaths.contains { root in
            let base = root == "/" ? "" : root
            guard path.hasPrefix(base + "/") else { return false }
            var current = base
            return !path.dropFirst(base.count + 1).split(separator: "/").contains { component in
                current += "/" + component
                return excludes.excludes(path: current, name: String(component))
            }
        }
    }

    /// The consistent copy this snapshot holds of the database at `path`, or of the database whose write-ahead log or
    /// journal `path` is, when SQLite could not copy it.
    func consistentCopy(of path: String) -> String? {
        if let copy = consistentCopies[path] { return copy }
        return DatabaseCapture.sideFiles.first(where: path.hasSuffix).flatMap { consistentCopies[String(path.dropLast($0.count))] }
    }

    /// Counts a file read whole (`total` bytes) and tells progress and ``BackupOptions/fileRead``.
    private func countRead(path: String, total: Int64, isNew: Bool) {
        summary.files += 1
        summary.filesRead += 1
        summary.bytes += total
        summary.bytesRead += total
        options.progress?(progressValue(path: path))
        options.fileRead?(BackupFileRead(path: path, isNew: isNew, size: total))
    }

    /// Backs up the copy SQLite took of the database at `path` under the database's own name and metadata.
    private func captured(_ copy: String, path: String, name: [UInt8], info: SourceInfo, profile: ChunkingProfile,
                          chunker: Cutter, previous: [ObjectID]?, cache: BlockCache?) async throws(TriplicateError) -> Child? {
        let fd: Int32
        do { fd = try FileSystem.openForReading(copy, followLink: false) } catch { return nil }
        defer { FileSystem.closeQuietly(fd) }
        let pending = PendingFile()
        guard let total = try await readChunks(fd: fd, path: path, chunker: chunker, into: pending, previous: previous,
                                               cache: cache) else { return nil }
        cache?.commit(length: total)
        capturedDatabases.insert(path)
        countRead(path: path, total: total, isNew: false)
        // The side files' change does not move the database's ctime: record none, so that the next backup looks again.
        return .file(pending, TreeNode(name: name, mode: info.mode, mtime: info.mtime, size: UInt64(total),
                                       content: .file(chunks: [], profile: profile.id, ctime: Timestamp(seconds: 0, nanoseconds: 0), inode: info.inode),
                                       attributes: Self.attributes(path: path)))
    }

    /// The `user.` extended attributes of a file or folder (tags and ratings photo tools write), as a tree keeps them.
    static func attributes(fd: Int32 = -1, path: String) -> [ExtendedAttribute] {
        FileSystem.userAttributes(fd: fd, path: path).map { ExtendedAttribute(name: $0.name, value: $0.value) }
    }

    /// Moves to a free segment, carrying over the bytes read but not yet cut.
    func nextSegment() async throws(TriplicateError) {
        guard let fresh = await pool.receive() else {
            throw failure.current ?? TriplicateError(.cancelled, "backup stopped")
        }
        fresh.retain()
        let tail = filled - start
        if let old = segment {
            if tail > 0, let to = fresh.buffer.baseAddress, let from = old.buffer.baseAddress {
                memcpy(to, from + start, tail)
            }
            old.release()
        }
        segment = fresh
        start = 0
        filled = tail
    }

    /// Files at least this large are asked where their holes are (two system calls), so that a sparse file's holes are
    /// not read from disk.
    static let sparseThreshold: UInt64 = 1 << 20

    /// Reads the open file from its start to its end and hands every chunk to the workers; returns the bytes read,
    /// or nil after a read error, which is recorded. With `skipHoles`, the holes of a sparse file (SEEK_HOLE) are taken
    /// as the zeros they read as, without reading them: the chunks, and so the snapshot, are the same either way.
    ///
    /// `previous` is the block list of the file's previous version when both are cut in fixed blocks (a database): each
    /// block is then hashed here, a block the repository holds already goes to no worker, and a changed one goes with
    /// the previous version of that block as its base (``deltaBase(for:block:cache:)``). Every block of a file cut in
    /// fixed blocks is written to `cache`, for the next backup.
    func readChunks(fd: Int32, path: String, chunker: Cutter, into file: PendingFile, skipHoles: Bool = false,
                    previous: [ObjectID]? = nil, cache: BlockCache? = nil) async throws(TriplicateError) -> Int64? {
        let maxSize = chunker.maxSize
        var eof = false
        var total: Int64 = 0
        var sinceProgress: Int64 = 0
        // The file offset of the next byte, and what is known from there: zeros up to `holeEnd`, then data up to `dataEnd`.
        var offset: Int64 = 0
        var probe = skipHoles
        var holeEnd: Int64 = 0, dataEnd: Int64 = 0
        while true {
            try checkCancelled()
            // Read until a whole maximum-size chunk lies after `start`, or the file ends.
            while !eof && filled - start < maxSize {
                if segment == nil || filled == segment?.buffer.count { try await nextSegment() }
                guard let seg = segment, let base = seg.buffer.baseAddress else { break }
                let space = UnsafeMutableRawBufferPointer(start: base + filled, count: seg.buffer.count - filled)
                if probe && offset >= holeEnd && offset >= dataEnd {
                    switch FileSystem.dataRun(fd, from: offset) {
                    case .some((let data?, let hole)):
                        holeEnd = data
                        dataEnd = hole
                    case .some((nil, _)):
                        // Only a hole from here to the end.
                        holeEnd = (try? SourceInfo.fstatFD(fd, path: path)).map { Int64($0.size) } ?? offset
                        dataEnd = holeEnd
                        if holeEnd <= offset { probe = false }
                    case .none:
                        probe = false
                    }
                }
                let n: Int
                if offset < holeEnd {
                    n = Int(min(Int64(space.count), holeEnd - offset))
                    UnsafeMutableRawBufferPointer(rebasing: space[0..<n]).initializeMemory(as: UInt8.self, repeating: 0)
                } else {
                    do {
                        n = try FileSystem.readSome(fd, at: offset, into: space, path: path)
                    } catch {
                        errors.append("\(path): read failed after \(total + Int64(filled - start)) bytes (\(error.reason))")
                        start = filled
                        return nil
                    }
                }
                if n == 0 { eof = true } else {
                    filled += n
                    offset += Int64(n)
                }
            }
            guard let seg = segment, start < filled else { break }
            // Cut every chunk whose end is certain: a cut before the end of what is read, or a full-size chunk.
            while let length = chunker.certainCut(UnsafeRawBufferPointer(rebasing: seg.buffer[start..<filled]), atEnd: eof) {
                let slot = file.addSlot()
                var job = ChunkJob(segment: seg, start: start, count: length, file: file, slot: slot)
                if let cache, case .fixed(let blockSize) = chunker {
                    cache.write(slot, blockSize: blockSize, UnsafeRawBufferPointer(rebasing: seg.buffer[start..<(start + length)]))
                }
                if let previous {
                    let id = repository.keys.idHasher.id(UnsafeRawBufferPointer(rebasing: seg.buffer[start..<(start + length)]))
                    if claims.has(id) {
                        file.fill(slot, id)
                        start += length
                        total += Int64(length)
                        sinceProgress += Int64(length)
                        continue
                    }
                    job.id = id
                    if slot < previous.count { job.base = await deltaBase(for: previous[slot], block: slot, cache: cache) }
                }
                seg.retain()
                guard jobs.sendBlocking(job) else {
                    seg.release()
                    throw failure.current ?? TriplicateError(.cancelled, "backup stopped")
                }
                start += length
                total += Int64(length)
                sinceProgress += Int64(length)
            }
            if sinceProgress >= 8 << 20 {
                sinceProgress = 0
                var p = progressValue(path: path)
                p.bytes += total
                p.bytesRead += total
                options.progress?(p)
            }
        }
        return total
    }
}
