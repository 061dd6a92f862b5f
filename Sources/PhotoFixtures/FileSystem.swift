// The edge where the generator touches disk: POSIX calls wrapped to throw `PhotoFixtureError`.

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Small synchronous file-system operations. Every failure names the path and the `errno` text.
enum FileSystem {
    /// What `stat` says is at a path.
    enum Entry: Equatable {
        case absent
        case directory
        case file(size: Int64)
        case other
    }

    /// What is at `path` (symbolic links are followed).
    static func entry(at path: String) throws(PhotoFixtureError) -> Entry {
        var info = stat()
        if stat(path, &info) != 0 {
            let code = currentErrno()
            if code == ENOENT { return .absent }
            throw .system("inspect", path: path, code: code)
        }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFREG: return .file(size: Int64(info.st_size))
        default: return .other
        }
    }

    /// The size of the regular file at `path`.
    static func fileSize(_ path: String) throws(PhotoFixtureError) -> Int64 {
        switch try entry(at: path) {
        case .file(let size): return size
        case .absent: throw .system("read the size of", path: path, code: ENOENT)
        default: throw PhotoFixtureError(kind: .fileSystem, operation: "read the size of", path: path,
                                         detail: "not a regular file")
        }
    }

    /// Creates `path` and any missing parents (like `mkdir -p`).
    static func makeDirectories(_ path: String) throws(PhotoFixtureError) {
        if case .directory = try entry(at: path) { return }
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            try makeDirectories(String(path[..<slash]))
        }
        if mkdir(path, 0o755) != 0 {
            let code = currentErrno()
            if code == EEXIST, case .directory = try entry(at: path) { return }
            throw .system("create directory", path: path, code: code)
        }
    }

    /// The names in a directory, without `.` and `..`, sorted by their UTF-8 bytes.
    static func directoryEntries(_ path: String) throws(PhotoFixtureError) -> [String] {
        guard let directory = opendir(path) else { throw .system("list directory", path: path) }
        defer { closedir(directory) }
        var names: [String] = []
        while let item = readdir(directory) {
            let name = withUnsafePointer(to: item.pointee.d_name) { tuple in
                tuple.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: tuple.pointee)) {
                    String(cString: $0)
                }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    /// The modification time of `path`, in whole seconds.
    static func modificationTime(_ path: String) throws(PhotoFixtureError) -> CivilTime {
        var info = stat()
        if stat(path, &info) != 0 { throw .system("inspect", path: path) }
        #if canImport(Darwin)
            return CivilTime(seconds: Int64(info.st_mtimespec.tv_sec))
        #else
            return CivilTime(seconds: Int64(info.st_mtim.tv_sec))
        #endif
    }

    /// Gives every directory below `root` (not `root` itself) the newest modification time found
    /// inside it, or `fallback` when it is empty, so directory times are as deterministic as file
    /// times. Returns the newest time found.
    @discardableResult
    static func settleDirectoryTimes(below root: String, fallback: CivilTime) throws(PhotoFixtureError) -> CivilTime? {
        var newest: CivilTime?
        for name in try directoryEntries(root) {
            let path = root + "/" + name
            let time: CivilTime
            if case .directory = try entry(at: path) {
                time = try settleDirectoryTimes(below: path, fallback: fallback) ?? fallback
                try setTime(path, to: time)
            } else {
                time = try modificationTime(path)
            }
            if newest.map({ time > $0 }) ?? true { newest = time }
        }
        return newest
    }

    /// Sets the access and modification times of `path` to `time`.
    static func setTime(_ path: String, to time: CivilTime) throws(PhotoFixtureError) {
        var times = [timespec(tv_sec: Int(time.seconds), tv_nsec: 0), timespec(tv_sec: Int(time.seconds), tv_nsec: 0)]
        if utimensat(AT_FDCWD, path, &times, 0) != 0 { throw .system("set the modification time of", path: path) }
    }

    /// Removes the file at `path`.
    static func removeFile(_ path: String) throws(PhotoFixtureError) {
        if unlink(path) != 0 { throw .system("delete", path: path) }
    }

    /// Renames `source` to `destination`, refusing to replace an existing destination.
    static func rename(_ source: String, to destination: String) throws(PhotoFixtureError) {
        if try entry(at: destination) != .absent {
            throw .system("rename \"\(source)\" to", path: destination, code: EEXIST)
        }
        #if canImport(Glibc)
            let result = Glibc.rename(source, destination)
        #else
            let result = Darwin.rename(source, destination)
        #endif
        if result != 0 { throw .system("rename \"\(source)\" to", path: destination) }
    }

    /// The whole content of a file.
    static func readFile(_ path: String) throws(PhotoFixtureError) -> [UInt8] {
        let fd = systemOpen(path, O_RDONLY | O_CLOEXEC, 0)
        if fd < 0 { throw .system("open for reading", path: path) }
        defer { _ = systemClose(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if currentErrno() == EINTR { continue }
                throw .system("read", path: path)
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return bytes
    }

    /// Writes `bytes` as the whole content of `path` (created or truncated) and sets its time.
    static func writeFile(_ path: String, _ bytes: [UInt8], time: CivilTime) throws(PhotoFixtureError) {
        let file = try OutputFile(creating: path)
        try file.write(bytes)
        try file.setTime(time)
        try file.close()
    }
}
