// SigV4: AWS Signature Version 4 for S3-compatible object stores (Backblaze B2, AWS S3, Wasabi, MinIO),
// over OpenSSL's HMAC-SHA256 and SHA-256.
internal import CLibCrypto

/// Signs S3 requests with AWS Signature Version 4, always sending `x-amz-content-sha256` (the payload's
/// SHA-256, or its hex of the empty string for bodiless requests), as Backblaze's S3 API asks.
///
/// The canonical request follows AWS's specification: the method; the path, each segment URI-encoded
/// (unreserved characters `A-Z a-z 0-9 - _ . ~` kept, everything else `%XX` in upper case; `/` kept between
/// segments); the query parameters encoded the same way (`/` too) and sorted by name then value; the
/// headers in lower case, trimmed, with inner runs of spaces collapsed, sorted; the signed header names;
/// the payload hash.
package struct SigV4Signer: Sendable {
    /// The access key ID (B2: the application key ID).
    package let accessKeyID: String
    private let secretKey: String
    /// The region in the credential scope (B2: the part of the endpoint after `s3.`, e.g. `eu-central-003`).
    package let region: String
    /// The service in the credential scope: `s3`.
    package let service: String

    /// The SHA-256 of an empty payload, in hex.
    package static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// A signer for the given credentials and scope.
    package init(accessKeyID: String, secretKey: String, region: String, service: String = "s3") {
        self.accessKeyID = accessKeyID
        self.secretKey = secretKey
        self.region = region
        self.service = service
    }

    /// The headers to add to a request: `x-amz-date`, `x-amz-content-sha256` and `authorization`.
    ///
    /// - Parameters:
    ///   - path: the request path, not yet encoded (e.g. `/bucket/triplicate/data/ab/ab12…`).
    ///   - query: the query parameters, not yet encoded (a parameter without a value has an empty one).
    ///   - headers: every other header sent that is to be signed; `host` is required.
    ///   - payloadHash: the body's SHA-256 in lowercase hex (``emptyPayloadHash`` for none).
    ///   - timestamp: the request time as `YYYYMMDD'T'HHMMSS'Z'` (UTC).
    package func sign(method: String, path: String, query: [(String, String)], headers: [(String, String)],
                     payloadHash: String, timestamp: String) -> [(String, String)] {
        var all = headers.map { ($0.0.lowercased(), Self.trimmed($0.1)) }
        all.append(("x-amz-date", timestamp))
        all.append(("x-amz-content-sha256", payloadHash))
        all.sort { $0.0 < $1.0 }
        let signedHeaders = all.map(\.0).joined(separator: ";")
        let canonical = canonicalRequest(method: method, path: path, query: query, sortedHeaders: all,
                                         signedHeaders: signedHeaders, payloadHash: payloadHash)
        let day = String(timestamp.prefix(8))
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = "AWS4-HMAC-SHA256\n\(timestamp)\n\(scope)\n\(Self.hex(Self.sha256(Array(canonical.utf8))))"
        var key = Self.hmac(Array(("AWS4" + secretKey).utf8), Array(day.utf8))
        key = Self.hmac(key, Array(region.utf8))
        key = Self.hmac(key, Array(service.utf8))
        key = Self.hmac(key, Array("aws4_request".utf8))
        let signature = Self.hex(Self.hmac(key, Array(stringToSign.utf8)))
        return [
            ("x-amz-date", timestamp),
            ("x-amz-content-sha256", payloadHash),
            ("authorization", "AWS4-HMAC-SHA256 Credential=\(accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"),
        ]
    }

    /// The canonical request (exposed for tests against published examples).
    func canonicalRequest(method: String, path: String, query: [(String, String)], sortedHeaders: [(String, String)],
                          signedHeaders: String, payloadHash: String) -> String {
        let headerLines = sortedHeaders.map { "\($0.0):\($0.1)\n" }.joined()
        return [method, Self.encodePath(path), Self.canonicalQuery(query), headerLines, signedHeaders, payloadHash]
            .joined(separator: "\n")
    }

    /// The query string as sent and signed: each name and value URI-encoded, sorted, joined with `&`.
    package static func canonicalQuery(_ query: [(String, String)]) -> String {
        query.map { (encode($0.0), encode($0.1)) }
            .sorted { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// The path as sent and signed: each segment URI-encoded, `/` kept.
    package static func encodePath(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { encode(String($0)) }.joined(separator: "/")
    }

    /// AWS's URI encoding: unreserved characters as they are, every other byte of the UTF-8 as `%XX`.
    package static func encode(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                let digits = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [digits[Int(b >> 4)], digits[Int(b & 15)]], as: UTF8.self)
            }
        }
        return out
    }

    /// A header value trimmed, with inner runs of spaces collapsed to one.
    static func trimmed(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            .trimmingCharacters(in: [" ", "\t"])
    }

    /// HMAC-SHA256 of `data` under `key`.
    package static func hmac(_ key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        // HMAC with SHA-256 over in-memory buffers cannot fail on a working libcrypto.
        _ = HMAC(EVP_sha256(), key, Int32(key.count), data, data.count, &out, &length)
        return out
    }

    /// SHA-256 of `data`.
    package static func sha256(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        out.withUnsafeMutableBufferPointer { o in
            _ = data.withUnsafeBytes { d in EVP_Digest(d.baseAddress, d.count, o.baseAddress, &length, EVP_sha256(), nil) }
        }
        return out
    }

    /// Lowercase hex.
    package static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

private extension String {
    func trimmingCharacters(in set: Set<Character>) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
