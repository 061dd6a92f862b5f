// FuzzCorpusTests: every decoder of repository bytes gets the kept corpus (Fuzz/corpus: valid seeds and every input a
// fuzzer ever found interesting) and thousands of deterministic mutations of it; none may trap. `make fuzz` runs the
// same targets under libFuzzer for longer.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Testing
import TriplicateFuzzing

@Suite("Fuzz corpus")
struct FuzzCorpusTests {
    static let corpus: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path + "/Fuzz/corpus"
    }()

    static func inputs(_ target: FuzzTarget) throws -> [[UInt8]] {
        let dir = corpus + "/" + target.rawValue
        return try FileManager.default.contentsOfDirectory(atPath: dir).sorted().map { Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/" + $0))) }
    }

    @Test("the corpus of every target replays, and 3,000 mutations of it decode or fail cleanly", arguments: FuzzTarget.allCases)
    func replayAndMutate(_ target: FuzzTarget) throws {
        let kept = try Self.inputs(target)
        #expect(!kept.isEmpty, "Fuzz/corpus/\(target.rawValue) holds no input")
        for input in kept { target.run(input) }
        var mutator = Mutator(seed: 0x6675_7A7A ^ UInt64(target.rawValue.utf8.count))
        for i in 0..<3_000 { target.run(mutator.mutate(kept[i % kept.count], others: kept)) }
    }

    @Test("the corpus holds the seeds (those without random salts), so a change of format shows here first", arguments: FuzzTarget.allCases)
    func seedsAreKept(_ target: FuzzTarget) throws {
        let kept = Set(try Self.inputs(target))
        for seed in try target.seeds() where target != .keyFile && target != .sealedFile {
            #expect(kept.contains(seed), "seed of \(target.rawValue) is not in Fuzz/corpus; run `triplicate-fuzz seeds Fuzz/corpus`")
        }
    }
}
