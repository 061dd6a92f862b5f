// Tests of `PhotoSet.edit`: what a working day changes, and that sessions chain and repeat exactly.

import Testing
@testable import PhotoFixtures

@Suite("Editing sessions")
struct EditSessionTests {
    /// The path a file had before the session's folder renames.
    private func pathBefore(_ path: String, _ summary: EditSummary) -> String {
        for rename in summary.renamedFolders where path.hasPrefix(rename.to + "/") {
            return rename.from + String(path.dropFirst(rename.to.count))
        }
        return path
    }

    @Test("A session imports, edits, saves DNG metadata, renames and deletes as a working day does")
    func oneSession() throws {
        let root = temporaryRoot("edit")
        defer { removeTree(root) }
        let generated = try PhotoSet.generate(at: root, spec: .small(seed: 21))
        let before = try snapshot(root)
        let catalogBefore = try openCatalog(root)
        let imagesBefore = try catalogBefore.integer("SELECT count(*) FROM Adobe_images")
        let historyBefore = try catalogBefore.integer("SELECT count(*) FROM Adobe_libraryImageDevelopHistoryStep")
        let developBefore = try column(catalogBefore, "SELECT image || ':' || text FROM Adobe_imageDevelopSettings ORDER BY image")
        try catalogBefore.close()
        let latestBefore = before.values.map(\.modified).max() ?? 0

        let summary = try PhotoSet.edit(at: root, session: 1, seed: 5)
        let after = try snapshot(root)

        // A new dated folder of imported photos, with sidecars for NEF/ARW and previews.
        #expect((2...6).contains(summary.importedPhotos))
        #expect(summary.addedFiles.count >= 2 * summary.importedPhotos)
        for path in summary.addedFiles {
            let file = try #require(after[path], "added \(path) is missing")
            #expect(before[pathBefore(path, summary)] == nil, "\(path) existed before")
            #expect(file.modified > latestBefore, "\(path) is not newer than the generated set")
        }
        #expect(summary.addedBytes == summary.addedFiles.reduce(Int64(0)) { $0 + Int64(after[$1]?.bytes.count ?? 0) })

        // Metadata saved into a DNG: it grew, its start is unchanged, its tail shifted.
        #expect(!summary.metadataWrites.isEmpty)
        for write in summary.metadataWrites {
            let old = try #require(before[pathBefore(write.path, summary)]).bytes
            let new = try #require(after[write.path]).bytes
            #expect((100...3300).contains(write.insertedBytes))
            #expect(new.count == old.count + write.insertedBytes)
            let prefix = Int(write.unchangedPrefix)
            let offset = Int(write.offset)
            #expect(prefix >= 100 && prefix <= offset && offset < 64 * 1024)
            #expect(old[0..<prefix] == new[0..<prefix], "the first \(prefix) bytes changed")
            #expect(old[offset...] == new[(offset + write.insertedBytes)...], "the tail is not the old tail shifted")
            #expect(old[offset...] != new[offset..<(offset + old.count - offset)], "the tail did not move")
            #expect(Array(new[offset..<(offset + write.insertedBytes)]).containsBytes("stEvt:action=\"saved\""))
            // The TIFF structure still points at the right places.
            let ifd0Offset = try #require(TIFFReader.firstDirectoryOffset(new))
            let ifd0 = try #require(TIFFReader.directory(new, at: ifd0Offset))
            let preview = Int(try #require(ifd0.first { $0.tag == 513 }).value)
            #expect(new[preview] == 0xFF && new[preview + 1] == 0xD8)
            let xmp = try #require(ifd0.first { $0.tag == 700 })
            #expect(Array(new[Int(xmp.value + xmp.count) - 19..<Int(xmp.value + xmp.count)]) == Array("<?xpacket end=\"w\"?>".utf8))
            let subIFD = try #require(ifd0.first { $0.tag == 330 })
            let raw = try #require(TIFFReader.directory(new, at: Int(subIFD.value)))
            let strip = Int(try #require(raw.first { $0.tag == 273 }).value)
            let stripBytes = Int(try #require(raw.first { $0.tag == 279 }).value)
            #expect(strip + stripBytes == new.count)
        }

        // Sidecars rewritten with a new date; modified files are newer than anything before.
        #expect(summary.sidecarEdits >= 1)
        for path in summary.modifiedFiles {
            let file = try #require(after[path], "modified \(path) is missing")
            #expect(file.modified > latestBefore, "\(path) kept an old time")
            if path != PhotoSet.catalogPath {
                #expect(file.bytes != before[pathBefore(path, summary)]?.bytes, "\(path) did not change")
            }
        }

        // One folder renamed: only the new name exists, with the same files.
        let rename = try #require(summary.renamedFolders.first)
        #expect(try FileSystem.entry(at: root + "/" + rename.from) == .absent)
        #expect(try FileSystem.entry(at: root + "/" + rename.to) == .directory)
        #expect(rename.to.hasPrefix(rename.from + " "))
        #expect(!after.keys.contains { $0.hasPrefix(rename.from + "/") })
        #expect(after.keys.contains { $0.hasPrefix(rename.to + "/") })

        // Deletions: a RAW with its sidecar, and previews.
        #expect(summary.deletedFiles.contains { $0.hasSuffix(".xmp") })
        #expect(summary.deletedFiles.contains { $0.hasSuffix(".lrprev") })
        for path in summary.deletedFiles {
            #expect(before[path] != nil && after[path] == nil, "\(path) was not deleted")
        }
        let deletedRaws = summary.deletedFiles.filter { $0.hasSuffix(".NEF") || $0.hasSuffix(".ARW") || $0.hasSuffix(".DNG") }
        #expect(deletedRaws.count == 1)

        // The catalog changed, is still valid, has more history and matches the disk.
        #expect(after[PhotoSet.catalogPath]?.bytes != before[PhotoSet.catalogPath]?.bytes)
        let catalog = try openCatalog(root)
        #expect(try column(catalog, "PRAGMA integrity_check") == ["ok"])
        #expect(try catalog.integer("SELECT count(*) FROM Adobe_images")
                == imagesBefore + Int64(summary.importedPhotos) - Int64(deletedRaws.count))
        #expect(try catalog.integer("SELECT count(*) FROM Adobe_libraryImageDevelopHistoryStep") > historyBefore)
        let developAfter = Set(try column(catalog, "SELECT image || ':' || text FROM Adobe_imageDevelopSettings ORDER BY image"))
        let changed = developBefore.filter { !developAfter.contains($0) }.count
        #expect(changed >= summary.developEdits + deletedRaws.count && summary.developEdits >= 1)
        let folders = try column(catalog, "SELECT pathFromRoot FROM AgLibraryFolder")
        let renamedPath = String(rename.to.dropFirst("Photos/".count)) + "/"
        #expect(folders.contains(renamedPath) && !folders.contains(String(rename.from.dropFirst("Photos/".count)) + "/"))
        for path in try catalogFilePaths(catalog) { #expect(after[path] != nil, "catalog lists missing \(path)") }
        try catalog.close()
        #expect(summary.catalogBytesAfter == Int64(after[PhotoSet.catalogPath]?.bytes.count ?? 0))
        #expect(generated.rawFiles + summary.importedPhotos - 1
                == after.keys.filter { $0.hasSuffix(".NEF") || $0.hasSuffix(".ARW") || $0.hasSuffix(".DNG") }.count)
    }

    @Test("Sessions chain: 1 then 2 both apply, each later than the last; a repeated session is refused")
    func sessionsInTurn() throws {
        let root = temporaryRoot("chain")
        defer { removeTree(root) }
        _ = try PhotoSet.generate(at: root, spec: .small(seed: 22))
        let first = try PhotoSet.edit(at: root, session: 1, seed: 9)
        let afterFirst = try snapshot(root)
        let second = try PhotoSet.edit(at: root, session: 2, seed: 9)
        let afterSecond = try snapshot(root)
        #expect(first.renamedFolders != second.renamedFolders)
        let latestFirst = afterFirst.values.map(\.modified).max() ?? 0
        for path in second.addedFiles + second.modifiedFiles {
            #expect((afterSecond[path]?.modified ?? 0) > latestFirst, "\(path) is not newer than session 1")
        }
        let catalog = try openCatalog(root)
        #expect(try column(catalog, "PRAGMA integrity_check") == ["ok"])
        #expect(try catalog.text("SELECT value FROM Adobe_variablesTable WHERE name = 'Triplicate_LastEditSession'") == "2")
        try catalog.close()

        for session in [2, 1, 0] {
            do {
                _ = try PhotoSet.edit(at: root, session: session, seed: 9)
                Issue.record("session \(session) was applied again")
            } catch {
                #expect(error.kind == .sessionAlreadyApplied)
            }
        }
        #expect(try snapshot(root) == afterSecond, "a refused session changed files")
        _ = try PhotoSet.edit(at: root, session: 3, seed: 9)
    }

    @Test("Editing sessions are deterministic too")
    func deterministicSessions() throws {
        let first = temporaryRoot("edit-a")
        let second = temporaryRoot("edit-b")
        defer { removeTree(first); removeTree(second) }
        for root in [first, second] {
            _ = try PhotoSet.generate(at: root, spec: .small(seed: 23))
            _ = try PhotoSet.edit(at: root, session: 1, seed: 4)
            _ = try PhotoSet.edit(at: root, session: 2, seed: 4)
        }
        #expect(try snapshot(first) == snapshot(second))
        #expect(try directoryTimes(first) == directoryTimes(second))
    }

    @Test("Editing a folder without a photo set fails clearly")
    func notAPhotoSet() throws {
        let root = temporaryRoot("empty")
        defer { removeTree(root) }
        try FileSystem.makeDirectories(root)
        do {
            _ = try PhotoSet.edit(at: root, session: 1, seed: 1)
            Issue.record("edit succeeded without a catalog")
        } catch {
            #expect(error.kind == .notAPhotoSet)
            #expect(error.description.firstRange(of: "Catalog.lrcat") != nil)
        }
    }
}
