// FrozenRepositoryTests: every build still reads the repository written by the first release of format version 1.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Testing
@testable import Triplicate
#if canImport(Glibc)
import Glibc
#endif

/// The lines `Fixtures/frozen-v1/manifest.py` prints for a folder: kind, mode, mtime, size:sha256 or link target, path.
func manifestLines(_ root: String) throws -> Set<String> {
    var out = Set<String>()
    for rel in try FileManager.default.subpathsOfDirectory(atPath: root) {
        let full = root + "/" + rel
        var st = stat()
        guard lstat(full, &st) == 0 else { continue }
        let mode = String(st.st_mode & 0o7777, radix: 8)
        let mtime = st.st_mtim.tv_sec
        switch st.st_mode & S_IFMT {
        case S_IFLNK: out.insert("link \(mode) \(mtime) \(try FileManager.default.destinationOfSymbolicLink(atPath: full)) \(rel)")
        case S_IFDIR: out.insert("dir \(mode) \(mtime) - \(rel)")
        default:
            let data = Array(try Data(contentsOf: URL(fileURLWithPath: full)))
            out.insert("file \(mode) \(mtime) \(data.count):\(SHA256.hash(data).hex) \(rel)")
        }
    }
    return out
}

@Suite struct FrozenRepositoryTests {
    let fixture = packageRoot + "/Fixtures/frozen-v1"

    @Test func theFrozenVersion1RepositoryStillRestoresByteForByte() async throws {
        let password = try String(contentsOfFile: fixture + "/password", encoding: .utf8).trimmingCharacters(in: .newlines)
        let repo = try await Repository.open(LocalDirectory(path: fixture + "/repo"), password: password)
        #expect(repo.config.version == 1)
        let snapshots = try await repo.snapshots()
        #expect(snapshots.map(\.record.tags) == [["first"], ["second"]])
        #expect(snapshots[1].record.parent == snapshots[0].id.hex)

        let t = TempDir("frozen")
        for (i, snapshot) in snapshots.enumerated() {
            let out = t.sub("restore-\(i + 1)")
            _ = try await repo.restore(snapshot, to: out)
            let expected = Set(try String(contentsOfFile: fixture + "/expected-\(i + 1).txt", encoding: .utf8)
                .split(separator: "\n").map(String.init))
            #expect(try manifestLines(out + "/Photos") == expected)
        }
        let report = try await repo.check(readData: true)
        #expect(report.isHealthy, "\(report.errors)")
        #expect(report.notes.isEmpty, "\(report.notes)")
    }

    @Test func theFrozenRepositoryRefusesTheWrongPassword() async throws {
        await #expect {
            try await Repository.open(LocalDirectory(path: fixture + "/repo"), password: "not it")
        } throws: { ($0 as? TriplicateError)?.kind == .wrongPassword }
    }
}
