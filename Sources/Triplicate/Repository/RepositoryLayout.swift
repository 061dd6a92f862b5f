// RepositoryLayout: where each kind of file lives in a repository (the same on every destination).

/// The names of repository files (FORMAT.md, "Layout").
enum Layout {
    static let config = "config"
    static let keys = "keys/"
    static let data = "data/"
    static let index = "index/"
    static let snapshots = "snapshots/"
    static let locks = "locks/"

    static func key(_ id: ObjectID) -> String { "keys/" + id.hex }
    static func pack(_ id: ObjectID) -> String { "data/" + String(id.hex.prefix(2)) + "/" + id.hex }
    static func index(_ id: ObjectID) -> String { "index/" + id.hex }
    static func snapshot(_ id: ObjectID) -> String { "snapshots/" + id.hex }

    /// The ID at the end of an object name such as `data/ab/ab12…`, if it is a 64-digit hex ID.
    static func id(of name: String) -> ObjectID? {
        guard let slash = name.lastIndex(of: "/") else { return ObjectID(hex: name) }
        return ObjectID(hex: name[name.index(after: slash)...])
    }
}
