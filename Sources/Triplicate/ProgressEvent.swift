// ProgressEvent: the one type every long operation reports its progress with.

/// How far a long operation has come. Backup, restore, check, repair, and a plan's set-up, catch-up (sync) and
/// healing all report with this one type, through a ``ProgressHandler``.
///
/// An event is either a count (``done`` of ``total``, with bytes) or, when ``message`` is set, a step worth telling a
/// person (a copy skipped, a file healed from another copy). Counts only grow within one operation.
public struct ProgressEvent: Sendable, CustomStringConvertible {
    /// Which operation reports.
    public enum Operation: String, Sendable, Hashable, Codable {
        /// A plan's copies being set up (`PlanSession.initialize`).
        case initialize
        /// A backup: counts files processed (read or reused).
        case backup
        /// A restore: counts files written.
        case restore
        /// A check: counts packs read.
        case check
        /// A repair: reports its steps.
        case repair
        /// A prune: reports its steps.
        case prune
        /// A plan's copy catching up (a sync, or before a backup): counts files copied.
        case catchUp
    }

    /// Which operation reports.
    public var operation: Operation
    /// The plan's copy this is about, when it is about one.
    public var destination: String?
    /// Items done so far: files for a backup, a restore or a catch-up; packs for a check.
    public var done: Int
    /// Items in all, when known beforehand.
    public var total: Int?
    /// Bytes of content done so far: processed by a backup, written by a restore, copied by a catch-up.
    public var bytes: Int64
    /// Bytes of content in all, when known beforehand (a restore: the content of the files it restores).
    public var totalBytes: Int64?
    /// For a backup: bytes actually read from files so far (unchanged files are not read).
    public var bytesRead: Int64
    /// For a backup: bytes written to the repository so far.
    public var bytesStored: Int64
    /// For a backup to a plan's copies: bytes written so far to each copy still in the backup, by name.
    public var storedPerDestination: [String: Int64]
    /// The file being processed, when there is one.
    public var currentPath: String?
    /// A step worth telling a person now, as a sentence; nil for a plain count.
    public var message: String?

    /// Creates a count.
    public init(_ operation: Operation, destination: String? = nil, done: Int, total: Int? = nil, bytes: Int64 = 0,
                totalBytes: Int64? = nil, bytesRead: Int64 = 0, bytesStored: Int64 = 0, storedPerDestination: [String: Int64] = [:],
                currentPath: String? = nil) {
        self.operation = operation
        self.destination = destination
        self.done = done
        self.total = total
        self.bytes = bytes
        self.totalBytes = totalBytes
        self.bytesRead = bytesRead
        self.bytesStored = bytesStored
        self.storedPerDestination = storedPerDestination
        self.currentPath = currentPath
    }

    /// Creates a step for a person to read.
    public init(_ operation: Operation, destination: String? = nil, message: String) {
        self.init(operation, destination: destination, done: 0)
        self.message = message
    }

    /// The message (after the copy's name), or the count.
    public var description: String {
        let prefix = destination.map { $0 + ": " } ?? ""
        if let message { return prefix + message }
        return prefix + "\(operation.rawValue) \(done)" + (total.map { " of \($0)" } ?? "") + " (\(bytes) bytes)"
    }
}

/// Receives ``ProgressEvent``s; it may be called from any thread, and should return quickly.
public typealias ProgressHandler = @Sendable (ProgressEvent) -> Void
