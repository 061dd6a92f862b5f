// DestinationDefaults: what a destination gets when it does not implement file puts or staging itself.
@_spi(Benchmarks) public import TriplicateCore
internal import TriplicateSystem

extension Destination {
    /// Reads the whole file and stores it with ``Destination/put(_:data:)``: right for destinations that keep
    /// objects in memory; a destination that uploads large objects implements its own streaming version.
    public func put(_ name: String, file path: String) async throws(DestinationError) {
        let data: [UInt8]
        do { data = try FileSystem.readFile(path) } catch {
            throw DestinationError(.permanent, object: name, "cannot read the staged file \(path) (\(error.reason))")
        }
        try await put(name, data: data)
    }

    /// Reads the range with ``Destination/get(_:range:)`` and copies it into `buffer`.
    public func get(_ name: String, range: Range<Int64>, into buffer: UnsafeMutableRawBufferPointer) async throws(DestinationError) {
        let bytes = try await get(name, range: range)
        guard bytes.count == Int(range.count), buffer.count >= bytes.count else {
            throw DestinationError(.permanent, object: name, "returned \(bytes.count) bytes for a range of \(range.count)")
        }
        bytes.withUnsafeBytes { b in buffer.copyMemory(from: b) }
    }

    /// No staging folder of its own: the engine stages in the temporary folder.
    public var stagingDirectory: String? { nil }
}
