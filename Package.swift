// swift-tools-version: 6.0
// Triplicate: encrypted, deduplicated 3-2-1 backups of a photographer's work.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Triplicate",
    products: [
        .library(name: "Triplicate", targets: ["Triplicate"]),
        // The checks of the Destination contract, for a library user's own destination.
        .library(name: "DestinationConformance", targets: ["DestinationConformance"]),
        .executable(name: "triplicate", targets: ["TriplicateCLI"]),
        .library(name: "PhotoFixtures", targets: ["PhotoFixtures"]),
        .executable(name: "triplicate-photoset", targets: ["PhotoSetTool"]),
        .executable(name: "triplicate-fuzz", targets: ["TriplicateFuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        // `make docs` only: the DocC catalog in Sources/Triplicate/Triplicate.docc.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // C modules: system libraries, each a module map over a small shim header.
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CBlake2", pkgConfig: "libb2", providers: [.apt(["libb2-dev"])]),
        .systemLibrary(name: "CLibCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CTriplicateSystem", path: "Sources/CTriplicateSystem"),

        // Core: chunking, hashing, compression, encryption, format codecs, the destination protocol.
        // Pure functions of bytes; no file or network I/O.
        .target(
            name: "TriplicateCore",
            dependencies: ["CZstd", "CBlake2", "CLibCrypto"],
            swiftSettings: strict
        ),
        // System: the one module that calls the C library for files (open, read, fsync, openat, stat, fnmatch), below
        // the destinations and the engine, so that a port to another system changes this module only.
        .target(
            name: "TriplicateSystem",
            dependencies: ["CTriplicateSystem"],
            swiftSettings: strict
        ),
        // Destinations: concrete places a repository lives (local directory / NAS mount).
        .target(
            name: "TriplicateDestinations",
            dependencies: [
                "TriplicateCore",
                "TriplicateSystem",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // The checks of the Destination contract, run by the tests of every destination and offered to library users.
        .target(
            name: "DestinationConformance",
            dependencies: ["TriplicateCore"],
            swiftSettings: strict
        ),
        // Engine: repository open/init, backup, restore, check, stats, and the 3-2-1 plan. The `Triplicate` library.
        .target(
            name: "Triplicate",
            dependencies: ["TriplicateCore", "TriplicateSystem", "TriplicateDestinations", "CSQLite", .product(name: "TOMLKit", package: "TOMLKit")],
            swiftSettings: strict
        ),
        // The reference CLI: argument parsing, progress, exit codes; no engine logic.
        .executableTarget(
            name: "TriplicateCLI",
            dependencies: [
                "Triplicate",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // A deterministic generator of a photographer's working set, for tests, the demo and benchmarks.
        .target(
            name: "PhotoFixtures",
            dependencies: ["CSQLite"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "PhotoSetTool",
            dependencies: ["PhotoFixtures"],
            swiftSettings: strict
        ),

        // Fuzz targets for every decoder of repository bytes; `triplicate-fuzz` runs them (libFuzzer under `make fuzz`).
        .target(
            name: "TriplicateFuzzing",
            dependencies: ["TriplicateCore"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "TriplicateFuzz",
            dependencies: ["TriplicateFuzzing"],
            swiftSettings: strict
        ),

        .testTarget(name: "TriplicateCoreTests", dependencies: ["TriplicateCore", "TriplicateFuzzing", "CLibCrypto", "CZstd"], swiftSettings: strict),
        .testTarget(
            name: "TriplicateTests",
            dependencies: ["Triplicate", "TriplicateDestinations", "TriplicateSystem", "PhotoFixtures", "DestinationConformance", "CSQLite",
                           .product(name: "NIOCore", package: "swift-nio")],
            resources: [],
            swiftSettings: strict
        ),
        .testTarget(name: "PhotoFixturesTests", dependencies: ["PhotoFixtures"], swiftSettings: strict),
        .testTarget(name: "TriplicateSystemTests", dependencies: ["TriplicateSystem"], swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
