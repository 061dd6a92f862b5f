// KeyFileTests: the password-wrapped master secret — right and wrong passwords, repository binding, JSON form.

@_spi(Benchmarks) import TriplicateCore
import Foundation
import Testing

@testable import TriplicateCore

@Suite("Key files")
struct KeyFileTests {
    /// A low scrypt cost so the tests stay fast.
    static let cheap = KeyDerivation.ScryptParameters(n: 1024, r: 8, p: 1)
    static let master = [UInt8](0x01...0x20)
    static let repositoryID = ObjectID(bytes: [UInt8](0xA0...0xBF))
    static let now = Date(timeIntervalSince1970: 1_795_878_149)

    static func make(password: String = "correct horse battery staple") throws -> KeyFile {
        try KeyFile.create(master: master, password: password, repositoryID: repositoryID, parameters: cheap,
                           hostname: "studio", now: now)
    }

    @Test("the right password opens the master secret")
    func rightPassword() throws {
        let file = try Self.make()
        #expect(try file.open(password: "correct horse battery staple", repositoryID: Self.repositoryID, context: "k") == Self.master)
        #expect(file.version == 1 && file.kdf.algorithm == "scrypt")
        #expect(file.kdf.n == 1024 && file.kdf.r == 8 && file.kdf.p == 1)
        #expect(file.hostname == "studio")
        #expect(file.created == "2026-11-28T15:02:29.000Z")
        #expect(Data(base64Encoded: file.kdf.salt)?.count == 32)
        #expect(Data(base64Encoded: file.nonce)?.count == 12)
        #expect(Data(base64Encoded: file.sealed)?.count == 32 + AESGCM.tagLength)
    }

    @Test("a wrong password fails authentication", arguments: ["", "correct horse battery stapl", "Correct horse battery staple", "correct horse battery staple "])
    func wrongPassword(_ password: String) throws {
        let file = try Self.make()
        expectCoreError(.authenticationFailed) { try file.open(password: password, repositoryID: Self.repositoryID, context: "k") }
    }

    @Test("a key file of another repository fails authentication even with the right password")
    func otherRepository() throws {
        let file = try Self.make()
        let other = ObjectID(bytes: flipping([UInt8](0xA0...0xBF), at: 31))
        expectCoreError(.authenticationFailed) {
            try file.open(password: "correct horse battery staple", repositoryID: other, context: "k")
        }
    }

    @Test("non-ASCII passwords work and are compared as UTF-8 bytes")
    func unicodePassword() throws {
        let file = try Self.make(password: "mot de passe: été ☀︎")
        #expect(try file.open(password: "mot de passe: été ☀︎", repositoryID: Self.repositoryID, context: "k") == Self.master)
        // The same text in decomposed form is different bytes, so a different password.
        let decomposed = "mot de passe: e\u{301}te\u{301} ☀︎"
        expectCoreError(.authenticationFailed) { try file.open(password: decomposed, repositoryID: Self.repositoryID, context: "k") }
    }

    @Test("two key files for one master differ (fresh salt and nonce) and both open")
    func freshSaltAndNonce() throws {
        let a = try Self.make(), b = try Self.make()
        #expect(a.kdf.salt != b.kdf.salt && a.nonce != b.nonce && a.sealed != b.sealed)
        #expect(try b.open(password: "correct horse battery staple", repositoryID: Self.repositoryID, context: "k") == Self.master)
    }

    @Test("encode then decode gives the same key file, as sorted-key JSON ending in a newline")
    func json() throws {
        let file = try Self.make()
        let bytes = try file.encode()
        #expect(bytes.last == 0x0A)
        #expect(try KeyFile.decode(bytes, context: "k") == file)
        let text = String(decoding: bytes, as: UTF8.self)
        let keys = ["\"created\"", "\"hostname\"", "\"kdf\"", "\"nonce\"", "\"sealed\"", "\"version\""]
        let positions = keys.compactMap { text.range(of: $0)?.lowerBound }
        #expect(positions.count == keys.count && positions == positions.sorted())
        expectCoreError(.malformed) { try KeyFile.decode(utf8("{\"version\": 1}"), context: "k") }
        expectCoreError(.malformed) { try KeyFile.decode(utf8("not json"), context: "k") }
    }

    @Test("altered fields are refused: sealed bytes, nonce, salt, KDF and version")
    func alteredFields() throws {
        let file = try Self.make()
        func open(_ edit: (inout KeyFile) -> Void) throws -> [UInt8] {
            var f = file
            edit(&f)
            return try f.open(password: "correct horse battery staple", repositoryID: Self.repositoryID, context: "k")
        }
        func flipBase64(_ text: String) -> String {
            Data(flipping([UInt8](Data(base64Encoded: text)!), at: 0)).base64EncodedString()
        }
        expectCoreError(.authenticationFailed, "sealed") { try open { $0.sealed = flipBase64($0.sealed) } }
        expectCoreError(.authenticationFailed, "nonce") { try open { $0.nonce = flipBase64($0.nonce) } }
        expectCoreError(.authenticationFailed, "salt") { try open { $0.kdf.salt = flipBase64($0.kdf.salt) } }
        expectCoreError(.authenticationFailed, "r") { try open { $0.kdf.r = 4 } }
        expectCoreError(.invalidArgument, "N not a power of two") { try open { $0.kdf.n = 1000 } }
        expectCoreError(.malformed, "version") { try open { $0.version = 2 } }
        expectCoreError(.malformed, "algorithm") { try open { $0.kdf.algorithm = "argon2id" } }
        expectCoreError(.malformed, "nonce length") { try open { $0.nonce = Data([1, 2, 3]).base64EncodedString() } }
        expectCoreError(.malformed, "not base64") { try open { $0.sealed = "%%%" } }
    }
}
