// CatchUp: how a lagging copy of a plan gets what the others hold: every missing file, copied from the nearest copy
// that holds it intact, checked against its name before it is written and by size after, in the order in which files
// depend on each other (Layout.copyPhase). Never deletes anything; an interrupted catch-up resumes.
@_spi(Benchmarks) internal import TriplicateCore
internal import Foundation
internal import TriplicateSystem

extension PlanSession {

    /// Copies to `target` every object of `union` it lacks, from the fastest place that has it, in the safe order
    /// (key files, config, packs, index files, snapshots), checking each object's content against its name
    /// before writing it and its size after. Never deletes anything; an interrupted catch-up resumes where it
    /// stopped, because every object is written whole or not at all.
    func catchUp(_ target: inout Place, from places: [Place], union: [String: Int64], log: HealLog,
                 cancellation: Cancellation? = nil, progress: ProgressHandler?) async -> DestinationReport {
        var report = DestinationReport(name: target.target.name, outcome: .done)
        let missing = union.keys.filter { target.objects[$0] == nil }
        guard !missing.isEmpty else { return report }
        let sources = places.filter { $0.reachable && $0.target.name != target.target.name }.sorted { $0.speedRank < $1.speedRank }
        func phase(_ name: String) -> Int { Layout.copyPhase(name) }
        let ordered = missing.sorted { (phase($0), $0) < (phase($1), $1) }
        do throws(TriplicateError) {
            // A new copy was made ready (folder or bucket created, found empty) when init surveyed it.
            progress?(ProgressEvent(.catchUp, destination: target.target.name,
                                     message: "copying \(ordered.count) files (\(Self.bytes(ordered.reduce(Int64(0)) { $0.saturatingAdd(max(union[$1] ?? 0, 0)) })))"))
            var start = 0
            while start < ordered.count {
                // One phase at a time, so that nothing is written before what it depends on.
                let p = phase(ordered[start])
                var end = start
                while end < ordered.count, phase(ordered[end]) == p { end += 1 }
                try await copy(Array(ordered[start..<end]), to: target, from: sources, union: union, log: log,
                               cancellation: cancellation, report: &report)
                for name in ordered[start..<end] where !report.lost.contains(name) { target.objects[name] = union[name] }
                if end < ordered.count {
                    var event = ProgressEvent(.catchUp, destination: target.target.name, done: report.objectsCopied, total: ordered.count,
                                              bytes: report.bytesCopied)
                    event.message = "\(report.objectsCopied) of \(ordered.count) files copied (\(Self.bytes(report.bytesCopied)))"
                    progress?(event)
                }
                if p == 1, target.repository == nil, let model = sources.lazy.compactMap(\.repository).first {
                    // With its config the copy is a repository, with the keys already unlocked; a drive gets its marker.
                    try await Repository.bind(target.destination, to: model.id, doing: "cannot use \(target.destination.displayName)")
                    target.config = model.config
                    target.repository = Repository(destination: target.destination, config: model.config, keys: model.keys, openedKey: model.openedKey)
                }
                start = end
            }
        } catch {
            report.outcome = .failed
            report.problem = error.message
        }
        return report
    }

    private struct Copied: Sendable {
        var name: String
        var bytes: Int64
        var error: TriplicateError?
        /// No copy that holds the file could provide it intact: each holds it damaged or cannot read it.
        var damagedEverywhere = false
    }

    /// Copies `names` (of one phase) to `target`, four at a time. A file that every copy holds damaged is left out and
    /// named in the report's ``DestinationReport/lost``; any other failure stops the phase (thrown).
    private func copy(_ names: [String], to target: Place, from sources: [Place], union: [String: Int64], log: HealLog,
                      cancellation: Cancellation?, report: inout DestinationReport) async throws(TriplicateError) {
        var results: [Copied] = []
        await forEachConcurrently(names, limit: 4, { name in
            await self.copyOne(name, to: target, from: sources, size: union[name] ?? -1, log: log)
        }, collect: { r in
            results.append(r)
            return (r.error == nil || r.damagedEverywhere) && cancellation?.isCancelled != true
        })
        for r in results {
            if r.error == nil {
                report.objectsCopied += 1
                report.bytesCopied += r.bytes
            } else if r.damagedEverywhere {
                report.lost.append(r.name)
            }
        }
        if let failure = results.lazy.filter({ !$0.damagedEverywhere }).compactMap(\.error).first { throw failure }
        if cancellation?.isCancelled == true {
            throw TriplicateError(.cancelled, "interrupted; what was copied so far stays, the next sync copies the rest")
        }
    }

    private func copyOne(_ name: String, to target: Place, from sources: [Place], size: Int64, log: HealLog) async -> Copied {
        do throws(TriplicateError) {
            // The fastest copy that holds the file first, streamed through a staging file and checked against its name;
            // a copy that cannot be read or whose file is damaged is passed over for the next (and healed from it), and
            // only when none has a good file is this copy left behind.
            var problems: [String] = []
            var damaged: [(Place, String)] = []
            let repositoryID = sources.lazy.compactMap(\.config?.repositoryID).first
            for source in sources where source.objects[name] == size {
                let path: String
                switch try await stage(name, size: size, from: source, repository: repositoryID, in: target.destination.stagingDirectory) {
                case .intact(let p): path = p
                case .damaged(let why):
                    problems.append("\"\(source.target.name)\" holds a damaged copy (\(why))")
                    damaged.append((source, why))
                    continue
                case .unreadable(let why):
                    problems.append(why)
                    continue
                }
                defer { FileSystem.removeQuietly(path) }
                do throws(DestinationError) {
                    try await target.destination.put(name, file: path)
                    let stored = try await target.destination.stat(name)
                    guard stored.size == size else {
                        throw DestinationError(.permanent, object: name, "holds \(stored.size) bytes after writing \(size)")
                    }
                } catch {
                    throw TriplicateError(error, doing: "cannot copy \(name) to \"\(target.target.name)\"")
                }
                // The copies passed over because their file was damaged get the right one too.
                for (bad, why) in damaged {
                    do throws(TriplicateError) {
                        try await place(path, as: name, size: size, on: bad, repository: repositoryID)
                        log.add(HealedFile(file: name, destination: bad.target.name, source: source.target.name, problem: why))
                    } catch {
                        // Healing the other copy is a bonus; its check reports what is still wrong.
                    }
                }
                return Copied(name: name, bytes: size)
            }
            let error = TriplicateError(.corrupt, "\(name) could not be copied: " + (problems.isEmpty ? "no reachable destination holds it any more" : problems.joined(separator: "; ")))
            return Copied(name: name, bytes: 0, error: error, damagedEverywhere: !problems.isEmpty)
        } catch {
            return Copied(name: name, bytes: 0, error: error)
        }
    }

    static func bytes(_ n: Int64) -> String {
        n >= 1 << 30 ? String(format: "%.1f GiB", Double(n) / Double(1 << 30))
            : n >= 1 << 20 ? String(format: "%.1f MiB", Double(n) / Double(1 << 20)) : "\(n) bytes"
    }
}
