// RepositoryConfigTests: the plaintext config file — JSON round trip, its exact form, and refusal of foreign JSON.

@_spi(Benchmarks) import TriplicateCore
import Testing

@testable import TriplicateCore

@Suite("Repository config")
struct RepositoryConfigTests {
    static let id = ObjectID(bytes: [UInt8](0xA0...0xBF))

    @Test("encode then decode gives the same config and repository ID")
    func roundTrip() throws {
        let config = RepositoryConfig(id: Self.id)
        #expect(config.format == "triplicate" && config.version == 1 && config.id == Self.id.hex)
        let decoded = try RepositoryConfig.decode(try config.encode())
        #expect(decoded == config)
        #expect(decoded.repositoryID == Self.id)
    }

    @Test("the file is sorted-key JSON and a newline")
    func exactBytes() throws {
        let text = String(decoding: try RepositoryConfig(id: Self.id).encode(), as: UTF8.self)
        #expect(text == "{\"format\":\"triplicate\",\"id\":\"\(Self.id.hex)\",\"version\":1}\n")
    }

    @Test("a config written by another tool in another key order and spacing still decodes")
    func foreignFormatting() throws {
        let json = "{ \"version\": 1,\n  \"id\": \"\(Self.id.hex.uppercased())\",\n  \"format\": \"triplicate\" }"
        #expect(try RepositoryConfig.decode(utf8(json)).repositoryID == Self.id)
    }

    @Test(
        "foreign or broken JSON is malformed",
        arguments: [
            "",
            "not json",
            "[]",
            "{}",
            "{\"format\":\"restic\",\"id\":\"\(String(repeating: "ab", count: 32))\",\"version\":1}",
            "{\"version\":2,\"id\":\"5c0a\",\"chunker_polynomial\":\"25b468838dcb75\"}",
            "{\"format\":\"triplicate\",\"id\":\"xyz\",\"version\":1}",
            "{\"format\":\"triplicate\",\"id\":\"\(String(repeating: "ab", count: 31))\",\"version\":1}",
            "{\"format\":\"triplicate\",\"version\":1}",
            "{\"format\":\"triplicate\",\"id\":\"\(String(repeating: "ab", count: 32))\"}",
            "{\"format\":\"triplicate\",\"id\":\"\(String(repeating: "ab", count: 32))\",\"version\":\"1\"}",
            "{\"format\":\"Triplicate\",\"id\":\"\(String(repeating: "ab", count: 32))\",\"version\":1}",
        ])
    func foreign(_ json: String) {
        expectCoreError(.malformed) { try RepositoryConfig.decode(utf8(json)) }
    }
}
