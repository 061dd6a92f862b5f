#!/bin/sh
# api-check: builds a package outside this one that depends on the `Triplicate` product, the way a Swift developer's
# app does, and proves the public API is what the README says: the README's library examples compile there, as does a
# destination of the user's own (registered under a scheme, checked with DestinationConformance), and the
# master key, the format's codecs and the crypto primitives cannot be reached from it (each line of a forbidden file
# must fail to compile). The first run builds the dependencies in .build-api-check (a few minutes); later runs are
# incremental.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
work="$root/.build-api-check"
swift=${SWIFT:-swift}
mkdir -p "$work/Sources/Client"
cat > "$work/Package.swift" <<PKG
// swift-tools-version: 6.0
import PackageDescription
let package = Package(
    name: "Client",
    dependencies: [.package(name: "Triplicate", path: "$root")],
    targets: [.target(name: "Client", dependencies: [.product(name: "Triplicate", package: "Triplicate"),
                                                     .product(name: "DestinationConformance", package: "Triplicate")])],
    swiftLanguageModes: [.v6]
)
PKG
# The README's examples, as the tests keep them identical to the README.
{
    echo "import Triplicate"
    sed -n '/^\/\/ README-BEGIN/,/^\/\/ README-END/p' "$root/Tests/TriplicateTests/ReadmeExampleTests.swift"
    sed -n '/^\/\/ PLAN-BEGIN/,/^\/\/ PLAN-END/p' "$root/Tests/TriplicateTests/ReadmeExampleTests.swift"
} > "$work/Sources/Client/Examples.swift"
# A destination of the user's own, registered under a scheme of its own and checked against the contract.
cat > "$work/Sources/Client/OwnDestination.swift" <<'SWIFT'
import Triplicate
import DestinationConformance

struct Prefixed: Destination {
    let inner = MemoryDestination()
    var displayName: String { "prefixed" }
    func put(_ name: String, data: [UInt8]) async throws(DestinationError) { try await inner.put(name, data: data) }
    func get(_ name: String) async throws(DestinationError) -> [UInt8] { try await inner.get(name) }
    func get(_ name: String, range: Range<Int64>) async throws(DestinationError) -> [UInt8] { try await inner.get(name, range: range) }
    func list(prefix: String) async throws(DestinationError) -> [ObjectInfo] { try await inner.list(prefix: prefix) }
    func delete(_ name: String) async throws(DestinationError) { try await inner.delete(name) }
    func stat(_ name: String) async throws(DestinationError) -> ObjectInfo { try await inner.stat(name) }
}

struct PrefixedFactory: DestinationFactory {
    func destination(for location: RepositoryLocation, context: DestinationContext) throws(TriplicateError) -> any Destination {
        Prefixed()
    }
}

func checkOwnDestination() async throws -> Repository {
    for check in ConformanceCheck.all { try await check.run(on: Prefixed()) }
    var registry = DestinationRegistry.standard
    registry.register(scheme: "prefixed", PrefixedFactory())
    let location = try RepositoryLocation("prefixed:photos", registry: registry)
    return try await Repository.initialize(on: try registry.destination(for: location), password: "example")
}
SWIFT
# The getting-started article's other snippets (Sources/Triplicate/Triplicate.docc/GettingStarted.md): progress, a
# cancelled Task, an error's remedy.
cat > "$work/Sources/Client/Article.swift" <<'SWIFT'
import Triplicate

func watchAndStop(_ repo: Repository) async {
    let options = BackupOptions(progress: { event in
        print("\(event.done) files, \(event.bytes) bytes, now \(event.currentPath ?? "")")
    })
    let backup = Task { try await repo.backup(paths: ["/Users/me/Pictures"], options: options) }
    backup.cancel()
    _ = try? await backup.value
}

func act(on repo: Repository, latest: Snapshot, target: String) async -> String {
    do {
        _ = try await repo.restore(latest, to: target)
        return "restored"
    } catch {
        switch error.remedy {
        case .check(let readData)?: return readData ? "check, reading the data" : "check"
        case .credentials?: return "ask for the bucket's key"
        default: return error.message
        }
    }
}
SWIFT
rm -f "$work/Sources/Client/Forbidden.swift"
if ! "$swift" build --package-path "$work" > "$work/build.log" 2>&1; then
    cat "$work/build.log"
    echo "api-check: the README's examples do not compile in a package that depends on Triplicate" >&2
    exit 1
fi
# Each line reaches something a library user must not: it has to be an error, naming it.
cat > "$work/Sources/Client/Forbidden.swift" <<'SWIFT'
import Triplicate
func reachesKeys(_ r: Repository) { _ = r.keys }
func reachesConfig(_ r: Repository) { _ = r.config }
func reachesPackFormat() { _ = PackFormat.tableNonce }
func reachesPackBuilder() { _ = PackBuilder.self }
func reachesCipher() { _ = AESGCM.self }
func reachesKeyFile() { _ = KeyFile.self }
func reachesRepositoryKeys() { _ = RepositoryKeys.self }
func reachesSHA256() { _ = SHA256.self }
func reachesByteReader() { _ = ByteReader.self }
func reachesSigner() { _ = SigV4Signer.self }
func reachesIndexFile() { _ = IndexFile.self }
func reachesZstd() { _ = ZstdCompressor.self }
func reachesBlake2b() { _ = KeyedBlake2b.self }
func reachesKeyDerivation() { _ = KeyDerivation.randomBytes }
func reachesTypedBytes() { [UInt8]().withUnsafeBytesTyped { _ in } }
func reachesFileSystem() { _ = FileSystem.self }
func reachesFolder() { _ = Folder.self }
SWIFT
if "$swift" build --package-path "$work" > "$work/forbidden.log" 2>&1; then
    echo "api-check: internals are reachable from outside the package" >&2
    exit 1
fi
missing=0
for symbol in "'keys'" "'config'" PackFormat PackBuilder AESGCM KeyFile RepositoryKeys SHA256 ByteReader SigV4Signer IndexFile ZstdCompressor KeyedBlake2b randomBytes withUnsafeBytesTyped FileSystem Folder; do
    if ! grep -q "error: .*$symbol" "$work/forbidden.log"; then
        echo "api-check: $symbol is reachable from outside the package" >&2
        missing=1
    fi
done
rm -f "$work/Sources/Client/Forbidden.swift"
[ "$missing" = 0 ] || { grep "error:" "$work/forbidden.log" | sort -u >&2; exit 1; }
echo "api-check: the README's examples compile outside the package; keys and format internals are out of reach"
