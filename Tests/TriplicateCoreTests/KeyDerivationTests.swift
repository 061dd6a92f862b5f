// KeyDerivationTests: HKDF-SHA256 against RFC 5869, scrypt against RFC 7914, and the random-bytes source.

@_spi(Benchmarks) import TriplicateCore
import Testing

@testable import TriplicateCore

@Suite("Key derivation")
struct KeyDerivationTests {
    @Test("RFC 5869 A.1: basic test case with SHA-256")
    func hkdfCase1() throws {
        let okm = try KeyDerivation.hkdfSHA256(
            ikm: [UInt8](repeating: 0x0B, count: 22), salt: unhex("000102030405060708090a0b0c"),
            info: unhex("f0f1f2f3f4f5f6f7f8f9"), length: 42)
        #expect(okm == unhex("""
            3cb25f25faacd57a90434f64d0362f2a 2d2d0a90cf1a5a4c5db02d56ecc4c5bf 34007208d5b887185865
            """))
    }

    @Test("RFC 5869 A.2: longer inputs and outputs (80-byte IKM, salt and info; 82-byte OKM)")
    func hkdfCase2() throws {
        let okm = try KeyDerivation.hkdfSHA256(
            ikm: [UInt8](0x00...0x4F), salt: [UInt8](0x60...0xAF), info: [UInt8](0xB0...0xFF), length: 82)
        #expect(okm == unhex("""
            b11e398dc80327a1c8e7f78c596a4934 4f012eda2d4efad8a050cc4c19afa97c
            59045a99cac7827271cb41c65e590e09 da3275600c2f09b8367793a9aca3db71
            cc30c58179ec3e87c14c01d5c1f3434f 1d87
            """))
    }

    @Test("RFC 5869 A.3: zero-length salt and info")
    func hkdfCase3() throws {
        let okm = try KeyDerivation.hkdfSHA256(ikm: [UInt8](repeating: 0x0B, count: 22), salt: [], info: [UInt8](), length: 42)
        #expect(okm == unhex("""
            8da4e775a563c18f715f802a063c5a31 b8a11f5c5ee1879ec3454e5f3c738d2d 9d201395faa4b61a96c8
            """))
    }

    @Test("HKDF with a String label equals HKDF with its UTF-8 bytes; shorter outputs are prefixes")
    func hkdfLabelAndPrefix() throws {
        let ikm = [UInt8](repeating: 7, count: 32), salt = [UInt8](repeating: 9, count: 32)
        let byString = try KeyDerivation.hkdfSHA256(ikm: ikm, salt: salt, info: "triplicate/v1/pack", length: 64)
        let byBytes = try KeyDerivation.hkdfSHA256(ikm: ikm, salt: salt, info: utf8("triplicate/v1/pack"), length: 64)
        #expect(byString == byBytes)
        let short = try KeyDerivation.hkdfSHA256(ikm: ikm, salt: salt, info: "triplicate/v1/pack", length: 8)
        #expect(short == Array(byString.prefix(8)))
    }

    @Test("RFC 7914 §12 vector 1: scrypt(\"\", \"\", N=16, r=1, p=1) to 64 bytes")
    func scryptVector1() throws {
        let dk = try KeyDerivation.scrypt(password: [], salt: [], parameters: .init(n: 16, r: 1, p: 1), length: 64)
        #expect(dk == unhex("""
            77 d6 57 62 38 65 7b 20 3b 19 ca 42 c1 8a 04 97 f1 6b 48 44 e3 07 4a e8 df df fa 3f ed e2 14 42
            fc d0 06 9d ed 09 48 f8 32 6a 75 3a 0f c8 1f 17 e8 d3 e0 fb 2e 0d 36 28 cf 35 e2 0c 38 d1 89 06
            """))
    }

    @Test("RFC 7914 §12 vector 2: scrypt(\"password\", \"NaCl\", N=1024, r=8, p=16) to 64 bytes")
    func scryptVector2() throws {
        let dk = try KeyDerivation.scrypt(
            password: utf8("password"), salt: utf8("NaCl"), parameters: .init(n: 1024, r: 8, p: 16), length: 64)
        #expect(dk == unhex("""
            fd ba be 1c 9d 34 72 00 78 56 e7 19 0d 01 e9 fe 7c 6a d7 cb c8 23 78 30 e7 73 76 63 4b 37 31 62
            2e af 30 d9 2e 22 a3 88 6f f1 09 27 9d 98 30 da c7 27 af b9 4a 83 ee 6d 83 60 cb df a2 cc 06 40
            """))
    }

    @Test("RFC 7914 §12 vector 3: scrypt(\"pleaseletmein\", \"SodiumChloride\", N=16384, r=8, p=1) to 64 bytes")
    func scryptVector3() throws {
        let dk = try KeyDerivation.scrypt(
            password: utf8("pleaseletmein"), salt: utf8("SodiumChloride"), parameters: .init(n: 16384, r: 8, p: 1),
            length: 64)
        #expect(dk == unhex("""
            70 23 bd cb 3a fd 73 48 46 1c 06 cd 81 fd 38 eb fd a8 fb ba 90 4f 8e 3e a9 b5 43 f6 54 5d a1 f2
            d5 43 29 55 61 3f 0f cf 62 d4 97 05 24 2a 9a f9 e6 1e 85 dc 0d 65 1e 40 df cf 01 7b 45 57 58 87
            """))
    }

    @Test("scrypt output of any length is a prefix of the longer output with the same inputs")
    func scryptLength() throws {
        let params = KeyDerivation.ScryptParameters(n: 16, r: 1, p: 1)
        let long = try KeyDerivation.scrypt(password: [], salt: [], parameters: params, length: 64)
        let short = try KeyDerivation.scrypt(password: [], salt: [], parameters: params, length: 32)
        #expect(short == Array(long.prefix(32)))
    }

    @Test(
        "scrypt parameters outside the accepted bounds are refused before any work",
        arguments: [
            KeyDerivation.ScryptParameters(n: 0, r: 8, p: 1),
            KeyDerivation.ScryptParameters(n: 1, r: 8, p: 1),
            KeyDerivation.ScryptParameters(n: 1000, r: 8, p: 1),
            KeyDerivation.ScryptParameters(n: 1 << 21, r: 1, p: 1),
            KeyDerivation.ScryptParameters(n: 1 << 40, r: 8, p: 1),
            KeyDerivation.ScryptParameters(n: 1024, r: 0, p: 1),
            KeyDerivation.ScryptParameters(n: 1024, r: 17, p: 1),
            KeyDerivation.ScryptParameters(n: 1024, r: 8, p: 0),
            KeyDerivation.ScryptParameters(n: 1024, r: 8, p: 17),
            // N·r·p above 2^24.
            KeyDerivation.ScryptParameters(n: 1 << 20, r: 8, p: 16),
            // More than 1 GiB of memory: 128 · 16 · (2^20 + 3) bytes.
            KeyDerivation.ScryptParameters(n: 1 << 20, r: 16, p: 1),
        ])
    func scryptRange(_ p: KeyDerivation.ScryptParameters) {
        #expect(!p.isAcceptable)
        expectCoreError(.invalidArgument, "N=\(p.n) r=\(p.r) p=\(p.p)") {
            try KeyDerivation.scrypt(password: utf8("pw"), salt: utf8("salt"), parameters: p, length: 32)
        }
    }

    @Test("the edges of the accepted bounds are accepted")
    func scryptBoundsAccepted() throws {
        #expect(KeyDerivation.ScryptParameters(n: 2, r: 1, p: 1).isAcceptable)
        #expect(KeyDerivation.ScryptParameters(n: 2, r: 16, p: 16).isAcceptable)
        #expect(KeyDerivation.ScryptParameters(n: 1024, r: 8, p: 16).isAcceptable)
        #expect(KeyDerivation.ScryptParameters(n: 1 << 20, r: 1, p: 1).isAcceptable)
        #expect(KeyDerivation.ScryptParameters.default.isAcceptable)
        #expect(try KeyDerivation.scrypt(password: [1], salt: [2], parameters: .init(n: 2, r: 16, p: 16), length: 16).count == 16)
    }

    @Test("the default scrypt cost is N = 2^15, r = 8, p = 2: the work of 2^16 in 32 MiB")
    func scryptDefault() {
        let d = KeyDerivation.ScryptParameters.default
        #expect(d == .init(n: 32768, r: 8, p: 2))
        #expect(d.n * d.r * d.p == 65536 * 8 * 1)
        #expect(d.memoryBytes <= 33 << 20)
    }

    @Test("random bytes have the requested length and differ between calls")
    func randomBytes() throws {
        let a = try KeyDerivation.randomBytes(32), b = try KeyDerivation.randomBytes(32)
        #expect(a.count == 32 && b.count == 32)
        #expect(a != b)
        #expect(try KeyDerivation.randomBytes(0).isEmpty)
    }
}
