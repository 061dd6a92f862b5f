// AESGCMTests: AES-256-GCM against the McGrew–Viega GCM specification's test cases 13–16, and its refusals.

@_spi(Benchmarks) import TriplicateCore
import Testing

@testable import TriplicateCore

/// One known answer of "The Galois/Counter Mode of Operation (GCM)", McGrew and Viega, Appendix B.
struct GCMCase: Sendable, CustomTestStringConvertible {
    var number: Int
    var key: [UInt8]
    var nonce: [UInt8]
    var aad: [UInt8]
    var plaintext: [UInt8]
    /// `ciphertext || tag`, the layout ``AESGCM`` writes.
    var sealed: [UInt8]
    var testDescription: String { "test case \(number)" }

    static let specKey = unhex("feffe9928665731c6d6a8f9467308308 feffe9928665731c6d6a8f9467308308")
    static let specNonce = unhex("cafebabefacedbaddecaf888")
    static let specPlaintext = unhex("""
        d9313225f88406e5a55909c5aff5269a 86a7a9531534f7da2e4c303d8a318a72
        1c3c0c95956809532fcf0e2449a6b525 b16aedf5aa0de657ba637b391aafd255
        """)
    static let specCiphertext = unhex("""
        522dc1f099567d07f47f37a32a84427d 643a8cdcbfe5c0c97598a2bd2555d1aa
        8cb08e48590dbb3da7b08b1056828838 c5f61e6393ba7a0abcc9f662898015ad
        """)

    /// Test cases 13 to 16: the 256-bit-key cases with a 96-bit IV.
    static let all: [GCMCase] = [
        GCMCase(number: 13, key: [UInt8](repeating: 0, count: 32), nonce: [UInt8](repeating: 0, count: 12), aad: [],
                plaintext: [], sealed: unhex("530f8afbc74536b9a963b4f1c4cb738b")),
        GCMCase(number: 14, key: [UInt8](repeating: 0, count: 32), nonce: [UInt8](repeating: 0, count: 12), aad: [],
                plaintext: [UInt8](repeating: 0, count: 16),
                sealed: unhex("cea7403d4d606b6e074ec5d3baf39d18 d0d1c8a799996bf0265b98b5d48ab919")),
        GCMCase(number: 15, key: specKey, nonce: specNonce, aad: [], plaintext: specPlaintext,
                sealed: specCiphertext + unhex("b094dac5d93471bdec1a502270e3cc6c")),
        GCMCase(number: 16, key: specKey, nonce: specNonce, aad: unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2"),
                plaintext: Array(specPlaintext.prefix(60)),
                sealed: Array(specCiphertext.prefix(60)) + unhex("76fc6ece0f4e1768cddf8853bb2d551b")),
    ]
}

@Suite("AES-256-GCM")
struct AESGCMTests {
    @Test("seal gives the specification's ciphertext || tag", arguments: GCMCase.all)
    func seal(_ c: GCMCase) throws {
        let sealed = try AESGCM().seal(key: c.key, nonce: c.nonce, aad: c.aad, plaintext: c.plaintext)
        #expect(sealed == c.sealed)
    }

    @Test("sealing through a small buffer emits exactly the one-shot ciphertext and tag", arguments: [16, 17, 4096, 1 << 20])
    func streamedSealMatches(bufferSize: Int) throws {
        let key = pseudoRandomBytes(count: 32, seed: 1), nonce = pseudoRandomBytes(count: 12, seed: 2)
        let aad = pseudoRandomBytes(count: 38, seed: 3), plain = pseudoRandomBytes(count: 100_003, seed: 4)
        let expected = try AESGCM().seal(key: key, nonce: nonce, aad: aad, plaintext: plain)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        var out: [UInt8] = []
        let result = try plain.withUnsafeBytes { p in
            try AESGCM().seal(key: key, nonce: nonce, aad: aad, plaintext: p, through: buffer) { (piece: UnsafeRawBufferPointer) throws(CoreError) in
                out.append(contentsOf: piece)
            }
        }
        try result.get()
        #expect(out == expected)
    }

    @Test("opening in place gives the plaintext in the sealed bytes' own memory; a flipped bit fails")
    func openInPlace() throws {
        let key = pseudoRandomBytes(count: 32, seed: 5), nonce = pseudoRandomBytes(count: 12, seed: 6)
        let aad = pseudoRandomBytes(count: 38, seed: 7), plain = pseudoRandomBytes(count: 70_001, seed: 8)
        var sealed = try AESGCM().seal(key: key, nonce: nonce, aad: aad, plaintext: plain)
        let original = sealed
        let n = try sealed.withUnsafeMutableBytes { b in
            try AESGCM().open(key: key, nonce: nonce, aad: aad, sealed: UnsafeRawBufferPointer(b), into: b, what: "blob")
        }
        #expect(n == plain.count)
        #expect(Array(sealed[0..<n]) == plain)
        var tampered = original
        tampered[100] ^= 1
        #expect(throws: CoreError.self) {
            _ = try tampered.withUnsafeMutableBytes { b in
                try AESGCM().open(key: key, nonce: nonce, aad: aad, sealed: UnsafeRawBufferPointer(b), into: b, what: "blob")
            }
        }
    }

    @Test("open returns the specification's plaintext", arguments: GCMCase.all)
    func open(_ c: GCMCase) throws {
        let plain = try AESGCM().open(key: c.key, nonce: c.nonce, aad: c.aad, sealed: c.sealed, what: "case \(c.number)")
        #expect(plain == c.plaintext)
    }

    @Test("a flipped bit in the ciphertext, tag, associated data or nonce fails authentication", arguments: GCMCase.all)
    func tamper(_ c: GCMCase) throws {
        let gcm = try AESGCM()
        func open(key: [UInt8]? = nil, nonce: [UInt8]? = nil, aad: [UInt8]? = nil, sealed: [UInt8]? = nil) throws -> [UInt8] {
            try gcm.open(key: key ?? c.key, nonce: nonce ?? c.nonce, aad: aad ?? c.aad, sealed: sealed ?? c.sealed,
                         what: "case \(c.number)")
        }
        let tagStart = c.sealed.count - AESGCM.tagLength
        for i in 0..<tagStart {
            expectCoreError(.authenticationFailed, "ciphertext byte \(i)") { try open(sealed: flipping(c.sealed, at: i, bit: i % 8)) }
        }
        for i in tagStart..<c.sealed.count {
            expectCoreError(.authenticationFailed, "tag byte \(i)") { try open(sealed: flipping(c.sealed, at: i, bit: 7)) }
        }
        for i in c.aad.indices {
            expectCoreError(.authenticationFailed, "AAD byte \(i)") { try open(aad: flipping(c.aad, at: i, bit: 3)) }
        }
        expectCoreError(.authenticationFailed, "AAD added") { try open(aad: c.aad + [0]) }
        if !c.aad.isEmpty {
            expectCoreError(.authenticationFailed, "AAD removed") { try open(aad: []) }
        }
        for i in c.nonce.indices {
            expectCoreError(.authenticationFailed, "nonce byte \(i)") { try open(nonce: flipping(c.nonce, at: i, bit: 5)) }
        }
        expectCoreError(.authenticationFailed, "key") { try open(key: flipping(c.key, at: 31)) }
        expectCoreError(.authenticationFailed, "truncated") { try open(sealed: Array(c.sealed.dropLast())) }
        expectCoreError(.authenticationFailed, "extended") { try open(sealed: c.sealed + [0]) }
        // The context is still usable after the failures.
        #expect(try open() == c.plaintext)
    }

    @Test("input shorter than a tag fails authentication rather than reading out of bounds")
    func shorterThanTag() throws {
        let gcm = try AESGCM()
        for n in [0, 1, 15] {
            expectCoreError(.authenticationFailed) {
                try gcm.open(key: GCMCase.specKey, nonce: GCMCase.specNonce, aad: [],
                             sealed: [UInt8](repeating: 0, count: n), what: "short")
            }
        }
    }

    @Test("a key that is not 32 bytes or a nonce that is not 12 bytes is an invalid argument")
    func wrongLengths() throws {
        let gcm = try AESGCM()
        let c = GCMCase.all[3]
        for key in [[UInt8](), [UInt8](repeating: 0, count: 16), [UInt8](repeating: 0, count: 24), [UInt8](repeating: 0, count: 33)] {
            expectCoreError(.invalidArgument, "seal, \(key.count)-byte key") {
                try gcm.seal(key: key, nonce: c.nonce, aad: c.aad, plaintext: c.plaintext)
            }
            expectCoreError(.invalidArgument, "open, \(key.count)-byte key") {
                try gcm.open(key: key, nonce: c.nonce, aad: c.aad, sealed: c.sealed, what: "x")
            }
        }
        for nonce in [[UInt8](repeating: 0, count: 8), [UInt8](repeating: 0, count: 16)] {
            expectCoreError(.invalidArgument, "seal, \(nonce.count)-byte nonce") {
                try gcm.seal(key: c.key, nonce: nonce, aad: c.aad, plaintext: c.plaintext)
            }
            expectCoreError(.invalidArgument, "open, \(nonce.count)-byte nonce") {
                try gcm.open(key: c.key, nonce: nonce, aad: c.aad, sealed: c.sealed, what: "x")
            }
        }
    }

    @Test("seal(into:) appends after existing bytes; one context serves many seals and opens")
    func appendAndReuse() throws {
        let gcm = try AESGCM()
        for c in GCMCase.all + GCMCase.all.reversed() {
            var out: [UInt8] = [0xAA, 0xBB]
            try c.plaintext.withUnsafeBytes { p in
                try gcm.seal(key: c.key, nonce: c.nonce, aad: c.aad, plaintext: p, into: &out)
            }
            #expect(out == [0xAA, 0xBB] + c.sealed, "case \(c.number)")
            let sealed = Array(out.dropFirst(2))
            #expect(try gcm.open(key: c.key, nonce: c.nonce, aad: c.aad, sealed: sealed, what: "x") == c.plaintext)
        }
    }

    @Test("a large message round-trips and is sealed to its length plus the tag")
    func largeRoundTrip() throws {
        let gcm = try AESGCM()
        let key = pseudoRandomBytes(count: 32, seed: 1), nonce = pseudoRandomBytes(count: 12, seed: 2)
        let plain = patternedBytes(count: 256 << 10)
        let sealed = try gcm.seal(key: key, nonce: nonce, aad: utf8("aad"), plaintext: plain)
        #expect(sealed.count == plain.count + AESGCM.tagLength)
        #expect(try gcm.open(key: key, nonce: nonce, aad: utf8("aad"), sealed: sealed, what: "x") == plain)
    }
}
