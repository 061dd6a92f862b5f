// RemoteBenchmarks: upload and download throughput of the S3 destination against a local S3 server on loopback.
// `make bench-s3` starts one (moto_server) and runs these; with TRIPLICATE_TEST_S3_ENDPOINT unset they are skipped.
// moto_server is a Python process, so the figures bound the client's overhead from below rather than predict B2.
// The restores run through scripts/shape-proxy.py (a latency and bandwidth-shaping proxy on loopback) at 0 ms, 40 ms
// round trip, and 40 ms with each connection capped at 100 Mbit/s.
import Benchmark
import Foundation
import Triplicate
#if canImport(Glibc)
import Glibc
#endif

let serverEndpoint = ProcessInfo.processInfo.environment["TRIPLICATE_TEST_S3_ENDPOINT"] ?? ""
let objectBytes = 64 << 20
let work = FileManager.default.temporaryDirectory.path + "/triplicate-remote-benchmarks"

/// A 64 MiB file of high-entropy bytes (a pack is sealed, so it looks like noise), made once.
func sourceFile() throws -> String {
    let path = work + "/pack"
    if (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) == objectBytes { return path }
    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    var state: UInt64 = 0x5EED
    var bytes = [UInt8](repeating: 0, count: objectBytes)
    bytes.withUnsafeMutableBytes { raw in
        for i in raw.bindMemory(to: UInt64.self).indices {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            raw.storeBytes(of: state ^ (state >> 29), toByteOffset: i * 8, as: UInt64.self)
        }
    }
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

/// A destination in a bucket of the local server; `partSize` nil puts every object as one PUT.
func destination(partSize: Int64?) async throws -> S3Destination {
    var d = S3Destination(endpoint: serverEndpoint, bucket: "benchmarks", prefix: "repo", accessKeyID: "testing", secretKey: "testing",
                          region: "us-east-1")
    if let partSize {
        d.partSize = partSize
        d.multipartThreshold = partSize
    } else {
        d.multipartThreshold = .max
    }
    try await d.createBucketIfNeeded()
    return d
}

let benchmarks: @Sendable () -> Void = {
    guard !serverEndpoint.isEmpty else {
        print("RemoteBenchmarks: skipped; run `make bench-s3` (or set TRIPLICATE_TEST_S3_ENDPOINT to an S3 server)")
        return
    }
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .peakMemoryResident], maxDuration: .seconds(20),
                                           maxIterations: 5)
    let mib = objectBytes >> 20

    Benchmark("S3 upload: 64 MiB pack as one streamed PUT") { benchmark in
        let file = try sourceFile()
        let d = try await destination(partSize: nil)
        benchmark.startMeasurement()
        try await d.put("data/00/single", file: file)
        benchmark.stopMeasurement()
        benchmark.measurement(.custom("MiB/iteration"), mib)
    }

    Benchmark("S3 upload: 64 MiB pack as a multipart upload, 8 MiB parts, 4 at once") { benchmark in
        let file = try sourceFile()
        let d = try await destination(partSize: 8 << 20)
        benchmark.startMeasurement()
        try await d.put("data/00/multipart", file: file)
        benchmark.stopMeasurement()
        benchmark.measurement(.custom("MiB/iteration"), mib)
    }

    Benchmark("S3 download: 64 MiB pack in 1 MiB ranged reads, 8 at once (restore's pattern)") { benchmark in
        let file = try sourceFile()
        let d = try await destination(partSize: nil)
        try await d.put("data/00/ranged", file: file)
        benchmark.startMeasurement()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<8 {
                group.addTask {
                    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
                    defer { buffer.deallocate() }
                    var offset = Int64(lane) << 20
                    while offset < Int64(objectBytes) {
                        try await d.get("data/00/ranged", range: offset..<offset + (1 << 20), into: buffer)
                        offset += 8 << 20
                    }
                }
            }
            try await group.waitForAll()
        }
        benchmark.stopMeasurement()
        benchmark.measurement(.custom("MiB/iteration"), mib)
    }

    Benchmark("S3 download: 64 MiB pack as one GET") { benchmark in
        let file = try sourceFile()
        let d = try await destination(partSize: nil)
        try await d.put("data/00/whole", file: file)
        benchmark.startMeasurement()
        let bytes = try await d.get("data/00/whole")
        benchmark.stopMeasurement()
        precondition(bytes.count == objectBytes, "a short download")
        blackHole(bytes)
    }

    for (label, shaping) in [("0 ms", [String]()), ("40 ms RTT", ["--rtt-ms", "40"]), ("40 ms RTT, 100 Mbit/s per connection", ["--rtt-ms", "40", "--rate-mbit", "100"])] {
        Benchmark("restore of 64 MiB in 128 files from S3 at \(label)") { benchmark in
            let proxy = try ShapingProxy(shaping)
            defer { proxy.stop() }
            let (repo, snapshot) = try await backedUpRepository(through: proxy.endpoint)
            let target = work + "/restored"
            try? FileManager.default.removeItem(atPath: target)
            benchmark.startMeasurement()
            blackHole(try await repo.restore(snapshot, to: target))
            benchmark.stopMeasurement()
            benchmark.measurement(.custom("MiB/iteration"), mib)
        }
    }
}

/// scripts/shape-proxy.py in front of the server, with `arguments` (empty: no shaping).
final class ShapingProxy {
    let endpoint: String
    private let process: Process

    init(_ arguments: [String]) throws {
        let upstream = serverEndpoint.split(separator: ":").last.map(String.init) ?? "0"
        let portFile = work + "/proxy-port-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../scripts/shape-proxy.py").path
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, upstream, portFile] + arguments
        // Not this process's output: a child holding the benchmark tool's pipe open keeps the tool waiting for it.
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<200 {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                self.endpoint = "http://127.0.0.1:\(port)"
                return
            }
            Thread.sleep(forTimeInterval: 0.025)
        }
        process.terminate()
        throw CocoaError(.fileReadNoSuchFile)
    }

    /// SIGKILL: a process started from a benchmark's thread may inherit a mask that blocks SIGTERM.
    func stop() { kill(process.processIdentifier, SIGKILL) }
}

/// A repository in a new bucket reached through `endpoint`, holding one snapshot of 128 files of 512 KiB of noise
/// (like small RAW files, nothing compresses) in 8 folders.
func backedUpRepository(through endpoint: String) async throws -> (Repository, Snapshot) {
    let source = work + "/files"
    if !FileManager.default.fileExists(atPath: source + "/done") {
        var state: UInt64 = 0xF11E5
        for i in 0..<128 {
            let dir = source + "/\(i % 8)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            var bytes = [UInt8](repeating: 0, count: 512 << 10)
            bytes.withUnsafeMutableBytes { raw in
                for j in raw.bindMemory(to: UInt64.self).indices {
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    raw.storeBytes(of: state ^ (state >> 29), toByteOffset: j * 8, as: UInt64.self)
                }
            }
            try Data(bytes).write(to: URL(fileURLWithPath: dir + "/DSC_\(i).NEF"))
        }
        try Data().write(to: URL(fileURLWithPath: source + "/done"))
    }
    let bucket = "restore-" + UUID().uuidString.lowercased().prefix(8)
    let d = S3Destination(endpoint: endpoint, bucket: String(bucket), prefix: "repo", accessKeyID: "testing", secretKey: "testing",
                          region: "us-east-1")
    let repo = try await Repository.initialize(on: d, password: "benchmark password",
                                              options: Repository.InitOptions(scrypt: .init(n: 1024, r: 8, p: 1)))
    let snapshot = try await repo.backup(paths: [source]).snapshot
    return (repo, snapshot)
}
