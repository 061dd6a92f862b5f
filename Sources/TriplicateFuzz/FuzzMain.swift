// triplicate-fuzz: runs the fuzz targets of TriplicateFuzzing. Built plainly, it runs a deterministic mutation loop over
// a corpus (`triplicate-fuzz run`) and writes the starting corpus (`triplicate-fuzz seeds`); built by `make fuzz` with
// libFuzzer (-sanitize=fuzzer -DTRIPLICATE_LIBFUZZER), it is a libFuzzer binary for the target named in
// TRIPLICATE_FUZZ_TARGET.
import Foundation
import TriplicateFuzzing

#if TRIPLICATE_LIBFUZZER
nonisolated(unsafe) private var selected: FuzzTarget?

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    selected?.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
private func runDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                       _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// SwiftPM links an executable's `main` to `<module>_main`; here it starts libFuzzer's driver.
@_cdecl("TriplicateFuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    guard let name = ProcessInfo.processInfo.environment["TRIPLICATE_FUZZ_TARGET"], let target = FuzzTarget(rawValue: name) else {
        FileHandle.standardError.write(Data("set TRIPLICATE_FUZZ_TARGET to one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
        return 64
    }
    selected = target
    var c = argc
    var v = argv
    return runDriver(&c, &v, fuzzOne)
}
#else
@main
struct FuzzCommand {
    static func main() throws {
        let args = Array(CommandLine.arguments.dropFirst())
        switch args.first {
        case "seeds":
            guard args.count == 2 else { return usage() }
            for target in FuzzTarget.allCases {
                let dir = args[1] + "/" + target.rawValue
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                for (i, seed) in try target.seeds().enumerated() {
                    try Data(seed).write(to: URL(fileURLWithPath: dir + "/seed-\(i)"))
                }
            }
        case "run":
            var seconds = 10.0
            var corpus = "Fuzz/corpus"
            var targets: [FuzzTarget] = []
            var i = 1
            while i < args.count {
                switch args[i] {
                case "--seconds" where i + 1 < args.count: seconds = Double(args[i + 1]) ?? seconds; i += 1
                case "--corpus" where i + 1 < args.count: corpus = args[i + 1]; i += 1
                default:
                    guard let t = FuzzTarget(rawValue: args[i]) else { return usage() }
                    targets.append(t)
                }
                i += 1
            }
            for target in targets.isEmpty ? FuzzTarget.allCases : targets {
                var inputs = try target.seeds()
                let dir = corpus + "/" + target.rawValue
                for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
                    if let data = FileManager.default.contents(atPath: dir + "/" + name) { inputs.append(Array(data)) }
                }
                var mutator = Mutator(seed: 0x7472_6970)
                let end = Date().addingTimeInterval(seconds)
                var runs = 0
                while Date() < end {
                    for input in inputs { target.run(mutator.mutate(input, others: inputs)) }
                    runs += inputs.count
                }
                print("\(target.rawValue): \(runs) inputs in \(Int(seconds)) s, no crash")
            }
        default:
            usage()
        }
    }

    static func usage() {
        print("usage: triplicate-fuzz seeds DIR | triplicate-fuzz run [TARGET...] [--seconds N] [--corpus DIR]")
        print("targets: " + FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))
    }
}
#endif
