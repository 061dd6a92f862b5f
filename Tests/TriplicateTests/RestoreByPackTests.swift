// RestoreByPackTests: a restore reads what it needs pack by pack, in few large ranges, and writes each blob wherever
// it goes.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Testing
@testable import Triplicate
import TriplicateDestinations
#if canImport(Glibc)
import Glibc
#endif

@Suite struct PackRangePlannerTests {
    static let pack = ObjectID(bytes: [UInt8](repeating: 7, count: 32))

    /// A need for a blob of `stored` bytes at `offset` (its ID is its offset, to tell needs apart).
    static func need(_ offset: UInt32, _ stored: UInt32) -> BlobNeed {
        var id = [UInt8](repeating: 0, count: 32)
        withUnsafeBytes(of: offset.littleEndian) { id.replaceSubrange(0..<4, with: $0) }
        return BlobNeed(id: ObjectID(bytes: id), entry: PackEntry(id: ObjectID(bytes: id), type: .data, compression: .none,
                                                                  offset: offset, storedLength: stored, rawLength: stored),
                        targets: [BlobTarget(file: 0, offset: 0)])
    }

    static func spans(_ ranges: [PackRange]) -> [[Int64]] {
        ranges.map { [$0.start, $0.end] + $0.needs.map { Int64($0.entry.offset) } }
    }

    @Test func neighboursMergeAcrossSmallGapsAndSplitAtLargeOnes() {
        // Given out of order: 44+100, a gap of 56, 200+100, a gap of 1000, 1300+50; then a gap of 300 KiB.
        let far: Int64 = 1350 + 300 * 1024
        let needs = [Self.need(200, 100), Self.need(44, 100), Self.need(1300, 50), Self.need(UInt32(far), 20)]
        let ranges = PackRangePlanner.ranges(pack: Self.pack, needs: needs, withHeader: false)
        let expected: [[Int64]] = [[44, 1350, 44, 200, 1300], [far, far + 20, far]]
        #expect(Self.spans(ranges) == expected)
        // Knowing no key yet, the first range starts at the pack's start and brings the header along.
        let withHeader = PackRangePlanner.ranges(pack: Self.pack, needs: needs, withHeader: true)
        #expect(Self.spans(withHeader)[0] == [0, 1350, 44, 200, 1300])
        // A first blob far from the start is read without the header (fetched on its own instead).
        let alone = PackRangePlanner.ranges(pack: Self.pack, needs: [Self.need(1 << 20, 10)], withHeader: true)
        let mib: Int64 = 1 << 20
        #expect(Self.spans(alone) == [[mib, mib + 10, mib]])
    }

    @Test func aRangeStopsBeforeItsLimitAndNeverSplitsOrOverlapsABlob() {
        let needs = [Self.need(0, 40), Self.need(40, 40), Self.need(80, 40), Self.need(120, 200), Self.need(130, 10)]
        let ranges = PackRangePlanner.ranges(pack: Self.pack, needs: needs, withHeader: false, gap: 1000, maxRange: 100)
        // 0..80 holds two blobs; 80..120 a third; the 200-byte blob alone is larger than the limit and still whole;
        // the blob overlapping it (only a hostile index says so) is read in a range of its own.
        #expect(Self.spans(ranges) == [[0, 80, 0, 40], [80, 120, 80], [120, 320, 120], [130, 140, 130]])
    }

    @Test func packsTakeTurns() {
        let a = PackRangePlanner.ranges(pack: Self.pack, needs: [Self.need(0, 10), Self.need(1 << 20, 10)], withHeader: false)
        let other = ObjectID(bytes: [UInt8](repeating: 9, count: 32))
        let b = PackRangePlanner.ranges(pack: other, needs: [Self.need(0, 10)], withHeader: false)
        let order = PackRangePlanner.interleaved([a, b]).map { [$0.pack == Self.pack ? 0 : 1, Int($0.start)] }
        #expect(order == [[0, 0], [1, 0], [0, 1 << 20]])
    }
}

@Suite struct RestoreByPackTests {
    /// More files than one batch holds, in several folders; a catalog of small chunks, one of them repeated; two
    /// identical photos; an empty file.
    static func makeTree(_ root: String) throws -> Int {
        var files = 0
        for i in 0..<300 {
            try writeFile(root + "/Shoot \(i % 3)/IMG_\(i).xmp", Array("<x:xmpmeta rating='\(i % 6)' id='\(i)'/>\n".utf8))
            files += 1
        }
        let photo = pseudoRandomBytes(900_000, seed: 3)
        try writeFile(root + "/Shoot 0/DSC_1.NEF", photo)
        try writeFile(root + "/Shoot 1/DSC_1 copy.NEF", photo)
        let block = pseudoRandomBytes(200_000, seed: 4)
        try writeFile(root + "/Lightroom/Catalog.lrcat", block + pseudoRandomBytes(1_500_000, seed: 5) + block)
        try writeFile(root + "/empty", [])
        return files + 4
    }

    @Test func aRestoreReadsEachPackInFewRangesAndReproducesEveryFile() async throws {
        let t = TempDir("by-pack")
        let src = t.sub("Photos")
        let count = try Self.makeTree(src)
        let repo = try await makeRepository(t.sub("repo"))
        let snap = try await repo.backup(paths: [src]).snapshot
        let folder = HookedFolder(LocalDirectory(path: t.sub("repo")))
        let reading = try await Repository.open(folder, password: TestKeys.password)
        let index = try await reading.loadIndex()
        #expect(index.count > 350, "the tree should need hundreds of blobs")

        let out = t.sub("out")
        let result = try await reading.restore(snap, to: out)
        #expect(result.errors.isEmpty && result.files == count)
        #expect(try TreeFingerprint.of(out + "/Photos") == TreeFingerprint.of(src))
        // Hundreds of blobs, a dozen reads: six listings (one read each), and for each of the two batches of files the
        // data pack in ranges of up to 8 MiB (its header comes with the first).
        let packReads = folder.reads.filter { $0.hasPrefix("data/") }.count
        #expect(packReads <= 12, "\(packReads) reads of packs")
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: out).filter { $0.contains(".triplicate-restore-") }
        #expect(leftovers.isEmpty)
    }
}

/// Sparse files: holes are not read on backup (their zeros give the very chunks a dense copy gives) and come back as
/// holes on restore.
@Suite struct SparseFileTests {
    /// Allocated bytes of `path` (st_blocks).
    static func allocated(_ path: String) -> Int64 {
        var st = stat()
        return lstat(path, &st) == 0 ? Int64(st.st_blocks) * 512 : -1
    }

    @Test func aSparseFileIsBackedUpAsItsZerosAndRestoredWithItsHoles() async throws {
        let t = TempDir("sparse")
        let src = t.sub("Images")
        let size = 24 << 20
        let first = pseudoRandomBytes(700_000, seed: 91), second = pseudoRandomBytes(500_000, seed: 92)
        // A sparse disk image: data at its start and in its middle, holes elsewhere.
        try writeFile(src + "/sparse.img", [])
        let fd = open(src + "/sparse.img", O_WRONLY)
        #expect(ftruncate(fd, off_t(size)) == 0)
        _ = first.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        _ = second.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(15 << 20)) }
        close(fd)
        #expect(Self.allocated(src + "/sparse.img") < 4 << 20, "the test needs a file system with holes")
        // The same bytes written out in full.
        var dense = [UInt8](repeating: 0, count: size)
        dense.replaceSubrange(0..<first.count, with: first)
        dense.replaceSubrange((15 << 20)..<(15 << 20) + second.count, with: second)
        try writeFile(src + "/dense.img", dense)

        let repo = try await makeRepository(t.sub("repo"))
        let snap = try await repo.backup(paths: [src]).snapshot
        let entries = try await repo.list(snap)
        func chunks(_ name: String) -> [ObjectID]? {
            guard let node = entries.first(where: { $0.path.hasSuffix("/" + name) })?.node, case .file(let c, _, _, _) = node.content else { return nil }
            return c
        }
        #expect(chunks("sparse.img") != nil && chunks("sparse.img") == chunks("dense.img"))

        let out = t.sub("out")
        let result = try await repo.restore(snap, to: out)
        #expect(result.errors.isEmpty)
        #expect(FileManager.default.contents(atPath: out + "/Images/sparse.img") == Data(dense))
        #expect(FileManager.default.contents(atPath: out + "/Images/dense.img") == Data(dense))
        // Both come back sparse: chunks of zeros are left unwritten.
        #expect(Self.allocated(out + "/Images/sparse.img") < 8 << 20, "\(Self.allocated(out + "/Images/sparse.img")) bytes allocated")
        #expect(Self.allocated(out + "/Images/dense.img") < 8 << 20)
    }
}
