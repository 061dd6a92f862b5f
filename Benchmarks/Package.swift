// swift-tools-version: 6.1
// Triplicate's benchmarks (ordo-one's package-benchmark): throughput and memory of the hot path.
// Run from this folder: `swift package benchmark` (release build, takes a few minutes the first time).
import PackageDescription

let package = Package(
    name: "TriplicateBenchmarks",
    dependencies: [
        .package(name: "Triplicate", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "CoreBenchmarks",
            dependencies: [
                .product(name: "Triplicate", package: "Triplicate"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/CoreBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "EngineBenchmarks",
            dependencies: [
                .product(name: "Triplicate", package: "Triplicate"),
                .product(name: "PhotoFixtures", package: "Triplicate"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/EngineBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "RemoteBenchmarks",
            dependencies: [
                .product(name: "Triplicate", package: "Triplicate"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/RemoteBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
