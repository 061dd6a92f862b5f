// MemoryDestination: a destination held in memory, for tests and for library users' own tests.
@_spi(Benchmarks) public import TriplicateCore
internal import Synchronization

/// A destination that keeps objects in memory. It follows the ``Destination`` contract exactly and can be told
/// to fail, so that tests can exercise error paths without a disk.
public final class MemoryDestination: Destination {
    private let objects = Mutex<[String: [UInt8]]>([:])
    private let failure = Mutex<DestinationError?>(nil)

    /// An empty destination.
    public init() {}

    public var displayName: String { "memory" }

    /// Makes every following operation throw `error` (nil restores normal behaviour).
    public func failAll(with error: DestinationError?) { failure.withLock { $0 = error } }

    /// Replaces an object's bytes directly (to simulate corruption); no validation.
    public func overwrite(_ name: String, with data: [UInt8]) { objects.withLock { $0[name] = data } }

    private func check(_ name: String?) throws(DestinationError) {
        if let f = failure.withLock({ $0 }) { throw f }
        if let name, !ObjectName.isValid(name) { throw DestinationError(.invalidName, object: name, "is not a valid object name") }
    }

    public func put(_ name: String, data: [UInt8]) async throws(DestinationError) {
        try check(name)
        objects.withLock { $0[name] = data }
    }

    public func get(_ name: String) async throws(DestinationError) -> [UInt8] {
        try check(name)
        guard let d = objects.withLock({ $0[name] }) else { throw DestinationError(.notFound, object: name, "does not exist") }
        return d
    }

    public func get(_ name: String, range: Range<Int64>) async throws(DestinationError) -> [UInt8] {
        let d = try await get(name)
        guard range.lowerBound >= 0, range.upperBound <= Int64(d.count) else {
            throw DestinationError(.permanent, object: name, "range \(range) is outside the object's \(d.count) bytes")
        }
        return Array(d[Int(range.lowerBound)..<Int(range.upperBound)])
    }

    public func list(prefix: String) async throws(DestinationError) -> [ObjectInfo] {
        try check(nil)
        return objects.withLock { o in
            o.filter { $0.key.hasPrefix(prefix) }.map { ObjectInfo(name: $0.key, size: Int64($0.value.count)) }
        }
    }

    public func delete(_ name: String) async throws(DestinationError) {
        try check(name)
        _ = objects.withLock { $0.removeValue(forKey: name) }
    }

    public func stat(_ name: String) async throws(DestinationError) -> ObjectInfo {
        try check(name)
        guard let d = objects.withLock({ $0[name] }) else { throw DestinationError(.notFound, object: name, "does not exist") }
        return ObjectInfo(name: name, size: Int64(d.count))
    }
}
