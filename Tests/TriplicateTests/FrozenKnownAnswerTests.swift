// FrozenKnownAnswerTests: the values FORMAT.md §17 gives for the frozen version-1 repository, so that an independent
// implementation can tell where it went wrong: the derived keys, an empty listing's ID, a pack's key, cut points.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Testing
@testable import Triplicate

@Suite struct FrozenKnownAnswerTests {
    let fixture = packageRoot + "/Fixtures/frozen-v1"

    @Test func theFrozenRepositoryGivesTheDocumentedKnownAnswers() async throws {
        let password = try String(contentsOfFile: fixture + "/password", encoding: .utf8).trimmingCharacters(in: .newlines)
        let repo = try await Repository.open(LocalDirectory(path: fixture + "/repo"), password: password)
        let keys = repo.keys
        let chunkIDKey = try KeyDerivation.hkdfSHA256(ikm: keys.master, salt: keys.repositoryID.bytes, info: "triplicate/v1/chunk-id", length: 32)
        let header = try await repo.destination.get("data/56/5616c95630f3acf91ab4ad00ed46b9ac83cd4582a8569ec0efa067667e316d36", range: 0..<44)
        let packKey = try keys.fileKey(kind: .pack, salt: Array(header[12..<44]))
        let emptyListing = keys.idHasher.id([1, 0, 0, 0, 0])
        // The catalog of the second snapshot, cut with the database profile and the repository's seed.
        let second = try #require(try await repo.snapshots().last)
        let catalog = try #require(try await repo.list(second).first { $0.path == "/Photos/Lightroom/Catalog.lrcat" })
        guard case .file(let chunks, let profile, _, _) = catalog.node.content else { throw POSIXError(.EINVAL) }
        let index = try await repo.loadIndex()
        var cuts: [Int] = []
        var offset = 0
        for c in chunks {
            offset += Int(try #require(index.location(c)).entry.rawLength)
            cuts.append(offset)
        }
        // Cutting the restored catalog with FastCDC gives the same ends.
        let t = TempDir("frozen-kat")
        _ = try await repo.restore(second, path: "Photos/Lightroom/Catalog.lrcat", to: t.path)
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: t.sub("Catalog.lrcat"))))
        let chunker = try FastCDC(ChunkingProfile.database.parameters(seed: keys.chunkerSeed))
        var recut: [Int] = []
        var start = 0
        bytes.withUnsafeBytes { b in
            while start < b.count {
                start += chunker.cut(UnsafeRawBufferPointer(rebasing: b[start...]))
                recut.append(start)
            }
        }
        #expect(recut == cuts)
        let values = [
            "master secret": keys.master.map { String(format: "%02x", $0) }.joined(),
            "repository ID": keys.repositoryID.hex,
            "chunk-ID key": chunkIDKey.map { String(format: "%02x", $0) }.joined(),
            "chunker seed": String(format: "%016llx", keys.chunkerSeed),
            "pack key of 5616c956": packKey.map { String(format: "%02x", $0) }.joined(),
            "empty listing ID": emptyListing.hex,
            "catalog profile": String(profile),
            "catalog chunk ends": cuts.map(String.init).joined(separator: " "),
        ]
        #expect(values == Self.documented, "\(values.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "\n"))")
    }

    /// FORMAT.md §17.1 gives the same values.
    static let documented: [String: String] = [
        "master secret": "c3dd5bff9aad323dabde13fe0a3f167774c215fab15eaaad8deccd2121fd5dac",
        "repository ID": "aadb5fd9a523ea168e1a0fdc83ff7d431779fec264738c2b65626db7b34c6e47",
        "chunk-ID key": "117ff6cbb3b41133374de776cccd3accc44750890e09ee8531790d965f87a7b4",
        "chunker seed": "7e5cdbd1cd1973e4",
        "pack key of 5616c956": "7306c92f0048feca616b32e8c54b0da65cd9f6408853a8caba9fe124e76fbc48",
        "empty listing ID": "68ee1f70de179ecfaac690f9b886dc79f7dda9d7f6c17127d563197b43ad24fe",
        "catalog profile": "1",
        "catalog chunk ends": "26097 42943 60176 75606 87283 119281 148183 191120 213667 245667 283108 332258 346940",
    ]
}
