// SHA256Tests: SHA-256 through OpenSSL against the FIPS 180-2 examples, as the function that names files.

@_spi(Benchmarks) import TriplicateCore
import Testing

@testable import TriplicateCore

@Suite("SHA-256 known answers")
struct SHA256Tests {
    @Test("FIPS 180-2: SHA-256(\"abc\")")
    func abc() {
        #expect(SHA256.hash(utf8("abc")).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test("SHA-256 of the empty string")
    func empty() {
        #expect(SHA256.hash([]).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let viaPointer = UnsafeRawBufferPointer(start: nil, count: 0)
        #expect(SHA256.hash(viaPointer).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("FIPS 180-2: the two-block message \"abcdbcde…nopq\" and one million \"a\"")
    func longerMessages() {
        #expect(
            SHA256.hash(utf8("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).hex
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            SHA256.hash([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)).hex
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}
