// RemovalRecord: the JSON record of the files a command removed from a plan's copies, so that a copy out of reach then
// removes them too when it catches up, instead of bringing them back.
package import Foundation

/// Files a command removed from the copies of a plan it could reach (FORMAT.md §9.3): snapshot files (forget) and key
/// files (key remove, key passwd). Stored as a sealed file `removed/<id>`, copied to every copy like the repository's
/// other files; a copy that catches up removes the files it names that it still holds, and none of them is ever
/// copied again.
package struct RemovalRecord: Sendable, Codable, Equatable {
    /// Record version, 1.
    package var version: Int
    /// When the files were removed, ISO 8601 UTC with milliseconds.
    package var time: String
    /// The computer that removed them.
    package var hostname: String
    /// What removed them: "forget", "key remove", "key passwd".
    package var operation: String
    /// The names removed, sorted, each once: `snapshots/<id>` or `keys/<id>`.
    package var names: [String]

    /// A record of `names` removed now by `operation` on `hostname`.
    package init(operation: String, hostname: String, names: [String], time: Date = Date()) {
        version = 1
        self.time = SnapshotRecord.format(time)
        self.hostname = hostname
        self.operation = operation
        self.names = Array(Set(names)).sorted()
    }

    /// True for the names a removal record may hold: a snapshot file or a key file (a folder and 64 lowercase hex
    /// digits). Packs, index files and everything else are removed only by prune, on every copy at once.
    package static func mayName(_ name: String) -> Bool {
        for folder in ["snapshots/", "keys/"] where name.hasPrefix(folder) {
            let id = name.dropFirst(folder.count)
            return id.utf8.count == 64 && id.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
        }
        return false
    }

    /// The JSON payload (keys sorted).
    package func encode() throws(CoreError) -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        do { return Array(try e.encode(self)) } catch { throw .invalidArgument("removal record does not encode: \(error)") }
    }

    /// Decodes the JSON payload; rejects another version, a time that is not RFC 3339, and any name that is not a
    /// snapshot or key file.
    package static func decode(_ bytes: [UInt8], context: String) throws(CoreError) -> RemovalRecord {
        let record: RemovalRecord
        do { record = try JSONDecoder().decode(RemovalRecord.self, from: Data(bytes)) } catch {
            throw .malformed("\(context): removal record JSON does not decode (\(error))")
        }
        guard record.version == 1 else { throw .malformed("\(context): removal record version \(record.version) is not supported") }
        guard ISOTime.parse(record.time) != nil else { throw .malformed("\(context): \(record.time) is not a time") }
        for name in record.names where !mayName(name) {
            throw .malformed("\(context): \(name.prefix(80)) is not a snapshot or key file")
        }
        return record
    }
}
