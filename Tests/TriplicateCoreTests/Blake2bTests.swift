// Blake2bTests: BLAKE2b through libb2 against RFC 7693, the official BLAKE2 KAT file, and keyed 32-byte IDs.

@_spi(Benchmarks) import TriplicateCore
import Testing

@testable import TriplicateCore

@Suite("BLAKE2b known answers")
struct Blake2bTests {
    /// The key of every keyed entry of the BLAKE2 reference package's `testvectors/blake2b-kat.txt`: 00 01 … 3f.
    static let katKey = [UInt8](0...63)

    @Test("RFC 7693 Appendix A: BLAKE2b-512(\"abc\")")
    func rfc7693Abc() throws {
        let digest = try KeyedBlake2b.digest(utf8("abc"))
        #expect(
            digest == unhex("""
                BA 80 A5 3F 98 1C 4D 0D 6A 27 97 B6 9F 12 F6 E9 4C 21 2F 14 68 5A C4 B7 4B 12 BB 6F DB FF A2 D1
                7D 87 C5 39 2A AB 79 2D C2 52 D5 DE 45 33 CC 95 18 D3 8A A8 DB F1 92 5A B9 23 86 ED D4 00 99 23
                """))
    }

    @Test("BLAKE2b-512 and BLAKE2b-256 of the empty string")
    func emptyString() throws {
        #expect(
            try KeyedBlake2b.digest([]) == unhex("""
                786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419
                d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce
                """))
        #expect(
            try KeyedBlake2b.digest([], outputLength: 32)
                == unhex("0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"))
    }

    @Test("BLAKE2b-256(\"abc\"): the output length is a parameter of the hash, not a truncation")
    func abc256() throws {
        let digest = try KeyedBlake2b.digest(utf8("abc"), outputLength: 32)
        #expect(digest == unhex("bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319"))
        #expect(digest != Array(try KeyedBlake2b.digest(utf8("abc")).prefix(32)))
    }

    @Test(
        "blake2b-kat.txt, keyed, 64-byte output: inputs 00 01 … of length 0, 1, 2 and 255",
        arguments: [
            (0, """
                10ebb67700b1868efb4417987acf4690ae9d972fb7a590c2f02871799aaa4786
                b5e996e8f0f4eb981fc214b005f42d2ff4233499391653df7aefcbc13fc51568
                """),
            (1, """
                961f6dd1e4dd30f63901690c512e78e4b45e4742ed197c3c5e45c549fd25f2e4
                187b0bc9fe30492b16b0d0bc4ef9b0f34c7003fac09a5ef1532e69430234cebd
                """),
            (2, """
                da2cfbe2d8409a0f38026113884f84b50156371ae304c4430173d08a99d9fb1b
                983164a3770706d537f49e0c916d9f32b95cc37a95b99d857436f0232c88a965
                """),
            (255, """
                142709d62e28fcccd0af97fad0f8465b971e82201dc51070faa0372aa43e9248
                4be1c1e73ba10906d5d1853db6a4106e0a7bf9800d373d6dee2d46d62ef2a461
                """),
        ])
    func officialKeyedKAT(length: Int, expected: String) throws {
        let input = (0..<length).map { UInt8($0) }
        #expect(try KeyedBlake2b.digest(input, key: Self.katKey) == unhex(expected))
    }

    // The expected IDs below were computed with Python's hashlib.blake2b(data, key=key, digest_size=32), an
    // implementation independent of libb2.

    @Test("keyed BLAKE2b-256 IDs agree with hashlib.blake2b(data, key=…, digest_size=32)")
    func keyedIDs() throws {
        let cases: [(key: [UInt8], data: [UInt8], expected: String)] = [
            (Self.katKey, (0..<255).map { UInt8($0) },
             "fe7b76a61787c089141f9e10fca1e5092488d89c62ea793fb2c5b1f849b4f2cb"),
            ([UInt8](0...31), utf8("Triplicate keyed BLAKE2b-256"),
             "28ae4e4f5ab63de31633ad5c007bd880ed1ad05fbf4edcdb6ac354186e70feb6"),
            ([UInt8](0...31), [], "4e51e7a913fc80137da52880fecca175bf81e117d5c68126dc2774033517ea0d"),
            ([UInt8](0...31), [UInt8](repeating: 0, count: 1000),
             "127b603686c0034cd8887c502f1575e608eb73932ed5ffbb839cf842d2972dc7"),
            ([0x2A], utf8("abc"), "0edc1dd9291671bc54f34b383ba7f5e71c315d487d469b8ef5444747f48c12aa"),
        ]
        for c in cases {
            let hasher = try KeyedBlake2b(key: c.key)
            #expect(hasher.id(c.data).hex == c.expected, "key of \(c.key.count) bytes, \(c.data.count) bytes of data")
            #expect(try KeyedBlake2b.digest(c.data, key: c.key, outputLength: 32) == unhex(c.expected))
            let viaPointer = c.data.withUnsafeBytes { hasher.id($0) }
            #expect(viaPointer.hex == c.expected)
        }
    }

    @Test("IDs of one hasher are deterministic and depend on the key")
    func keyMatters() throws {
        let data = pseudoRandomBytes(count: 5000, seed: 7)
        let a = try KeyedBlake2b(key: [UInt8](repeating: 1, count: 32))
        let b = try KeyedBlake2b(key: [UInt8](repeating: 2, count: 32))
        #expect(a.id(data) == a.id(data))
        #expect(a.id(data) != b.id(data))
        #expect(a.id(data) != a.id(flipping(data, at: 4999)))
    }

    @Test("key and output lengths outside 1...64 are refused with invalidArgument")
    func lengthLimits() throws {
        expectCoreError(.invalidArgument) { try KeyedBlake2b(key: []) }
        expectCoreError(.invalidArgument) { try KeyedBlake2b(key: [UInt8](repeating: 0, count: 65)) }
        _ = try KeyedBlake2b(key: [0])
        _ = try KeyedBlake2b(key: [UInt8](repeating: 0, count: 64))
        expectCoreError(.invalidArgument) { try KeyedBlake2b.digest([], outputLength: 0) }
        expectCoreError(.invalidArgument) { try KeyedBlake2b.digest([], outputLength: 65) }
        expectCoreError(.invalidArgument) { try KeyedBlake2b.digest([], key: [UInt8](repeating: 0, count: 65)) }
        #expect(try KeyedBlake2b.digest([], outputLength: 1).count == 1)
    }
}
