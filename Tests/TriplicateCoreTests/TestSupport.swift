// TestSupport: hex literals as bytes, expectations on CoreError cases, and byte-flipping helpers for the core tests.

@_spi(Benchmarks) import TriplicateCore
import Testing

@testable import TriplicateCore

/// The bytes spelled by `text`: pairs of hex digits, with any whitespace between them ignored (so long vectors
/// can be written over several lines as they appear in the RFCs). Traps on anything else: the literals are ours.
func unhex(_ text: String) -> [UInt8] {
    let digits = text.unicodeScalars.filter { !$0.properties.isWhitespace }.map { Character($0) }
    precondition(digits.count % 2 == 0, "odd number of hex digits in a test literal")
    return stride(from: 0, to: digits.count, by: 2).map { i in
        guard let byte = UInt8(String(digits[i...i + 1]), radix: 16) else {
            preconditionFailure("not hex: \(digits[i])\(digits[i + 1])")
        }
        return byte
    }
}

/// The bytes of an ASCII or UTF-8 string.
func utf8(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Which case of ``CoreError`` a failure is, without its message.
enum CoreErrorKind: Sendable, Equatable {
    case authenticationFailed, malformed, library, invalidArgument
}

extension CoreError {
    /// The case, for comparing in expectations.
    var kind: CoreErrorKind {
        switch self {
        case .authenticationFailed: .authenticationFailed
        case .malformed: .malformed
        case .library: .library
        case .invalidArgument: .invalidArgument
        }
    }
}

/// Expects `body` to throw a ``CoreError`` of `kind` (and no other error, and not to return).
func expectCoreError<R>(
    _ kind: CoreErrorKind, _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> R
) {
    let error = #expect(throws: CoreError.self, comment, sourceLocation: sourceLocation) { _ = try body() }
    if let error {
        #expect(error.kind == kind, "expected \(kind), got \(error)", sourceLocation: sourceLocation)
    }
}

/// `bytes` with bit `bit` of byte `index` inverted.
func flipping(_ bytes: [UInt8], at index: Int, bit: Int = 0) -> [UInt8] {
    var out = bytes
    out[index] ^= UInt8(1) << UInt8(bit)
    return out
}

/// Compressible bytes, `count` of them: numbered lines of text, repeating every thousand lines (about 70 KB).
func patternedBytes(count: Int) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(count)
    while out.count < count {
        let n = min(patternPeriod.count, count - out.count)
        out.append(contentsOf: patternPeriod[..<n])
    }
    return out
}

/// One period of ``patternedBytes(count:)``, built once.
private let patternPeriod: [UInt8] = (0..<1000).flatMap { line in
    Array("line \(line): Triplicate keeps three copies, two media, one offsite\n".utf8)
}
