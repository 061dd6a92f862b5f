// Tests of `PhotoSet.generate`: determinism, sizes, file structure, compressibility, the catalog, errors.

import Testing
@testable import PhotoFixtures

@Suite("Generating a photo set")
struct GenerationTests {
    @Test("The same spec gives byte-identical files, names and modification times")
    func deterministic() throws {
        let first = temporaryRoot("det-a")
        let second = temporaryRoot("det-b")
        defer { removeTree(first); removeTree(second) }
        let summaryA = try PhotoSet.generate(at: first, spec: .small(seed: 11))
        let summaryB = try PhotoSet.generate(at: second, spec: .small(seed: 11))
        #expect(summaryA == summaryB)
        let a = try snapshot(first)
        let b = try snapshot(second)
        #expect(a.count == summaryA.files)
        #expect(Set(a.keys) == Set(b.keys))
        for (path, file) in a {
            #expect(b[path] == file, "\(path) differs")
        }
        #expect(try directoryTimes(first) == directoryTimes(second))
    }

    @Test("A different seed gives a different set")
    func seedMatters() throws {
        let first = temporaryRoot("seed-a")
        let second = temporaryRoot("seed-b")
        defer { removeTree(first); removeTree(second) }
        _ = try PhotoSet.generate(at: first, spec: .small(seed: 1))
        _ = try PhotoSet.generate(at: second, spec: .small(seed: 2))
        #expect(Set(try snapshot(first).keys) != Set(try snapshot(second).keys))
    }

    @Test("The total lands within 20 % of the request and matches the summary", arguments: [1, 2, 3, 42] as [UInt64])
    func totalSize(seed: UInt64) throws {
        let root = temporaryRoot("size")
        defer { removeTree(root) }
        let spec = PhotoSetSpec.small(seed: seed)
        let summary = try PhotoSet.generate(at: root, spec: spec)
        let files = try snapshot(root)
        let onDisk = files.values.reduce(Int64(0)) { $0 + Int64($1.bytes.count) }
        #expect(onDisk == summary.bytes)
        #expect(files.count == summary.files)
        let ratio = Double(summary.bytes) / Double(spec.totalBytes)
        #expect(ratio > 0.8 && ratio < 1.2, "generated \(summary.bytes) bytes for \(spec.totalBytes)")
        #expect(summary.previewBytes > 0 && summary.catalogBytes >= 200 * 1024)
        for (path, file) in files where path.hasSuffix(".NEF") || path.hasSuffix(".ARW") || path.hasSuffix(".DNG") {
            let slack = 16_384
            #expect(((spec.rawSizeRange.lowerBound - slack)...(spec.rawSizeRange.upperBound + slack)).contains(file.bytes.count),
                    "\(path) has \(file.bytes.count) bytes")
        }
        for (path, file) in files where path.hasSuffix(".xmp") {
            #expect((3_000...16_000).contains(file.bytes.count), "\(path) has \(file.bytes.count) bytes")
        }
        for (path, file) in files where path.hasSuffix(".lrprev") {
            #expect((9_000...62_000).contains(file.bytes.count), "\(path) has \(file.bytes.count) bytes")
            #expect(file.bytes.starts(with: Array("AgHg".utf8)))
        }
    }

    @Test("A larger set with default RAW sizes also lands within 20 %")
    func largerSet() throws {
        let root = temporaryRoot("larger")
        defer { removeTree(root) }
        let spec = PhotoSetSpec(seed: 5, totalBytes: 12 << 20)
        let summary = try PhotoSet.generate(at: root, spec: spec)
        let ratio = Double(summary.bytes) / Double(spec.totalBytes)
        #expect(ratio > 0.8 && ratio < 1.2, "generated \(summary.bytes) bytes for \(spec.totalBytes)")
        #expect(summary.rawFiles >= 10)
        #expect(summary.compressedRawFiles > 0 && summary.compressedRawFiles < summary.rawFiles)
    }

    @Test("The layout is Lightroom's: dated folders, sidecars beside NEF/ARW only, previews, catalog")
    func layout() throws {
        let root = temporaryRoot("layout")
        defer { removeTree(root) }
        let summary = try PhotoSet.generate(at: root, spec: .small(seed: 3))
        let files = try snapshot(root)
        let raws = files.keys.filter { $0.hasSuffix(".NEF") || $0.hasSuffix(".ARW") || $0.hasSuffix(".DNG") }
        #expect(raws.count == summary.rawFiles)
        #expect(summary.compressedRawFiles > 0 && summary.compressedRawFiles < summary.rawFiles)
        for raw in raws {
            let parts = raw.split(separator: "/")
            #expect(parts.count == 4 && parts[0] == "Photos")
            #expect(parts[2].hasPrefix(parts[1] + "-"), "folder \(parts[2]) is not dated in year \(parts[1])")
            let sidecar = String(raw.dropLast(3)) + "xmp"
            #expect((files[sidecar] != nil) == !raw.hasSuffix(".DNG"), "sidecar presence wrong for \(raw)")
        }
        #expect(files[PhotoSet.catalogPath] != nil)
        #expect(files.keys.filter { $0.hasPrefix(PreviewCache.directory + "/") }.count == summary.previews)
        #expect(summary.previews >= summary.rawFiles)
    }

    @Test("RAW files are TIFF-structured with EXIF, an embedded JPEG preview and sensor data")
    func rawStructure() throws {
        let root = temporaryRoot("structure")
        defer { removeTree(root) }
        _ = try PhotoSet.generate(at: root, spec: .small(seed: 4))
        let files = try snapshot(root)
        var checked = 0
        for (path, file) in files where path.hasSuffix(".NEF") || path.hasSuffix(".ARW") || path.hasSuffix(".DNG") {
            let bytes = file.bytes
            let ifd0Offset = try #require(TIFFReader.firstDirectoryOffset(bytes))
            let ifd0 = try #require(TIFFReader.directory(bytes, at: ifd0Offset))
            func value(_ fields: [TIFFField], _ tag: UInt16) -> Int? { fields.first { $0.tag == tag }.map { Int($0.value) } }
            let preview = try #require(value(ifd0, 513))
            let previewLength = try #require(value(ifd0, 514))
            #expect(bytes[preview] == 0xFF && bytes[preview + 1] == 0xD8, "\(path): preview does not start with SOI")
            #expect(bytes[preview + previewLength - 2] == 0xFF && bytes[preview + previewLength - 1] == 0xD9)
            let share = Double(previewLength) / Double(bytes.count)
            #expect(share > 0.04 && share < 0.11, "\(path): preview is \(share) of the file")
            let exifOffset = try #require(value(ifd0, 34665))
            let exif = try #require(TIFFReader.directory(bytes, at: exifOffset))
            #expect(value(exif, 34855) != nil && value(exif, 33434) != nil && value(exif, 42036) != nil)
            let rawOffset = try #require(value(ifd0, 330))
            let raw = try #require(TIFFReader.directory(bytes, at: rawOffset))
            let strip = try #require(value(raw, 273))
            let stripBytes = try #require(value(raw, 279))
            #expect(strip + stripBytes == bytes.count, "\(path): sensor data does not end the file")
            let width = try #require(value(raw, 256))
            let height = try #require(value(raw, 257))
            if path.hasSuffix(".DNG") {
                let xmp = try #require(ifd0.first { $0.tag == 700 })
                let packet = Array(bytes[Int(xmp.value)..<Int(xmp.value + xmp.count)])
                #expect(packet.starts(with: Array("<?xpacket begin".utf8)) && packet.containsBytes("xmpMM:History"))
                #expect(value(raw, 259) == 7)
                let bits = try #require(value(raw, 258))
                let decoded = try #require(RiceCoding.decode(Array(bytes[strip...]), width: width, rows: height,
                                                             bitsPerSample: bits))
                #expect(decoded.count == width * height)
                #expect(decoded.allSatisfy { Int($0) < 1 << bits })
            } else {
                #expect(value(raw, 259) == 1)
                #expect(bytes.containsBytes("NIKON") || bytes.containsBytes("SONY"))
            }
            checked += 1
        }
        #expect(checked > 0)
    }

    @Test("Uncompressed RAWs compress noticeably with zstd -3; DNG-like ones do not",
          .enabled(if: zstdPath != nil, "the zstd command-line tool is not installed"))
    func compressibility() throws {
        let root = temporaryRoot("zstd")
        defer { removeTree(root) }
        _ = try PhotoSet.generate(at: root, spec: .small(seed: 6))
        var uncompressed = (0, 0)
        var compressed = (0, 0)
        for (path, file) in try snapshot(root) {
            let size = try zstdSize(root + "/" + path)
            if path.hasSuffix(".DNG") {
                compressed = (compressed.0 + file.bytes.count, compressed.1 + size)
            } else if path.hasSuffix(".NEF") || path.hasSuffix(".ARW") {
                uncompressed = (uncompressed.0 + file.bytes.count, uncompressed.1 + size)
            }
        }
        #expect(uncompressed.0 > 0 && compressed.0 > 0)
        let uncompressedRatio = Double(uncompressed.1) / Double(uncompressed.0)
        let compressedRatio = Double(compressed.1) / Double(compressed.0)
        #expect(uncompressedRatio > 0.55 && uncompressedRatio < 0.88, "uncompressed RAWs: zstd ratio \(uncompressedRatio)")
        #expect(compressedRatio > 0.96, "compressed RAWs: zstd ratio \(compressedRatio)")
    }

    @Test("The catalog is a valid SQLite database with Lightroom's tables and one row per photo")
    func catalog() throws {
        let root = temporaryRoot("catalog")
        defer { removeTree(root) }
        let summary = try PhotoSet.generate(at: root, spec: .small(seed: 8))
        let database = try openCatalog(root)
        #expect(try column(database, "PRAGMA integrity_check") == ["ok"])
        #expect(try database.integer("PRAGMA page_size") == 4096)
        let tables = Set(try column(database, "SELECT name FROM sqlite_master WHERE type = 'table'"))
        for table in CatalogSchema.tables { #expect(tables.contains(table), "missing table \(table)") }
        let photos = Int64(summary.rawFiles)
        for table in ["Adobe_images", "AgLibraryFile", "Adobe_imageDevelopSettings", "AgHarvestedExifMetadata",
                      "Adobe_AdditionalMetadata"] {
            #expect(try database.integer("SELECT count(*) FROM \(table)") == photos, "\(table) row count")
        }
        #expect(try database.integer("SELECT count(*) FROM Adobe_libraryImageDevelopHistoryStep") >= photos)
        #expect(try database.integer("SELECT count(*) FROM AgLibraryKeywordImage") > 0)
        #expect(try database.integer("SELECT min(length(text)) FROM Adobe_imageDevelopSettings") > 1_500)
        #expect(try database.integer("SELECT avg(length(text)) FROM Adobe_imageDevelopSettings") > 2_500)
        let develop = try #require(try database.text("SELECT text FROM Adobe_imageDevelopSettings LIMIT 1"))
        #expect(develop.hasPrefix("s = { ") && develop.firstRange(of: "Exposure2012 = ") != nil)
        let onDisk = try snapshot(root)
        for path in try catalogFilePaths(database) { #expect(onDisk[path] != nil, "catalog lists missing \(path)") }
        try database.close()
    }

    @Test("Generating into a folder that holds anything is refused with a clear error")
    func refusesNonEmptyRoot() throws {
        let root = temporaryRoot("nonempty")
        defer { removeTree(root) }
        try FileSystem.makeDirectories(root)
        try FileSystem.writeFile(root + "/notes.txt", Array("keep me".utf8), time: CivilTime(seconds: 0))
        do {
            _ = try PhotoSet.generate(at: root, spec: .small())
            Issue.record("generate did not refuse a non-empty folder")
        } catch {
            #expect(error.kind == .rootNotEmpty)
            #expect(error.description.firstRange(of: root) != nil && error.description.firstRange(of: "notes.txt") != nil)
        }
        #expect(try FileSystem.directoryEntries(root) == ["notes.txt"])
    }

    @Test("File-system failures name the path and the system's reason")
    func fileSystemError() throws {
        let root = temporaryRoot("blocked")
        defer { removeTree(root) }
        try FileSystem.makeDirectories(root)
        try FileSystem.writeFile(root + "/file", [1], time: CivilTime(seconds: 0))
        do {
            _ = try PhotoSet.generate(at: root + "/file/set", spec: .small())
            Issue.record("generate below a regular file succeeded")
        } catch {
            #expect(error.kind == .fileSystem)
            #expect(error.errno != nil)
            #expect(error.description.firstRange(of: root + "/file/set") != nil)
            #expect(error.description.firstRange(of: "Not a directory") != nil, "\(error)")
        }
    }

    @Test("Specs that cannot be met are rejected before anything is written")
    func invalidSpec() throws {
        let root = temporaryRoot("invalid")
        defer { removeTree(root) }
        var spec = PhotoSetSpec.small()
        spec.rawSizeRange = (3 << 20)...(4 << 20)
        #expect(throws: PhotoFixtureError.self) { try PhotoSet.generate(at: root, spec: spec) }
        #expect(try FileSystem.entry(at: root) == .absent)
        #expect(throws: PhotoFixtureError.self) { try PhotoSet.generate(at: root, spec: PhotoSetSpec(seed: 1, totalBytes: 1000)) }
    }
}
