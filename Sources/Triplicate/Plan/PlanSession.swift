// PlanSession: the 3-2-1 plan at work: create the repository everywhere, back up once to every destination,
// catch up lagging copies, say whether the rule holds, restore from the fastest copy, check every copy.
@_spi(Benchmarks) internal import TriplicateCore
internal import Foundation

/// What happened at one destination of a plan during a command.
public struct DestinationReport: Sendable, Codable, Equatable {
    /// What became of the destination.
    public enum Outcome: String, Sendable, Codable {
        /// It holds everything the command wrote (and what it lacked before).
        case done
        /// It could not be reached (a drive in a drawer, no network); nothing was written to it.
        case unreachable
        /// It failed part way (unplugged, full, server gone) and was left out of the rest of the command.
        case failed
    }

    /// The destination's name in the plan.
    public var name: String
    /// What became of it.
    public var outcome: Outcome
    /// Why it is unreachable or failed.
    public var problem: String?
    /// The kind of reason it is unreachable.
    public var reason: UnreachableReason?
    /// Objects copied to it to catch up with the others, and their bytes.
    public var objectsCopied: Int = 0
    public var bytesCopied: Int64 = 0
    /// Bytes the backup wrote to it.
    public var bytesWritten: Int64 = 0
    /// Its files that were damaged (or disagreed with the other copies) and were replaced by the intact file of the
    /// same name from another copy.
    public var healed: [HealedFile] = []
    /// Files it lacks that no copy holds intact: left out (the catch-up goes on without them) and, for packs, recorded
    /// as damaged (FORMAT.md §9.1).
    public var lost: [String] = []
    /// Snapshot and key files it still held that another copy's forget or key removal had removed while it was out of
    /// reach, removed now to match (FORMAT.md §9.3).
    public var removed: [String] = []
}

/// The result of ``PlanSession/backup(options:progress:)``.
public struct PlanBackupResult: Sendable {
    /// The backup itself (its snapshot is on every destination whose outcome is `done`).
    public var backup: BackupResult
    /// One report per destination, in the plan's order.
    public var destinations: [DestinationReport]
    /// True when every destination holds the new snapshot.
    public var reachedEveryDestination: Bool { destinations.allSatisfy { $0.outcome == .done } }
}

/// Why a destination of a plan cannot be used now; `status` tells a drive in a drawer from a key missing in a cron
/// job's environment.
public final class PlanSession: Sendable {
    /// The plan.
    public let plan: Plan
    let password: String
    /// Every password to try when opening a copy, `password` first.
    let passwords: [String]
    let environment: [String: String]
    /// Turns the plan's locations into destinations.
    let registry: DestinationRegistry
    /// The folder where the session records what it learned about each destination (when its data was last
    /// checked, which snapshots it held when last seen), one JSON file per repository; nil records nothing.
    public let stateDirectory: String?

    /// A session for `plan` with `password`; locations are resolved with `environment` (credentials; nil: this
    /// process's environment), and what is learned is recorded in `stateDirectory` (nil: the default,
    /// ``defaultStateDirectory(environment:)``).
    /// Locations of schemes a library user added are made with `registry`.
    public convenience init(plan: Plan, password: String, environment: [String: String]? = nil, stateDirectory: String? = nil,
                            registry: DestinationRegistry = .standard) {
        self.init(plan: plan, passwords: [password], environment: environment, stateDirectory: stateDirectory, registry: registry)
    }

    /// A session that opens the copies with the first of `passwords` that works (the CLI adds how an earlier version
    /// read the same password file); new copies and keys use the first.
    package init(plan: Plan, passwords: [String], environment: [String: String]? = nil, stateDirectory: String? = nil,
                 registry: DestinationRegistry = .standard) {
        let environment = environment ?? ProcessInfo.processInfo.environment
        self.registry = registry
        self.plan = plan
        self.password = passwords.first ?? ""
        self.passwords = passwords
        self.environment = environment
        self.stateDirectory = stateDirectory ?? PlanSession.defaultStateDirectory(environment: environment)
    }

    /// `$XDG_STATE_HOME/triplicate`, else `$HOME/.local/state/triplicate`.
    public static func defaultStateDirectory(environment: [String: String]) -> String? {
        if let x = environment["XDG_STATE_HOME"], x.hasPrefix("/") { return x + "/triplicate" }
        if let home = environment["HOME"], home.hasPrefix("/") { return home + "/.local/state/triplicate" }
        return nil
    }
}
