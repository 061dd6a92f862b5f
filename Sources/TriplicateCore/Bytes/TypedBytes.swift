// TypedBytes: `withUnsafeBytes` that keeps the closure's typed error (the standard one only rethrows `any Error`).

extension Array where Element == UInt8 {
    /// Calls `body` with the array's bytes, propagating `body`'s typed error. The pointer must not escape `body`.
    @inlinable
    @_spi(Benchmarks) public func withUnsafeBytesTyped<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = withUnsafeBytes { b in
            do throws(E) { return .success(try body(b)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Calls `body` with the array's bytes, writable, propagating `body`'s typed error. The pointer must not escape `body`.
    @inlinable
    @_spi(Benchmarks) public mutating func withUnsafeMutableBytesTyped<R, E: Error>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = withUnsafeMutableBytes { b in
            do throws(E) { return .success(try body(b)) } catch { return .failure(error) }
        }
        return try result.get()
    }
}
