// SystemTests: the file-system layer the engine and the destinations call instead of the C library.
import Foundation
import Testing
import TriplicateSystem

/// A new empty folder under the system's temporary folder, removed by the caller.
private func scratch(_ name: String) throws -> String {
    let path = NSTemporaryDirectory() + "triplicate-system-\(name)-" + UUID().uuidString.prefix(8)
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

@Suite struct FolderTests {
    @Test func aLinkOrAFileWhereAFolderIsOpenedIsRefusedAndNothingIsFollowed() throws {
        let root = try scratch("folder")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/elsewhere", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root + "/link", withDestinationPath: root + "/elsewhere")
        try Data([1]).write(to: URL(fileURLWithPath: root + "/file"))
        let folder = try Folder(path: root)
        defer { folder.close() }
        for name in ["link", "file"] {
            #expect {
                _ = try folder.openFolder(Folder.cName(Array(name.utf8)))
            } throws: { error in
                guard let e = error as? FileSystemError else { return false }
                return Folder.isNotAFolder(e)
            }
        }
        // A new folder is made and opened; making it again is not an error.
        let name = Folder.cName(Array("2026-11".utf8))
        try folder.makeFolder(name)
        try folder.makeFolder(name)
        let child = try folder.openFolder(name)
        child.close()
    }

    @Test func filesAreCreatedOnceRenamedIntoPlaceAndListedAsRawBytes() throws {
        let root = try scratch("files")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let folder = try Folder(path: root)
        defer { folder.close() }
        let fd = try folder.createFile(".tmp-a")
        let bytes: [UInt8] = Array("photo".utf8)
        try FileSystem.writeAll(fd, bytes, path: ".tmp-a")
        FileSystem.setModeAndTime(fd, mode: 0o640, seconds: 1_700_000_000, nanoseconds: 123_456_789)
        try FileSystem.sync(fd, path: ".tmp-a")
        try FileSystem.closeWritten(fd, path: ".tmp-a")
        #expect(throws: FileSystemError.self) { _ = try folder.createFile(".tmp-a") }
        try folder.rename(".tmp-a", to: Folder.cName(Array("DSC_0001.NEF".utf8)))
        try folder.sync(path: root)
        let status = try FileSystem.lstatus(root + "/DSC_0001.NEF")
        #expect(status.kind == .file && status.size == 5 && status.mode == 0o640)
        #expect(status.mtime.seconds == 1_700_000_000 && status.mtime.nanoseconds == 123_456_789)
        #expect(try FileSystem.readFile(root + "/DSC_0001.NEF") == bytes)

        // A name that is not UTF-8 stays the bytes it is.
        let raw: [UInt8] = [0x66, 0xFF, 0x2E, 0x6E, 0x65, 0x66]
        try folder.rename("DSC_0001.NEF", to: Folder.cName(raw))
        #expect(folder.entryNames() == [raw])
        #expect(folder.inode(Folder.cName(raw)) == status.inode)
        #expect(folder.inode(Folder.cName(Array("DSC_0001.NEF".utf8))) == nil)
        folder.removeQuietly(Folder.cName(raw))
        #expect(folder.entryNames().isEmpty)
    }
}

@Suite struct FilesTests {
    @Test func readsReturnWhatIsThereAndZeroAtTheEnd() throws {
        let root = try scratch("read")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/DSC_0001.NEF"
        try FileSystem.writeFile(path, data: Array(0..<100))
        let fd = try FileSystem.openForReading(path, followLink: false)
        defer { FileSystem.closeQuietly(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 8)
        defer { buffer.deallocate() }
        #expect(try FileSystem.readSome(fd, into: buffer, path: path) == 64)
        #expect(try FileSystem.readSome(fd, into: buffer, path: path) == 36)
        #expect(buffer[0] == 64)
        #expect(try FileSystem.readSome(fd, into: buffer, path: path) == 0)
        try FileSystem.rewind(fd, path: path)
        #expect(try FileSystem.readSome(fd, into: buffer, path: path) == 64 && buffer[0] == 0)
        #expect(try FileSystem.readSome(fd, at: 90, into: buffer, path: path) == 10 && buffer[0] == 90)
        #expect(try FileSystem.readSome(fd, at: 100, into: buffer, path: path) == 0)
        #expect(try FileSystem.readExactly(fd, offset: 10, count: 3, path: path) == [10, 11, 12])
        #expect(throws: FileSystemError.self) { _ = try FileSystem.readExactly(fd, offset: 99, count: 2, path: path) }
    }

    @Test func aLinkIsRefusedWhenNotToBeFollowedAndItsStatusIsItsOwn() throws {
        let root = try scratch("link")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileSystem.writeFile(root + "/target", data: [1, 2, 3])
        try FileManager.default.createSymbolicLink(atPath: root + "/link", withDestinationPath: "target")
        #expect { _ = try FileSystem.openForReading(root + "/link", followLink: false) } throws: { error in
            (error as? FileSystemError)?.category == .isALink
        }
        let fd = try FileSystem.openForReading(root + "/link")
        FileSystem.closeQuietly(fd)
        #expect(try FileSystem.lstatus(root + "/link").kind == .symlink)
        #expect(try FileSystem.status(root + "/link").kind == .file)
        #expect(try FileSystem.readLink(root + "/link") == Array("target".utf8))
        #expect(try FileSystem.lstatus(root).kind == .directory)
    }

    @Test func failuresFallIntoTheCategoriesTheDestinationsDecideBy() throws {
        let root = try scratch("errors")
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect { _ = try FileSystem.openForReading(root + "/missing") } throws: { ($0 as? FileSystemError)?.category == .notFound }
        try FileSystem.writeFile(root + "/a", data: [1])
        #expect { _ = try FileSystem.createExclusive(root + "/a") } throws: { ($0 as? FileSystemError)?.category == .exists }
        #expect { _ = try FileSystem.openForReading(root + "/a/b") } throws: { ($0 as? FileSystemError)?.category == .notFound }
        let e = FileSystemError("write", "/mnt/usb/data", code: FileSystemError.noSpace)
        #expect(e.category == .noSpace && e.description.hasPrefix("write /mnt/usb/data: "))
    }

    @Test func globsMatchNamesAndWithPathnameStopAtSlashes() {
        #expect(FileSystem.globMatches("*.tmp", "scratch.tmp"))
        #expect(!FileSystem.globMatches("*.tmp", "scratch.NEF"))
        #expect(FileSystem.globMatches("/home/*/Exports", "/home/anna/Exports", pathname: true))
        #expect(!FileSystem.globMatches("/home/*/Exports", "/home/anna/2026/Exports", pathname: true))
        #expect(FileSystem.globMatches("/home/*/Exports", "/home/anna/2026/Exports"))
    }
}
