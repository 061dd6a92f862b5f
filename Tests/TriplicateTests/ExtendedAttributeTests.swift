// ExtendedAttributeTests: the `user.` extended attributes of files and folders (tags and ratings photo tools write)
// are backed up and restored; others are neither stored nor, from a repository written by hand, ever set.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Testing
import TriplicateSystem
@testable import Triplicate

@Suite struct ExtendedAttributeTests {
    private func set(_ path: String, _ name: String, _ value: String) throws {
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        try #require(fd >= 0 && FileSystem.setUserAttribute(fd: fd, name: Array(name.utf8), value: Array(value.utf8)))
    }

    private func attributes(_ path: String) -> [String: String] {
        Dictionary(uniqueKeysWithValues: FileSystem.userAttributes(path: path).map {
            (String(decoding: $0.name, as: UTF8.self), String(decoding: $0.value, as: UTF8.self))
        })
    }

    @Test func tagsAndRatingsOfFilesAndFoldersComeBack() async throws {
        let t = TempDir("xattr")
        let src = t.sub("Pictures")
        try writeFile(src + "/2024/IMG_0001.CR3", pseudoRandomBytes(20_000, seed: 51))
        try writeFile(src + "/2024/IMG_0002.CR3", pseudoRandomBytes(20_000, seed: 52))
        try set(src + "/2024/IMG_0001.CR3", "user.xdg.tags", "portfolio,wedding")
        try set(src + "/2024/IMG_0001.CR3", "user.rating", "5")
        try set(src + "/2024", "user.xdg.comment", "the Hansen wedding")
        let repo = try await makeRepository(t.sub("repo"))
        settleTimestamps()
        let first = try await repo.backup(paths: [src]).snapshot
        let out = t.sub("out")
        _ = try await repo.restore(first, to: out)
        #expect(attributes(out + "/Pictures/2024/IMG_0001.CR3") == ["user.rating": "5", "user.xdg.tags": "portfolio,wedding"])
        #expect(attributes(out + "/Pictures/2024") == ["user.xdg.comment": "the Hansen wedding"])
        #expect(attributes(out + "/Pictures/2024/IMG_0002.CR3").isEmpty)
        // A rating changed without touching the photo: the next backup reads it, and diff names it.
        try set(src + "/2024/IMG_0001.CR3", "user.rating", "4")
        settleTimestamps()
        let second = try await repo.backup(paths: [src]).snapshot
        let node = try #require(try await repo.list(second, path: "Pictures/2024/IMG_0001.CR3").first?.node)
        #expect(node.attributes.first { $0.name == Array("user.rating".utf8) }?.value == Array("4".utf8))
        #expect(try await repo.diff(first, second).map { "\($0.kind) \($0.path)" } == ["metadata /Pictures/2024/IMG_0001.CR3"])
        // A third backup with nothing changed reuses the file, attributes and all.
        let third = try await repo.backup(paths: [src]).snapshot
        #expect(third.summary.filesRead == 0 && third.record.treeID == second.record.treeID)
    }

    @Test func aRepositoryWrittenByHandCannotSetAttributesOutsideUser() async throws {
        let t = TempDir("xattr-hostile")
        let repo = try await makeRepository(t.sub("repo"))
        var node = fileNode("photo.jpg", [1, 2, 3], repo: repo)
        node.attributes = [ExtendedAttribute(name: Array("security.capability".utf8), value: [1, 0, 0, 2]),
                           ExtendedAttribute(name: Array("trusted.x".utf8), value: [1]),
                           ExtendedAttribute(name: Array("user.ok".utf8), value: [7])]
        let snap = try await commitCraftedSnapshot(repo, root: [node], chunks: [[1, 2, 3]])
        let out = t.sub("out")
        let r = try await repo.restore(snap, to: out)
        #expect(r.files == 1)
        #expect(FileSystem.allAttributeNames(path: out + "/photo.jpg") == ["user.ok"])
    }
}
