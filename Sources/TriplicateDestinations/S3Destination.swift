// S3Destination: a repository under a prefix of a bucket of an S3-compatible object store: Backblaze B2's S3 API
// (b2:BUCKET/PREFIX), AWS S3, Wasabi, MinIO (s3:https://HOST/BUCKET/PREFIX).
public import TriplicateCore
internal import AsyncHTTPClient
internal import NIOCore
internal import NIOHTTP1
internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// A destination in an S3-compatible bucket, reached over HTTP(S) with path-style addressing
/// (`ENDPOINT/BUCKET/PREFIX/NAME`) and AWS Signature Version 4.
///
/// - put is one signed PUT whose body streams from memory or from the file (never read whole into memory),
///   with `x-amz-content-sha256` always sent; S3 stores an object atomically and a finished PUT is durable.
///   Correctness never relies on conditional writes (`If-None-Match`), which B2 does not implement: every
///   name is content-derived, so writing it twice writes the same bytes.
/// - Failures are retried the way Backblaze asks: on 429 and 503 after `Retry-After` (or a backoff), on other
///   5xx, 408, timeouts and broken connections with exponential backoff and jitter on a fresh request;
///   never on 4xx answers about the request or the credentials, which are reported at once.
public struct S3Destination: Destination {
    /// `http` or `https` and host (with port), e.g. `https://s3.eu-central-003.backblazeb2.com`.
    public let endpoint: String
    /// The bucket.
    public let bucket: String
    /// The folder inside the bucket ("" for the bucket's root), without slashes at either end.
    public let prefix: String
    private let signer: SigV4Signer
    private let host: String
    /// Attempts per request for retryable failures.
    public var maxAttempts = 6
    /// The first backoff, doubled at each retry (with jitter).
    public var initialBackoff: Duration = .milliseconds(250)

    /// A destination at `endpoint` (scheme and host, optionally a port), `bucket` and `prefix`.
    public init(endpoint: String, bucket: String, prefix: String, accessKeyID: String, secretKey: String, region: String) {
        var e = endpoint
        while e.hasSuffix("/") { e.removeLast() }
        self.endpoint = e
        self.bucket = bucket
        self.prefix = prefix.split(separator: "/").joined(separator: "/")
        signer = SigV4Signer(accessKeyID: accessKeyID, secretKey: secretKey, region: region)
        host = String(e.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first ?? "")
    }

    public var displayName: String { "s3:\(endpoint)/\(bucket)\(prefix.isEmpty ? "" : "/" + prefix)" }

    // MARK: Requests

    private func key(_ name: String) -> String { prefix.isEmpty ? name : prefix + "/" + name }

    private func checkName(_ name: String) throws(DestinationError) {
        guard ObjectName.isValid(name) else { throw DestinationError(.invalidName, object: name, "is not a valid object name") }
    }

    private static func timestamp(_ date: Date = Date()) -> String {
        var t = time_t(date.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&t, &parts)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }

    /// One response, with at most `maxBody` bytes of its body.
    struct Reply: Sendable {
        var status: UInt
        var headers: [(String, String)]
        var body: [UInt8]
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name }?.1 }
    }

    /// Sends a signed request (retrying what is retryable) and returns the reply; `body` is called again for
    /// every attempt.
    private func send(_ method: HTTPMethod, path: String, query: [(String, String)] = [], headers: [(String, String)] = [],
                      payloadHash: String = SigV4Signer.emptyPayloadHash, object: String?, maxBody: Int = 64 << 20,
                      body: (() -> HTTPClientRequest.Body?)? = nil) async throws(DestinationError) -> Reply {
        var attempt = 0
        while true {
            attempt += 1
            var request = HTTPClientRequest(url: endpoint + SigV4Signer.encodePath(path)
                + (query.isEmpty ? "" : "?" + SigV4Signer.canonicalQuery(query)))
            request.method = method
            var signedHeaders = headers
            signedHeaders.append(("host", host))
            for (k, v) in signer.sign(method: method.rawValue, path: path, query: query, headers: signedHeaders,
                                      payloadHash: payloadHash, timestamp: Self.timestamp()) {
                request.headers.add(name: k, value: v)
            }
            for (k, v) in headers { request.headers.add(name: k, value: v) }
            if let body { request.body = body() }
            let outcome: Result<Reply, DestinationError>
            do {
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
                let collected = try await response.body.collect(upTo: maxBody)
                outcome = .success(Reply(status: response.status.code, headers: response.headers.map { ($0.name, $0.value) },
                                         body: Array(collected.readableBytesView)))
            } catch {
                outcome = .failure(DestinationError(.transient, object: object, "\(method.rawValue) to \(endpoint) failed: \(error)"))
            }
            var retryAfter: Duration?
            switch outcome {
            case .success(let reply) where reply.status == 429 || reply.status == 503:
                if let s = reply.header("retry-after"), let seconds = Int(s) { retryAfter = .seconds(min(seconds, 60)) }
                if attempt >= maxAttempts { throw Self.error(reply, object: object, endpoint: endpoint) }
            case .success(let reply) where reply.status == 408 || reply.status >= 500:
                if attempt >= maxAttempts { throw Self.error(reply, object: object, endpoint: endpoint) }
            case .success(let reply):
                return reply
            case .failure(let e):
                if attempt >= maxAttempts { throw e }
            }
            let base = initialBackoff * Int(1 << min(attempt - 1, 6))
            let jitter = Double.random(in: 0.5...1.0)
            try? await Task.sleep(for: retryAfter ?? base * jitter)
        }
    }

    /// The error an unsuccessful reply means.
    static func error(_ reply: Reply, object: String?, endpoint: String) -> DestinationError {
        let text = String(decoding: reply.body.prefix(2000), as: UTF8.self)
        let code = XMLText.first("Code", in: text) ?? ""
        let message = XMLText.first("Message", in: text) ?? text.prefix(200).description
        let what = "HTTP \(reply.status)\(code.isEmpty ? "" : " " + code): \(message)"
        switch reply.status {
        case 404 where code == "NoSuchBucket":
            return DestinationError(.unavailable, object: object, "\(what); the bucket does not exist at \(endpoint) (run `triplicate init` to create it)")
        case 404:
            return DestinationError(.notFound, object: object, "does not exist (\(what))")
        case 401, 403:
            return DestinationError(.denied, object: object, "the server refused the credentials (\(what)); check B2_APPLICATION_KEY_ID and B2_APPLICATION_KEY (or the key's bucket and capabilities)")
        case 429, 503, 408, 500...599:
            return DestinationError(.transient, object: object, "the server stayed unavailable after retries (\(what)); run the command again later: it resumes from what was stored")
        case 507:
            return DestinationError(.noSpace, object: object, what)
        default:
            return DestinationError(.permanent, object: object, what)
        }
    }

    private func expect(_ reply: Reply, _ statuses: Set<UInt>, object: String?) throws(DestinationError) {
        guard statuses.contains(reply.status) else { throw Self.error(reply, object: object, endpoint: endpoint) }
    }

    // MARK: Bucket

    /// Creates the bucket when it does not exist (for `init`); succeeds when it exists and is the caller's.
    public func createBucketIfNeeded() async throws(DestinationError) {
        let head = try await send(.HEAD, path: "/" + bucket, object: bucket)
        if head.status == 200 { return }
        let reply = try await send(.PUT, path: "/" + bucket, object: bucket)
        if reply.status == 200 { return }
        let code = XMLText.first("Code", in: String(decoding: reply.body, as: UTF8.self))
        if code == "BucketAlreadyOwnedByYou" { return }
        throw Self.error(reply, object: bucket, endpoint: endpoint)
    }

    // MARK: Destination

    public func put(_ name: String, data: [UInt8]) async throws(DestinationError) {
        try checkName(name)
        let hash = SigV4Signer.hex(SigV4Signer.sha256(data))
        let reply = try await send(.PUT, path: "/\(bucket)/\(key(name))", headers: [("content-length", String(data.count))],
                                   payloadHash: hash, object: name) { .bytes(ByteBuffer(bytes: data)) }
        try expect(reply, [200], object: name)
    }

    public func put(_ name: String, file path: String) async throws(DestinationError) {
        try checkName(name)
        let size: Int64
        let hash: String
        do { (size, hash) = try FileSystem.sha256(path) } catch {
            throw DestinationError(.permanent, object: name, "cannot read the file to upload (\(error.reason))")
        }
        let reply = try await send(.PUT, path: "/\(bucket)/\(key(name))", headers: [("content-length", String(size))],
                                   payloadHash: hash, object: name) { .stream(FileChunks(path: path), length: .known(size)) }
        try expect(reply, [200], object: name)
    }

    public func get(_ name: String) async throws(DestinationError) -> [UInt8] {
        try checkName(name)
        let reply = try await send(.GET, path: "/\(bucket)/\(key(name))", object: name, maxBody: Int(UInt32.max))
        try expect(reply, [200], object: name)
        return reply.body
    }

    public func get(_ name: String, range: Range<Int64>) async throws(DestinationError) -> [UInt8] {
        try checkName(name)
        guard !range.isEmpty else {
            _ = try await stat(name)
            return []
        }
        let reply = try await send(.GET, path: "/\(bucket)/\(key(name))", headers: [("range", "bytes=\(range.lowerBound)-\(range.upperBound - 1)")],
                                   object: name, maxBody: Int(range.count) + (64 << 10))
        if reply.status == 416 {
            throw DestinationError(.permanent, object: name, "range \(range) is outside the object")
        }
        try expect(reply, [206, 200], object: name)
        let bytes = reply.status == 200 ? Array(reply.body.dropFirst(Int(range.lowerBound)).prefix(Int(range.count))) : reply.body
        guard bytes.count == Int(range.count) else {
            throw DestinationError(.permanent, object: name, "range \(range) returned \(bytes.count) bytes: it reaches past the end of the object")
        }
        return bytes
    }

    public func list(prefix listPrefix: String) async throws(DestinationError) -> [ObjectInfo] {
        guard ObjectName.isValidPrefix(listPrefix) else {
            throw DestinationError(.invalidName, object: listPrefix, "is not a valid prefix")
        }
        let base = prefix.isEmpty ? "" : prefix + "/"
        var out: [ObjectInfo] = []
        var token: String?
        repeat {
            var query = [("list-type", "2"), ("prefix", base + listPrefix), ("max-keys", "1000")]
            if let token { query.append(("continuation-token", token)) }
            let reply = try await send(.GET, path: "/" + bucket, query: query, object: listPrefix)
            try expect(reply, [200], object: listPrefix)
            let text = String(decoding: reply.body, as: UTF8.self)
            for contents in XMLText.all("Contents", in: text) {
                guard let k = XMLText.first("Key", in: contents), k.hasPrefix(base),
                      let size = XMLText.first("Size", in: contents).flatMap({ Int64($0) }) else { continue }
                let name = String(k.dropFirst(base.count))
                if ObjectName.isValid(name) { out.append(ObjectInfo(name: name, size: size)) }
            }
            token = XMLText.first("IsTruncated", in: text) == "true" ? XMLText.first("NextContinuationToken", in: text) : nil
        } while token != nil
        return out
    }

    public func delete(_ name: String) async throws(DestinationError) {
        try checkName(name)
        let reply = try await send(.DELETE, path: "/\(bucket)/\(key(name))", object: name)
        if reply.status == 404, XMLText.first("Code", in: String(decoding: reply.body, as: UTF8.self)) != "NoSuchBucket" { return }
        try expect(reply, [200, 204], object: name)
    }

    public func stat(_ name: String) async throws(DestinationError) -> ObjectInfo {
        try checkName(name)
        let reply = try await send(.HEAD, path: "/\(bucket)/\(key(name))", object: name)
        try expect(reply, [200], object: name)
        guard let length = reply.header("content-length").flatMap({ Int64($0) }) else {
            throw DestinationError(.permanent, object: name, "the server gave no size")
        }
        return ObjectInfo(name: name, size: length)
    }
}

/// The bytes of a file as an async sequence of 1 MiB buffers, read with pread: an upload streams from disk.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let path: String

    struct Iterator: AsyncIteratorProtocol {
        let fd: Int32
        var offset: Int64 = 0
        mutating func next() async throws -> ByteBuffer? {
            guard fd >= 0 else { throw FileSystemError("open", "upload source") }
            var buffer = ByteBufferAllocator().buffer(capacity: 1 << 20)
            let fd = self.fd, offset = self.offset
            let n = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 1 << 20) { raw in
                Swift.max(pread(fd, raw.baseAddress, raw.count, off_t(offset)), 0)
            }
            guard n > 0 else {
                close(fd)
                return nil
            }
            self.offset += Int64(n)
            return buffer
        }
    }

    func makeAsyncIterator() -> Iterator { Iterator(fd: open(path, O_RDONLY | O_CLOEXEC)) }
}

/// The few XML answers of S3 (errors, listings), read without a parser: the text between tags.
enum XMLText {
    static func first(_ tag: String, in text: String) -> String? { all(tag, in: text).first }

    static func all(_ tag: String, in text: String) -> [String] {
        var out: [String] = []
        var rest = Substring(text)
        while let open = rest.range(of: "<\(tag)>") {
            guard let close = rest.range(of: "</\(tag)>", range: open.upperBound..<rest.endIndex) else { break }
            out.append(unescape(String(rest[open.upperBound..<close.lowerBound])))
            rest = rest[close.upperBound...]
        }
        return out
    }

    static func unescape(_ s: String) -> String {
        guard s.contains("&") else { return s }
        return s.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}

/// A destination whose container may have to be created before a repository can be (a bucket).
package protocol ContainerDestination: Destination {
    /// Creates the container when it does not exist and the credentials allow it.
    func createContainerIfNeeded() async throws(DestinationError)
}

extension S3Destination: ContainerDestination {
    package func createContainerIfNeeded() async throws(DestinationError) { try await createBucketIfNeeded() }
}
