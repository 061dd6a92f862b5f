// PackReader: the one place packs are read other than blob by blob: a pack's table with three small reads, and a
// whole pack once, front to back, in large ranged reads, to verify it (its SHA-256, its table and every blob) without
// ever holding the whole pack in memory.
@_spi(Benchmarks) internal import TriplicateCore
internal import Foundation

/// What a scan found in one pack.
struct PackScan: Sendable {
    /// True when the SHA-256 of the pack's bytes equals its name.
    var matchesName = false
    /// The blobs (of those the caller expected, and those the table lists) that failed to read, authenticate,
    /// decompress or re-hash, each with the reason.
    var bad: [ObjectID: String] = [:]
    /// The blobs that opened and re-hashed to their IDs.
    var good: Set<ObjectID> = []
    /// Of ``bad``, the blobs whose bytes could not be read at all (an I/O error): they may read another day.
    var unreadable: Set<ObjectID> = []
    /// Blobs stored against a base (FORMAT.md §7.2) that were not opened because their base could not be read, each with
    /// the reason: neither good nor bad, since their own bytes were not tried (the base's pack is where the damage is).
    var withoutBase: [ObjectID: String] = [:]
    /// Of ``good``, the blobs stored against a base that were authenticated and whose frame was checked, but not
    /// decompressed: their base is itself stored against a base, and reading its chain for each of them would cost a
    /// whole chain per blob (the scanner reads whole chains only when asked to, as repair does).
    var authenticatedOnly: Set<ObjectID> = []
    /// The pack's table, when it opens.
    var table: [PackEntry]?
    /// Why the table does not open.
    var tableProblem: String?
    /// Why part of the pack could not be read at all (a missing pack, an I/O error); the blobs in that part are bad.
    var readProblem: String?

    /// True when every byte is right: the name matches, the table opens, and every blob opens.
    var isIntact: Bool { matchesName && table != nil && bad.isEmpty && readProblem == nil }
}

/// One pack scanned by a task of a group: what it found, or the error that stopped it.
///
/// A struct made by ``PackScanner/scanned(_:size:expected:cancellation:)``, not a tuple built in the task's closure: in
/// release builds, Swift 6.3.1 handed the group a garbage tuple of a `Result` over a typed error built in a
/// `do throws(…)` inside `addTask`, and `check --read-data` crashed in `swift_retain`.
struct ScannedPack: Sendable {
    let pack: ObjectID
    let table: [PackEntry]?
    let scan: PackScan?
    let error: TriplicateError?
}

/// Verifies packs. Holds one span buffer and one decompression buffer, reused from pack to pack; one task at a time
/// uses it (check hands one to each pack task).
final class PackScanner: @unchecked Sendable {
    let repository: Repository
    /// Its span buffer is the "sealed" buffer: spans are opened in place.
    private let opener: BlobOpener

    /// Bytes read at once: large enough that an object store answers few requests per pack, small enough that a
    /// scanner per core stays cheap. A span grows past this only to finish the blob that starts in it.
    static let spanSize: Int64 = 16 << 20
    /// The longest sealed table this implementation opens (FORMAT.md §7.5): 6 million blobs.
    static let maxTableLength: Int64 = 256 << 20

    /// Reads the bases of the blobs stored against one, with its own buffers (nil: no index was given, and such blobs
    /// are reported unreadable).
    private let bases: BlobReader?
    /// True to read the whole chain of bases of every blob stored against one (repair, which needs their plaintexts);
    /// otherwise only bases stored without a base of their own (or already read) are read.
    private let wholeChains: Bool

    /// A scanner; `index` finds the bases of blobs stored against one (FORMAT.md §7.2).
    init(repository: Repository, index: MasterIndex? = nil, wholeChains: Bool = false) throws(TriplicateError) {
        self.repository = repository
        opener = try BlobOpener()
        bases = try index.map { (i) throws(TriplicateError) in try BlobReader(repository: repository, index: i) }
        self.wholeChains = wholeChains
    }

    /// What opening a blob needs of its base.
    private enum BaseState {
        /// Nothing: the blob has no base.
        case none
        /// The base's plaintext.
        case plaintext([UInt8])
        /// The base is itself stored against a base and not read: the blob is authenticated, not decompressed.
        case deep
        /// The base cannot be read, for this reason.
        case unreadable(TriplicateError)
    }

    /// The plaintext of the base of `e`, or why it is not read. A failure of the destination itself is thrown.
    private func basePlaintext(of e: PackEntry) async throws(TriplicateError) -> BaseState {
        guard let id = e.base else { return .none }
        guard let bases else { return .unreadable(TriplicateError(.corrupt, "its base \(id.short) is not known here")) }
        if let cached = bases.cachedBase(id) { return .plaintext(cached) }
        if !wholeChains, bases.index.location(id)?.entry.base != nil { return .deep }
        do { return .plaintext(try await bases.base(id)) } catch {
            if case .destination(let kind) = error.kind, kind != .permanent, kind != .notFound { throw error }
            return .unreadable(error)
        }
    }

    /// Reads pack `pack` of `size` bytes (as listed) front to back: hashes every byte, opens every blob of `expected`
    /// and of the pack's own table, and calls `intact` with each blob that opens (its plaintext is valid only during
    /// the call). A failure of the destination other than a missing pack or an I/O error stops the scan (thrown);
    /// damage is reported in the result.
    ///
    /// `intact` gets each blob that opens with its plaintext and its stored form (what the pack held for it, decrypted:
    /// compressed when the entry says zstd), both valid only during the call; the plaintext is nil for a blob only
    /// authenticated (``PackScan/authenticatedOnly``).
    func scan(_ pack: ObjectID, size: Int64, expected: [PackEntry], cancellation: Cancellation? = nil,
              intact: ((PackEntry, UnsafeRawBufferPointer?, UnsafeRawBufferPointer) throws(TriplicateError) -> Void)? = nil) async throws(TriplicateError) -> PackScan {
        let name = Layout.pack(pack)
        var result = PackScan()
        // The table comes first (three small reads), so that the blobs it lists are opened on the way too.
        var entries = expected
        if size > PackFormat.maxPackSize {
            result.tableProblem = "it is \(size) bytes, more than a pack can be"
        } else {
            do {
                let table = try await repository.readPackTable(pack, size: size)
                result.table = table
                let known = Set(expected.map { EntryKey($0) })
                entries += table.filter { !known.contains(EntryKey($0)) }
            } catch {
                if case .destination(let kind) = error.kind, kind != .permanent, kind != .notFound { throw error }
                result.tableProblem = error.message
            }
        }
        entries.sort { ($0.offset, $0.id) < ($1.offset, $1.id) }
        let hasher: SHA256.Hasher
        do { hasher = try SHA256.Hasher() } catch { throw TriplicateError(.corrupt, "cannot set up SHA-256: \(error)") }

        var key: [UInt8]?
        var keyProblem: String?
        var next = 0          // the first entry not yet handled
        var stragglers: [PackEntry] = []
        var cursor: Int64 = 0
        let hashable = size <= PackFormat.maxPackSize
        while hashable, cursor < size, result.readProblem == nil {
            if cancellation?.isCancelled == true { throw TriplicateError(.cancelled, "interrupted while reading \(name)") }
            // A span of about 16 MiB, stretched to the end of the last blob that starts in it.
            let base = min(size, cursor + Self.spanSize)
            var end = base
            var i = next
            while i < entries.count, Int64(entries[i].offset) < base {
                let e = entries[i]
                let blobEnd = Int64(e.offset) + Int64(e.storedLength)
                if Int64(e.offset) >= cursor, blobEnd > end, blobEnd <= size { end = blobEnd }
                i += 1
            }
            let count = Int(end - cursor)
            let buffer = opener.sealed(count)
            do { try await repository.destination.get(name, range: cursor..<end, into: buffer) } catch {
                guard error.kind == .notFound || error.kind == .permanent else {
                    throw TriplicateError(error, doing: "cannot read \(name)")
                }
                result.readProblem = "\(name) cannot be read at \(cursor) (\(error))"
                break
            }
            hasher.update(UnsafeRawBufferPointer(buffer))
            if cursor == 0 {
                do {
                    let header = try FileHeader.decode(Array(buffer.prefix(FileHeader.length)), expecting: .pack, context: name)
                    key = try repository.keys.fileKey(kind: .pack, salt: header.salt)
                } catch { keyProblem = "its header is damaged (\(error))" }
            }
            // Open every blob that lies wholly in this span, in place: its bytes are hashed already.
            while next < entries.count, Int64(entries[next].offset) < end {
                let e = entries[next]
                next += 1
                let start = Int64(e.offset), blobEnd = start + Int64(e.storedLength)
                guard start >= cursor, blobEnd <= end else {
                    stragglers.append(e)
                    continue
                }
                let sealed = UnsafeMutableRawBufferPointer(rebasing: buffer[Int(start - cursor)..<Int(blobEnd - cursor)])
                try open(e, sealed: sealed, key: key, keyProblem: keyProblem, name: name, base: try await basePlaintext(of: e), into: &result, intact: intact)
            }
            cursor = end
        }
        if hashable, result.readProblem == nil { result.matchesName = hasher.finalize() == pack }
        // What a span could not hold (blobs that overlap others, or lie past a part that could not be read) is read
        // blob by blob.
        stragglers += entries[next...]
        for e in stragglers where result.bad[e.id] == nil && !result.good.contains(e.id) && result.withoutBase[e.id] == nil {
            if cancellation?.isCancelled == true { throw TriplicateError(.cancelled, "interrupted while reading \(name)") }
            let blobEnd = Int64(e.offset) + Int64(e.storedLength)
            guard blobEnd <= size else {
                result.bad[e.id] = "it lies past the end of the pack (\(size) bytes)"
                continue
            }
            if key == nil, keyProblem == nil {
                do { key = try await readKey(pack, name: name) } catch {
                    if case .destination(let kind) = error.kind, kind != .permanent, kind != .notFound { throw error }
                    keyProblem = error.message
                }
            }
            let count = Int(e.storedLength)
            let sealed = opener.sealed(count)
            do { try await repository.destination.get(name, range: Int64(e.offset)..<blobEnd, into: sealed) } catch {
                guard error.kind == .notFound || error.kind == .permanent else { throw TriplicateError(error, doing: "cannot read \(name)") }
                result.bad[e.id] = "cannot be read (\(error))"
                result.unreadable.insert(e.id)
                continue
            }
            try open(e, sealed: sealed, key: key, keyProblem: keyProblem, name: name, base: try await basePlaintext(of: e), into: &result, intact: intact)
        }
        return result
    }

    /// ``scan(_:size:expected:cancellation:intact:)`` as a value a task group can collect.
    func scanned(_ pack: ObjectID, size: Int64, expected: [PackEntry], cancellation: Cancellation?) async -> ScannedPack {
        do {
            let scan = try await scan(pack, size: size, expected: expected, cancellation: cancellation)
            return ScannedPack(pack: pack, table: nil, scan: scan, error: nil)
        } catch {
            return ScannedPack(pack: pack, table: nil, scan: nil, error: error)
        }
    }

    /// The table of `pack` read alone (three small reads), or with `whole`, or when the table cannot be read that way,
    /// the whole pack scanned: what `repair` needs of each pack, as a value a task group can collect.
    func tableOrScan(_ pack: ObjectID, size: Int64, expected: [PackEntry], whole: Bool, cancellation: Cancellation?) async -> ScannedPack {
        if !whole {
            do {
                let table = try await repository.readPackTable(pack, size: size)
                return ScannedPack(pack: pack, table: table, scan: nil, error: nil)
            } catch {
                if case .destination(let kind) = error.kind, kind != .permanent, kind != .notFound {
                    return ScannedPack(pack: pack, table: nil, scan: nil, error: error)
                }
            }
        }
        return await scanned(pack, size: size, expected: expected, cancellation: cancellation)
    }

    private func readKey(_ pack: ObjectID, name: String) async throws(TriplicateError) -> [UInt8] {
        let bytes: [UInt8]
        do { bytes = try await repository.destination.get(name, range: 0..<Int64(FileHeader.length)) } catch {
            throw TriplicateError(error, doing: "cannot read \(name)")
        }
        do {
            let header = try FileHeader.decode(bytes, expecting: .pack, context: name)
            return try repository.keys.fileKey(kind: .pack, salt: header.salt)
        } catch { throw TriplicateError(.corrupt, "its header is damaged (\(error))") }
    }

    /// Opens one blob; `base` says what it has of its base: when that cannot be read, the blob is left in
    /// ``PackScan/withoutBase``, not found damaged (its own bytes may well be intact).
    private func open(_ e: PackEntry, sealed: UnsafeMutableRawBufferPointer, key: [UInt8]?, keyProblem: String?, name: String,
                      base: BaseState, into result: inout PackScan,
                      intact: ((PackEntry, UnsafeRawBufferPointer?, UnsafeRawBufferPointer) throws(TriplicateError) -> Void)?) throws(TriplicateError) {
        guard let key else {
            result.bad[e.id] = keyProblem ?? "its pack's header cannot be read"
            return
        }
        let stored = UnsafeRawBufferPointer(rebasing: sealed[0..<(Int(e.storedLength) - AESGCM.tagLength)])
        let basePlain: [UInt8]?
        switch base {
        case .none: basePlain = nil
        case .plaintext(let b): basePlain = b
        case .unreadable(let error):
            result.withoutBase[e.id] = "it is stored against blob \(e.base?.short ?? "?"), which cannot be read (\(error.message))"
            return
        case .deep:
            do { _ = try PackFormat.authenticate(inPlace: sealed, entry: e, packKey: key, cipher: opener.cipher, context: name) } catch {
                result.bad[e.id] = "\(error)"
                return
            }
            result.good.insert(e.id)
            result.authenticatedOnly.insert(e.id)
            try intact?(e, nil, stored)
            return
        }
        let plaintext: UnsafeRawBufferPointer
        do {
            plaintext = try opener.open(sealed, entry: e, packKey: key, keys: repository.keys, base: basePlain, context: name)
        } catch {
            result.bad[e.id] = "\(error)"
            return
        }
        result.good.insert(e.id)
        // Opened in place: the first storedLength − 16 bytes (the tag aside) now hold the stored form.
        try intact?(e, plaintext, stored)
    }
}

/// An entry as a set element: the same blob at the same place.
private struct EntryKey: Hashable {
    let id: ObjectID
    let offset: UInt32
    init(_ e: PackEntry) {
        id = e.id
        offset = e.offset
    }
}

extension Repository {
    /// Reads and authenticates the table of pack `id` of `size` bytes with three small ranged reads (FORMAT.md §7.5): header, trailer, table.
    func readPackTable(_ id: ObjectID, size: Int64) async throws(TriplicateError) -> [PackEntry] {
        let name = Layout.pack(id)
        do {
            guard size > Int64(FileHeader.length + PackFormat.trailerLength) else { throw CoreError.malformed("\(name): truncated") }
            let header = try await destination.get(name, range: 0..<Int64(FileHeader.length))
            let trailer = try await destination.get(name, range: (size - Int64(PackFormat.trailerLength))..<size)
            let range = try PackFormat.tableRange(trailer: trailer, packSize: size, context: name)
            guard range.count <= PackScanner.maxTableLength else {
                throw CoreError.malformed("\(name): its table of \(range.count) bytes is longer than this implementation reads")
            }
            let table = try await destination.get(name, range: range)
            return try PackFormat.openTable(header: header, sealedTable: table, packSize: range.lowerBound, keys: keys, context: name)
        } catch let e as TriplicateError {
            throw e
        } catch let e as DestinationError {
            throw TriplicateError(e, doing: "cannot read pack \(name)")
        } catch let e as CoreError {
            throw TriplicateError.corrupt(e, file: "pack \(name)")
        } catch {
            throw TriplicateError(.corrupt, "pack \(name): \(error)")
        }
    }
}
