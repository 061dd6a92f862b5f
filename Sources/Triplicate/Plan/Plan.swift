// Plan: a photographer's 3-2-1 setup written down once: what to back up and where every copy of the repository
// lives, loaded from a TOML file or built in code.
@_spi(Benchmarks) internal import TriplicateCore
internal import Foundation
internal import TOMLKit

/// The kind of medium a copy lives on, for the "two kinds of media" part of the 3-2-1 rule.
public enum Media: String, Sendable, Hashable, CaseIterable, Codable {
    /// The computer's own disk (also what the source files are on).
    case internalDisk = "internal-disk"
    /// A network drive.
    case nas
    /// A removable drive.
    case usb
    /// An object store on the internet (Backblaze B2, S3).
    case cloud
}

/// Where a copy is, for the "one off site" part of the 3-2-1 rule.
public enum Site: String, Sendable, Hashable, CaseIterable, Codable {
    /// In the same building as the computer.
    case onsite
    /// Elsewhere: a fire or a burglary that takes the computer leaves it.
    case offsite
}

/// What to back up and where the copies of one repository live.
///
/// A plan names the sources (folders to back up, with exclusions) and the destinations: each a repository
/// location (as `--repo` takes it), with a name, a medium and a site. Every destination holds the same
/// repository, file for file. Load one from a TOML file with ``load(_:registry:)`` or build one with ``init(passwordFile:sources:destinations:maxAge:)``:
///
/// ```toml
/// password-file = "/home/jose/.config/triplicate/password"
///
/// [[source]]
/// path = "/home/jose/Pictures"
/// exclude = ["*.tmp"]
///
/// [[destination]]
/// name = "nas"
/// repo = "/mnt/nas/triplicate"
/// media = "nas"          # internal-disk | nas | usb | cloud
/// site = "onsite"        # onsite | offsite
/// ```
public struct Plan: Sendable, Equatable {
    /// A folder (or file) to back up.
    public struct Source: Sendable, Equatable {
        /// An absolute path.
        public var path: String
        /// Exclusion patterns, as ``BackupOptions/excludes``.
        public var excludes: [String]
        /// May be an empty folder (`allow-empty = true`). When false, the default, a plan's backup refuses to run while
        /// the source is an empty folder, which is what an unmounted photo drive looks like: it would become the newest
        /// snapshot, holding none of the photos.
        public var allowEmpty: Bool

        /// A source at `path` (absolute) with `excludes`; `allowEmpty` lets it be an empty folder.
        public init(path: String, excludes: [String] = [], allowEmpty: Bool = false) {
            self.path = path
            self.excludes = excludes
            self.allowEmpty = allowEmpty
        }
    }

    /// One place the repository lives.
    public struct Target: Sendable, Equatable {
        /// A short name for messages and `--to`/`--from`: letters, digits, `-` and `_`.
        public var name: String
        /// Where the copy lives.
        public var location: RepositoryLocation
        /// The kind of medium.
        public var media: Media
        /// On site or off site.
        public var site: Site
        /// The line of the plan file that starts this destination (nil for a plan built in code).
        public var line: Int?
        /// For an object store: where its key ID and key come from (`key-id-file` or `key-id-command`, `key-file` or
        /// `key-command` in the file); nil: from the environment (``ObjectStoreCredentials/init(environment:)``).
        public var keyID: SecretSource?
        public var key: SecretSource?
        /// For an object store: its region and endpoint (`region`, `endpoint`), instead of the environment's.
        public var region: String?
        public var endpoint: String?
        /// For an object store: create its bucket with object lock, every object kept this many days (`lock-days`).
        public var lockDays: Int?
        /// For an object store: a cap on its uploads in KiB/s (`limit-upload`); nil: none.
        public var limitUpload: Int?
        /// For an object store: a cap on its downloads in KiB/s (`limit-download`); nil: none.
        public var limitDownload: Int?

        /// The location as text, as `--repo` takes it.
        public var repo: String { location.description }

        /// A destination entry.
        public init(name: String, location: RepositoryLocation, media: Media, site: Site, line: Int? = nil) {
            self.name = name
            self.location = location
            self.media = media
            self.site = site
            self.line = line
        }

        /// A destination entry whose location is written as text (see ``RepositoryLocation/init(_:registry:)``).
        public init(name: String, repo: String, media: Media, site: Site, line: Int? = nil) throws(TriplicateError) {
            self.init(name: name, location: try RepositoryLocation(repo), media: media, site: site, line: line)
        }
    }

    /// A file whose first line is the password (nil: the caller supplies it).
    public var passwordFile: String?
    /// A shell command that prints the password (`password-command`: the system keychain, a secret store), instead of
    /// ``passwordFile``.
    public var passwordCommand: String?
    /// What to back up.
    public var sources: [Source]
    /// Where the copies live, in the plan's order.
    public var destinations: [Target]
    /// The plan file, for messages (nil for a plan built in code).
    public var file: String?
    /// How old the newest backup may be, in seconds, before ``PlanSession/status()`` says the photos are at risk
    /// (`max-age` in the file, e.g. `"26h"`: a nightly backup with two hours to spare).
    public var maxAge: Double

    /// Which snapshots `forget --plan` keeps (`[retention]` in the file); nil when the plan says nothing.
    public var retention: RetentionPolicy?

    /// The default ``maxAge``: 26 hours.
    public static let defaultMaxAge: Double = 26 * 3600

    /// A plan built in code. Throws ``TriplicateError/Kind-swift.enum/invalidArgument`` for no destinations,
    /// an invalid or repeated name, a relative source path, or a `maxAge` that is not positive.
    public init(passwordFile: String? = nil, sources: [Source], destinations: [Target],
                maxAge: Double = Plan.defaultMaxAge) throws(TriplicateError) {
        self.passwordFile = passwordFile
        self.sources = sources
        self.destinations = destinations
        self.maxAge = maxAge
        file = nil
        try validate()
    }

    private init(unvalidated sources: [Source], destinations: [Target], passwordFile: String?, maxAge: Double, file: String) {
        self.sources = sources
        self.destinations = destinations
        self.passwordFile = passwordFile
        self.maxAge = maxAge
        self.file = file
    }

    /// Reads a duration such as `90m`, `26h`, `2d` or `1w` (a number and a unit: s, m, h, d or w) as seconds; nil when
    /// it is not one, not positive, or more than 100 years.
    public static func duration(_ text: String) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard let unit = t.last, let number = Double(t.dropLast()), number > 0, number.isFinite else { return nil }
        let scale: Double
        switch unit {
        case "s": scale = 1
        case "m": scale = 60
        case "h": scale = 3600
        case "d": scale = 86400
        case "w": scale = 7 * 86400
        default: return nil
        }
        let seconds = number * scale
        return seconds <= 100 * 365 * 86400 ? seconds : nil
    }

    /// `file:line: ` (or the plan file, or nothing) before a message about `line`.
    func at(_ line: Int?) -> String {
        switch (file, line) {
        case let (file?, line?): "\(file):\(line): "
        case let (file?, nil): "\(file): "
        default: ""
        }
    }

    /// The destination named `name`.
    public func destination(named name: String) throws(TriplicateError) -> Target {
        guard let t = destinations.first(where: { $0.name == name }) else {
            throw TriplicateError(.invalidArgument, "\(at(nil))no destination is named \"\(name)\" (the plan has \(destinations.map(\.name).joined(separator: ", ")))")
        }
        return t
    }

    private func validate() throws(TriplicateError) {
        guard !destinations.isEmpty else { throw TriplicateError(.invalidArgument, "\(at(nil))the plan names no [[destination]]") }
        var seen: [String: Target] = [:]
        var places: [String: Target] = [:]
        for t in destinations {
            guard !t.name.isEmpty, t.name.utf8.allSatisfy({ Plan.nameBytes.contains($0) }) else {
                throw TriplicateError(.invalidArgument, "\(at(t.line))the destination name \"\(t.name)\" may hold only letters, digits, - and _")
            }
            if let first = seen[t.name] {
                throw TriplicateError(.invalidArgument, "\(at(t.line))a destination named \"\(t.name)\" is already defined\(first.line.map { " on line \($0)" } ?? "")")
            }
            seen[t.name] = t
            // One place named twice would count as two copies.
            let place = t.location.description
            if let other = places[place] {
                throw TriplicateError(.invalidArgument, "\(at(t.line))destination \"\(t.name)\" is the same place as \"\(other.name)\" (\(t.repo)); one place is one copy")
            }
            places[place] = t
        }
        for s in sources where !s.path.hasPrefix("/") {
            throw TriplicateError(.invalidArgument, "\(at(nil))the source path \"\(s.path)\" is not absolute")
        }
        guard maxAge > 0, maxAge.isFinite else { throw TriplicateError(.invalidArgument, "\(at(nil))max-age must be a positive duration") }
    }

    static let nameBytes = Set(Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_".utf8))

    // MARK: Loading

    /// Loads a plan file. Errors (``TriplicateError/Kind-swift.enum/invalidArgument``) name the file and line:
    /// TOML syntax, an unknown key or table, a missing or mistyped value, an unknown media or site, a repeated
    /// destination name. Relative paths and `~/` are resolved against the plan file's folder and `HOME`.
    /// Locations are read with `registry` (a library user's own schemes).
    public static func load(_ path: String, registry: DestinationRegistry = .standard) throws(TriplicateError) -> Plan {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw TriplicateError(.invalidArgument, "cannot read the plan file \(path): \(error.localizedDescription)")
        }
        return try parse(text, file: path, registry: registry)
    }

    /// Parses the text of a plan file; `file` is used in messages and to resolve relative paths.
    public static func parse(_ text: String, file: String, registry: DestinationRegistry = .standard) throws(TriplicateError) -> Plan {
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch let e as TOMLParseError {
            throw TriplicateError(.invalidArgument, "\(file):\(e.source.begin.line): \(e.description)")
        } catch {
            throw TriplicateError(.invalidArgument, "\(file): \(error)")
        }
        let lines = KeyLines(text)
        let folder = (file as NSString).deletingLastPathComponent
        func fail(_ line: Int?, _ message: String) -> TriplicateError {
            TriplicateError(.invalidArgument, "\(file):\(line.map(String.init) ?? "1"): \(message)")
        }
        func resolve(_ path: String) -> String {
            var p = path
            if p == "~" || p.hasPrefix("~/") { p = (ProcessInfo.processInfo.environment["HOME"] ?? "/") + p.dropFirst() }
            if !p.hasPrefix("/") { p = (folder.isEmpty ? FileManager.default.currentDirectoryPath : folder) + "/" + p }
            return (p as NSString).standardizingPath
        }
        func string(_ t: TOMLTable, _ key: String, in section: KeyLines.Section, required: Bool) throws(TriplicateError) -> String? {
            guard let value = t[key] else {
                if required { throw fail(lines.header(section), "\(section.title) has no \(key)") }
                return nil
            }
            guard let s = value.string else { throw fail(lines.line(of: key, in: section), "\(key) must be a string") }
            return s
        }

        var passwordFile: String?
        var passwordCommand: String?
        var maxAge = defaultMaxAge
        var retention: RetentionPolicy?
        var sources: [Source] = []
        var destinations: [Target] = []
        for key in table.keys {
            switch key {
            case "password-file":
                passwordFile = try string(table, key, in: .top, required: true).map(resolve)
            case "password-command":
                passwordCommand = try string(table, key, in: .top, required: true)
            case "max-age":
                let text = try string(table, key, in: .top, required: true) ?? ""
                guard let seconds = duration(text) else {
                    throw fail(lines.line(of: key, in: .top), "max-age \"\(text)\" is not a duration such as \"26h\", \"2d\" or \"90m\"")
                }
                maxAge = seconds
            case "retention":
                retention = try parseRetention(table[key]?.table, lines: lines, fail: fail)
            case "source", "destination":
                guard let array = table[key]?.array else {
                    throw fail(lines.line(of: key, in: .top), "\(key) must be written [[\(key)]]: a list of tables")
                }
                for (i, element) in array.enumerated() {
                    let section: KeyLines.Section = key == "source" ? .source(i) : .destination(i)
                    guard let t = element.table else { throw fail(lines.header(section), "each \(key) must be a table") }
                    let known = key == "source" ? ["path", "exclude", "allow-empty"]
                        : ["name", "repo", "media", "site", "key-id-file", "key-id-command", "key-file", "key-command", "region", "endpoint", "lock-days", "limit-upload", "limit-download"]
                    for k in t.keys where !known.contains(k) {
                        throw fail(lines.line(of: k, in: section), "unknown key \"\(k)\" in \(section.title) (known: \(known.joined(separator: ", ")))")
                    }
                    if key == "source" {
                        let path = try string(t, "path", in: section, required: true) ?? ""
                        var excludes: [String] = []
                        if let value = t["exclude"] {
                            guard let list = value.array, list.allSatisfy({ $0.string != nil }) else {
                                throw fail(lines.line(of: "exclude", in: section), "exclude must be a list of strings, e.g. [\"*.tmp\"]")
                            }
                            excludes = list.compactMap(\.string)
                        }
                        var allowEmpty = false
                        if let value = t["allow-empty"] {
                            guard let b = value.bool else {
                                throw fail(lines.line(of: "allow-empty", in: section), "allow-empty must be true or false")
                            }
                            allowEmpty = b
                        }
                        sources.append(Source(path: resolve(path), excludes: excludes, allowEmpty: allowEmpty))
                    } else {
                        let name = try string(t, "name", in: section, required: true) ?? ""
                        let repo = try string(t, "repo", in: section, required: true) ?? ""
                        let location: RepositoryLocation
                        do { location = try RepositoryLocation(repo, registry: registry) } catch {
                            throw fail(lines.line(of: "repo", in: section), "destination \"\(name)\": \(error.message)")
                        }
                        let mediaText = try string(t, "media", in: section, required: true) ?? ""
                        guard let media = Media(rawValue: mediaText) else {
                            throw fail(lines.line(of: "media", in: section), "media \"\(mediaText)\" is not one of "
                                + Media.allCases.map(\.rawValue).joined(separator: ", "))
                        }
                        let siteText = try string(t, "site", in: section, required: true) ?? ""
                        guard let site = Site(rawValue: siteText) else {
                            throw fail(lines.line(of: "site", in: section), "site \"\(siteText)\" is not onsite or offsite")
                        }
                        let resolved = location.resolvingPaths(against: folder.isEmpty ? FileManager.default.currentDirectoryPath : folder,
                                                               home: ProcessInfo.processInfo.environment["HOME"] ?? "/")
                        var target = Target(name: name, location: resolved, media: media, site: site, line: lines.header(section))
                        func secret(_ file: String, _ command: String) throws(TriplicateError) -> SecretSource? {
                            let f = try string(t, file, in: section, required: false), c = try string(t, command, in: section, required: false)
                            if f != nil && c != nil { throw fail(lines.line(of: command, in: section), "give \(file) or \(command), not both") }
                            return f.map { .file(resolve($0)) } ?? c.map { .command($0) }
                        }
                        target.keyID = try secret("key-id-file", "key-id-command")
                        target.key = try secret("key-file", "key-command")
                        if (target.keyID == nil) != (target.key == nil) {
                            throw fail(lines.header(section), "destination \"\(name)\" gives a key ID without a key or a key without a key ID: give both (key-id-file and key-file, or the -command forms)")
                        }
                        target.region = try string(t, "region", in: section, required: false)
                        target.endpoint = try string(t, "endpoint", in: section, required: false)
                        if t["lock-days"] != nil {
                            guard let days = t["lock-days"]?.int, days >= 1, days <= 36_500 else {
                                throw fail(lines.line(of: "lock-days", in: section), "lock-days must be a whole number of days, 1 to 36500")
                            }
                            guard case .objectStore = resolved else {
                                throw fail(lines.line(of: "lock-days", in: section), "lock-days needs a b2: or s3: destination: only a bucket keeps objects locked")
                            }
                            target.lockDays = days
                        }
                        for key in ["limit-upload", "limit-download"] where t[key] != nil {
                            guard let kib = t[key]?.int, kib >= 1, kib <= 100_000_000 else {
                                throw fail(lines.line(of: key, in: section), "\(key) must be a whole number of KiB/s, at least 1 (e.g. 2048 for 2 MiB/s)")
                            }
                            guard case .objectStore = resolved else {
                                throw fail(lines.line(of: key, in: section), "\(key) needs a b2: or s3: destination: a folder or drive is not reached over the internet")
                            }
                            if key == "limit-upload" { target.limitUpload = kib } else { target.limitDownload = kib }
                        }
                        destinations.append(target)
                    }
                }
            default:
                throw fail(lines.line(of: key, in: .top), "unknown key \"\(key)\" (known: password-file, password-command, max-age, [retention], [[source]], [[destination]])")
            }
        }
        var plan = Plan(unvalidated: sources, destinations: destinations, passwordFile: passwordFile, maxAge: maxAge, file: file)
        plan.retention = retention
        if passwordFile != nil && passwordCommand != nil {
            throw fail(lines.line(of: "password-command", in: .top), "give password-file or password-command, not both")
        }
        plan.passwordCommand = passwordCommand
        try plan.validate()
        return plan
    }
}

extension Plan {
    /// The `[retention]` table: `keep-last`, `keep-hourly`, `keep-daily`, `keep-weekly`, `keep-monthly`, `keep-yearly`
    /// (whole numbers), `keep-within` (a duration such as `"30d"`) and `keep-tag` (a list of tags).
    fileprivate static func parseRetention(_ t: TOMLTable?, lines: KeyLines,
                                           fail: (Int?, String) -> TriplicateError) throws(TriplicateError) -> RetentionPolicy {
        let section = KeyLines.Section.other("retention")
        guard let t else { throw fail(lines.header(section), "retention must be a table: [retention]") }
        var policy = RetentionPolicy()
        let counts: [String: WritableKeyPath<RetentionPolicy, Int?>] = [
            "keep-last": \.keepLast, "keep-hourly": \.keepHourly, "keep-daily": \.keepDaily, "keep-weekly": \.keepWeekly,
            "keep-monthly": \.keepMonthly, "keep-yearly": \.keepYearly,
        ]
        let known = counts.keys.sorted() + ["keep-tag", "keep-within"]
        for k in t.keys {
            let line = lines.line(of: k, in: section)
            if let path = counts[k] {
                guard let n = t[k]?.int, n >= 0 else { throw fail(line, "\(k) must be a whole number, 0 or more") }
                policy[keyPath: path] = n
            } else if k == "keep-within" {
                guard let text = t[k]?.string, let seconds = duration(text) else {
                    throw fail(line, "keep-within must be a duration such as \"30d\" or \"2w\"")
                }
                policy.keepWithin = seconds
            } else if k == "keep-tag" {
                guard let list = t[k]?.array, list.allSatisfy({ $0.string != nil }) else {
                    throw fail(line, "keep-tag must be a list of strings, e.g. [\"wedding\"]")
                }
                policy.keepTags = list.compactMap(\.string)
            } else {
                throw fail(line, "unknown key \"\(k)\" in [retention] (known: \(known.joined(separator: ", ")))")
            }
        }
        guard !policy.isEmpty else { throw fail(lines.header(section), "[retention] keeps nothing: give at least one keep- rule") }
        return policy
    }
}

extension Plan.Target {
    /// What the destination is made with: the plan's own credentials, region and endpoint when it gives them, else the
    /// environment's. Reading a key from its file or command can fail (``TriplicateError/Kind-swift.enum/missingCredentials``).
    public func context(environment: [String: String]) throws(TriplicateError) -> DestinationContext {
        var context = DestinationContext(environment: environment,
                                         limits: TransferLimits(upload: .kibPerSecond(limitUpload), download: .kibPerSecond(limitDownload)))
        if let keyID, let key {
            context.credentials = ObjectStoreCredentials(keyID: try keyID.read("the key ID of \(name)"), secret: try key.read("the key of \(name)"))
        } else if region != nil || endpoint != nil {
            context.credentials = ObjectStoreCredentials(environment: environment)
        }
        if var credentials = context.credentials {
            let fromEnvironment: (String) -> String? = { name in environment[name].flatMap { $0.isEmpty ? nil : $0 } }
            credentials.region = region ?? credentials.region ?? fromEnvironment("B2_REGION") ?? fromEnvironment("AWS_REGION")
            credentials.endpoint = endpoint ?? credentials.endpoint ?? fromEnvironment("B2_ENDPOINT")
            context.credentials = credentials
        }
        return context
    }
}

/// Where keys and table headers are in a plan file, for messages that name a line. TOMLKit reports lines for
/// syntax errors only, so this scans the text: `[[name]]` headers and `key =` at the start of a line, outside
/// multi-line strings and arrays.
struct KeyLines {
    enum Section: Hashable {
        case top
        case source(Int)
        case destination(Int)
        case other(String)

        var title: String {
            switch self {
            case .top: "the top level"
            case .source(let i): "[[source]] number \(i + 1)"
            case .destination(let i): "[[destination]] number \(i + 1)"
            case .other(let name): "[\(name)]"
            }
        }
    }

    private var headers: [Section: Int] = [:]
    private var keys: [Section: [String: Int]] = [:]

    init(_ text: String) {
        var section = Section.top
        var counts: [String: Int] = [:]
        var depth = 0
        var inString: String?
        // Split on "\n" as bytes: in Swift "\r\n" is one Character, so splitting a CRLF file's characters on "\n"
        // would find no line at all.
        let rawLines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .map { Substring(String(decoding: $0.last == UInt8(ascii: "\r") ? $0.dropLast() : $0[...], as: UTF8.self)) }
        for (index, raw) in rawLines.enumerated() {
            let number = index + 1
            let line = raw.trimmingCharacters(in: .whitespaces)
            if inString == nil, depth == 0 {
                if line.hasPrefix("[[") || line.hasPrefix("[") {
                    let double = line.hasPrefix("[[")
                    let name = line.drop(while: { $0 == "[" }).prefix(while: { $0 != "]" }).trimmingCharacters(in: .whitespaces)
                    if double {
                        let n = counts[name, default: 0]
                        counts[name] = n + 1
                        section = name == "source" ? .source(n) : name == "destination" ? .destination(n) : .other(name)
                    } else {
                        section = .other(name)
                    }
                    headers[section] = number
                    continue
                }
                if let eq = line.firstIndex(of: "=") {
                    let key = line[..<eq].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
                    if !key.isEmpty, keys[section]?[key] == nil { keys[section, default: [:]][key] = number }
                }
            }
            // Track multi-line strings and arrays so that their lines are not taken for keys.
            var chars = Substring(raw)
            while let c = chars.first {
                if let open = inString {
                    if chars.hasPrefix(open) {
                        chars = chars.dropFirst(open.count)
                        inString = nil
                        continue
                    }
                    if c == "\\", open.hasPrefix("\"") { chars = chars.dropFirst(2); continue }
                    chars = chars.dropFirst()
                    continue
                }
                if c == "#" { break }
                if chars.hasPrefix("\"\"\"") || chars.hasPrefix("'''") {
                    inString = String(chars.prefix(3))
                    chars = chars.dropFirst(3)
                } else if c == "\"" || c == "'" {
                    inString = String(c)
                    chars = chars.dropFirst()
                } else {
                    if c == "[" && !(depth == 0 && chars.startIndex == raw.firstIndex(where: { !$0.isWhitespace })) { depth += 1 }
                    if c == "]" && depth > 0 { depth -= 1 }
                    chars = chars.dropFirst()
                }
            }
            if let open = inString, open.count == 1 { inString = nil }  // a one-line string never spans lines
        }
    }

    /// The line of the header that starts `section`.
    func header(_ section: Section) -> Int? { section == .top ? nil : headers[section] }

    /// The line where `key` is set in `section` (else the section's header; for a top-level name, the first
    /// `[name]` or `[[name]]` header, which is where a misspelt table is).
    func line(of key: String, in section: Section) -> Int? {
        if let line = keys[section]?[key] ?? header(section) { return line }
        guard section == .top else { return nil }
        return headers[.other(key)] ?? (key == "source" ? headers[.source(0)] : key == "destination" ? headers[.destination(0)] : nil)
    }
}

extension Plan {
    /// Fails when a source is an empty folder and does not say `allow-empty = true`: an unmounted photo drive is an
    /// empty folder, and backed up it would become the newest snapshot without a photo.
    public func requireNoEmptySource() throws(TriplicateError) {
        let empty = sources.filter { !$0.allowEmpty && Repository.isEmptyFolder($0.path) }.map(\.path)
        guard empty.isEmpty else {
            throw TriplicateError(.refused, "\(empty.joined(separator: ", ")) \(empty.count == 1 ? "is an empty folder" : "are empty folders"): is the photo drive mounted? Nothing was backed up, so that the newest snapshot still holds the photos. Mount it and run the backup again, or, if the folder is meant to be empty, set allow-empty = true in its [[source]] of \(file ?? "the plan")")
        }
    }
}
