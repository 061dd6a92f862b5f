// Commands: one ArgumentParser command per CLI verb; each parses, calls the library, and prints.
@_spi(Benchmarks) import TriplicateCore
import ArgumentParser
import Foundation
import Synchronization
import Triplicate

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "Create a new, empty repository.")
    @OptionGroup var repository: RepositoryOptions
    @Option(name: .long, help: ArgumentHelp("For b2: or s3:, create the bucket with object lock: every file is kept N days, and no key (not even a stolen one) can delete it sooner. With --plan, use lock-days in the destination's entry instead.", valueName: "N"))
    var objectLockDays: Int?

    func validate() throws {
        if let objectLockDays, !(1...36_500).contains(objectLockDays) {
            throw ValidationError("--object-lock-days takes a whole number of days, 1 to 36500")
        }
    }

    func run() async throws {
        await runReporting {
            if let plan = try repository.loadPlan() {
                guard objectLockDays == nil else {
                    throw TriplicateError(.invalidArgument, "with --plan, object lock is set per destination: add lock-days = N to the b2 or s3 destination's entry")
                }
                let reports = try await repository.session(plan, confirm: true).initialize { print($0) }
                let code = printReports(reports, verb: "holds the repository")
                print("Keep the password safe: without it the backups cannot be read by anyone, including you.")
                return code
            }
            let dest = try repository.destination()
            let repo = try await Repository.initialize(on: dest, password: try repository.password(confirm: true),
                                                       options: Repository.InitOptions(objectLockDays: objectLockDays))
            print("created repository \(repo.id.short) at \(dest.displayName)")
            if let days = objectLockDays { print("object lock: every file is kept \(days) days after it is written; no key can delete it sooner") }
            print("Keep the password safe: without it the backups cannot be read by anyone, including you.")
            return Exit.ok
        }
    }
}

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "backup", abstract: "Back up files and folders into a new snapshot.")
    @OptionGroup var repository: RepositoryOptions
    @Argument(help: "Files or folders to back up (with --plan: the plan's sources).") var paths: [String] = []
    @Option(name: .long, help: ArgumentHelp("Leave out matching names (no /) or absolute paths (with /); repeatable.", valueName: "PATTERN"))
    var exclude: [String] = []
    @Option(name: .long, help: ArgumentHelp("Tag the snapshot; repeatable.", valueName: "TAG")) var tag: [String] = []
    @Flag(name: .long, help: "Print the result as JSON.") var json = false
    @Flag(name: .long, help: "Print nothing but errors.") var quiet = false
    @Flag(name: .long, help: "Read and cut the files and count what would be stored, but write nothing to the repository (with --plan: to no copy).")
    var dryRun = false
    @Flag(name: [.short, .long], help: "List each file read (new or changed), with its size.") var verbose = false
    // Numbers are parsed `.unconditional`ly, so that a negative one reaches validate() and its message instead of
    // being taken for an option ("Missing value").
    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Target pack size in MiB, 1-512 (advanced).", valueName: "MIB"))
    var packSize: Int = 32
    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("zstd level for data that shrinks, 1-19: 1 is fastest, 3 stores uncompressed RAW about 7% smaller at a quarter of the speed.", valueName: "LEVEL"))
    var compressionLevel: Int32 = BackupOptions.defaultCompressionLevel
    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Threads that hash, compress and encrypt (default: one per core).", valueName: "N"))
    var workers: Int?

    func validate() throws {
        if repository.plan == nil, paths.isEmpty { throw ValidationError("name the files or folders to back up") }
        if repository.plan != nil, !paths.isEmpty { throw ValidationError("with --plan the plan's sources are backed up; give no paths") }
        guard (1...512).contains(packSize) else { throw ValidationError("--pack-size must be between 1 and 512 MiB") }
        guard (1...19).contains(compressionLevel) else { throw ValidationError("--compression-level must be between 1 and 19") }
        if let workers, !(1...64).contains(workers) { throw ValidationError("--workers must be between 1 and 64") }
    }

    func run() async throws {
        // A plan's backup records how it ended, for `schedule --status` (a scheduled run has no one watching).
        let started = Date()
        let planFile = repository.plan.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        let snapshot = SharedText()
        let onEnd: ((Int32, String?) -> Void)? = planFile.flatMap { file in
            dryRun ? nil : { code, message in
                LastRun.record(planFile: file, started: started, exitCode: code, snapshot: snapshot.value, message: message)
            }
        }
        await runReporting(onEnd: onEnd) {
            // With --plan: the plan's sources, each source's exclusions applied to all, into every copy at once.
            let plan = try repository.loadPlan()
            let paths = plan.map { $0.sources.map(\.path) } ?? self.paths
            if let plan, paths.isEmpty { throw CLIError(Exit.error, "\(plan.file ?? "the plan") names no [[source]] to back up") }
            let excludes = exclude + (plan?.sources.flatMap(\.excludes) ?? []).filter { !exclude.contains($0) }
            Interrupts.install()
            let showProgress = Terminal.isInteractive && !quiet && !json && !verbose
            let total = showProgress ? Repository.estimateSize(paths: paths, excludes: excludes) : 0
            let printer = ProgressPrinter(total: total)
            var options = BackupOptions(excludes: excludes, tags: tag, packSize: max(packSize, 1) << 20,
                                        compressionLevel: compressionLevel, workers: workers)
            if showProgress { options.progress = { printer.update($0) } }
            options.dryRun = dryRun
            if verbose, !json {
                options.fileRead = { f in print("\(f.isNew ? "new    " : "changed") \(Terminal.bytes(f.size).leftPad(10))  \(Terminal.visible(f.path))") }
            }
            // An unmounted photo drive (an empty source folder) stops a plan's backup before anything is written.
            try plan?.requireNoEmptySource()
            // A dry run only reads the repository: with a plan, no copy catches up or is healed first.
            let repo = try await dryRun ? repository.open() : repository.openForBackup { event in if !quiet && !json { print(event) } }
            let result = try await repo.backup(paths: paths, options: options)
            if !result.isDryRun { snapshot.value = result.snapshot.id.hex }
            let reports = result.destinations
            let code = result.reachedEveryDestination ? Exit.ok : Exit.lagging
            if showProgress { Terminal.clearStatus() }
            for e in result.errors { Terminal.warn("could not back up " + e) }
            if !quiet { for w in result.warnings { Terminal.warn(w) } }
            let s = result.snapshot.summary
            if json {
                try Terminal.json(BackupJSON(result, destinations: reports))
            } else if result.isDryRun {
                print("dry run: nothing was written to the repository")
                print("  files: \(s.files) (\(s.filesRead) to read, \(s.files - s.filesRead) unchanged), folders: \(s.directories), links: \(s.symlinks)")
                print("  would process \(Terminal.bytes(s.bytes)), read \(Terminal.bytes(s.bytesRead)), add new data \(Terminal.bytes(s.bytesAdded)) and store \(Terminal.bytes(s.bytesStored)) (\(printer.elapsedText()))")
                return result.errors.isEmpty ? Exit.ok : Exit.partial
            } else if !quiet {
                print("snapshot \(result.snapshot.id.short) saved")
                print("  files: \(s.files) (\(s.filesRead) read, \(s.files - s.filesRead) unchanged), folders: \(s.directories), links: \(s.symlinks)")
                print("  processed \(Terminal.bytes(s.bytes)), read \(Terminal.bytes(s.bytesRead)), new data \(Terminal.bytes(s.bytesAdded)), stored \(Terminal.bytes(s.bytesStored)) in \(printer.elapsedText())")
                if result.adoptedPacks > 0 { print("  reused \(Terminal.count(result.adoptedPacks, "pack")) left by an interrupted backup") }
                if !result.errors.isEmpty { print("  \(Terminal.count(result.errors.count, "entry", "entries")) could not be backed up completely (listed above)") }
            }
            if !reports.isEmpty {
                if !quiet && !json { print("destinations:") }
                if quiet || json {
                    for r in reports where r.outcome != .done { Terminal.warn("\(r.name) does not hold the new snapshot: \(r.problem ?? "")") }
                } else {
                    _ = printReports(reports, verb: "holds the new snapshot")
                }
            }
            // Unreadable source files (3) matter more than a destination left for sync (4).
            return result.errors.isEmpty ? code : Exit.partial
        }
    }
}

/// A text one task sets and another reads.
final class SharedText: Sendable {
    private let text = Mutex<String?>(nil)
    var value: String? {
        get { text.withLock { $0 } }
        set { text.withLock { $0 = newValue } }
    }
}

/// The JSON form of a backup result.
struct BackupJSON: Encodable {
    var snapshot: String
    var summary: SnapshotSummary
    var errors: [String]
    var warnings: [String]
    var adoptedPacks: Int
    var destinations: [DestinationReport]?
    var dryRun: Bool
    init(_ r: BackupResult, destinations: [DestinationReport] = []) {
        dryRun = r.isDryRun
        self.destinations = destinations.isEmpty ? nil : destinations
        snapshot = r.snapshot.id.hex
        summary = r.snapshot.summary
        errors = r.errors
        warnings = r.warnings
        adoptedPacks = r.adoptedPacks
    }
}

/// Renders backup or restore progress on one terminal line (files, bytes, bytes per second, ETA), at most five times a second.
final class ProgressPrinter: Sendable {
    private let start = Date()
    private let last = Mutex<Date>(.distantPast)
    let total: Int64
    init(total: Int64) { self.total = total }

    func update(_ p: ProgressEvent) {
        let perDestination = p.storedPerDestination.sorted { $0.key < $1.key }.map { "\($0.key) \(Terminal.bytes($0.value))" }
        update(files: p.done, bytes: p.bytes, totalFiles: p.total, totalBytes: p.totalBytes,
               suffix: perDestination.isEmpty ? "" : "; stored: " + perDestination.joined(separator: ", "))
    }

    func update(files: Int, bytes: Int64, totalFiles: Int? = nil, totalBytes: Int64? = nil, suffix: String = "") {
        let now = Date()
        let due = last.withLock { l -> Bool in
            guard now.timeIntervalSince(l) >= 0.2 else { return false }
            l = now
            return true
        }
        guard due else { return }
        let elapsed = max(now.timeIntervalSince(start), 0.001)
        let rate = Double(bytes) / elapsed
        let total = totalBytes ?? self.total
        var line = totalFiles.map { "\(files) of \(Terminal.count($0, "file"))" } ?? Terminal.count(files, "file")
        line += ", \(Terminal.bytes(bytes))"
        if total > 0 { line += " of \(Terminal.bytes(total))" }
        line += ", \(Terminal.bytes(Int64(rate)))/s"
        if total > bytes, rate > 0 {
            let eta = Int(Double(total - bytes) / rate)
            line += String(format: ", ETA %d:%02d", eta / 60, eta % 60)
        }
        Terminal.status(line + suffix)
    }

    func elapsedText() -> String { String(format: "%.1f s", Date().timeIntervalSince(start)) }
}

struct SnapshotsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "snapshots", abstract: "List the snapshots, oldest first.")
    @OptionGroup var repository: RepositoryOptions
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() async throws {
        await runReporting {
            Interrupts.exitOnSignal()
            let repo = try await repository.open()
            let (all, damaged) = try await repo.snapshotListing()
            for d in damaged { Terminal.warn(d) }
            if json {
                try Terminal.json(all.map { SnapshotJSON(id: $0.id.hex, record: $0.record) })
                return Exit.ok
            }
            if all.isEmpty {
                print("no snapshots yet")
                return Exit.ok
            }
            var table = TextTable(["ID", "Time", "Host", "Files", "Size", "Tags", "Paths"], right: [3, 4])
            for s in all {
                let r = s.record
                table.add([s.id.short, Terminal.date(r.date), Terminal.visible(r.hostname), String(r.summary.files), Terminal.bytes(r.summary.bytes),
                           Terminal.visible(r.tags.joined(separator: ",")), Terminal.visible(r.paths.joined(separator: " "))])
            }
            table.print()
            print("\(Terminal.count(all.count, "snapshot"))")
            return Exit.ok
        }
    }
}

struct SnapshotJSON: Encodable {
    var id: String
    var record: SnapshotRecord
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(id, forKey: .id)
        try c.encode(record.time, forKey: .time)
        try c.encode(record.tree, forKey: .tree)
        try c.encode(record.paths, forKey: .paths)
        try c.encode(record.hostname, forKey: .hostname)
        try c.encode(record.username, forKey: .username)
        try c.encode(record.tags, forKey: .tags)
        try c.encodeIfPresent(record.parent, forKey: .parent)
        try c.encode(record.summary, forKey: .summary)
    }
    enum Keys: String, CodingKey { case id, time, tree, paths, hostname, username, tags, parent, summary }
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}

struct LsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List the files of a snapshot.")
    @OptionGroup var repository: RepositoryOptions
    @Argument(help: "`latest` or a unique snapshot ID prefix.") var snapshot: String
    @Argument(help: "A path inside the snapshot (default: everything).") var path: String?
    @Flag(name: .long, help: "Print a JSON array of entries: path, type, size, mode, mtime (and a link's target).") var json = false

    func run() async throws {
        await runReporting {
            Interrupts.install()
            let repo = try await repository.open()
            let snap = try await repo.findSnapshot(snapshot)
            // Entries are printed as they are found: a snapshot that repeats one folder under many names is listed in
            // bounded memory, and Ctrl-C stops it.
            let out = JSONArrayPrinter(enabled: json)
            defer { out.finish() }
            try await repo.list(snap, path: path) { e in
                if json { return out.print(EntryJSON(path: e.path, node: e.node)) }
                let n = e.node
                let type = switch n.content { case .directory: "d"; case .symlink: "l"; case .file: "-" }
                let mode = type + Self.permissions(n.mode)
                var line = "\(mode) \(String(n.size).leftPad(12)) \(Terminal.date(Date(timeIntervalSince1970: TimeInterval(n.mtime.seconds)))) \(Terminal.visible(e.path))"
                if case .symlink(let t) = n.content { line += " -> " + Terminal.visible(String(decoding: t, as: UTF8.self)) }
                print(line)
            }
            return Exit.ok
        }
    }

    static func permissions(_ mode: UInt32) -> String {
        let chars = Array("rwxrwxrwx")
        return String((0..<9).map { mode & (1 << (8 - UInt32($0))) != 0 ? chars[$0] : "-" })
    }
}

struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restore", abstract: "Restore a snapshot, or a path inside it, into a folder.")
    @OptionGroup var repository: RepositoryOptions
    @Argument(help: ArgumentHelp("`latest` or an ID prefix, optionally followed by :PATH inside the snapshot.", valueName: "SNAPSHOT[:PATH]"))
    var snapshot: String
    @Option(name: .long, help: ArgumentHelp("The folder to restore into (created if missing).", valueName: "DIR")) var target: String
    @Option(name: .long, help: ArgumentHelp("With --plan: restore from this destination (default: the fastest reachable one that holds the snapshot).", valueName: "NAME"))
    var from: String?
    @Option(name: .long, help: ArgumentHelp("Restore only entries matching PATTERN, with everything below them (repeatable; globs as for backup's --exclude, matched against paths as ls shows them).", valueName: "PATTERN"))
    var include: [String] = []
    @Option(name: .long, help: ArgumentHelp("Leave out entries matching PATTERN, with everything below them (repeatable; wins over --include).", valueName: "PATTERN"))
    var exclude: [String] = []
    @Option(name: .long, help: ArgumentHelp("What to do with a file already in the target: always (replace it, the default), if-changed (replace it unless its size and modification time are the snapshot's), if-newer (only when the snapshot's is newer), never.", valueName: "WHEN"))
    var overwrite: String = "always"
    @Flag(name: .long, help: "Print the outcome as JSON.") var json = false

    func validate() throws {
        if from != nil, repository.plan == nil { throw ValidationError("--from names a destination of a plan; use it with --plan") }
        guard RestoreOptions.Overwrite(rawValue: overwrite) != nil else {
            throw ValidationError("--overwrite takes always, if-changed, if-newer or never, not \(overwrite)")
        }
    }

    func run() async throws {
        await runReporting {
            let show = Terminal.isInteractive
            let started = Date()
            func onProgress(_ printer: ProgressPrinter) -> ProgressHandler? {
                guard show else { return nil }
                return { printer.update($0) }
            }
            // With a plan: the newest snapshot any copy holds, each file from the nearest copy that holds it intact.
            let repo = try await repository.open(from: from)
            let selector = try SnapshotSelector(snapshot)
            let snap = try await repo.findSnapshot(selector)
            let printer = ProgressPrinter(total: 0)
            Interrupts.install()
            let options = RestoreOptions(includes: include, excludes: exclude, overwrite: RestoreOptions.Overwrite(rawValue: overwrite) ?? .always)
            let r = try await repo.restore(snap, path: selector.path, to: target, options: options, progress: json ? nil : onProgress(printer))
            let seconds = Date().timeIntervalSince(started)
            let origin = "snapshot \(snap.id.short)" + (repo.copyNames.isEmpty ? "" : " from \(repo.copyNames.joined(separator: ", "))")
            if show, !json { Terminal.clearStatus() }
            if json {
                try Terminal.json(RestoreJSON(snapshot: snap.id.hex, from: repo.copyNames, target: target, result: r, seconds: seconds))
                return r.errors.isEmpty ? Exit.ok : Exit.error
            }
            for w in r.warnings { Terminal.warn(w) }
            for e in r.errors { Terminal.error(e) }
            if let record = r.damageRecorded {
                Terminal.warn("the damaged data found is recorded in \(record): the next backup of those files stores them again")
            }
            let kept = r.kept == 0 ? "" : "; \(Terminal.count(r.kept, "entry", "entries")) already there left as \(r.kept == 1 ? "it was" : "they were") (--overwrite \(overwrite))"
            print("restored \(Terminal.count(r.files, "file")), \(Terminal.count(r.directories, "folder")), \(Terminal.count(r.symlinks, "link")), \(Terminal.bytes(r.bytes)) from \(origin) into \(target) in \(String(format: "%.1f", seconds)) s\(kept)")
            if !r.errors.isEmpty {
                print("\(Terminal.count(r.errors.count, "entry", "entries")) could not be restored because their data is damaged; " + Hint.text(.check(readData: true)))
                return Exit.error
            }
            return Exit.ok
        }
    }
}

/// A restore's outcome as JSON.
struct RestoreJSON: Encodable {
    var snapshot: String
    var from: [String]
    var target: String
    var files: Int
    var directories: Int
    var symlinks: Int
    var bytes: Int64
    var kept: Int
    var errors: [String]
    var warnings: [String]
    var damageRecorded: String?
    var seconds: Double

    init(snapshot: String, from: [String], target: String, result r: RestoreResult, seconds: Double) {
        self.snapshot = snapshot
        self.from = from
        self.target = target
        files = r.files
        directories = r.directories
        symlinks = r.symlinks
        bytes = r.bytes
        kept = r.kept
        errors = r.errors
        warnings = r.warnings
        damageRecorded = r.damageRecorded
        self.seconds = (seconds * 1000).rounded() / 1000
    }
}

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Verify the repository's structure, and with --read-data every byte.",
        discussion: """
            Damage found is recorded in the repository, so that later backups store that data again instead of pointing             at it. With --plan, a file damaged or missing on one copy is replaced by the intact file of the same name from             another copy, verified before and after (--no-heal only reports).
            """)
    @OptionGroup var repository: RepositoryOptions
    @Flag(name: .long, help: "Read, decrypt and re-hash every pack.") var readData = false
    @Option(name: .long, help: ArgumentHelp("Read whole only part of the packs: P% of the data, those verified least recently first (a few percent a day reads everything within weeks), or n/t, the n-th of t parts.", valueName: "P%|n/t"))
    var readDataSubset: String?
    @Flag(name: .long, help: "With --plan: only report damaged files, do not replace them from another copy.") var noHeal = false

    func validate() throws {
        if noHeal, repository.plan == nil { throw ValidationError("--no-heal applies to a plan's copies; use it with --plan") }
        if let readDataSubset {
            guard DataSubset(readDataSubset) != nil else {
                throw ValidationError("--read-data-subset takes a share such as 5% or a part such as 2/7, not \"\(readDataSubset)\"")
            }
            if readData { throw ValidationError("give --read-data or --read-data-subset, not both") }
        }
    }

    func run() async throws {
        await runReporting {
            Interrupts.install()
            let repo = try await repository.open()
            let subset = readDataSubset.flatMap(DataSubset.init)
            let readData = self.readData || subset != nil
            var onProgress: ProgressHandler?
            if readData && Terminal.isInteractive {
                let started = Date()
                onProgress = { event in
                    guard event.message == nil, let total = event.total else { return }
                    let read = event.done
                    let elapsed = Date().timeIntervalSince(started)
                    let eta = read > 0 ? Int(elapsed / Double(read) * Double(total - read)) : 0
                    Terminal.status("read \(read) of \(total) packs, ETA \(eta / 60):\(String(format: "%02d", eta % 60))")
                }
            }
            let r = if let subset {
                try await repo.check(readDataSubset: subset, heal: !noHeal, progress: onProgress)
            } else {
                try await repo.check(readData: readData, heal: !noHeal, progress: onProgress)
            }
            func verified(_ r: CheckReport) -> String {
                r.verifiedRecently.map { ", \(Terminal.percent($0)) of the data verified in the last 30 days" } ?? ""
            }
            if onProgress != nil { Terminal.clearStatus() }
            if !r.copies.isEmpty {
                // A plan: each copy on its own lines.
                var code = Exit.ok
                for c in r.copies {
                    for h in c.healed { print("  \(c.name): \(h.file) was \(h.problem); restored from \(h.source) and verified") }
                    guard let r = c.report else {
                        Terminal.warn("\(c.name) was not checked: \(c.problem ?? "")")
                        if code == Exit.ok { code = Exit.lagging }
                        continue
                    }
                    let healed = c.healed.isEmpty ? "" : ", \(c.healed.count) damaged file\(c.healed.count == 1 ? "" : "s") healed"
                    print("  \(c.name): checked \(Terminal.count(r.snapshots, "snapshot")), \(Terminal.count(r.packs, "pack"))" + (readData ? ", read \(r.packsRead)" : "") + healed + verified(r) + (r.isHealthy ? ", no errors found" : ", \(r.errors.count) ERRORS"))
                    for e in r.errors { print("  \(c.name): error: " + e) }
                    if let record = r.damageRecorded { print("  \(c.name): the damage no copy could heal is recorded in \(record)") }
                    if !r.isHealthy { code = Exit.error }
                }
                return code
            }
            print("checked \(Terminal.count(r.snapshots, "snapshot")), \(Terminal.count(r.indexFiles, "index file")), \(Terminal.count(r.packs, "pack")), \(Terminal.count(r.blobs, "blob"))" + (readData ? ", read \(Terminal.count(r.packsRead, "pack"))" : "") + verified(r))
            for n in r.notes { print("note: " + n) }
            for e in r.errors { print("error: " + e) }
            if r.isHealthy {
                print("no errors found")
                return Exit.ok
            }
            print("\(Terminal.count(r.errors.count, "error")) found")
            return Exit.error
        }
    }
}

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Show stored against original bytes, with deduplication and compression ratios.")
    @OptionGroup var repository: RepositoryOptions
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() async throws {
        await runReporting {
            Interrupts.exitOnSignal()
            let repo = try await repository.open()
            let s = try await repo.stats()
            if json {
                try Terminal.json(s)
                return Exit.ok
            }
            print("snapshots:          \(s.snapshots)")
            print("original bytes:     \(Terminal.bytes(s.originalBytes)) (all snapshots together)")
            print("unique bytes:       \(Terminal.bytes(s.uniqueBytes)) in \(Terminal.count(s.chunks, "chunk")) (\(Terminal.count(s.trees, "tree")))")
            print("stored bytes:       \(Terminal.bytes(s.storedBytes)) in \(Terminal.count(s.packs, "pack")), \(Terminal.count(s.indexFiles, "index file"))")
            print(String(format: "deduplication:      %.2fx", s.deduplicationRatio))
            print(String(format: "compression:        %.2fx", s.compressionRatio))
            print(String(format: "overall:            %.2fx", s.overallRatio))
            if let hidden = s.hiddenBytes {
                print("hidden versions:    \(Terminal.bytes(hidden)) still stored and billed for deleted files" + (hidden > 0 ? " (a lifecycle rule that keeps only the last version, or deleting old versions in the bucket's console, frees it)" : ""))
            }
            if let days = s.objectLockDays { print("object lock:        every file is kept \(days) days after it is written") }
            return Exit.ok
        }
    }
}

struct DebugCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "debug", abstract: "Tools for developers.", subcommands: [ChunkCommand.self])
}

struct ChunkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chunk",
        abstract: "Print the FastCDC chunks of a file as JSON lines {\"offset\": O, \"length\": L}.")
    @Argument(help: "The file to chunk.") var file: String
    @Option(name: .long, help: "Minimum chunk size.") var min: Int
    @Option(name: .long, help: "Average chunk size.") var avg: Int
    @Option(name: .long, help: "Maximum chunk size.") var max: Int
    @Option(name: .long, help: "Normalization level (0-3).") var level: Int = 1
    @Option(name: .long, help: "Gear table seed (0 = the reference table).") var seed: UInt64 = 0

    func run() async throws {
        await runReporting {
            let chunker = try FastCDC(ChunkerParameters(minSize: min, averageSize: avg, maxSize: max, normalization: level, seed: seed))
            var out = ""
            try ChunkStream.cut(path: file, chunker: chunker) { offset, length in
                out += "{\"offset\": \(offset), \"length\": \(length)}\n"
                if out.utf8.count > 1 << 16 {
                    FileHandle.standardOutput.write(Data(out.utf8))
                    out = ""
                }
            }
            FileHandle.standardOutput.write(Data(out.utf8))
            return Exit.ok
        }
    }
}

struct RepairCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repair",
        abstract: "Take damaged packs out of use, keeping their intact data, rebuild the index, and say what can no longer be restored.",
        discussion: """
            Reads every pack's table (with --read-data, every byte of every pack). Damaged packs (found now, or recorded \
            by an earlier check, restore or backup) have their intact blobs copied into new packs, then are removed; index \
            files are written for packs no index file names and in place of damaged or wrong ones. Safe to interrupt at \
            any moment; running it again finishes the job, and on a repaired repository changes nothing. Exit 1 when \
            some files of some snapshots can no longer be restored (they are listed).
            """)
    @OptionGroup var repository: RepositoryOptions
    @Flag(name: .long, help: "Also read, decrypt and re-hash every pack to find damage (slow on a large or remote repository).") var readData = false
    @Flag(name: .long, help: "Print the result as JSON.") var json = false

    func validate() throws {
        if repository.plan != nil { throw ValidationError("repair works on one copy: give --repo (a plan's `check --plan --read-data` heals a copy from the others)") }
    }

    func run() async throws {
        await runReporting {
            Interrupts.install()
            let repo = try await repository.open()
            let r = try await repo.repair(readData: readData) { line in if !json { print(line) } }
            if json {
                try Terminal.json(r)
                return r.unrestorable.isEmpty ? Exit.ok : Exit.error
            }
            for n in r.notes { print("note: " + n) }
            if !r.damagedPacks.isEmpty {
                print("damaged packs taken out of use: \(r.damagedPacks.count)")
                for p in r.damagedPacks { print("  \(p)") }
                print("copied \(Terminal.count(r.blobsSalvaged, "intact blob")) into \(Terminal.count(r.packsWritten.count, "new pack")); \(Terminal.count(r.blobsLost, "damaged blob")) \(r.blobsLost == 1 ? "is" : "are") stored nowhere else")
            }
            if let record = r.damageRecorded { print("recorded the damage found in \(record)") }
            if !r.indexFilesWritten.isEmpty || !r.indexFilesRemoved.isEmpty {
                print("index: wrote \(Terminal.count(r.indexFilesWritten.count, "index file")), removed \(r.indexFilesRemoved.count)")
            }
            if !r.packsRemoved.isEmpty || !r.damageRecordsRemoved.isEmpty {
                print("removed \(Terminal.count(r.packsRemoved.count, "damaged pack")) and \(Terminal.count(r.damageRecordsRemoved.count, "damage record"))")
            }
            for p in r.packsKept {
                print("kept \(p), out of use: part of it could not be read at all (an I/O error); run `triplicate repair` again once the disk reads reliably")
            }
            if !r.changed { print("nothing to repair") }
            guard !r.unrestorable.isEmpty else {
                print("every file of every snapshot can be restored")
                return Exit.ok
            }
            for loss in r.unrestorable {
                print("snapshot \(loss.snapshot.prefix(8)) (\(Terminal.date(iso: loss.time))): \(loss.count) entr\(loss.count == 1 ? "y" : "ies") can no longer be restored:")
                for p in loss.paths { print("  " + Terminal.visible(p)) }
                if loss.count > loss.paths.count { print("  and \(loss.count - loss.paths.count) more") }
            }
            print("If you still have these files, back them up again: their data is then stored anew, and these snapshots restore them again too.")
            return Exit.error
        }
    }
}
