// VerificationRecord: the JSON record of when each pack of one copy was last read whole and found intact.
package import Foundation

/// When packs of one copy were last verified: read whole, authenticated and every blob re-hashed (FORMAT.md §9.2).
/// Stored as a sealed file `verified/<id>` in the copy it speaks of, and never copied to another copy: what was read
/// intact from one copy says nothing of another's bytes.
package struct VerificationRecord: Sendable, Codable, Equatable {
    /// One pack and when it was verified.
    package struct Entry: Sendable, Codable, Equatable {
        /// The pack's ID, 64 hex digits.
        package var pack: String
        /// When it was read intact, ISO 8601 UTC with milliseconds.
        package var time: String

        package init(pack: ObjectID, time: Date) {
            self.pack = pack.hex
            self.time = SnapshotRecord.format(time)
        }

        /// The pack ID and the time, or nil when a field is malformed.
        package var parsed: (pack: ObjectID, time: Date)? {
            guard let id = ObjectID(hex: pack), let t = ISOTime.parse(time) else { return nil }
            return (id, t)
        }
    }

    /// Record version, 1.
    package var version: Int
    /// The computer that wrote the record.
    package var hostname: String
    /// The packs, in increasing order of their IDs, each once.
    package var packs: [Entry]

    /// A record of `packs` (each once, the latest time kept) written on `hostname`.
    package init(hostname: String, packs: [Entry]) {
        version = 1
        self.hostname = hostname
        var latest: [String: Entry] = [:]
        for e in packs where latest[e.pack].map({ $0.time < e.time }) ?? true { latest[e.pack] = e }
        self.packs = latest.values.sorted { $0.pack < $1.pack }
    }

    /// The JSON payload (keys sorted).
    package func encode() throws(CoreError) -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        do { return Array(try e.encode(self)) } catch { throw .invalidArgument("verification record does not encode: \(error)") }
    }

    /// Decodes the JSON payload; rejects another version, IDs that are not 64 hex digits and times that are not
    /// RFC 3339.
    package static func decode(_ bytes: [UInt8], context: String) throws(CoreError) -> VerificationRecord {
        let record: VerificationRecord
        do { record = try JSONDecoder().decode(VerificationRecord.self, from: Data(bytes)) } catch {
            throw .malformed("\(context): verification record JSON does not decode (\(error))")
        }
        guard record.version == 1 else { throw .malformed("\(context): verification record version \(record.version) is not supported") }
        for e in record.packs {
            guard ObjectID(hex: e.pack) != nil else { throw .malformed("\(context): a pack ID is not 64 hex digits") }
            guard ISOTime.parse(e.time) != nil else { throw .malformed("\(context): \(e.time) is not a time") }
        }
        return record
    }
}
