// EngineBenchmarks: the index at 10 million blobs, and whole backups, rescans and restores of generated photo sets.
import Benchmark
import Foundation
import PhotoFixtures
@_spi(Benchmarks) import Triplicate
@_spi(Benchmarks) import TriplicateCore

/// A blob ID from a counter: keyed BLAKE2b outputs are uniformly distributed, and so is this.
func syntheticID(_ n: UInt64, salt: UInt64 = 0) -> ObjectID {
    var words: [UInt64] = [0, 0, 0, 0]
    var state = n &* 0x9E37_79B9_7F4A_7C15 &+ salt
    for i in 0..<4 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        words[i] = z ^ (z >> 31)
    }
    return words.withUnsafeBytes { ObjectID($0) }
}

/// Resident memory of this process in bytes (from /proc/self/statm).
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

let indexSize = 10_000_000
let blobsPerPack = 16

/// The index of a repository with 10 million blobs, loaded as opening the repository loads its index files,
/// and its resident cost.
nonisolated(unsafe) var bigIndex = IndexProbe()
nonisolated(unsafe) var bytesPerBlob = 0

func buildBigIndex() {
    guard bigIndex.count == 0 else { return }
    let before = residentBytes()
    bigIndex.reserveForLoading(indexSize)
    var n: UInt64 = 0
    while n < UInt64(indexSize) {
        var entries: [PackEntry] = []
        entries.reserveCapacity(blobsPerPack)
        for i in 0..<blobsPerPack {
            entries.append(PackEntry(id: syntheticID(n + UInt64(i)), type: .data, compression: .none,
                                     offset: UInt32(44 + i * (2 << 20)), storedLength: 2 << 20, rawLength: (2 << 20) - 16))
        }
        bigIndex.appendForLoading(pack: syntheticID(n, salt: 1), entries: entries)
        n += UInt64(blobsPerPack)
    }
    bigIndex.finishLoading()
    bytesPerBlob = (residentBytes() - before) / indexSize
}

let password = "benchmark password"
let cheapKeys = Repository.InitOptions(scrypt: .init(n: 1024, r: 8, p: 1))
let work = FileManager.default.temporaryDirectory.path + "/triplicate-benchmarks"
let photoSetBytes: Int64 = 256 << 20

func fresh(_ name: String) -> String {
    let path = work + "/" + name
    try? FileManager.default.removeItem(atPath: path)
    return path
}

func newRepository(_ name: String) async throws -> Repository {
    try await Repository.initialize(on: LocalDirectory(path: fresh(name)), password: password, options: cheapKeys)
}

/// A generated 256 MB photo set (RAW files, sidecars, previews, a catalog), made once per process.
func photoSet() throws -> String {
    let path = work + "/photos"
    if !FileManager.default.fileExists(atPath: path + "/Lightroom") {
        try? FileManager.default.removeItem(atPath: path)
        _ = try PhotoSet.generate(at: path, spec: PhotoSetSpec(seed: 5, totalBytes: photoSetBytes))
        Thread.sleep(forTimeInterval: 1.2) // past the racy-timestamp second, so rescans trust the metadata
    }
    return path
}

/// A tree of `count` small sidecar-like files, made once per process.
func manyFiles(_ count: Int) throws -> String {
    let path = work + "/many-\(count)"
    if !FileManager.default.fileExists(atPath: path + "/done") {
        try? FileManager.default.removeItem(atPath: path)
        for i in 0..<count {
            let dir = path + "/" + String(format: "%03d", i / 1000)
            if i % 1000 == 0 { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
            try Data("<x:xmpmeta rating='\(i % 6)'/>\n".utf8).write(to: URL(fileURLWithPath: dir + "/IMG_\(i).xmp"))
        }
        try Data().write(to: URL(fileURLWithPath: path + "/done"))
        Thread.sleep(forTimeInterval: 1.2)
    }
    return path
}

/// The IDs looked up: even positions indexed, odd ones never indexed; made once, outside the measurement.
nonisolated(unsafe) var queries: [ObjectID] = []

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .peakMemoryResident], maxDuration: .seconds(10),
                                           maxIterations: 5)

    Benchmark("index: 1M lookups in 10M blobs (half present)",
              configuration: .init(metrics: [.wallClock, .throughput, .peakMemoryResident, .custom("resident bytes per blob")],
                                   scalingFactor: .one, setup: {
                                       buildBigIndex()
                                       if queries.isEmpty {
                                           queries = (0..<UInt64(1_000_000)).map { i in
                                               i & 1 == 0 ? syntheticID(i * 9 % UInt64(indexSize)) : syntheticID(i, salt: 99)
                                           }
                                       }
                                   })) { benchmark in
        for _ in benchmark.scaledIterations {
            var found = 0
            for id in queries where bigIndex.contains(id) { found += 1 }
            precondition(found == queries.count / 2, "the index lost blobs")
            blackHole(found)
        }
        benchmark.measurement(.custom("resident bytes per blob"), bytesPerBlob)
    }

    // Prune's memory at 10 million blobs: the index as a backup loads it, plus what prune adds to mark the blobs
    // the snapshots need (a bit each) and sum them per pack. Compare its peak with the lookup benchmark's above (the
    // index alone) and the backup benchmarks' below.
    Benchmark("prune: mark half of 10M blobs and sum them per pack",
              configuration: .init(metrics: [.wallClock, .peakMemoryResident, .custom("resident bytes per blob")],
                                   scalingFactor: .one, maxIterations: 1, setup: { buildBigIndex() })) { benchmark in
        for _ in benchmark.scaledIterations {
            let before = residentBytes()
            var n: UInt64 = 0
            let (marked, packs) = bigIndex.markAndCount {
                guard n < UInt64(indexSize) else { return nil }
                defer { n += 2 }
                return syntheticID(n)
            }
            precondition(marked == indexSize / 2 && packs == indexSize / blobsPerPack, "prune lost blobs")
            benchmark.measurement(.custom("resident bytes per blob"), bytesPerBlob + max(0, residentBytes() - before) / indexSize)
        }
    }

    // Each run below does its preparation first, then measures one backup, rescan or restore.

    Benchmark("backup of a 256 MB photo set (new repository)", configuration: .init(setup: { _ = try photoSet() })) { benchmark in
        let source = try photoSet()
        let repo = try await newRepository("repo-initial")
        benchmark.startMeasurement()
        blackHole(try await repo.backup(paths: [source]))
        benchmark.stopMeasurement()
    }

    Benchmark("backup after an editing session (256 MB set)") { benchmark in
        let source = fresh("edited")
        _ = try PhotoSet.generate(at: source, spec: PhotoSetSpec(seed: 6, totalBytes: photoSetBytes))
        try await Task.sleep(for: .milliseconds(1200))
        let repo = try await newRepository("repo-edited")
        _ = try await repo.backup(paths: [source])
        _ = try PhotoSet.edit(at: source, session: 1, seed: 6)
        try await Task.sleep(for: .milliseconds(1200))
        benchmark.startMeasurement()
        blackHole(try await repo.backup(paths: [source]))
        benchmark.stopMeasurement()
    }

    Benchmark("no-change rescan of 20,000 files", configuration: .init(setup: { _ = try manyFiles(20_000) })) { benchmark in
        let source = try manyFiles(20_000)
        let repo = try await newRepository("repo-many")
        _ = try await repo.backup(paths: [source])
        benchmark.startMeasurement()
        let result = try await repo.backup(paths: [source])
        benchmark.stopMeasurement()
        precondition(result.snapshot.summary.filesRead == 0, "a no-change rescan read files")
    }

    Benchmark("restore of a 256 MB photo set", configuration: .init(setup: { _ = try photoSet() })) { benchmark in
        let source = try photoSet()
        let repo = try await newRepository("repo-restore")
        let snapshot = try await repo.backup(paths: [source]).snapshot
        let target = fresh("restored")
        benchmark.startMeasurement()
        blackHole(try await repo.restore(snapshot, to: target))
        benchmark.stopMeasurement()
    }

    Benchmark("backup of a 4 GiB sparse disk image (16 MiB of data)", configuration: .init(setup: { _ = try sparseImage() })) { benchmark in
        let source = try sparseImage()
        let repo = try await newRepository("repo-sparse")
        benchmark.startMeasurement()
        blackHole(try await repo.backup(paths: [source]))
        benchmark.stopMeasurement()
    }

    Benchmark("restore of a 4 GiB sparse disk image (16 MiB of data)", configuration: .init(setup: { _ = try sparseImage() })) { benchmark in
        let source = try sparseImage()
        let repo = try await newRepository("repo-sparse-restore")
        let snapshot = try await repo.backup(paths: [source]).snapshot
        let target = fresh("restored-sparse")
        benchmark.startMeasurement()
        blackHole(try await repo.restore(snapshot, to: target))
        benchmark.stopMeasurement()
    }
}

/// A 4 GiB sparse file with 16 MiB of data in four places, made once per process.
func sparseImage() throws -> String {
    let folder = work + "/sparse"
    let path = folder + "/disk.img"
    if (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) == 4 << 30 { return folder }
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    FileManager.default.createFile(atPath: path, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    var state: UInt64 = 0x5BA2_5E
    for place in 0..<4 {
        var bytes = [UInt8](repeating: 0, count: 4 << 20)
        for i in bytes.indices {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes[i] = UInt8(truncatingIfNeeded: state >> 33)
        }
        try handle.seek(toOffset: UInt64(place) << 30)
        try handle.write(contentsOf: bytes)
    }
    try handle.truncate(atOffset: 4 << 30)
    Thread.sleep(forTimeInterval: 1.2)
    return folder
}
