// triplicate-photoset: generate a deterministic photographer's working set, or apply an editing session to one.

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import PhotoFixtures

let usage = """
    usage: triplicate-photoset generate DIR [--size SIZE] [--seed N] [--raw-size MIN-MAX] [--json]
           triplicate-photoset edit DIR --session K [--seed N] [--json]

    generate  writes a photo set (RAW files, XMP sidecars, Lightroom catalog and previews) into DIR,
              which must be new or empty. SIZE defaults to 48MB; RAW sizes scale with it unless
              --raw-size is given (e.g. 20MB-60MB). Sizes take B, KB, MB, GB, TB (powers of 1024).
    edit      applies editing session K (1, 2, 3, ... in turn) to the set in DIR.
    --seed    seed of every random choice (default 1): same seed and size, same bytes.
    --json    print the summary as one JSON object instead of a sentence.
    """

/// Prints `message` to standard error and exits with status 1.
func fail(_ message: String) -> Never {
    let line = Array("triplicate-photoset: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(1)
}

/// `5MB`, `1.5GiB`, `400k`, `123` as bytes (units are powers of 1024).
func parseSize(_ text: String) -> Int64? {
    let digits = text.prefix { $0.isNumber || $0 == "." }
    guard let number = Double(digits), number >= 0 else { return nil }
    let unit = text.dropFirst(digits.count).lowercased()
    let kilo = 1024.0
    let multipliers: [String: Double] = [
        "": 1, "b": 1, "k": kilo, "kb": kilo, "kib": kilo, "m": kilo * kilo, "mb": kilo * kilo, "mib": kilo * kilo,
        "g": kilo * kilo * kilo, "gb": kilo * kilo * kilo, "gib": kilo * kilo * kilo,
        "t": kilo * kilo * kilo * kilo, "tb": kilo * kilo * kilo * kilo, "tib": kilo * kilo * kilo * kilo,
    ]
    guard let multiplier = multipliers[unit] else { return nil }
    let value = number * multiplier
    return value < 9e18 ? Int64(value) : nil
}

/// A JSON string literal.
func json(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\t": result += "\\t"
        default:
            if scalar.value < 0x20 {
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
    }
    return result + "\""
}

func json(_ strings: [String]) -> String { "[" + strings.map(json).joined(separator: ",") + "]" }

/// Seconds elapsed since `start`, as a double.
func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
}

/// `12.3`: one decimal, for human output.
func oneDecimal(_ value: Double) -> String {
    let tenths = Int((value * 10).rounded())
    return "\(tenths / 10).\(tenths % 10)"
}

// MARK: Arguments

var arguments = Array(CommandLine.arguments.dropFirst())
if arguments.isEmpty || arguments.contains("--help") || arguments.contains("-h") {
    print(usage)
    exit(arguments.isEmpty ? 1 : 0)
}
let command = arguments.removeFirst()
guard let directory = arguments.first, !directory.hasPrefix("--") else { fail("missing DIR\n\n" + usage) }
arguments.removeFirst()

var options: [String: String] = [:]
var wantsJSON = false
while !arguments.isEmpty {
    let option = arguments.removeFirst()
    if option == "--json" {
        wantsJSON = true
        continue
    }
    guard ["--size", "--seed", "--raw-size", "--session"].contains(option) else { fail("unknown option \(option)\n\n" + usage) }
    guard !arguments.isEmpty else { fail("\(option) needs a value") }
    options[option] = arguments.removeFirst()
}

var seed: UInt64 = 1
if let text = options["--seed"] {
    guard let value = UInt64(text) else { fail("--seed takes a non-negative integer, not \"\(text)\"") }
    seed = value
}

switch command {
case "generate":
    if options["--session"] != nil { fail("--session belongs to the edit command") }
    var total: Int64 = 48 << 20
    if let text = options["--size"] {
        guard let value = parseSize(text) else { fail("cannot read size \"\(text)\" (try 5MB or 2GB)") }
        total = value
    }
    var spec = PhotoSetSpec(seed: seed, totalBytes: total)
    if let text = options["--raw-size"] {
        let parts = text.split(separator: "-").map(String.init)
        guard parts.count == 2, let low = parseSize(parts[0]), let high = parseSize(parts[1]), low <= high,
              high < Int64(Int.max) else {
            fail("--raw-size takes MIN-MAX, e.g. 20MB-60MB, not \"\(text)\"")
        }
        spec.rawSizeRange = Int(low)...Int(high)
    }
    let start = ContinuousClock.now
    do {
        let summary = try PhotoSet.generate(at: directory, spec: spec)
        let elapsed = seconds(since: start)
        if wantsJSON {
            print("{\"command\":\"generate\",\"directory\":\(json(directory)),\"seed\":\(seed),"
                + "\"requestedBytes\":\(total),\"files\":\(summary.files),\"bytes\":\(summary.bytes),"
                + "\"folders\":\(summary.folders),\"rawFiles\":\(summary.rawFiles),\"rawBytes\":\(summary.rawBytes),"
                + "\"compressedRawFiles\":\(summary.compressedRawFiles),\"compressedRawBytes\":\(summary.compressedRawBytes),"
                + "\"sidecars\":\(summary.sidecars),\"sidecarBytes\":\(summary.sidecarBytes),"
                + "\"previews\":\(summary.previews),\"previewBytes\":\(summary.previewBytes),"
                + "\"catalogBytes\":\(summary.catalogBytes),\"seconds\":\(elapsed)}")
        } else {
            let rate = Double(summary.bytes) / max(elapsed, 1e-6) / 1_048_576
            print("Generated \(summary) in \(oneDecimal(elapsed)) s (\(Int(rate)) MiB/s) at \(directory)")
        }
    } catch {
        fail(error.description)
    }

case "edit":
    if options["--size"] != nil || options["--raw-size"] != nil { fail("--size and --raw-size belong to the generate command") }
    guard let text = options["--session"] else { fail("edit needs --session K (1 for the first session)") }
    guard let session = Int(text), session > 0 else { fail("--session takes a positive integer, not \"\(text)\"") }
    do {
        let summary = try PhotoSet.edit(at: directory, session: session, seed: seed)
        if wantsJSON {
            let renames = summary.renamedFolders.map { "{\"from\":\(json($0.from)),\"to\":\(json($0.to))}" }
            let writes = summary.metadataWrites.map {
                "{\"path\":\(json($0.path)),\"offset\":\($0.offset),\"insertedBytes\":\($0.insertedBytes),"
                    + "\"unchangedPrefix\":\($0.unchangedPrefix)}"
            }
            print("{\"command\":\"edit\",\"directory\":\(json(directory)),\"session\":\(summary.session),\"seed\":\(seed),"
                + "\"added\":\(json(summary.addedFiles)),\"addedBytes\":\(summary.addedBytes),"
                + "\"modified\":\(json(summary.modifiedFiles)),\"modifiedBytes\":\(summary.modifiedBytes),"
                + "\"deleted\":\(json(summary.deletedFiles)),\"deletedBytes\":\(summary.deletedBytes),"
                + "\"renamed\":[\(renames.joined(separator: ","))],\"importedPhotos\":\(summary.importedPhotos),"
                + "\"developEdits\":\(summary.developEdits),\"sidecarEdits\":\(summary.sidecarEdits),"
                + "\"metadataWrites\":[\(writes.joined(separator: ","))],"
                + "\"catalogBytesBefore\":\(summary.catalogBytesBefore),\"catalogBytesAfter\":\(summary.catalogBytesAfter)}")
        } else {
            print("Edited \(directory): \(summary)")
        }
    } catch {
        fail(error.description)
    }

default:
    fail("unknown command \"\(command)\"\n\n" + usage)
}
