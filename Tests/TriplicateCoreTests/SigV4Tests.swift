// SigV4Tests: AWS Signature Version 4 against AWS's published S3 example and against botocore's signer.
@_spi(Benchmarks) import TriplicateCore
import Testing
@testable import TriplicateCore

@Suite("AWS Signature Version 4")
struct SigV4Tests {
    private func signature(_ headers: [(String, String)]) -> String? {
        headers.first { $0.0 == "authorization" }?.1.components(separatedBy: "Signature=").last
    }

    @Test("AWS's S3 example: GET /test.txt with Range bytes=0-9 (the documented signature)")
    func awsExample() {
        let signer = SigV4Signer(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region: "us-east-1")
        let headers = signer.sign(method: "GET", path: "/test.txt", query: [],
                                  headers: [("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9")],
                                  payloadHash: SigV4Signer.emptyPayloadHash, timestamp: "20130524T000000Z")
        let canonical = signer.canonicalRequest(
            method: "GET", path: "/test.txt", query: [],
            sortedHeaders: [("host", "examplebucket.s3.amazonaws.com"), ("range", "bytes=0-9"),
                            ("x-amz-content-sha256", SigV4Signer.emptyPayloadHash), ("x-amz-date", "20130524T000000Z")],
            signedHeaders: "host;range;x-amz-content-sha256;x-amz-date", payloadHash: SigV4Signer.emptyPayloadHash)
        #expect(SigV4Signer.hex(SigV4Signer.sha256(Array(canonical.utf8))) == "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972")
        #expect(headers.first { $0.0 == "authorization" }?.1 == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(headers.contains { $0 == ("x-amz-date", "20130524T000000Z") })
    }

    /// Signatures computed by botocore (the AWS SDK for Python) for the same requests.
    @Test("requests Triplicate sends, signed as botocore signs them", arguments: [
        ("GET", "/photos-bucket", [("list-type", "2"), ("prefix", "triplicate/data/"), ("continuation-token", "1/2=="), ("max-keys", "1000")],
         [("Host", "127.0.0.1:9000")], SigV4Signer.emptyPayloadHash,
         "23fdf4b12f30c1591d02b7ccc7c94700f82cd42ad76b21dc97cf73bbd27f9e16"),
        ("PUT", "/photos-bucket/triplicate/data/ab/abcdef", [],
         [("Host", "127.0.0.1:9000"), ("Content-Length", "21")], "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
         "3861384b43b2971f2855cb8e37f79f9ce06eddf46c5ff230d800208fd11b1c71"),
        ("GET", "/photos-bucket/my folder/a~b", [], [("Host", "127.0.0.1:9000"), ("Range", "bytes=0-9")], SigV4Signer.emptyPayloadHash,
         "6c52cd7d86f905da30c6699ab926cac246dab254710def489e11726a4e9d2fda"),
        ("POST", "/photos-bucket/triplicate/data/ab/abcdef", [("uploads", "")], [("Host", "127.0.0.1:9000")], SigV4Signer.emptyPayloadHash,
         "e12c6f5607867ba23921e22178a7226fff768f18c0a5fc2754de38cd279335f9"),
    ] as [(String, String, [(String, String)], [(String, String)], String, String)])
    func botocore(method: String, path: String, query: [(String, String)], headers: [(String, String)], payload: String, expected: String) {
        let signer = SigV4Signer(accessKeyID: "AKIDTRIPLICATE", secretKey: "secret/KEY+with/slashes", region: "eu-central-003")
        let signed = signer.sign(method: method, path: path, query: query, headers: headers, payloadHash: payload, timestamp: "20261128T120000Z")
        #expect(signature(signed) == expected)
    }

    @Test("the payload hash of 'Welcome to Amazon S3.' and URI encoding of reserved characters")
    func encodingAndHash() {
        #expect(SigV4Signer.hex(SigV4Signer.sha256(Array("Welcome to Amazon S3.".utf8))) == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        #expect(SigV4Signer.encode("a b/c+d=e~f_g.h-i") == "a%20b%2Fc%2Bd%3De~f_g.h-i")
        #expect(SigV4Signer.encode("é") == "%C3%A9")
        #expect(SigV4Signer.encodePath("/bucket/my folder/x") == "/bucket/my%20folder/x")
        #expect(SigV4Signer.canonicalQuery([("b", "2"), ("a", "x y"), ("a", "1")]) == "a=1&a=x%20y&b=2")
        #expect(SigV4Signer.trimmed("  a   b  ") == "a b")
    }
}
