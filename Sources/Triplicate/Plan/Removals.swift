// Removals: forget and key removal on a plan's copies record what they removed (FORMAT.md §9.3), so that a copy that was
// out of reach removes the same files when it catches up, instead of bringing them back to the others.
@_spi(Benchmarks) internal import TriplicateCore
internal import Foundation

extension Repository {
    /// On a plan's repository: seals and stores a removal record of `names` on every copy it writes to, before they are
    /// deleted; nothing on a repository of one destination (there is no other copy to tell).
    func recordRemoval(of names: [String], by operation: String) async throws(TriplicateError) {
        guard replicas != nil, !names.isEmpty else { return }
        let bytes: [UInt8]
        do {
            let record = RemovalRecord(operation: operation, hostname: Host.currentName, names: names)
            bytes = try SealedFile.seal(try record.encode(), kind: .removed, keys: keys)
        } catch { throw TriplicateError(.internalFailure, "cannot encode a removal record: \(error)") }
        try await put(Layout.removalRecord(SHA256.hash(bytes)), bytes)
    }

    /// Reads the removal record `name` (whose listed size is `size`).
    func loadRemovalRecord(_ name: String, size: Int64?) async throws(TriplicateError) -> RemovalRecord {
        guard let id = Layout.id(of: name), Layout.removalRecord(id) == name else {
            throw TriplicateError(.corrupt, "\(name) is not a removal record")
        }
        let payload = try await openSealed(name, id: id, kind: .removed, size: size)
        do { return try RemovalRecord.decode(payload, context: name) } catch { throw TriplicateError.corrupt(error, file: name) }
    }
}

extension PlanSession {
    /// What the removal records of the reachable copies say was removed, each name with the operation that removed it;
    /// a record that no copy holds intact is left out (and named in `problems`).
    func removals(in places: [Place]) async -> (names: [String: String], problems: [String]) {
        var names: [String: String] = [:]
        var problems: [String] = []
        var seen = Set<String>()
        for p in places where p.reachable {
            for (name, size) in p.objects where name.hasPrefix(Layout.removed) && !seen.contains(name) {
                guard let repo = p.repository, let record = try? await repo.loadRemovalRecord(name, size: size) else { continue }
                seen.insert(name)
                for n in record.names { names[n] = record.operation }
            }
        }
        for p in places where p.reachable {
            for name in p.objects.keys where name.hasPrefix(Layout.removed) && !seen.contains(name) {
                problems.append("\(name) cannot be read on any copy; the files it names may come back")
                seen.insert(name)
            }
        }
        return (names, problems)
    }

    /// Removes from each reachable copy the files of `kind` (a folder) that `removed` names and it still holds; returns
    /// per copy the names removed. A copy that refuses (object lock, a key that may not delete) keeps the file, which
    /// is then not copied to the others either, and is reported.
    func applyRemovals(_ removed: [String: String], folder: String, to places: inout [Place],
                       progress: ProgressHandler?) async -> [String: [String]] {
        var done: [String: [String]] = [:]
        for i in places.indices where places[i].reachable && places[i].config != nil {
            let held = places[i].objects.keys.filter { $0.hasPrefix(folder) && removed[$0] != nil }.sorted()
            if folder == Layout.keys {
                // Never the last key file of a copy: the others' (which the catch-up has copied by now) must remain.
                let remaining = places[i].objects.keys.filter { $0.hasPrefix(Layout.keys) && removed[$0] == nil }
                guard !remaining.isEmpty else { continue }
            }
            for name in held {
                do {
                    try await places[i].destination.delete(name)
                    places[i].objects[name] = nil
                    done[places[i].target.name, default: []].append(name)
                } catch {
                    progress?(ProgressEvent(.catchUp, destination: places[i].target.name,
                                            message: "\(places[i].target.name): \(name) was removed from the other copies (\(removed[name] ?? "")) but cannot be removed here: \(error)"))
                }
            }
        }
        return done
    }
}
