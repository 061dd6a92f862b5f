// diff and find: answers about snapshots without looping over `snapshots` and `ls` by hand; and the JSON form of an
// entry that ls, diff and find share.
@_spi(Benchmarks) import TriplicateCore
import ArgumentParser
import Foundation
import Triplicate

struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff", abstract: "Show what changed between two snapshots.",
        discussion: """
            Each line is one entry: + added, - removed, M content changed, U only mode, time or extended attributes changed. Everything below \
            a folder that was added or removed is listed too. Folders that are the same in both snapshots are not read.
            """)
    @OptionGroup var repository: RepositoryOptions
    @Argument(help: "The older snapshot: `latest` or a unique ID prefix.") var first: String
    @Argument(help: "The newer snapshot: `latest` or a unique ID prefix.") var second: String
    @Flag(name: .long, help: "Print a JSON array of changes.") var json = false

    func run() async throws {
        await runReporting {
            Interrupts.install()
            let repo = try await repository.open()
            let a = try await repo.findSnapshot(first), b = try await repo.findSnapshot(second)
            var counts: [SnapshotChange.Kind: Int] = [:]
            var added: Int64 = 0, removed: Int64 = 0
            let out = JSONArrayPrinter(enabled: json)
            try await repo.diff(a, b) { c throws(TriplicateError) in
                counts[c.kind, default: 0] += 1
                if let n = c.after, c.kind != .metadata, case .file = n.content { added += Int64(clamping: n.size) }
                if let n = c.before, c.kind != .metadata, case .file = n.content { removed += Int64(clamping: n.size) }
                if json {
                    out.print(ChangeJSON(c))
                    return
                }
                let mark = switch c.kind { case .added: "+"; case .removed: "-"; case .changed: "M"; case .metadata: "U" }
                let node = c.after ?? c.before
                let slash = if case .directory = node?.content { "/" } else { "" }
                print("\(mark)  \(Terminal.visible(c.path))\(slash)")
            }
            out.finish()
            if !json {
                let total = counts.values.reduce(0, +)
                if total == 0 { print("no differences between \(a.id.short) and \(b.id.short)") } else {
                    print("\(a.id.short) → \(b.id.short): "
                        + "\(Terminal.count(counts[.added] ?? 0, "entry", "entries")) added, "
                        + "\(counts[.removed] ?? 0) removed, \(counts[.changed] ?? 0) changed, "
                        + "\(counts[.metadata] ?? 0) with only metadata changed; "
                        + "file content \(Terminal.bytes(added)) in the newer, \(Terminal.bytes(removed)) in the older")
                }
            }
            return Exit.ok
        }
    }
}

struct FindCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "find", abstract: "Find every snapshot that holds a file, by name or path.",
        discussion: """
            PATTERN is a shell glob (* ? [...], quoted so that the shell leaves it alone). Without / it is matched \
            against each name (IMG_0042.*, *.lrcat); with / against the whole path in the snapshot, as ls shows it \
            (/Pictures/2024/*/IMG_0042.CR3). Each line: the snapshot, its time, the entry's size and modification \
            time, and its path, ready for `restore SNAPSHOT:PATH`. A folder unchanged between snapshots is read once.
            """)
    @OptionGroup var repository: RepositoryOptions
    @Argument(help: "A shell glob, matched against names (or, with /, whole paths).") var pattern: String
    @Flag(name: [.short, .customLong("ignore-case")], help: "Letters match either case (img_0042.cr3 finds IMG_0042.CR3).") var ignoreCase = false
    @Option(name: .long, help: ArgumentHelp("Only snapshots of this host.", valueName: "NAME")) var host: String?
    @Option(name: .long, help: ArgumentHelp("Only snapshots with this tag.", valueName: "TAG")) var tag: String?
    @Flag(name: .long, help: "Print a JSON array of matches.") var json = false

    func run() async throws {
        await runReporting {
            Interrupts.install()
            let repo = try await repository.open()
            let chosen = try await repo.snapshots().filter { s in
                (host == nil || s.record.hostname == host) && (tag.map { s.record.tags.contains($0) } ?? true)
            }
            var found = 0
            var inSnapshots = Set<String>()
            let out = JSONArrayPrinter(enabled: json)
            try await repo.find(pattern, in: chosen, ignoringCase: ignoreCase) { f throws(TriplicateError) in
                found += 1
                inSnapshots.insert(f.snapshot.id.hex)
                if json {
                    out.print(FoundJSON(f))
                    return
                }
                let n = f.entry.node
                let size = if case .directory = n.content { "folder".leftPad(10) } else { Terminal.bytes(Int64(clamping: n.size)).leftPad(10) }
                print("\(f.snapshot.id.short)  \(Terminal.date(f.snapshot.record.date))  \(size)  \(Terminal.date(n.mtime.date))  \(Terminal.visible(f.entry.path))")
            }
            out.finish()
            if !json {
                print(found == 0 ? "no entry matches \(Terminal.visible(pattern)) in \(Terminal.count(chosen.count, "snapshot"))"
                    : "\(Terminal.count(found, "match", "matches")) in \(Terminal.count(inSnapshots.count, "snapshot")) of \(chosen.count)")
            }
            return Exit.ok
        }
    }
}

/// Prints a JSON array one element at a time, so that a long listing is never held whole in memory.
final class JSONArrayPrinter {
    private let enabled: Bool
    private var first = true
    private let encoder: JSONEncoder

    init(enabled: Bool) {
        self.enabled = enabled
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    func print(_ value: some Encodable) {
        guard enabled, let data = try? encoder.encode(value) else { return }
        Swift.print((first ? "[\n" : ",\n") + String(decoding: data, as: UTF8.self), terminator: "")
        first = false
    }

    /// Closes the array (an empty one when nothing was printed).
    func finish() {
        guard enabled else { return }
        Swift.print(first ? "[]" : "\n]")
    }
}

/// An entry of a snapshot as JSON: path, type, size (content bytes of a file, link target length), mode (octal
/// permission bits as a string), modification time (ISO 8601, UTC, nanoseconds) and, for a link, its target.
struct EntryJSON: Encodable {
    var path: String
    var type: String
    var size: UInt64
    var mode: String
    var mtime: String
    var target: String?

    init(path: String, node: TreeNode) {
        self.path = path
        switch node.content {
        case .file: type = "file"
        case .directory: type = "dir"
        case .symlink(let t):
            type = "symlink"
            target = String(decoding: t, as: UTF8.self)
        }
        size = node.size
        mode = String(node.mode & 0o7777, radix: 8)
        mtime = Terminal.isoTime(node.mtime)
    }
}

struct ChangeJSON: Encodable {
    var kind: String
    var path: String
    var before: EntryJSON?
    var after: EntryJSON?

    init(_ c: SnapshotChange) {
        kind = c.kind.rawValue
        path = c.path
        before = c.before.map { EntryJSON(path: c.path, node: $0) }
        after = c.after.map { EntryJSON(path: c.path, node: $0) }
    }
}

struct FoundJSON: Encodable {
    var snapshot: String
    var time: String
    var hostname: String
    var entry: EntryJSON

    init(_ f: FoundEntry) {
        snapshot = f.snapshot.id.hex
        time = SnapshotRecord.format(f.snapshot.record.date)
        hostname = f.snapshot.record.hostname
        entry = EntryJSON(path: f.entry.path, node: f.entry.node)
    }
}

extension Timestamp {
    /// As a `Date` (to the microsecond, as `Date` holds it).
    var date: Date { Date(timeIntervalSince1970: TimeInterval(seconds) + TimeInterval(nanoseconds) / 1e9) }
}
