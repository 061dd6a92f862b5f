// RepositoryLayout: where each kind of file lives in a repository (the same on every destination).
@_spi(Benchmarks) internal import TriplicateCore

/// The names of repository files (FORMAT.md, "Layout").
enum Layout {
    static let config = "config"
    static let keys = "keys/"
    static let data = "data/"
    static let index = "index/"
    static let snapshots = "snapshots/"
    static let damage = "damage/"
    /// Verification records: per copy, never copied to another (FORMAT.md §9.2).
    static let verified = "verified/"
    /// Lock files: per copy, never copied to another (FORMAT.md §14.12).
    static let locks = "locks/"
    /// Removal records: what a command removed from a plan's copies (FORMAT.md §9.3).
    static let removed = "removed/"

    /// The config is written last when a repository is created (after its first key file): a folder without it
    /// holds no repository, and a folder destination writes nothing else there (an unmounted disk's mount point).
    static let anchor = Anchor(object: config, writableBefore: [keys])

    static func key(_ id: ObjectID) -> String { "keys/" + id.hex }
    static func pack(_ id: ObjectID) -> String { "data/" + String(id.hex.prefix(2)) + "/" + id.hex }
    static func index(_ id: ObjectID) -> String { "index/" + id.hex }
    static func snapshot(_ id: ObjectID) -> String { "snapshots/" + id.hex }
    static func damageRecord(_ id: ObjectID) -> String { "damage/" + id.hex }
    static func verificationRecord(_ id: ObjectID) -> String { "verified/" + id.hex }
    static func lock(_ id: ObjectID) -> String { "locks/" + id.hex }
    static func removalRecord(_ id: ObjectID) -> String { "removed/" + id.hex }

    /// The largest config or key file a reader accepts (FORMAT.md §6.3): both are a few hundred bytes of JSON.
    static let maxSmallFile: Int64 = 64 << 10

    /// True for the names a repository is made of (config, key files, packs, index files, snapshots, damage
    /// records), the same on every copy; a drive's marker, a copy's verification records and anything else are not.
    static func isRepositoryFile(_ name: String) -> Bool {
        if name == config { return true }
        guard let id = id(of: name) else { return false }
        return [key(id), pack(id), index(id), snapshot(id), damageRecord(id), removalRecord(id)].contains(name)
    }

    /// The order in which a copy receives files so that each refers only to files it already holds (FORMAT.md
    /// §14.10): key files, config, removal records, packs, damage records, index files, snapshots.
    static func copyPhase(_ name: String) -> Int {
        if name.hasPrefix(keys) { return 0 }
        if name == config { return 1 }
        if name.hasPrefix(removed) { return 2 }
        if name.hasPrefix(data) { return 3 }
        if name.hasPrefix(damage) { return 4 }
        if name.hasPrefix(index) { return 5 }
        return 6
    }

    /// The ID at the end of an object name such as `data/ab/ab12…`, if it is a 64-digit hex ID.
    static func id(of name: String) -> ObjectID? {
        guard let slash = name.lastIndex(of: "/") else { return ObjectID(hex: name) }
        return ObjectID(hex: name[name.index(after: slash)...])
    }
}
