// The one error type of the photo-set generator: what failed, on which path, and why.

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A failure while generating or editing a photo set.
///
/// Every error names the operation that failed and, where there is one, the path it failed on,
/// plus the system's explanation (`errno` text) or SQLite's message. None of them are temporary:
/// retrying the same call on the same folder fails the same way.
public struct PhotoFixtureError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The broad class of a failure, for callers that want to react to it.
    public enum Kind: Sendable, Hashable {
        /// The spec cannot be generated (for example a total too small for its RAW size range).
        case invalidSpec
        /// `generate` was pointed at a folder that already holds files.
        case rootNotEmpty
        /// A file-system call failed; `errno` holds the system error number.
        case fileSystem
        /// SQLite refused an operation on the catalog.
        case catalog
        /// The folder does not look like a photo set made by this generator.
        case notAPhotoSet
        /// An editing session was asked for that has already been applied (or is not positive).
        case sessionAlreadyApplied
    }

    /// The broad class of the failure.
    public var kind: Kind
    /// What was being done, for example `"create directory"` or `"write RAW file"`.
    public var operation: String
    /// The file or folder concerned, if any.
    public var path: String?
    /// The system error number for file-system failures.
    public var errno: Int32?
    /// A human explanation: the `strerror` text, SQLite's message, or what to do instead.
    public var detail: String

    /// Creates an error; prefer the static helpers, which fill in the detail consistently.
    public init(kind: Kind, operation: String, path: String? = nil, errno: Int32? = nil, detail: String) {
        self.kind = kind
        self.operation = operation
        self.path = path
        self.errno = errno
        self.detail = detail
    }

    /// A one-line message such as `Cannot create directory "/x/Photos": Permission denied (errno 13).`
    public var description: String {
        var text = "Cannot \(operation)"
        if let path { text += " \"\(path)\"" }
        text += ": \(detail)"
        if let errno { text += " (errno \(errno))" }
        return text + "."
    }

    /// A failed system call; reads the current `errno`.
    static func system(_ operation: String, path: String) -> PhotoFixtureError {
        system(operation, path: path, code: currentErrno())
    }

    /// A failed system call with an explicit error number.
    static func system(_ operation: String, path: String, code: Int32) -> PhotoFixtureError {
        let text: String
        if let message = strerror(code) {
            text = String(cString: message)
        } else {
            text = "unknown error"
        }
        return PhotoFixtureError(kind: .fileSystem, operation: operation, path: path, errno: code, detail: text)
    }

    /// A SQLite failure on the catalog at `path`.
    static func catalog(_ operation: String, path: String, message: String) -> PhotoFixtureError {
        PhotoFixtureError(kind: .catalog, operation: operation, path: path, detail: message)
    }
}

/// The calling thread's `errno`.
@inline(__always)
func currentErrno() -> Int32 {
    #if canImport(Glibc)
        return Glibc.errno
    #else
        return Darwin.errno
    #endif
}
