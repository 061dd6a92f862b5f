// Remedy: what a person can do about an error, named as an operation of the library, never as a command line.

/// What a person can do about an error or a finding. The library names the operation; a front end says it in its own
/// words (the CLI as a command line, an app as a button).
public enum Remedy: Sendable, Hashable, Codable {
    /// Create the repository (or its bucket) first.
    case initialize
    /// Check the repository; with `readData`, every pack is read, which finds damaged data and names what depends on it
    /// (and, over a plan's copies, heals a damaged file from an intact copy).
    case check(readData: Bool)
    /// Repair the repository: index the packs no index names, take damaged packs out of use, list what is lost.
    case repair
    /// Back up the sources (again).
    case backup
    /// Bring a plan's lagging copies up to date.
    case sync
    /// Run the same operation again: it resumes from what was stored.
    case runAgain
    /// Another operation is using the repository: run this one again once it has finished.
    case retryLater
    /// Supply the object store's key (and its region or endpoint).
    case credentials
    /// A defect in Triplicate, not in the input: report it with the message.
    case report
}
