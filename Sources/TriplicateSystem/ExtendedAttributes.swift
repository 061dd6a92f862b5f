// ExtendedAttributes: reading and writing the `user.` extended attributes of files and folders (the tags and ratings
// photo tools write), the only namespace a backup keeps.
internal import CTriplicateSystem
#if canImport(Glibc)
internal import Glibc
#endif

extension FileSystem {
    /// The namespace kept: `user.` (Linux); `security.`, `trusted.` and `system.` (ACLs) are not.
    package static let keptAttributePrefix: [UInt8] = Array("user.".utf8)
    /// The largest value kept (Linux's own limit, XATTR_SIZE_MAX).
    package static let maxAttributeValue = 65_536

    /// The names of every extended attribute of `path` (a link not followed), in every namespace: what a check of a
    /// restore looks at.
    package static func allAttributeNames(path: String) -> [String] {
        let needed = triplicate_llistxattr(path, nil, 0)
        guard needed > 0 else { return [] }
        var names = [UInt8](repeating: 0, count: Int(needed))
        let got = names.withUnsafeMutableBytes { b in triplicate_llistxattr(path, b.baseAddress?.assumingMemoryBound(to: CChar.self), UInt(b.count)) }
        guard got > 0 else { return [] }
        return names.prefix(Int(got)).split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.sorted()
    }

    /// The `user.` extended attributes of the open file `fd` (or, with `path` and `fd` -1, of `path` itself, a link not
    /// followed), sorted by name, as (name, value) raw bytes. Empty when the file system keeps none or they cannot be
    /// read; an attribute that vanishes while read is left out.
    package static func userAttributes(fd: Int32 = -1, path: String) -> [(name: [UInt8], value: [UInt8])] {
        var names: [UInt8] = []
        for _ in 0..<3 {
            let needed = fd >= 0 ? triplicate_flistxattr(fd, nil, 0) : triplicate_llistxattr(path, nil, 0)
            guard needed > 0 else { return [] }
            names = [UInt8](repeating: 0, count: min(Int(needed), 65_536))
            let got = names.withUnsafeMutableBytes { b in
                fd >= 0 ? triplicate_flistxattr(fd, b.baseAddress?.assumingMemoryBound(to: CChar.self), UInt(b.count))
                    : triplicate_llistxattr(path, b.baseAddress?.assumingMemoryBound(to: CChar.self), UInt(b.count))
            }
            if got >= 0 {
                names.removeSubrange(Int(got)...)
                break
            }
            // ERANGE: the list grew between the two calls; ask again.
            names = []
            if errno != ERANGE { return [] }
        }
        var out: [(name: [UInt8], value: [UInt8])] = []
        for name in names.split(separator: 0, omittingEmptySubsequences: true).map(Array.init)
        where name.starts(with: keptAttributePrefix) && name.count <= 255 {
            let cName = name.map { CChar(bitPattern: $0) } + [0]
            let size = fd >= 0 ? triplicate_fgetxattr(fd, cName, nil, 0) : triplicate_lgetxattr(path, cName, nil, 0)
            guard size >= 0, size <= maxAttributeValue else { continue }
            var value = [UInt8](repeating: 0, count: Int(size))
            let got = value.withUnsafeMutableBytes { b in
                fd >= 0 ? triplicate_fgetxattr(fd, cName, b.baseAddress, UInt(b.count)) : triplicate_lgetxattr(path, cName, b.baseAddress, UInt(b.count))
            }
            guard got >= 0, got <= size else { continue }
            value.removeSubrange(Int(got)...)
            out.append((name, value))
        }
        return out.sorted { $0.name.lexicographicallyPrecedes($1.name) }
    }

    /// Sets attribute `name` of the open file or folder `fd` to `value`; false when the file system refuses (one
    /// without extended attributes, such as FAT, or a name outside `user.`, which is never set).
    package static func setUserAttribute(fd: Int32, name: [UInt8], value: [UInt8]) -> Bool {
        guard name.starts(with: keptAttributePrefix), !name.contains(0), name.count <= 255, value.count <= maxAttributeValue else { return false }
        let cName = name.map { CChar(bitPattern: $0) } + [0]
        return value.withUnsafeBytes { b in triplicate_fsetxattr(fd, cName, b.baseAddress, UInt(b.count)) } == 0
    }
}
