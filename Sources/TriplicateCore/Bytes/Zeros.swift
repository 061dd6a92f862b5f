// Zeros: telling a run of zero bytes (a hole of a sparse file, unwritten space in a disk image) from data.

/// True when every byte of `bytes` is zero; stops at the first 8 bytes that are not, so data costs next to nothing.
package func isAllZero(_ bytes: UnsafeRawBufferPointer) -> Bool {
    guard let base = bytes.baseAddress else { return true }
    let count = bytes.count
    var i = 0
    while i + 32 <= count {
        let a = base.loadUnaligned(fromByteOffset: i, as: UInt64.self) | base.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self)
        let b = base.loadUnaligned(fromByteOffset: i + 16, as: UInt64.self) | base.loadUnaligned(fromByteOffset: i + 24, as: UInt64.self)
        if a | b != 0 { return false }
        i += 32
    }
    while i < count {
        if base.load(fromByteOffset: i, as: UInt8.self) != 0 { return false }
        i += 1
    }
    return true
}
