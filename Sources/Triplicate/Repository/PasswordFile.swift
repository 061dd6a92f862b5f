// PasswordFile: the one rule for reading a password from a file (`--password-file`, a plan's `password-file`).
@_spi(Benchmarks) internal import TriplicateCore
internal import Foundation
internal import TriplicateDestinations
internal import TriplicateSystem

/// Reads passwords from files the way FORMAT.md §4.3 promises: the first line, without its line feed and without a
/// carriage return that ends it, so a file saved on Windows (`My Secret\r\n`) gives the same password as one saved on
/// Linux or typed at the prompt.
public enum PasswordFile {
    /// The password in the file at `path`. A leading UTF-8 byte order mark (which some Windows editors write) is not
    /// part of it. Errors (``TriplicateError/Kind-swift.enum/invalidArgument``) name the file: missing, a folder,
    /// unreadable, not UTF-8, or an empty first line.
    public static func read(_ path: String) throws(TriplicateError) -> String {
        if FileSystem.isDirectory(path) {
            throw TriplicateError(.invalidArgument, "the password file \(path) is a folder; give the file whose first line is the password")
        }
        let bytes: [UInt8]
        do { bytes = try FileSystem.readFile(path) } catch {
            throw TriplicateError(.invalidArgument, "cannot read the password file \(path): \(error.reason)")
        }
        return try password(from: bytes, file: path)
    }

    /// What earlier versions of the command-line program took as the password of a file whose first line ends in a carriage return: that line
    /// with its line ending and everything after it (they split the text on "\n" as a Swift Character, which "\r\n"
    /// is not). nil when it is the same as ``read(_:)`` gives. A repository made with such a file opens with this.
    package static func legacyReading(_ path: String) -> String? {
        guard let bytes = try? FileSystem.readFile(path), let current = try? password(from: bytes, file: path) else { return nil }
        var text = String(decoding: bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes, as: UTF8.self)
        text = text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        if text.hasSuffix("\r") { text.removeLast() }
        return text != current && !text.isEmpty ? text : nil
    }

    /// The password in the bytes of a password file (see ``read(_:)``); `file` names it in errors.
    public static func password(from bytes: [UInt8], file: String) throws(TriplicateError) -> String {
        // Lines are split on the byte 0x0A: in Swift "\r\n" is one Character, so splitting characters on "\n" would
        // leave a Windows file's password with its carriage return.
        var line = bytes.prefix { $0 != 0x0A }
        if line.last == 0x0D { line = line.dropLast() }
        if line.starts(with: [0xEF, 0xBB, 0xBF]) { line = line.dropFirst(3) }
        guard let text = String(validating: line, as: UTF8.self) else {
            throw TriplicateError(.invalidArgument, "the password file \(file) is not UTF-8 text")
        }
        guard !text.isEmpty else { throw TriplicateError(.invalidArgument, "the password file \(file) is empty (its first line is the password)") }
        return text
    }
}
