// TriplicateError: the engine's one error type, each case saying what happened, where, and what to do.
@_spi(Benchmarks) internal import TriplicateCore

/// An error from a repository operation. ``kind`` says what class of failure it is (the CLI maps kinds to exit
/// codes); ``message`` is for a person and names the file or object concerned; ``remedy``, when there is one, says
/// what to do in terms of the library's operations (never a command-line flag or an environment variable).
public struct TriplicateError: Error, Sendable, CustomStringConvertible {
    /// Classes of failure.
    public enum Kind: Sendable, Hashable {
        /// Nothing is at the given location (no folder, or an empty one).
        case noRepository
        /// Something is there, but it is not a Triplicate repository.
        case notARepository
        /// The repository was written by a newer format version than this build reads.
        case unsupportedVersion
        /// No key file opens with the password given.
        case wrongPassword
        /// `init` found an existing repository or a non-empty folder.
        case alreadyExists
        /// A repository file is damaged (authentication failed, malformed, missing).
        case corrupt
        /// The destination failed (unavailable, full, denied, I/O error).
        case destination(DestinationError.Kind)
        /// A source file or folder could not be read.
        case sourceUnreadable
        /// A snapshot, path or argument was not found or is not valid.
        case invalidArgument
        /// Restore refused to write something because it would leave the target or is hostile.
        case refused
        /// A target file could not be written during restore.
        case targetWrite
        /// The operation was cancelled.
        case cancelled
        /// Another operation holds a lock on the repository that this one conflicts with (a prune while backups run,
        /// a backup while a prune runs), or this operation lost its own lock because it could not renew it in time.
        case locked
        /// An object store's location was given without the key (or the region) to reach it.
        case missingCredentials
        /// A failure inside Triplicate itself (a value it made cannot be encoded): a defect, not the user's input.
        case internalFailure
    }

    /// What class of failure.
    public var kind: Kind
    /// What happened, and to which file or object.
    public var message: String
    /// What to do about it, when something can be done.
    public var remedy: Remedy?

    /// Creates an error.
    public init(_ kind: Kind, _ message: String, remedy: Remedy? = nil) {
        self.kind = kind
        self.message = message
        self.remedy = remedy ?? (kind == .internalFailure ? .report : kind == .missingCredentials ? .credentials : nil)
    }

    /// The message.
    public var description: String { message }

    /// Wraps a destination error, keeping its kind (a cancelled operation is the command being interrupted).
    init(_ e: DestinationError, doing: String) {
        self.init(e.kind == .cancelled ? .cancelled : .destination(e.kind), "\(doing): \(e)", remedy: e.remedy)
    }

    /// Wraps a core error raised while reading a repository file.
    static func corrupt(_ e: CoreError, file: String) -> TriplicateError {
        TriplicateError(.corrupt, "\(file) is damaged: \(e)", remedy: .check(readData: true))
    }
}
