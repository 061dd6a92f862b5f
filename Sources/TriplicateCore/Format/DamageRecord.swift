// DamageRecord: the JSON record of blobs found damaged in their packs, so that no later command builds on them.
package import Foundation

/// What a command found damaged: for each pack, the blobs in it that failed to read, authenticate or re-hash
/// (FORMAT.md §9.1). Stored as a sealed file `damage/<id>`. Every reader leaves those (pack, blob) pairs out of its
/// index, so a backup stores such a blob again instead of pointing a new snapshot at it, and a blob also stored in
/// another pack is read from there.
package struct DamageRecord: Sendable, Codable, Equatable {
    /// The damaged blobs of one pack.
    package struct Pack: Sendable, Codable, Equatable {
        /// The pack's ID, 64 hex digits.
        package var pack: String
        /// The IDs of the blobs in this pack that must not be used, 64 hex digits each.
        package var blobs: [String]
        /// What was wrong, for a person.
        package var problem: String

        /// The damaged blobs of the pack `pack`.
        package init(pack: ObjectID, blobs: [ObjectID], problem: String) {
            self.pack = pack.hex
            self.blobs = blobs.map(\.hex).sorted()
            self.problem = problem
        }

        /// The pack ID, or nil when the field is malformed.
        package var packID: ObjectID? { ObjectID(hex: pack) }
    }

    /// Record version, 1.
    package var version: Int
    /// When the damage was found, ISO 8601 UTC with milliseconds.
    package var time: String
    /// The computer that found it.
    package var hostname: String
    /// The command that found it (`check --read-data`, `restore`, `backup`, `sync`, `repair`).
    package var found: String
    /// The damaged packs and blobs.
    package var packs: [Pack]

    /// A record made now by `found` on `hostname`.
    package init(time: Date, hostname: String, found: String, packs: [Pack]) {
        version = 1
        self.time = SnapshotRecord.format(time)
        self.hostname = hostname
        self.found = found
        self.packs = packs.sorted { $0.pack < $1.pack }
    }

    /// The JSON payload (keys sorted).
    package func encode() throws(CoreError) -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        do { return Array(try e.encode(self)) } catch { throw .invalidArgument("damage record does not encode: \(error)") }
    }

    /// Decodes the JSON payload; rejects another version and IDs that are not 64 hex digits.
    package static func decode(_ bytes: [UInt8], context: String) throws(CoreError) -> DamageRecord {
        let record: DamageRecord
        do { record = try JSONDecoder().decode(DamageRecord.self, from: Data(bytes)) } catch {
            throw .malformed("\(context): damage record JSON does not decode (\(error))")
        }
        guard record.version == 1 else { throw .malformed("\(context): damage record version \(record.version) is not supported") }
        for p in record.packs {
            guard p.packID != nil, p.blobs.allSatisfy({ ObjectID(hex: $0) != nil }) else {
                throw .malformed("\(context): a pack or blob ID is not 64 hex digits")
            }
        }
        return record
    }
}
