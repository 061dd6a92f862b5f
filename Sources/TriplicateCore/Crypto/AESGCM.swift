// AESGCM: AES-256-GCM sealing and opening through OpenSSL's EVP interface, with the context owned by Swift.
internal import CLibCrypto

/// An AES-256-GCM context (an `EVP_CIPHER_CTX` freed on deinit). Not thread safe: one per worker.
///
/// Output layout is `ciphertext || 16-byte tag`; nonces are 12 bytes. Callers guarantee that a (key, nonce) pair
/// never seals two different plaintexts (see FORMAT.md, "Nonces").
@_spi(Benchmarks) public final class AESGCM {
    /// Key length in bytes.
    public static let keyLength = 32
    /// Nonce length in bytes.
    public static let nonceLength = 12
    /// Tag length in bytes.
    public static let tagLength = 16

    private let ctx: OpaquePointer

    /// Creates a context.
    public init() throws(CoreError) {
        guard let c = EVP_CIPHER_CTX_new() else { throw .library("EVP_CIPHER_CTX_new returned NULL") }
        ctx = c
    }

    deinit { EVP_CIPHER_CTX_free(ctx) }

    private func check(_ rc: Int32, _ call: String) throws(CoreError) {
        guard rc == 1 else {
            let code = ERR_get_error()
            throw .library("\(call) failed (OpenSSL error \(code))")
        }
    }

    /// Starts sealing or opening: checks the key and nonce, sets them, and feeds the associated data.
    private func begin(encrypting: Bool, key: [UInt8], nonce: [UInt8], aad: [UInt8]) throws(CoreError) {
        guard key.count == Self.keyLength, nonce.count == Self.nonceLength else {
            throw .invalidArgument("AES-256-GCM needs a 32-byte key and a 12-byte nonce")
        }
        let initialise = encrypting ? EVP_EncryptInit_ex : EVP_DecryptInit_ex
        let update = encrypting ? EVP_EncryptUpdate : EVP_DecryptUpdate
        let name = encrypting ? "EVP_EncryptInit_ex" : "EVP_DecryptInit_ex"
        try check(initialise(ctx, EVP_aes_256_gcm(), nil, nil, nil), name)
        try check(tri_gcm_set_ivlen(ctx, Int32(Self.nonceLength)), "set GCM IV length")
        try check(initialise(ctx, nil, nil, key, nonce), name + "(key)")
        var outl: Int32 = 0
        if !aad.isEmpty {
            try check(update(ctx, nil, &outl, aad, Int32(aad.count)), encrypting ? "EVP_EncryptUpdate(aad)" : "EVP_DecryptUpdate(aad)")
        }
    }

    /// Encrypts `plaintext` and appends `ciphertext || tag` to `output`.
    public func seal(
        key: [UInt8], nonce: [UInt8], aad: [UInt8], plaintext: UnsafeRawBufferPointer, into output: inout [UInt8]
    ) throws(CoreError) {
        try begin(encrypting: true, key: key, nonce: nonce, aad: aad)
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: plaintext.count + Self.tagLength))
        let rc: Int32 = output.withUnsafeMutableBufferPointer { o in
            guard let base = o.baseAddress else { return 0 }
            let dst = base + start
            var n: Int32 = 0
            if plaintext.count > 0 {
                guard EVP_EncryptUpdate(ctx, dst, &n, plaintext.baseAddress?.assumingMemoryBound(to: UInt8.self),
                                        Int32(plaintext.count)) == 1 else { return 0 }
            }
            var fin: Int32 = 0
            guard EVP_EncryptFinal_ex(ctx, dst + Int(n), &fin) == 1 else { return 0 }
            return tri_gcm_get_tag(ctx, dst + plaintext.count, Int32(Self.tagLength))
        }
        if rc != 1 { output.removeSubrange(start...) }
        try check(rc, "AES-256-GCM seal")
    }

    /// Encrypts `plaintext` piece by piece through `buffer` (at least 16 bytes), handing each piece of
    /// ciphertext and finally the 16-byte tag to `emit`: the same bytes as ``seal(key:nonce:aad:plaintext:into:)``
    /// appends, without an output as large as the input.
    public func seal<E: Error>(
        key: [UInt8], nonce: [UInt8], aad: [UInt8], plaintext: UnsafeRawBufferPointer,
        through buffer: UnsafeMutableRawBufferPointer, emit: (UnsafeRawBufferPointer) throws(E) -> Void
    ) throws(CoreError) -> Result<Void, E> {
        guard buffer.count >= Self.tagLength, let out = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            throw .invalidArgument("AES-256-GCM streaming needs a buffer of at least 16 bytes")
        }
        try begin(encrypting: true, key: key, nonce: nonce, aad: aad)
        var done = 0
        while done < plaintext.count {
            let n = min(buffer.count, plaintext.count - done, Int(Int32.max))
            guard let base = plaintext.baseAddress else { break }
            var written: Int32 = 0
            try check(EVP_EncryptUpdate(ctx, out, &written, (base + done).assumingMemoryBound(to: UInt8.self), Int32(n)),
                      "EVP_EncryptUpdate")
            done += n
            // GCM is a stream mode: every input byte gives one output byte at once.
            do { try emit(UnsafeRawBufferPointer(start: out, count: Int(written))) } catch { return .failure(error) }
        }
        var fin: Int32 = 0
        try check(EVP_EncryptFinal_ex(ctx, out, &fin), "EVP_EncryptFinal_ex")
        try check(tri_gcm_get_tag(ctx, out, Int32(Self.tagLength)), "get GCM tag")
        do { try emit(UnsafeRawBufferPointer(start: out, count: Self.tagLength)) } catch { return .failure(error) }
        return .success(())
    }

    /// Encrypts `plaintext`, returning `ciphertext || tag`.
    public func seal(key: [UInt8], nonce: [UInt8], aad: [UInt8], plaintext: [UInt8]) throws(CoreError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(plaintext.count + Self.tagLength)
        try plaintext.withUnsafeBytesTyped { (p) throws(CoreError) in
            try seal(key: key, nonce: nonce, aad: aad, plaintext: p, into: &out)
        }
        return out
    }

    /// Authenticates and decrypts `ciphertext || tag`. Throws ``CoreError/authenticationFailed(_:)`` naming
    /// `what` when the tag does not match (altered bytes, wrong key, wrong nonce or associated data).
    public func open(
        key: [UInt8], nonce: [UInt8], aad: [UInt8], sealed: UnsafeRawBufferPointer, what: @autoclosure () -> String
    ) throws(CoreError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: max(sealed.count - Self.tagLength, 0))
        _ = try out.withUnsafeMutableBytesTyped { (o) throws(CoreError) -> Int in
            try open(key: key, nonce: nonce, aad: aad, sealed: sealed, into: o, what: what())
        }
        return out
    }

    /// Authenticates and decrypts `ciphertext || tag` into `output` (at least `sealed.count - 16` bytes), which may
    /// be the sealed bytes' own memory (decryption in place); returns the plaintext length. On failure `output`
    /// holds garbage and must not be used.
    public func open(
        key: [UInt8], nonce: [UInt8], aad: [UInt8], sealed: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer,
        what: @autoclosure () -> String
    ) throws(CoreError) -> Int {
        guard sealed.count >= Self.tagLength else { throw .authenticationFailed(what() + " (shorter than a tag)") }
        let n = sealed.count - Self.tagLength
        guard output.count >= n else { throw .invalidArgument("output buffer of \(output.count) bytes for \(n)") }
        guard let src = sealed.baseAddress?.assumingMemoryBound(to: UInt8.self) else { throw .authenticationFailed(what()) }
        // The tag is read before decryption may overwrite anything (in place, output starts where sealed does).
        var tag = [UInt8](repeating: 0, count: Self.tagLength)
        tag.withUnsafeMutableBytes { t in t.copyMemory(from: UnsafeRawBufferPointer(rebasing: sealed[n...])) }
        try begin(encrypting: false, key: key, nonce: nonce, aad: aad)
        let dst = output.baseAddress?.assumingMemoryBound(to: UInt8.self)
        var m: Int32 = 0
        var ok = true
        if n > 0, let dst {
            ok = EVP_DecryptUpdate(ctx, dst, &m, src, Int32(n)) == 1
        }
        ok = ok && tag.withUnsafeBytes { t in tri_gcm_set_tag(ctx, t.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(Self.tagLength)) } == 1
        var fin: Int32 = 0
        var scratch: UInt8 = 0
        ok = ok && withUnsafeMutablePointer(to: &scratch) { sp in EVP_DecryptFinal_ex(ctx, sp, &fin) } == 1
        guard ok else {
            ERR_clear_error()
            throw .authenticationFailed(what())
        }
        return n
    }

    /// Authenticates and decrypts `ciphertext || tag` held in an array.
    public func open(key: [UInt8], nonce: [UInt8], aad: [UInt8], sealed: [UInt8], what: @autoclosure () -> String) throws(CoreError) -> [UInt8] {
        try sealed.withUnsafeBytesTyped { (s) throws(CoreError) -> [UInt8] in
            try open(key: key, nonce: nonce, aad: aad, sealed: s, what: what())
        }
    }
}

/// `AESGCM` owns a mutable C context (or buffers) and must stay on one task at a time: not `Sendable`.
@available(*, unavailable)
extension AESGCM: Sendable {}
