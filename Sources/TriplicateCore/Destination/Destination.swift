// Destination: the protocol every place a repository can live implements (local directory, drive, cloud).
public import struct Foundation.Date

/// One object held by a destination.
public struct ObjectInfo: Sendable, Hashable {
    /// The object's name, relative to the repository root, with `/` separators (e.g. `data/3f/3f…`).
    public var name: String
    /// Its size in bytes.
    public var size: Int64

    /// Creates an object description.
    public init(name: String, size: Int64) {
        self.name = name
        self.size = size
    }
}

/// A failure of a destination operation, saying what went wrong, to which object, and whether retrying can help.
///
/// Error policy: ``Kind-swift.enum/transient`` is the only kind a caller should retry (a network hiccup, a 503,
/// a busy server). Every other kind is permanent for this attempt: retrying a full disk, a missing object or an
/// unplugged drive gives the same answer until a person acts.
public struct DestinationError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Kind: Sendable, Hashable {
        /// The object does not exist.
        case notFound
        /// The destination itself is not there: an unmounted drive, a missing directory, an unreachable server.
        case unavailable
        /// No space left on the destination (ENOSPC, EDQUOT, or a storage cap).
        case noSpace
        /// The destination refused access (permissions, credentials).
        case denied
        /// A name that this destination cannot or will not store (empty, absolute, `..`, illegal characters).
        case invalidName
        /// A passing failure worth retrying after a pause.
        case transient
        /// Any other failure that retrying will not fix (an I/O error, a size mismatch after write).
        case permanent
        /// The operation was cancelled (the command is stopping): says nothing about the object or the destination.
        case cancelled
    }

    /// What kind of failure this is.
    public var kind: Kind
    /// The object (or path) concerned, when there is one.
    public var object: String?
    /// A message for a person: what happened (and what to do, where no ``remedy`` says it).
    public var message: String
    /// What to do about it, as an operation of the library, when the destination knows (create the bucket, give
    /// other credentials).
    public var remedy: Remedy?

    /// Creates an error.
    public init(_ kind: Kind, object: String?, _ message: String, remedy: Remedy? = nil) {
        self.kind = kind
        self.object = object
        self.message = message
        self.remedy = remedy
    }

    /// True when a retry after a pause may succeed.
    public var isRetryable: Bool { kind == .transient }

    /// The object (when there is one) and the message.
    public var description: String {
        if let object { return "\(object): \(message)" }
        return message
    }
}

/// A place where a repository's files live: a local directory or NAS mount, a removable drive, a cloud bucket.
/// The engine only ever stores, reads, lists and deletes whole named objects through it, so a library user
/// can add a destination of their own by implementing these few operations; `DestinationConformance` (a
/// test-support library of this package) checks an implementation against everything below.
///
/// The terms, as every operation uses them:
/// - **atomic**: a reader (this process or another, now or after a crash or power loss at any moment) sees
///   either no object or the whole object with the bytes put, never a part of one.
/// - **durable**: once the call returns, the object survives a crash or power loss.
/// - **idempotent**: doing the same call again succeeds and leaves the same state, so a caller may always
///   retry after an interruption without first finding out what happened.
/// - **missing**: ``DestinationError/Kind-swift.enum/notFound``; only for the object named, never for a
///   destination that is not there (that is ``DestinationError/Kind-swift.enum/unavailable``).
/// - **retryable**: ``DestinationError/Kind-swift.enum/transient``, the only kind worth retrying after a pause.
/// - **permanent**: every other kind; the same call fails the same way until a person acts (frees space,
///   plugs the drive in, fixes the credentials).
///
/// Per operation:
/// - **Names** are relative paths of lowercase ASCII letters, digits, `.`, `_` and `-` in components separated
///   by `/`; no component is empty, `.` or `..` (``ObjectName``). Any other name fails with
///   ``DestinationError/Kind-swift.enum/invalidName`` before anything is touched. Such names survive
///   case-insensitive file systems (FAT32, exFAT) and every object store.
/// - **put** (bytes or a local file) is atomic, durable and idempotent: putting the same bytes under the
///   same name again succeeds and changes nothing. The engine names every object after its content (or
///   writes it once), so a put never needs to replace different bytes.
/// - **get** returns the whole object, a byte range of it, or reads the range into a caller's buffer; a range
///   reaching past the end is permanent. A missing object is missing.
/// - **list** returns every object whose name starts with the prefix (however many: implementations page
///   through large listings), in no particular order, with sizes, and never shows a partly written object.
/// - **delete** removes an object; deleting a missing object succeeds (idempotent).
/// - **stat** returns the object's size, or missing.
///
/// Implementations are `Sendable` and are called concurrently (several packs stored while others are read).
///
/// Besides these operations, a few capabilities have default implementations that suit an object store; a
/// destination that is a folder, a drive or a bucket overrides the ones that apply to it (see ``placeKind``,
/// ``createPlace()``, ``isAbsent()``, ``rootEntries()``, ``bind(repository:)``, ``localFolders`` and
/// ``anchored(_:)``). None of them knows how a repository lays out its files.
public protocol Destination: Sendable {
    /// A short description for messages, e.g. `local:/mnt/nas/photos-repo`.
    var displayName: String { get }
    /// Stores `data` under `name` atomically, durably and idempotently.
    func put(_ name: String, data: [UInt8]) async throws(DestinationError)
    /// Stores the bytes of the local file at `path` under `name`, with the same guarantees as
    /// ``put(_:data:)``. The file is neither changed nor removed; the caller deletes it afterwards. Large objects
    /// (packs) come this way, so a destination can stream them instead of holding them in memory.
    func put(_ name: String, file path: String) async throws(DestinationError)
    /// A local folder where the engine may prepare files for ``put(_:file:)`` so that putting them is cheap (a
    /// hard link on the same file system instead of a copy); nil to let the engine use the temporary folder.
    /// Files the engine leaves there have `.tmp-` in their names.
    var stagingDirectory: String? { get }
    /// Returns the whole object.
    func get(_ name: String) async throws(DestinationError) -> [UInt8]
    /// Returns the bytes `range` of the object.
    func get(_ name: String, range: Range<Int64>) async throws(DestinationError) -> [UInt8]
    /// Reads the bytes `range` of the object into the start of `buffer`, which holds at least `range.count`
    /// bytes: the same as ``get(_:range:)`` without a new array per read (restore reads every blob this way).
    func get(_ name: String, range: Range<Int64>, into buffer: UnsafeMutableRawBufferPointer) async throws(DestinationError)
    /// Lists the objects whose names begin with `prefix`.
    func list(prefix: String) async throws(DestinationError) -> [ObjectInfo]
    /// Deletes the object; succeeds if it is already gone.
    func delete(_ name: String) async throws(DestinationError)
    /// The object's name and size, or ``DestinationError/Kind-swift.enum/notFound``.
    func stat(_ name: String) async throws(DestinationError) -> ObjectInfo

    // MARK: Capabilities (with defaults)

    /// What kind of place this is: a plan reads from the nearest copy first, and says why one cannot be reached
    /// ("drive not connected" is not "server not reachable"). Default: ``PlaceKind/other``.
    var placeKind: PlaceKind { get }
    /// Makes the place itself exist so that a new repository can be written there: creates the folder (and its
    /// parents) or the bucket. Only creating a repository calls it. Default: nothing to create.
    func createPlace() async throws(DestinationError)
    /// After an operation failed as ``DestinationError/Kind-swift.enum/unavailable``: true when the place itself is
    /// known not to exist (no such folder, no such bucket), so that nothing, and no repository, is there; false when it
    /// may exist but cannot be reached now (a drive in a drawer, a server that does not answer). Default: false.
    func isAbsent() async -> Bool
    /// Every entry at the top of the place, whatever it is (a folder may hold files that are not valid object
    /// names); creating a repository refuses a place that holds anything. Default: the names ``list(prefix:)`` gives.
    func rootEntries() async throws(DestinationError) -> [String]
    /// Records, or checks, that this place holds the repository with this ID (64 hex digits); a removable drive keeps a
    /// marker and refuses another repository's. Called whenever a repository is created or opened. Default: nothing.
    func bind(repository: String) async throws(DestinationError)
    /// The local folders whose files are this destination's objects: a backup never backs a repository up into
    /// itself. Default: none.
    var localFolders: [String] { get }
    /// This destination, told which file must be present before any other is written (see ``Anchor``). A folder
    /// destination refuses writes while the anchor is missing, so that an unmounted disk or share is never filled
    /// through its empty mount point; an object store ignores it. Default: `self`.
    func anchored(_ anchor: Anchor) -> any Destination

    // MARK: Retention (object lock), with defaults for places that have none

    /// Makes the place keep every object written from now on for `days` days, in a way no key can shorten or undo
    /// (S3 Object Lock in compliance mode): a stolen key cannot delete a backup. Creating a repository with object lock
    /// calls it first, so a bucket is created with object lock enabled. Default: fails, the place cannot.
    func enableRetention(days: Int) async throws(DestinationError)
    /// The retention every new object gets, or nil when objects can be deleted at once. Default: nil.
    func retention() async throws(DestinationError) -> Retention?
    /// The objects under `prefix` that retention still protects, each with the moment it ends; deleting one before
    /// then fails. Default: none.
    func retainedUntil(prefix: String) async throws(DestinationError) -> [String: Date]
    /// Bytes the place still stores (and bills) for objects that were deleted or replaced but are kept as hidden
    /// versions, under this destination's objects; nil when the place keeps no such versions or cannot say. Default: nil.
    func hiddenBytes() async throws(DestinationError) -> Int64?
}

/// How long a place keeps each object it is given, unchangeable.
public struct Retention: Sendable, Hashable, Codable {
    /// Days each object is kept after it is written.
    public var days: Int
    /// A retention of `days` days.
    public init(days: Int) { self.days = days }
}

/// What kind of place a destination is.
public enum PlaceKind: Sendable, Hashable {
    /// A folder of a disk that stays attached: the internal disk, an external disk, a NAS share.
    case folder
    /// A folder of a removable drive, often unplugged.
    case removableDrive
    /// A bucket of an object store over the network.
    case objectStore
    /// Anything else (in memory, a composite).
    case other
}

/// The file whose presence says that a repository is really where a folder destination looks, and the files that may
/// be written before it exists (those that create the repository). The engine hands its own to
/// ``Destination/anchored(_:)``; destinations know nothing else of the repository's layout.
public struct Anchor: Sendable, Hashable {
    /// The object that must exist, e.g. `config`.
    public var object: String
    /// Objects, or prefixes ending in `/`, that may be written while it does not.
    public var writableBefore: [String]

    /// An anchor `object`, with the names or folders (ending in `/`) that may be written before it.
    public init(object: String, writableBefore: [String]) {
        self.object = object
        self.writableBefore = writableBefore
    }

    /// True when `name` may be written while the anchor is missing.
    public func allowsBefore(_ name: String) -> Bool {
        name == object || writableBefore.contains { $0.hasSuffix("/") ? name.hasPrefix($0) : name == $0 }
    }
}

extension Destination {
    public var placeKind: PlaceKind { .other }
    public func createPlace() async throws(DestinationError) {}
    public func isAbsent() async -> Bool { false }
    public func rootEntries() async throws(DestinationError) -> [String] { try await list(prefix: "").map(\.name) }
    public func bind(repository: String) async throws(DestinationError) {}
    public var localFolders: [String] { [] }
    public func anchored(_ anchor: Anchor) -> any Destination { self }
    public func enableRetention(days: Int) async throws(DestinationError) {
        throw DestinationError(.permanent, object: nil, "\(displayName) cannot keep objects locked: object lock needs a B2 or S3 bucket")
    }
    public func retention() async throws(DestinationError) -> Retention? { nil }
    public func retainedUntil(prefix: String) async throws(DestinationError) -> [String: Date] { [:] }
    public func hiddenBytes() async throws(DestinationError) -> Int64? { nil }
}

/// Validation of object names shared by every destination.
public enum ObjectName {
    /// True when `name` follows the naming rule of ``Destination``.
    public static func isValid(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 512 else { return false }
        for component in name.split(separator: "/", omittingEmptySubsequences: false) {
            guard !component.isEmpty, component != ".", component != ".." else { return false }
            for c in component.utf8 {
                switch c {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                     UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                    continue
                default:
                    return false
                }
            }
        }
        return true
    }

    /// True when `prefix` is empty or a valid name, optionally ending in `/`.
    public static func isValidPrefix(_ prefix: String) -> Bool {
        if prefix.isEmpty { return true }
        return isValid(prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix)
    }
}
