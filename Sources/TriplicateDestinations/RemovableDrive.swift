// RemovableDrive: a repository in a folder of a USB drive (FAT32, exFAT, NTFS, ext4), which is often unplugged.
@_spi(Benchmarks) public import TriplicateCore
internal import Foundation
internal import TriplicateSystem

/// A destination on a removable drive, for `--repo usb:PATH`.
///
/// It stores objects exactly as ``LocalDirectory`` does (atomic, durable, idempotent), plus what a drive that
/// comes and goes needs:
/// - **Connected or not.** Before every operation it checks that something other than the system disk is
///   mounted at the path (a drive in a drawer leaves an empty mount point, or none). If not, the operation
///   fails as ``DestinationError/Kind-swift.enum/unavailable`` with "drive not connected", and nothing is ever
///   written to the disk beneath.
/// - **Which drive.** The repository folder holds a drive marker (the object `drive`: the repository ID and
///   a random ID for this drive), written when the repository is created or first opened here. A folder whose
///   marker names another repository is refused.
/// - **FAT rules.** Object names are lowercase, without `:` or trailing dots, so they survive case-insensitive
///   file systems; no symbolic or hard links are needed (packs are staged on the internal disk and copied
///   once); an object of 4 GiB or more is refused before it is written (FAT32's file limit); file times on
///   the drive are never relied on.
/// - **Read-back verification** (`verifyWrites`): every object written is read back from the drive, past the
///   kernel's cached copy where the file system allows, and compared; a mismatch fails (cheap drives lie
///   about what they stored).
public struct RemovableDrive: Destination {
    /// The repository folder on the drive.
    public let folder: LocalDirectory
    /// Read every written object back and compare it.
    public let verifyWrites: Bool

    /// The largest object stored: FAT32 cannot hold a file of 4 GiB.
    public static let maxObjectSize: Int64 = (1 << 32) - 1

    /// A destination for the repository folder `path` on a removable drive.
    public init(path: String, verifyWrites: Bool = false) {
        folder = LocalDirectory(path: path)
        self.verifyWrites = verifyWrites
    }

    private init(folder: LocalDirectory, verifyWrites: Bool) {
        self.folder = folder
        self.verifyWrites = verifyWrites
    }

    /// This drive, its folder anchored (see ``LocalDirectory/anchored(_:)``).
    public func anchored(_ anchor: Anchor) -> any Destination {
        RemovableDrive(folder: folder.anchoredFolder(anchor), verifyWrites: verifyWrites)
    }

    public var placeKind: PlaceKind { .removableDrive }

    public var localFolders: [String] { [folder.root] }

    /// Creates the repository folder on the connected drive, as ``createRoot()``.
    public func createPlace() async throws(DestinationError) { try createRoot() }

    public var displayName: String { "usb:\(folder.root)" }

    /// Packs are staged on the internal disk (FAT has no hard links), then copied to the drive once.
    public var stagingDirectory: String? { nil }

    // MARK: Connection

    /// The mount point holding `path` (the topmost folder on the same device as the nearest existing
    /// folder at or above it) and whether that is the system disk's root file system.
    static func mountPoint(of path: String) -> (point: String, isSystemDisk: Bool)? {
        var existing = path
        while FileSystem.device(existing) == nil {
            guard let slash = existing.lastIndex(of: "/"), existing != "/" else { return nil }
            existing = slash == existing.startIndex ? "/" : String(existing[..<slash])
        }
        guard let device = FileSystem.device(existing), let rootDevice = FileSystem.device("/") else { return nil }
        var point = existing
        while point != "/" {
            guard let slash = point.lastIndex(of: "/") else { break }
            let parent = slash == point.startIndex ? "/" : String(point[..<slash])
            guard FileSystem.device(parent) == device else { break }
            point = parent
        }
        return (point, device == rootDevice)
    }

    /// Throws "drive not connected" unless a drive (not the system disk) is mounted where the folder lives.
    public func requireConnected() throws(DestinationError) {
        guard let mount = Self.mountPoint(of: folder.root) else {
            throw DestinationError(.unavailable, object: folder.root, "drive not connected: \(folder.root) cannot be reached. Plug the drive in (and mount it), then run the command again")
        }
        if mount.isSystemDisk {
            throw DestinationError(.unavailable, object: folder.root, "drive not connected: nothing is mounted at \(folder.root) or above it (the path is on the system disk). Plug the drive in (and mount it), then run the command again; nothing was written")
        }
    }

    /// Creates the repository folder on the connected drive (for `init`).
    public func createRoot() throws(DestinationError) {
        try requireConnected()
        try folder.createRoot()
    }

    /// The entries of the repository folder, once the drive is connected.
    public func rootEntries() async throws(DestinationError) -> [String] {
        try requireConnected()
        return try await folder.rootEntries()
    }

    // MARK: The drive marker

    /// The marker's object name.
    public static let markerName = "drive"

    /// What the drive marker says.
    public struct Marker: Codable, Sendable, Equatable {
        /// Always 1.
        public var version: Int
        /// The repository this folder holds, 64 hex digits.
        public var repository: String
        /// This drive's own ID, 32 hex digits, random when the marker was written.
        public var drive: String

        /// Creates a marker.
        public init(version: Int, repository: String, drive: String) {
            self.version = version
            self.repository = repository
            self.drive = drive
        }
    }

    /// Reads the marker, or nil when there is none.
    public func marker() async throws(DestinationError) -> Marker? {
        let bytes: [UInt8]
        do { bytes = try await get(Self.markerName) } catch {
            if error.kind == .notFound { return nil }
            throw error
        }
        guard let m = try? JSONDecoder().decode(Marker.self, from: Data(bytes)) else {
            throw DestinationError(.permanent, object: Self.markerName, "the drive marker of \(folder.root) is damaged; remove it to have it written again")
        }
        return m
    }

    /// Checks that this folder belongs to `repository` (hex ID), writing the marker when there is none yet.
    /// Throws ``DestinationError/Kind-swift.enum/denied`` when the marker names another repository.
    public func claim(repository: String) async throws(DestinationError) -> Marker {
        if let existing = try await marker() {
            guard existing.repository == repository else {
                throw DestinationError(.denied, object: folder.root, "this drive holds another repository (\(existing.repository.prefix(8)), not \(repository.prefix(8))); plug in the right drive, or choose another folder")
            }
            return existing
        }
        var g = SystemRandomNumberGenerator()
        let id = (0..<2).map { _ -> String in
            let s = String(g.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - s.count) + s
        }.joined()
        let m = Marker(version: 1, repository: repository, drive: id)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(m) else { throw DestinationError(.permanent, object: Self.markerName, "cannot encode the drive marker") }
        try await put(Self.markerName, data: Array(data))
        return m
    }

    // MARK: Operations

    private func checkName(_ name: String) throws(DestinationError) {
        // FAT drops trailing dots and spaces from names; the general rule already forbids spaces.
        if name.split(separator: "/").contains(where: { $0.hasSuffix(".") }) {
            throw DestinationError(.invalidName, object: name, "is not a valid object name on a FAT drive (a name ends with a dot)")
        }
    }

    /// Maps "the drive went away" failures (the file system unmounted under an open file, the folder gone)
    /// to the drive-not-connected error.
    private func onDrive<T>(_ body: () async throws(DestinationError) -> T) async throws(DestinationError) -> T {
        try requireConnected()
        do { return try await body() } catch {
            if error.kind == .unavailable || error.kind == .permanent, (try? requireConnected()) == nil {
                throw DestinationError(.unavailable, object: folder.root, "drive not connected: it went away during the operation (\(error.message)). Plug it in again and rerun the command: it resumes from what was stored")
            }
            throw error
        }
    }

    /// Some FAT drivers (fusefat among them) report a full drive as "operation not permitted": a failed write
    /// is called what it is when the drive has less room than the object.
    private func explainFull(_ error: DestinationError, size: Int64) -> DestinationError {
        guard error.kind == .denied || error.kind == .permanent, let free = FileSystem.freeBytes(folder.root),
              free < size + (1 << 20) else { return error }
        return DestinationError(.noSpace, object: error.object, "the drive is full (\(free >> 20) MiB free, \(size >> 20) MiB to write): free some space on \(folder.root) and run the backup again; it resumes from what was stored")
    }

    public func put(_ name: String, data: [UInt8]) async throws(DestinationError) {
        try checkName(name)
        try await onDrive { () throws(DestinationError) in
            do throws(DestinationError) { try await folder.put(name, data: data) } catch { throw explainFull(error, size: Int64(data.count)) }
            if verifyWrites { try await verify(name, expected: data.count) { (offset, buffer) in data.withUnsafeBytes { d in
                buffer.elementsEqual(UnsafeRawBufferPointer(rebasing: d[offset..<(offset + buffer.count)]))
            } } }
        }
    }

    public func put(_ name: String, file path: String) async throws(DestinationError) {
        try checkName(name)
        let size: Int64
        do { size = try FileSystem.size(path) } catch {
            throw DestinationError(.permanent, object: name, "cannot read the file to store (\(error.reason))")
        }
        guard size <= Self.maxObjectSize else {
            throw DestinationError(.permanent, object: name, "is \(size) bytes: a FAT32 drive cannot hold a file of 4 GiB or more")
        }
        try await onDrive { () throws(DestinationError) in
            do throws(DestinationError) { try await folder.put(name, file: path) } catch { throw explainFull(error, size: size) }
            if verifyWrites {
                let source: Int32
                do throws(FileSystemError) { source = try FileSystem.openForReading(path) } catch {
                    throw DestinationError(.permanent, object: name, "cannot reopen \(path) to verify the copy (\(error.reason))")
                }
                defer { FileSystem.closeQuietly(source) }
                let piece = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
                defer { piece.deallocate() }
                try await verify(name, expected: Int(size)) { (offset, buffer) in
                    let want = UnsafeMutableRawBufferPointer(rebasing: piece[0..<buffer.count])
                    do {
                        try FileSystem.readFully(source, offset: Int64(offset), into: want, path: path)
                    } catch {
                        return false
                    }
                    return buffer.elementsEqual(want)
                }
            }
        }
    }

    /// Reads `name` back from the drive in 1 MiB pieces, after asking the kernel to drop its cached copy, and
    /// compares each piece with `same(offset, piece)`; a mismatch removes the object and fails.
    private func verify(_ name: String, expected: Int, _ same: (Int, UnsafeRawBufferPointer) -> Bool) async throws(DestinationError) {
        let path = folder.root + "/" + name
        let fd: Int32
        do { fd = try FileSystem.openForReading(path) } catch {
            throw DestinationError(.permanent, object: name, "cannot open it again to verify it (\(error.reason))")
        }
        defer { FileSystem.closeQuietly(fd) }
        FileSystem.adviseDropCache(fd)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        var offset = 0
        var good = true
        while offset < expected {
            let want = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<min(buffer.count, expected - offset)])
            let n = (try? FileSystem.readSome(fd, at: Int64(offset), into: want, path: path)) ?? 0
            guard n > 0, same(offset, UnsafeRawBufferPointer(rebasing: buffer[0..<n])) else {
                good = false
                break
            }
            offset += n
        }
        if good {
            // Nothing may follow what was written.
            var extra: UInt8 = 0
            let more = withUnsafeMutableBytes(of: &extra) { (try? FileSystem.readSome(fd, at: Int64(expected), into: $0, path: path)) ?? 1 }
            if more != 0 { good = false }
        }
        guard good else {
            try? await folder.delete(name)
            throw DestinationError(.permanent, object: name, "reading it back from the drive gave other bytes than were written: the drive is failing or not what it claims to be. The object was removed; use another drive")
        }
    }

    public func get(_ name: String) async throws(DestinationError) -> [UInt8] {
        try await onDrive { () throws(DestinationError) in try await folder.get(name) }
    }

    public func get(_ name: String, range: Range<Int64>) async throws(DestinationError) -> [UInt8] {
        try await onDrive { () throws(DestinationError) in try await folder.get(name, range: range) }
    }

    public func get(_ name: String, range: Range<Int64>, into buffer: UnsafeMutableRawBufferPointer) async throws(DestinationError) {
        try await onDrive { () throws(DestinationError) in try await folder.get(name, range: range, into: buffer) }
    }

    public func list(prefix: String) async throws(DestinationError) -> [ObjectInfo] {
        try await onDrive { () throws(DestinationError) in try await folder.list(prefix: prefix) }
    }

    public func delete(_ name: String) async throws(DestinationError) {
        try await onDrive { () throws(DestinationError) in try await folder.delete(name) }
    }

    public func stat(_ name: String) async throws(DestinationError) -> ObjectInfo {
        try await onDrive { () throws(DestinationError) in try await folder.stat(name) }
    }
}

extension RemovableDrive {
    /// Checks the marker against `repository`, writing it when there is none; a marker that cannot be written
    /// (a write-protected drive) does not stop reading, but a drive that went away or belongs to another
    /// repository does.
    public func bind(repository: String) async throws(DestinationError) {
        do { _ = try await claim(repository: repository) } catch {
            if error.kind == .unavailable || error.object == folder.root { throw error }
        }
    }
}
