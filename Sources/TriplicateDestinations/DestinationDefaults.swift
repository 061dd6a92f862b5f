// DestinationDefaults: what a destination gets when it does not implement file puts or staging itself.
public import TriplicateCore

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

    /// No staging folder of its own: the engine stages in the temporary folder.
    public var stagingDirectory: String? { nil }
}
