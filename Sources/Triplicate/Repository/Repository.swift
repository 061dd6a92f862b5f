// Repository: opening and creating a repository on a destination, and reading its snapshots and blobs.
@_spi(Benchmarks) internal import TriplicateCore
public import Foundation

/// An open repository: its destination, its config and the keys unlocked by a password.
///
/// A `Repository` is immutable and `Sendable`; every operation (backup, restore, check, stats) reads what it
/// needs from the destination when it runs, so several processes may use one repository at once.
public final class Repository: Sendable {
    /// Where the repository lives.
    public let destination: any Destination
    /// The plaintext config.
    package let config: RepositoryConfig
    /// The unlocked keys: never public, so that no library user's code can leak the master secret.
    package let keys: RepositoryKeys
    /// When the repository is a plan's copies: the set, whose other copies are read when the first holds a file damaged.
    let replicas: ReplicaSet?
    /// The key file (`keys/<id>`) the password opened; nil for a repository just created in code before any was read.
    let openedKey: String?

    /// The repository ID.
    public var id: ObjectID { keys.repositoryID }

    /// For a plan's repository: the destinations it reads and writes, nearest first (a copy dropped because it failed
    /// is still named); empty for a repository on one destination.
    public var copyNames: [String] { replicas?.members.map(\.name) ?? [] }

    /// True when reads go to an object store first (a bucket, or a plan whose nearest reachable copy is one), where
    /// each request waits a network round trip and many should be in flight at once.
    var readsFromObjectStore: Bool { (replicas?.readCopies.first ?? destination).placeKind == .objectStore }

    /// True when some copy written to is an object store, where each store waits network round trips.
    var writesToObjectStore: Bool {
        if let replicas { return replicas.members.contains { $0.destination.placeKind == .objectStore } }
        return destination.placeKind == .objectStore
    }

    /// Options for creating a repository.
    public struct InitOptions: Sendable {
        /// scrypt cost of the first key file.
        public var scrypt: KeyDerivation.ScryptParameters
        /// For a bucket: create it with object lock, every object kept this many days in compliance mode (no key can
        /// delete it sooner, so a stolen key cannot destroy the backups); nil: no lock.
        public var objectLockDays: Int?
        /// Creates options (default scrypt cost, no object lock).
        public init(scrypt: KeyDerivation.ScryptParameters = .default, objectLockDays: Int? = nil) {
            self.scrypt = scrypt
            self.objectLockDays = objectLockDays
        }
    }

    /// Creates a new repository on `destination`, protected by `password`.
    ///
    /// Refuses a destination that already holds a repository or any other file. Writes the key file first and
    /// the config last, so an interrupted init leaves no config, and the location does not look like a repository.
    public static func initialize(
        on destination: any Destination, password: String, options: InitOptions = InitOptions()
    ) async throws(TriplicateError) -> Repository {
        guard !password.isEmpty else { throw TriplicateError(.invalidArgument, "an empty password is not allowed") }
        let destination = destination.anchored(Layout.anchor)
        if let days = options.objectLockDays {
            do { try await destination.enableRetention(days: days) } catch {
                throw TriplicateError(error, doing: "cannot set up object lock on \(destination.displayName)")
            }
        }
        try await prepareEmpty(destination)
        do {
            let repositoryID = ObjectID(bytes: try KeyDerivation.randomBytes(32))
            let master = try RepositoryKeys.randomMaster()
            let keys = try RepositoryKeys(master: master, repositoryID: repositoryID)
            let keyFile = try KeyFile.create(master: master, password: password, repositoryID: repositoryID,
                                             parameters: options.scrypt, hostname: Host.currentName, now: Date())
            let keyBytes = try keyFile.encode()
            let config = RepositoryConfig(id: repositoryID)
            let keyName = Layout.key(SHA256.hash(keyBytes))
            try await put(destination, keyName, keyBytes)
            try await put(destination, Layout.config, try config.encode())
            try await bind(destination, to: repositoryID, doing: "cannot mark \(destination.displayName) as this repository's")
            return Repository(destination: destination, config: config, keys: keys, openedKey: keyName)
        } catch let e as CoreError {
            throw TriplicateError(.internalFailure, "cannot create the repository keys: \(e)")
        } catch let e as TriplicateError {
            throw e
        } catch {
            throw TriplicateError(.internalFailure, "\(error)")
        }
    }

    /// Makes `destination` ready to receive a new repository: creates its folder or bucket, and refuses one that
    /// already holds a repository or anything else.
    static func prepareEmpty(_ destination: any Destination) async throws(TriplicateError) {
        do { try await destination.createPlace() } catch { throw TriplicateError(error, doing: "cannot create \(destination.displayName)") }
        let entries: [String]
        do { entries = try await destination.rootEntries() } catch {
            throw TriplicateError(error, doing: "cannot look into \(destination.displayName)")
        }
        if entries.contains(Layout.config) {
            throw TriplicateError(.alreadyExists, "\(destination.displayName) already holds a repository; nothing was changed")
        }
        if !entries.isEmpty {
            throw TriplicateError(.alreadyExists, "\(destination.displayName) is not empty (it holds \(entries.sorted().prefix(3).joined(separator: ", "))\(entries.count > 3 ? "…" : "")); choose an empty folder for a new repository")
        }
    }

    /// Ties the destination to the repository (a drive writes or checks its marker); `doing` starts the message of a
    /// failure.
    static func bind(_ destination: any Destination, to repositoryID: ObjectID, doing: String) async throws(TriplicateError) {
        do { try await destination.bind(repository: repositoryID.hex) } catch { throw TriplicateError(error, doing: doing) }
    }

    private static func put(_ d: any Destination, _ name: String, _ bytes: [UInt8]) async throws(TriplicateError) {
        do { try await d.put(name, data: bytes) } catch { throw TriplicateError(error, doing: "cannot write \(name)") }
    }

    /// Opens the repository on `destination` with `password`.
    ///
    /// Errors: ``TriplicateError/Kind-swift.enum/noRepository`` when nothing is there,
    /// ``TriplicateError/Kind-swift.enum/notARepository`` for a folder of other files,
    /// ``TriplicateError/Kind-swift.enum/unsupportedVersion`` for a newer format,
    /// ``TriplicateError/Kind-swift.enum/wrongPassword`` when no key file opens.
    public static func open(_ destination: any Destination, password: String) async throws(TriplicateError) -> Repository {
        try await open(destination, passwords: [password])
    }

    /// Opens the repository with the first of `passwords` that opens it (a password file read by the current rule,
    /// then as an earlier version read it); the error of the first password when none does.
    package static func open(_ destination: any Destination, passwords: [String]) async throws(TriplicateError) -> Repository {
        let destination = destination.anchored(Layout.anchor)
        // The key files are listed while the config is read: from a bucket, one round trip fewer for every command.
        // What the listing says counts only once the config says this is a repository.
        async let keyListing = listKeyFiles(destination)
        let config = try await readConfig(destination)
        var tried = Set<String>()
        let (keys, keyName) = try await unlock(destination, config: config, passwords: passwords, tried: &tried,
                                               listed: try await keyListing.get())
        try await bind(destination, to: keys.repositoryID, doing: "cannot use \(destination.displayName)")
        return Repository(destination: destination, config: config, keys: keys, openedKey: keyName)
    }

    /// A repository whose config and keys are already known (one copy of a plan, unlocked once for all of them).
    init(destination: any Destination, config: RepositoryConfig, keys: RepositoryKeys, openedKey: String?) {
        self.destination = destination
        self.config = config
        self.keys = keys
        self.openedKey = openedKey
        replicas = nil
    }

    /// A plan's copies as one repository.
    init(replicas: ReplicaSet, config: RepositoryConfig, keys: RepositoryKeys, openedKey: String?) {
        destination = replicas
        self.config = config
        self.keys = keys
        self.openedKey = openedKey
        self.replicas = replicas
    }

    /// Reads and checks the config of the repository on `destination`, without any key: what a plan reads of each
    /// copy to learn which repository it holds.
    static func readConfig(_ destination: any Destination) async throws(TriplicateError) -> RepositoryConfig {
        let configBytes: [UInt8]
        do {
            // A config is about a hundred bytes; one of megabytes is not ours and is not read.
            let info = try await destination.stat(Layout.config)
            guard info.size <= Layout.maxSmallFile else {
                throw TriplicateError(.notARepository, "\(destination.displayName) is not a Triplicate repository (its config file of \(info.size) bytes is not ours)")
            }
            configBytes = try await destination.get(Layout.config)
        } catch let error as TriplicateError {
            throw error
        } catch let error as DestinationError {
            switch error.kind {
            case .unavailable:
                // A folder or a bucket that does not exist means no repository; a drive that is not plugged in or a
                // server that cannot be reached means nothing is known yet, and says so (exit 14).
                if await destination.isAbsent() {
                    throw TriplicateError(.noRepository, "there is no repository at \(destination.displayName): \(error.message)")
                }
                throw TriplicateError(error, doing: "cannot open the repository")
            case .notFound:
                let anything = (try? await destination.rootEntries()) ?? []
                if anything.isEmpty {
                    throw TriplicateError(.noRepository, "there is no repository at \(destination.displayName)", remedy: .initialize)
                }
                throw TriplicateError(.notARepository, "\(destination.displayName) is not a Triplicate repository (it has files but no config)")
            default:
                throw TriplicateError(error, doing: "cannot read the config of \(destination.displayName)")
            }
        } catch {
            throw TriplicateError(.notARepository, "cannot read the config of \(destination.displayName): \(error)")
        }
        // Read the version before anything else, so that a newer format is named as such whatever its other fields.
        if let probe = try? JSONSerialization.jsonObject(with: Data(configBytes)) as? [String: Any],
           probe["format"] as? String == "triplicate", let version = probe["version"] as? Int,
           version > RepositoryConfig.currentVersion {
            throw newerFormat(version, at: destination)
        }
        let config: RepositoryConfig
        do { config = try RepositoryConfig.decode(configBytes) } catch {
            throw TriplicateError(.notARepository, "\(destination.displayName) is not a Triplicate repository (its config file is not ours)")
        }
        guard config.version <= RepositoryConfig.currentVersion else {
            throw newerFormat(config.version, at: destination)
        }
        guard config.version == RepositoryConfig.currentVersion, config.repositoryID != nil else {
            throw TriplicateError(.notARepository, "\(destination.displayName) has an invalid config (version \(config.version))")
        }
        return config
    }

    /// Unlocks the keys with the first of `passwords` that opens one of the key files of `destination`, skipping those
    /// named in `tried` and adding those it tries (a plan's copies hold the same key files: each is tried once, and the
    /// costly key derivation runs once per key file and password). Throws
    /// ``TriplicateError/Kind-swift.enum/wrongPassword`` when none opens.
    /// The key files of the repository on `destination`: only names that are 64 hex digits, as in every other folder
    /// (FORMAT.md §2).
    static func listKeyFiles(_ destination: any Destination) async -> Result<[ObjectInfo], TriplicateError> {
        do {
            return .success(try await destination.list(prefix: Layout.keys).filter { Layout.id(of: $0.name).map(Layout.key) == $0.name })
        } catch {
            return .failure(TriplicateError(error, doing: "cannot list the key files of \(destination.displayName)"))
        }
    }

    static func unlock(_ destination: any Destination, config: RepositoryConfig, passwords: [String],
                       tried: inout Set<String>, listed: [ObjectInfo]? = nil) async throws(TriplicateError) -> (keys: RepositoryKeys, file: String) {
        guard let repositoryID = config.repositoryID else {
            throw TriplicateError(.notARepository, "\(destination.displayName) has an invalid config (version \(config.version))")
        }
        let keyInfos: [ObjectInfo]
        if let listed { keyInfos = listed } else { keyInfos = try await listKeyFiles(destination).get() }
        guard !keyInfos.isEmpty else {
            throw TriplicateError(.corrupt, "\(destination.displayName) has no key files (keys/ is empty): the repository cannot be unlocked")
        }
        var damaged: [String] = []
        var keyFiles: [(name: String, file: KeyFile)] = []
        for info in keyInfos.sorted(by: { $0.name < $1.name }) where !tried.contains(info.name) {
            guard info.size <= Layout.maxSmallFile else {
                damaged.append("\(info.name) (not a key file: \(info.size) bytes)")
                continue
            }
            let bytes: [UInt8]
            do { bytes = try await destination.get(info.name) } catch {
                if error.kind == .notFound { continue }
                throw TriplicateError(error, doing: "cannot read the key file \(info.name)")
            }
            guard let keyFile = try? KeyFile.decode(bytes, context: info.name) else {
                damaged.append("\(info.name) (not a key file)")
                continue
            }
            keyFiles.append((info.name, keyFile))
        }
        for password in passwords {
            for (name, keyFile) in keyFiles {
                do {
                    let master = try keyFile.open(password: password, repositoryID: repositoryID, context: name)
                    do { return (try RepositoryKeys(master: master, repositoryID: repositoryID), name) } catch {
                        throw TriplicateError(.corrupt, "cannot derive keys: \(error)")
                    }
                } catch let e as TriplicateError {
                    throw e
                } catch CoreError.authenticationFailed {
                    continue
                } catch {
                    if password == passwords.first { damaged.append("\(name) (\(error))") }
                }
            }
        }
        for (name, _) in keyFiles { tried.insert(name) }
        var message = "wrong password: no key file of \(destination.displayName) opens with it"
        if !damaged.isEmpty { message += " (unreadable key files: \(damaged.joined(separator: ", ")))" }
        throw TriplicateError(.wrongPassword, message)
    }

    private static func newerFormat(_ version: Int, at destination: any Destination) -> TriplicateError {
        TriplicateError(.unsupportedVersion, "\(destination.displayName) uses repository format version \(version); this build of Triplicate reads version \(RepositoryConfig.currentVersion). Upgrade Triplicate to use it; nothing was changed.")
    }

    // MARK: Snapshots

    /// Every readable snapshot in the repository, oldest first. Damaged snapshot files are left out (see
    /// ``snapshotListing()`` to learn which), so that one damaged file never blocks backups or restores.
    public func snapshots() async throws(TriplicateError) -> [Snapshot] {
        try await snapshotListing().snapshots
    }

    /// Every readable snapshot, oldest first, and a description of each snapshot file that cannot be read.
    /// Throws only when the destination itself fails.
    public func snapshotListing() async throws(TriplicateError) -> (snapshots: [Snapshot], damaged: [String]) {
        let infos = try await list(Layout.snapshots, what: "snapshots")
        var out: [Snapshot] = []
        var damaged: [String] = []
        for info in infos {
            guard let id = Layout.id(of: info.name), info.name == Layout.snapshot(id) else { continue }
            do { out.append(try await loadSnapshot(id, size: info.size)) } catch {
                if case .destination = error.kind { throw error }
                damaged.append(error.message)
            }
        }
        return (out.sorted { ($0.time, $0.id) < ($1.time, $1.id) }, damaged)
    }

    /// Loads one snapshot file.
    public func loadSnapshot(_ id: ObjectID) async throws(TriplicateError) -> Snapshot {
        try await loadSnapshot(id, size: nil)
    }

    /// Loads one snapshot file whose size a listing gave (nil: asked from the destination first).
    func loadSnapshot(_ id: ObjectID, size: Int64?) async throws(TriplicateError) -> Snapshot {
        let name = Layout.snapshot(id)
        let payload = try await openSealed(name, id: id, kind: .snapshot, size: size)
        do { return Snapshot(id: id, record: try SnapshotRecord.decode(payload, context: name)) } catch {
            throw TriplicateError.corrupt(error, file: name)
        }
    }

    // MARK: Files

    func list(_ prefix: String, what: String) async throws(TriplicateError) -> [ObjectInfo] {
        do { return try await destination.list(prefix: prefix) } catch {
            throw TriplicateError(error, doing: "cannot list the \(what) of \(destination.displayName)")
        }
    }

    func get(_ name: String) async throws(TriplicateError) -> [UInt8] {
        do { return try await destination.get(name) } catch {
            if error.kind == .notFound {
                throw TriplicateError(.corrupt, "\(name) is missing from \(destination.displayName)",
                                      remedy: .check(readData: false))
            }
            throw TriplicateError(error, doing: "cannot read \(name)")
        }
    }

    func put(_ name: String, _ bytes: [UInt8]) async throws(TriplicateError) {
        try await Self.put(destination, name, bytes)
    }

    /// Stores the local file at `path` as `name`.
    func put(_ name: String, file path: String) async throws(TriplicateError) {
        do { try await destination.put(name, file: path) } catch { throw TriplicateError(error, doing: "cannot write \(name)") }
    }

    /// Loads every index file into one in-memory index, keeping only blobs whose pack is present and long
    /// enough to hold them: a pack lost from the destination (or cut short) must never be trusted, or a backup
    /// would keep pointing new snapshots at data that is gone. Such packs are named in
    /// ``MasterIndex/missingPacks``; a blob also indexed in a present pack is found there.
    ///
    /// A damaged index file is skipped and named in ``MasterIndex/problems``; when there is one, the tables of
    /// the packs no index names are read instead (with `recover`), so a damaged index file never makes data
    /// unreachable.
    ///
    /// Blobs recorded as damaged in a pack (``loadDamage()``, FORMAT.md §9.1) are left out too, so that a backup stores
    /// them again and a copy in another pack is used instead.
    ///
    /// With `recover` (every command that reads: restore, ls, stats), the tables of the packs that no readable index
    /// file names are read and added, so a damaged or deleted index file never makes data unreachable. A backup
    /// passes false: it adopts those packs and indexes them again (§14.5).
    ///
    /// With `keepFiles` (prune), ``MasterIndex/files`` and ``MasterIndex/entryCounts`` say which file names which packs.
    func loadIndex(recover: Bool = true, keepFiles: Bool = false) async throws(TriplicateError) -> MasterIndex {
        var index = MasterIndex()
        // Index files are listed before packs: an index file names only packs stored before it was written, so every
        // pack a listed index file names is in the pack listing unless it is really gone.
        let indexFiles = try await list(Layout.index, what: "index files")
        // The packs and the damage records are listed at once: over the internet each listing is a round trip or more.
        async let damageLoaded = outcome { () async throws(TriplicateError) -> DamageSet in try await self.loadDamage() }
        var sizes: [ObjectID: Int64] = [:]
        let packs = await outcome { () async throws(TriplicateError) -> [ObjectInfo] in try await self.list(Layout.data, what: "packs") }
        let damage = try await damageLoaded.get()
        for info in try packs.get() {
            if let id = Layout.id(of: info.name), info.name == Layout.pack(id) { sizes[id] = max(info.size, 0) }
        }
        // Each index file's entries go straight into the index's array (sized once from the files' lengths:
        // every entry takes 42 bytes in an index file), then one sort; the entries are never all held twice.
        index.reserveForLoading(Int(min(indexFiles.reduce(Int64(0)) { $0.saturatingAdd(max($1.size, 0) / 42) }, 1 << 28)))
        var missing = Set<ObjectID>()
        // Index files are read several at once (a large repository has thousands, and from B2 each is a round trip),
        // and added to the index as they arrive.
        let named = indexFiles.compactMap { info -> (ObjectID, ObjectInfo)? in
            guard let id = Layout.id(of: info.name), info.name == Layout.index(id) else { return nil }
            return (id, info)
        }
        var loaded: [(ObjectInfo, Result<IndexFile, TriplicateError>)] = []
        var stop: TriplicateError?
        await forEachConcurrently(named, limit: readsFromObjectStore ? 8 : 2, { (id, info) in
            (info, await outcome { () async throws(TriplicateError) -> IndexFile in try await self.loadIndexFile(id, size: info.size) })
        }, collect: { item in
            if case .failure(let e) = item.1, case .destination = e.kind {
                stop = e
                return false
            }
            loaded.append(item)
            return true
        })
        if let stop { throw stop }
        for (info, result) in loaded {
            let file: IndexFile
            switch result {
            case .success(let f): file = f
            case .failure(let error):
                index.problems.append(error.message)
                continue
            }
            if keepFiles {
                index.files.append((info.name, file.packs.map(\.id)))
                for p in file.packs { index.entryCounts[p.id] = max(index.entryCounts[p.id] ?? 0, p.entries.count) }
            }
            for p in file.packs {
                guard let size = sizes[p.id] else {
                    missing.insert(p.id)
                    continue
                }
                let whole = p.entries.filter { PackFormat.fits($0, packSize: size) }
                if whole.count < p.entries.count { missing.insert(p.id) }
                index.appendForLoading(pack: p.id, entries: damage.usable(whole, in: p.id))
            }
        }
        index.finishLoading()
        index.missingPacks = missing.sorted()
        index.presentPacks = sizes
        index.damage = damage
        if recover {
            for (id, size) in unindexedPacks(index) {
                if let entries = try? await readPackTable(id, size: size) {
                    index.add(pack: id, entries: damage.usable(entries, in: id))
                    index.recoveredPacks += 1
                }
            }
        }
        index.dropUnreadableDeltas()
        return index
    }

    /// Packs on the destination (as listed when `index` was loaded) that `index` does not name, with their sizes.
    func unindexedPacks(_ index: MasterIndex) -> [(ObjectID, Int64)] {
        index.presentPacks.filter { !index.hasPack($0.key) }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    func loadIndexFile(_ id: ObjectID, size: Int64?) async throws(TriplicateError) -> IndexFile {
        let name = Layout.index(id)
        let payload = try await openSealed(name, id: id, kind: .index, size: size)
        do { return try IndexFile.decode(payload, context: name) } catch { throw TriplicateError.corrupt(error, file: name) }
    }
}

/// One snapshot: its ID (the SHA-256 of its file) and its record.
public struct Snapshot: Sendable, Equatable {
    /// The snapshot ID: the SHA-256 of its file.
    public let id: ObjectID
    /// When the backup started.
    public let time: Date
    /// The root listing (tree) of what was backed up.
    public let tree: ObjectID
    /// The snapshot the backup compared files with (the newest one of the same host and paths), if any.
    public let parent: ObjectID?
    /// The record as stored (FORMAT.md §11).
    package let record: SnapshotRecord

    /// The absolute paths that were backed up.
    public var paths: [String] { record.paths }
    /// The computer and user that made it.
    public var hostname: String { record.hostname }
    public var username: String { record.username }
    /// Its tags and the exclusion patterns it was made with.
    public var tags: [String] { record.tags }
    public var excludes: [String] { record.excludes }
    /// Files, folders and bytes it holds, read and stored.
    public var summary: SnapshotSummary { record.summary }

    /// A snapshot of `record` (whose tree a decoder checked) named `id`; a malformed time is the distant past.
    init(id: ObjectID, record: SnapshotRecord) {
        self.id = id
        self.record = record
        time = record.date
        tree = record.treeID ?? ObjectID(bytes: [UInt8](repeating: 0, count: 32))
        parent = record.parentID
    }
}

/// The host name, for snapshot records.
enum Host {
    static var currentName: String { ProcessInfo.processInfo.hostName }
    static var userName: String { ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.environment["LOGNAME"] ?? "unknown" }
}

/// What `body` returns or throws, as a value (to hand from a concurrent task to the one that waits for it).
func outcome<T>(_ body: () async throws(TriplicateError) -> T) async -> Result<T, TriplicateError> {
    do { return .success(try await body()) } catch { return .failure(error) }
}
