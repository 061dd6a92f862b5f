// PhotoSetTests: a generated photographer's working set, and a day of edits on it, round-trip byte for byte.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import PhotoFixtures
import Testing
@testable import Triplicate

@Suite struct PhotoSetTests {
    @Test func aGeneratedPhotoSetRoundTripsWithItsMetadata() async throws {
        let t = TempDir("photoset")
        let src = t.sub("Photos")
        let generated = try PhotoSet.generate(at: src, spec: .small(seed: 3))
        let repo = try await makeRepository(t.sub("repo"))
        let result = try await repo.backup(paths: [src])
        #expect(result.errors.isEmpty)
        #expect(result.snapshot.record.summary.files == generated.files)
        let out = t.sub("out")
        _ = try await repo.restore(result.snapshot, to: out)
        #expect(try TreeFingerprint.of(out + "/Photos") == TreeFingerprint.of(src))
        #expect(try await repo.check(readData: true).isHealthy)
    }

    @Test func anEditingSessionThenABackupRestoresBothSnapshotsExactly() async throws {
        let t = TempDir("session")
        let src = t.sub("Photos")
        _ = try PhotoSet.generate(at: src, spec: .small(seed: 5))
        settleTimestamps()
        let repo = try await makeRepository(t.sub("repo"))
        let first = try await repo.backup(paths: [src])
        try copyTree(src, t.sub("before"))

        let edit = try PhotoSet.edit(at: src, session: 1, seed: 5)
        settleTimestamps()
        let second = try await repo.backup(paths: [src])
        #expect(second.errors.isEmpty)
        let s = second.snapshot.record.summary
        // Unchanged files outside the renamed folder are not read; what is read is mostly deduplicated.
        #expect(s.filesRead < s.files, "read \(s.filesRead) of \(s.files) files")
        #expect(s.bytesAdded < first.snapshot.record.summary.bytesAdded / 2, "\(edit)")

        let outFirst = t.sub("out1"), outSecond = t.sub("out2")
        _ = try await repo.restore(first.snapshot, to: outFirst)
        _ = try await repo.restore(second.snapshot, to: outSecond)
        #expect(try TreeFingerprint.of(outFirst + "/Photos") == TreeFingerprint.of(t.sub("before")))
        #expect(try TreeFingerprint.of(outSecond + "/Photos") == TreeFingerprint.of(src))
        let report = try await repo.check(readData: true)
        #expect(report.isHealthy, "\(report.errors)")
    }
}
