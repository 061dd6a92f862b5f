// S3Destination: a repository under a prefix of a bucket of an S3-compatible object store: Backblaze B2's S3 API
// (b2:BUCKET/PREFIX), AWS S3, Wasabi, MinIO (s3:https://HOST/BUCKET/PREFIX).
@_spi(Benchmarks) public import TriplicateCore
internal import AsyncHTTPClient
internal import NIOCore
internal import NIOHTTP1
public import struct Foundation.Date
internal import Foundation
internal import Synchronization
internal import TriplicateSystem

/// A destination in an S3-compatible bucket, reached over HTTP(S) with path-style addressing
/// (`ENDPOINT/BUCKET/PREFIX/NAME`) and AWS Signature Version 4.
///
/// - put is one signed PUT whose body streams from memory or from the file (never read whole into memory),
///   with `x-amz-content-sha256` always sent; S3 stores an object atomically and a finished PUT is durable.
///   A file of ``multipartThreshold`` bytes or more goes up as a multipart upload instead: parts of
///   ``partSize`` bytes, ``parallelParts`` at once, each retried on its own; the object appears only when the
///   upload is completed, and a failed upload is aborted.
///   Correctness never relies on conditional writes (`If-None-Match`), which B2 does not implement: every
///   name is content-derived, so writing it twice writes the same bytes.
/// - Failures are retried the way Backblaze asks: on 429 and 503 after `Retry-After` (or a backoff), on other
///   5xx, 408, timeouts and broken connections with exponential backoff and jitter, each retry on a fresh
///   connection;
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
    /// How long a connection may go without sending or receiving a byte before the request is given up (and
    /// retried on a fresh connection). There is no limit on a whole transfer, which a slow uplink may need.
    public var idleTimeout: Duration = .seconds(60)
    /// Files of at least this many bytes are put as multipart uploads.
    public var multipartThreshold: Int64 = 16 << 20
    /// The size of every part of a multipart upload but the last; at least 5 MiB (S3's minimum), and raised
    /// when an object would otherwise need more than 10,000 parts (S3's maximum).
    public var partSize: Int64 = 8 << 20
    /// How many parts of one multipart upload are sent at once, each on its own connection.
    public var parallelParts = 4
    /// S3's smallest part but the last.
    public static let minimumPartSize: Int64 = 5 << 20
    /// Caps on the bandwidth of this destination's uploads and downloads (none by default), e.g. so that a backup
    /// during work hours leaves the studio's internet usable. A cap may be shared with other destinations.
    public var limits = TransferLimits()

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
        /// Bytes of a successful answer written into the caller's buffer instead of ``body``.
        var received = 0
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name }?.1 }
    }

    /// Sends a signed request (retrying what is retryable) and returns the reply; `body` is called again for
    /// every attempt.
    fileprivate func send(_ method: HTTPMethod, path: String, query: [(String, String)] = [], headers: [(String, String)] = [],
                      payloadHash: String = SigV4Signer.emptyPayloadHash, object: String?, maxBody: Int = 64 << 20, uploading: Int = 0,
                      into target: UnsafeMutableRawBufferPointer? = nil,
                      body: (() -> HTTPClientRequest.Body?)? = nil) async throws(DestinationError) -> Reply {
        var attempt = 0
        while true {
            attempt += 1
            // A body held in memory (an index file, a snapshot) is small: it waits for its whole size at once. Files
            // stream in pieces that each wait (FileChunks).
            if uploading > 0, let limit = limits.upload { await limit.take(uploading) }
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
            var outcome: Result<Reply, DestinationError> = .failure(DestinationError(.transient, object: object, "no answer"))
            do {
                let client = S3Clients.client(idleTimeout: idleTimeout, fresh: attempt > 1)
                let response = try await client.execute(request, timeout: .hours(24))
                let collected: ByteBuffer
                if let target, (200..<300).contains(response.status.code) {
                    // A successful answer goes straight into the caller's buffer, piece by piece as it arrives.
                    var received = 0
                    for try await piece in response.body {
                        let n = piece.readableBytes
                        guard received + n <= target.count else { throw NIOTooManyBytesError(maxBytes: target.count) }
                        await limits.download?.take(n)
                        piece.withUnsafeReadableBytes { raw in
                            UnsafeMutableRawBufferPointer(rebasing: target[received..<received + n]).copyMemory(from: raw)
                        }
                        received += n
                    }
                    outcome = .success(Reply(status: response.status.code, headers: response.headers.map { ($0.name, $0.value) },
                                             body: [], received: received))
                    throw Delivered()
                } else if let limit = limits.download {
                    var all = ByteBuffer()
                    for try await var piece in response.body {
                        guard all.readableBytes + piece.readableBytes <= maxBody else { throw NIOTooManyBytesError(maxBytes: maxBody) }
                        await limit.take(piece.readableBytes)
                        all.writeBuffer(&piece)
                    }
                    collected = all
                } else {
                    collected = try await response.body.collect(upTo: maxBody)
                }
                outcome = .success(Reply(status: response.status.code, headers: response.headers.map { ($0.name, $0.value) },
                                         body: Array(collected.readableBytesView)))
            } catch is Delivered {
                // The answer is in `outcome` already.
            } catch {
                outcome = .failure(Self.classify(error, method: method, object: object, endpoint: endpoint))
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
            case .failure(let e) where e.kind != .transient:
                throw e
            case .failure(let e):
                if attempt >= maxAttempts {
                    throw DestinationError(.unavailable, object: object, "cannot reach \(endpoint) after \(attempt) attempts (\(e.message)); "
                        + "check the network connection and the endpoint, then run the command again (a backup resumes from what was stored)")
                }
            }
            let base = initialBackoff * Int(1 << min(attempt - 1, 6))
            let jitter = Double.random(in: 0.5...1.0)
            try? await Task.sleep(for: retryAfter ?? base * jitter)
        }
    }

    /// What a failure to get any answer means: a broken connection or a timeout is worth retrying; an invalid
    /// endpoint, a body larger than expected, a file that cannot be read or a cancelled task is not.
    static func classify(_ error: any Error, method: HTTPMethod, object: String?, endpoint: String) -> DestinationError {
        switch error {
        case let e as NIOTooManyBytesError:
            return DestinationError(.permanent, object: object, "the server's answer to \(method.rawValue) is larger than the "
                + "\(e.maxBytes.map { "\($0) bytes" } ?? "size") expected of it")
        case let e as FileSystemError:
            return DestinationError(.permanent, object: object, "cannot read the file to upload (\(e))")
        case is CancellationError:
            return DestinationError(.cancelled, object: object, "cancelled")
        case let e as HTTPClientError where e == .invalidURL || e == .emptyHost || e == .emptyScheme
                                              || e.shortDescription == HTTPClientError.unsupportedScheme("").shortDescription:
            return DestinationError(.permanent, object: object, "\(endpoint) is not a usable endpoint (\(e)); it should look like https://HOST")
        case let e as HTTPClientError where e == .cancelled:
            return DestinationError(.cancelled, object: object, "cancelled")
        default:
            return DestinationError(.transient, object: object, "\(method.rawValue) to \(endpoint) failed: \(error)")
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
            return DestinationError(.unavailable, object: object, "\(what); the bucket does not exist at \(endpoint)",
                                    remedy: .initialize)
        case 404:
            return DestinationError(.notFound, object: object, "does not exist (\(what))")
        case 401, 403:
            return DestinationError(.denied, object: object, "the server refused the credentials (\(what)); check the key ID and the key, and the key's bucket and capabilities",
                                    remedy: .credentials)
        case 429, 503, 408, 500...599:
            return DestinationError(.transient, object: object, "the server stayed unavailable after retries (\(what)); run the command again later: it resumes from what was stored")
        case 507:
            return DestinationError(.noSpace, object: object, what)
        default:
            return DestinationError(.permanent, object: object, what)
        }
    }

    fileprivate func expect(_ reply: Reply, _ statuses: Set<UInt>, object: String?) throws(DestinationError) {
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
        // Content-MD5 on every upload: a bucket with object lock requires it, and every server checks it.
        let reply = try await send(.PUT, path: "/\(bucket)/\(key(name))",
                                   headers: [("content-length", String(data.count)), ("content-md5", Data(MD5.digest(data)).base64EncodedString())],
                                   payloadHash: hash, object: name, uploading: data.count) { .bytes(ByteBuffer(bytes: data)) }
        try expect(reply, [200], object: name)
    }

    public func put(_ name: String, file path: String) async throws(DestinationError) {
        try checkName(name)
        let size: Int64
        let hash: String, md5: String
        if let fileSize = try? FileSystem.size(path), fileSize >= multipartThreshold {
            try await putMultipart(name, file: path, size: fileSize)
            return
        }
        do { (size, hash, md5) = try FileSystem.sha256(path) } catch {
            throw DestinationError(.permanent, object: name, "cannot read the file to upload (\(error.reason))")
        }
        let reply = try await send(.PUT, path: "/\(bucket)/\(key(name))", headers: [("content-length", String(size)), ("content-md5", md5)],
                                   payloadHash: hash, object: name) {
            .stream(FileChunks(path: path, limit: limits.upload), length: .known(size))
        }
        try expect(reply, [200], object: name)
    }

    // MARK: Multipart upload

    /// One part's outcome (a plain struct: task groups hand it back whatever happened).
    private struct PartOutcome: Sendable {
        var number: Int
        var etag: String
        var error: DestinationError?
    }

    /// Puts a large file as a multipart upload. The object appears only when the upload is completed, so no reader
    /// sees a part of it; a failed upload is aborted, so its parts do not linger (a bucket lifecycle rule removes
    /// uploads whose abort could not reach the server either).
    private func putMultipart(_ name: String, file path: String, size: Int64) async throws(DestinationError) {
        let objectPath = "/\(bucket)/\(key(name))"
        let created = try await send(.POST, path: objectPath, query: [("uploads", "")], object: name)
        try expect(created, [200], object: name)
        guard let uploadID = XMLText.first("UploadId", in: String(decoding: created.body, as: UTF8.self)), !uploadID.isEmpty else {
            throw DestinationError(.permanent, object: name, "the server started a multipart upload without naming it (no UploadId)")
        }
        do throws(DestinationError) {
            let etags = try await uploadParts(name, file: path, size: size, objectPath: objectPath, uploadID: uploadID)
            try await completeMultipart(name, size: size, objectPath: objectPath, uploadID: uploadID, etags: etags)
        } catch {
            _ = try? await send(.DELETE, path: objectPath, query: [("uploadId", uploadID)], object: name)
            throw error
        }
    }

    /// The part size for an object of `size` bytes: ``partSize``, at least S3's minimum, and large enough for the
    /// object to fit in 10,000 parts.
    func effectivePartSize(for size: Int64) -> Int64 {
        max(partSize, Self.minimumPartSize, (size + 9_999) / 10_000)
    }

    /// Uploads every part, ``parallelParts`` at a time, and returns their ETags in part order.
    private func uploadParts(_ name: String, file path: String, size: Int64, objectPath: String,
                             uploadID: String) async throws(DestinationError) -> [String] {
        let partSize = effectivePartSize(for: size)
        let count = Int((size + partSize - 1) / partSize)
        var etags = [String](repeating: "", count: count)
        var failure: DestinationError?
        await forEachConcurrently(Array(0..<count), limit: parallelParts, { index in
            let range = Int64(index) * partSize..<min(Int64(index + 1) * partSize, size)
            return await self.uploadPart(name, file: path, range: range, number: index + 1, objectPath: objectPath, uploadID: uploadID)
        }, collect: { outcome in
            if let error = outcome.error {
                if failure == nil { failure = error }
            } else {
                etags[outcome.number - 1] = outcome.etag
            }
            return failure == nil
        })
        if let failure { throw failure }
        return etags
    }

    private func uploadPart(_ name: String, file path: String, range: Range<Int64>, number: Int, objectPath: String,
                            uploadID: String) async -> PartOutcome {
        do throws(DestinationError) {
            let hash: String, md5: String
            do { (_, hash, md5) = try FileSystem.sha256(path, range: range) } catch {
                throw DestinationError(.permanent, object: name, "cannot read the file to upload (\(error))")
            }
            let reply = try await send(.PUT, path: objectPath, query: [("partNumber", String(number)), ("uploadId", uploadID)],
                                       headers: [("content-length", String(range.count)), ("content-md5", md5)], payloadHash: hash, object: name) {
                .stream(FileChunks(path: path, range: range, limit: limits.upload), length: .known(Int64(range.count)))
            }
            try expect(reply, [200], object: name)
            guard let etag = reply.header("etag"), !etag.isEmpty else {
                throw DestinationError(.permanent, object: name, "the server stored part \(number) without an ETag")
            }
            return PartOutcome(number: number, etag: etag, error: nil)
        } catch {
            return PartOutcome(number: number, etag: "", error: error)
        }
    }

    /// Completes the upload. S3 may answer 200 with an error in the body (retried like a 503); and a completion
    /// whose answer was lost makes its retry fail with NoSuchUpload, so before giving up the object itself is
    /// asked whether it is there with the right size.
    private func completeMultipart(_ name: String, size: Int64, objectPath: String, uploadID: String,
                                   etags: [String]) async throws(DestinationError) {
        var xml = "<CompleteMultipartUpload>"
        for (i, etag) in etags.enumerated() {
            xml += "<Part><PartNumber>\(i + 1)</PartNumber><ETag>\(XMLText.escape(etag))</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        let body = Array(xml.utf8)
        let hash = SigV4Signer.hex(SigV4Signer.sha256(body))
        var failure = DestinationError(.transient, object: name, "the multipart upload was not completed")
        for attempt in 1...max(maxAttempts, 1) {
            do throws(DestinationError) {
                let reply = try await send(.POST, path: objectPath, query: [("uploadId", uploadID)],
                                           headers: [("content-length", String(body.count))], payloadHash: hash, object: name) {
                    .bytes(ByteBuffer(bytes: body))
                }
                let text = String(decoding: reply.body.prefix(4000), as: UTF8.self)
                if reply.status == 200, !text.contains("<Error>") { return }
                failure = reply.status == 200
                    ? DestinationError(.transient, object: name, "completing the multipart upload failed: \(XMLText.first("Code", in: text) ?? "") "
                        + (XMLText.first("Message", in: text) ?? ""))
                    : Self.error(reply, object: name, endpoint: endpoint)
            } catch {
                failure = error
            }
            if let info = try? await stat(name), info.size == size { return }
            guard failure.kind == .transient, attempt < maxAttempts else { break }
            try? await Task.sleep(for: initialBackoff * Int(1 << min(attempt - 1, 6)))
        }
        throw failure
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

    public func get(_ name: String, range: Range<Int64>, into buffer: UnsafeMutableRawBufferPointer) async throws(DestinationError) {
        try checkName(name)
        guard !range.isEmpty else {
            _ = try await stat(name)
            return
        }
        guard buffer.count >= Int(range.count) else {
            throw DestinationError(.permanent, object: name, "a buffer of \(buffer.count) bytes cannot hold the range \(range)")
        }
        let target = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<Int(range.count)])
        let reply = try await send(.GET, path: "/\(bucket)/\(key(name))", headers: [("range", "bytes=\(range.lowerBound)-\(range.upperBound - 1)")],
                                   object: name, into: target)
        if reply.status == 416 {
            throw DestinationError(.permanent, object: name, "range \(range) is outside the object")
        }
        // A server that ignores the range answers 200 with the whole object: it does not fit the buffer, and the
        // read above failed as too large, unless the object is exactly the range.
        try expect(reply, [206, 200], object: name)
        guard reply.received == Int(range.count), reply.status == 206 || range.lowerBound == 0 else {
            throw DestinationError(.permanent, object: name, "range \(range) returned \(reply.received) bytes: it reaches past the end of the object")
        }
    }

    public func list(prefix listPrefix: String) async throws(DestinationError) -> [ObjectInfo] {
        try await listWithDates(prefix: listPrefix).map(\.0)
    }

    /// The listing, with each object's last modification.
    func listWithDates(prefix listPrefix: String) async throws(DestinationError) -> [(ObjectInfo, Date)] {
        guard ObjectName.isValidPrefix(listPrefix) else {
            throw DestinationError(.invalidName, object: listPrefix, "is not a valid prefix")
        }
        let base = prefix.isEmpty ? "" : prefix + "/"
        var out: [(ObjectInfo, Date)] = []
        var token: String?
        repeat {
            var query = [("list-type", "2"), ("prefix", base + listPrefix), ("max-keys", "1000")]
            if let token { query.append(("continuation-token", token)) }
            let reply = try await send(.GET, path: "/" + bucket, query: query, object: listPrefix)
            try expect(reply, [200], object: listPrefix)
            let text = String(decoding: reply.body, as: UTF8.self)
            for contents in XMLText.all("Contents", in: text) {
                guard let k = XMLText.first("Key", in: contents), k.hasPrefix(base),
                      let size = XMLText.first("Size", in: contents).flatMap({ Int64($0) }), size >= 0 else { continue }
                let name = String(k.dropFirst(base.count))
                let modified = XMLText.first("LastModified", in: contents).flatMap(ISOTime.parse) ?? .distantPast
                if ObjectName.isValid(name) { out.append((ObjectInfo(name: name, size: size), modified)) }
            }
            token = XMLText.first("IsTruncated", in: text) == "true" ? XMLText.first("NextContinuationToken", in: text) : nil
        } while token != nil
        return out
    }

    /// Deletes the object for good: every version of it (a bucket that keeps versions, as B2 does and as object lock
    /// requires, would otherwise only hide it behind a delete marker, and go on storing and billing it). Each version is
    /// deleted by its ID, so a version that object lock still protects fails (403) before anything changes; a server
    /// that lists no versions gets a plain DELETE.
    public func delete(_ name: String) async throws(DestinationError) {
        try checkName(name)
        let versions = (try? await versions(of: name)) ?? []
        if versions.isEmpty {
            let reply = try await send(.DELETE, path: "/\(bucket)/\(key(name))", object: name)
            if reply.status == 404, XMLText.first("Code", in: String(decoding: reply.body, as: UTF8.self)) != "NoSuchBucket" { return }
            try expect(reply, [200, 204], object: name)
            return
        }
        for version in versions {
            let reply = try await send(.DELETE, path: "/\(bucket)/\(key(name))", query: [("versionId", version)], object: name)
            if reply.status == 404, XMLText.first("Code", in: String(decoding: reply.body, as: UTF8.self)) != "NoSuchBucket" { continue }
            if reply.status == 403 {
                throw DestinationError(.denied, object: name, "the bucket refuses to delete it: object lock still protects it, or the key may not delete files (\(Self.error(reply, object: nil, endpoint: endpoint).message))")
            }
            try expect(reply, [200, 204], object: name)
        }
    }

    /// The version IDs (and delete markers) the bucket keeps for the object `name`.
    private func versions(of name: String) async throws(DestinationError) -> [String] {
        let k = key(name)
        var out: [String] = []
        for entry in try await versionEntries(prefix: k) where entry.key == k { out.append(entry.version) }
        return out
    }

    /// One entry of a ListObjectVersions answer.
    struct VersionEntry: Sendable {
        var key: String
        var version: String
        var size: Int64
        var isLatest: Bool
        var isDeleteMarker: Bool
    }

    /// Every version and delete marker under the key prefix `keyPrefix` (paged through).
    func versionEntries(prefix keyPrefix: String) async throws(DestinationError) -> [VersionEntry] {
        var out: [VersionEntry] = []
        var keyMarker: String?
        var versionMarker: String?
        repeat {
            var query = [("versions", ""), ("prefix", keyPrefix), ("max-keys", "1000")]
            if let keyMarker { query.append(("key-marker", keyMarker)) }
            if let versionMarker { query.append(("version-id-marker", versionMarker)) }
            let reply = try await send(.GET, path: "/" + bucket, query: query, object: keyPrefix)
            try expect(reply, [200], object: keyPrefix)
            let text = String(decoding: reply.body, as: UTF8.self)
            for (tag, marker) in [("Version", false), ("DeleteMarker", true)] {
                for v in XMLText.all(tag, in: text) {
                    guard let k = XMLText.first("Key", in: v), let id = XMLText.first("VersionId", in: v) else { continue }
                    out.append(VersionEntry(key: k, version: id, size: XMLText.first("Size", in: v).flatMap { Int64($0) } ?? 0,
                                            isLatest: XMLText.first("IsLatest", in: v) == "true", isDeleteMarker: marker))
                }
            }
            if XMLText.first("IsTruncated", in: text) == "true" {
                keyMarker = XMLText.first("NextKeyMarker", in: text)
                versionMarker = XMLText.first("NextVersionIdMarker", in: text)
                if keyMarker == nil { break }
            } else {
                keyMarker = nil
            }
        } while keyMarker != nil
        return out
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

/// The bytes of a file (or of a range of it) as an async sequence of buffers of up to 1 MiB, read with pread: an
/// upload streams from disk. A file that ends early is an error, not a short body.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let path: String
    var range: Range<Int64>?
    /// A cap on the bytes per second: each piece waits its turn, and pieces are smaller.
    var limit: BandwidthLimit?

    init(path: String, range: Range<Int64>? = nil, limit: BandwidthLimit? = nil) {
        self.path = path
        self.range = range
        self.limit = limit
    }

    struct Iterator: AsyncIteratorProtocol {
        let path: String
        let fd: Int32
        let openError: FileSystemError?
        var offset: Int64
        let end: Int64
        let exact: Bool
        let limit: BandwidthLimit?
        mutating func next() async throws -> ByteBuffer? {
            if let openError { throw openError }
            guard offset < end else {
                FileSystem.closeQuietly(fd)
                return nil
            }
            let want = Int(Swift.min(Int64(limit?.pieceSize ?? 1 << 20), end - offset))
            var buffer = ByteBufferAllocator().buffer(capacity: want)
            let fd = self.fd, offset = self.offset
            var failed: FileSystemError?
            let path = self.path
            let n = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: want) { raw in
                do throws(FileSystemError) {
                    return try FileSystem.readSome(fd, at: offset, into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<want]), path: path)
                } catch {
                    failed = error
                    return 0
                }
            }
            if let failed {
                FileSystem.closeQuietly(fd)
                throw failed
            }
            if n == 0 && exact {
                FileSystem.closeQuietly(fd)
                throw FileSystemError("read", path, code: FileSystemError.ioError)
            }
            guard n > 0 else {
                FileSystem.closeQuietly(fd)
                return nil
            }
            self.offset += Int64(n)
            await limit?.take(n)
            return buffer
        }
    }

    func makeAsyncIterator() -> Iterator {
        let opened = Result { () throws(FileSystemError) in try FileSystem.openForReading(path) }
        let fd = (try? opened.get()) ?? -1
        let openError: FileSystemError? = if case .failure(let e) = opened { e } else { nil }
        return Iterator(path: path, fd: fd, openError: openError, offset: range?.lowerBound ?? 0,
                        end: range?.upperBound ?? Int64.max, exact: range != nil, limit: limit)
    }
}

/// Thrown inside ``S3Destination/send`` once a successful answer is in the caller's buffer, to leave the reading.
private struct Delivered: Error {}

/// HTTP clients, made on first use and kept for the life of the process (like `HTTPClient.shared`, whose redirects
/// and 90-second timeouts suit a browser, not signed uploads): one per idle timeout for first attempts, whose
/// connections are kept alive and reused, and one per idle timeout for retries, which keeps no idle connection, so
/// that a retry never goes out on the connection that just failed or answered 5xx (Backblaze asks for a fresh one).
enum S3Clients {
    private struct Key: Hashable {
        var idleTimeout: Duration
        var fresh: Bool
    }

    private static let clients = Mutex<[Key: HTTPClient]>([:])

    static func client(idleTimeout: Duration, fresh: Bool = false) -> HTTPClient {
        clients.withLock { clients in
            let key = Key(idleTimeout: idleTimeout, fresh: fresh)
            if let client = clients[key] { return client }
            let (seconds, attoseconds) = idleTimeout.components
            let idle = TimeAmount.nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
            var configuration = HTTPClient.Configuration(
                certificateVerification: .fullVerification, redirectConfiguration: .disallow,
                timeout: .init(connect: .seconds(10), read: idle, write: idle),
                maximumAllowedIdleTimeInConnectionPool: fresh ? .milliseconds(1) : .seconds(60), decompression: .disabled)
            configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 16
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            clients[key] = client
            return client
        }
    }
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

    /// `s` with `&`, `<`, `>`, `"` and `'` written as entities, for text inside a tag.
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "'", with: "&apos;")
    }

    static func unescape(_ s: String) -> String {
        guard s.contains("&") else { return s }
        return s.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}

extension S3Destination {
    public var placeKind: PlaceKind { .objectStore }

    /// Creates the bucket when it does not exist and the credentials allow it.
    public func createPlace() async throws(DestinationError) { try await createBucketIfNeeded() }

    /// True when the server answers that the bucket does not exist.
    public func isAbsent() async -> Bool { (try? await bucketExists()) == false }

    /// Creates the bucket with object lock enabled when it does not exist, then sets its default retention: every
    /// object written from now on is kept `days` days in compliance mode, which no key, not even the bucket owner's,
    /// can shorten.
    public func enableRetention(days: Int) async throws(DestinationError) {
        guard days >= 1, days <= 36_500 else {
            throw DestinationError(.invalidName, object: bucket, "object lock takes 1 to 36500 days, not \(days)")
        }
        if try await !bucketExists() {
            let made = try await send(.PUT, path: "/" + bucket, headers: [("x-amz-bucket-object-lock-enabled", "true")], object: bucket)
            let code = XMLText.first("Code", in: String(decoding: made.body, as: UTF8.self))
            if made.status != 200, code != "BucketAlreadyOwnedByYou" { throw Self.error(made, object: bucket, endpoint: endpoint) }
        }
        let xml = "<ObjectLockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><ObjectLockEnabled>Enabled</ObjectLockEnabled>"
            + "<Rule><DefaultRetention><Mode>COMPLIANCE</Mode><Days>\(days)</Days></DefaultRetention></Rule></ObjectLockConfiguration>"
        let body = Array(xml.utf8)
        let reply = try await send(.PUT, path: "/" + bucket, query: [("object-lock", "")],
                                   headers: [("content-length", String(body.count)), ("content-md5", Data(MD5.digest(body)).base64EncodedString())],
                                   payloadHash: SigV4Signer.hex(SigV4Signer.sha256(body)), object: bucket) { .bytes(ByteBuffer(bytes: body)) }
        guard reply.status == 200 else {
            let failure = Self.error(reply, object: bucket, endpoint: endpoint)
            if reply.status == 400 || reply.status == 409 {
                throw DestinationError(.permanent, object: bucket, "the bucket \(bucket) was created without object lock, which can only be chosen when a bucket is created (\(failure.message)); use a new bucket")
            }
            throw failure
        }
    }

    /// The bucket's default retention; nil when it has none (no object lock, or no default rule).
    public func retention() async throws(DestinationError) -> Retention? {
        let reply = try await send(.GET, path: "/" + bucket, query: [("object-lock", "")], object: bucket)
        guard reply.status == 200 else {
            if reply.status == 404 || reply.status == 400 { return nil }
            throw Self.error(reply, object: bucket, endpoint: endpoint)
        }
        let text = String(decoding: reply.body, as: UTF8.self)
        guard XMLText.first("ObjectLockEnabled", in: text) == "Enabled", let rule = XMLText.first("DefaultRetention", in: text) else { return nil }
        if let days = XMLText.first("Days", in: rule).flatMap({ Int($0) }), days > 0 { return Retention(days: days) }
        if let years = XMLText.first("Years", in: rule).flatMap({ Int($0) }), years > 0 { return Retention(days: years * 366) }
        return nil
    }

    /// With a default retention: each object under `prefix` written less than that many days ago, with the moment its
    /// retention ends (its last modification plus the days; a version written under a longer rule ends later, and its
    /// delete is then refused and reported).
    public func retainedUntil(prefix listPrefix: String) async throws(DestinationError) -> [String: Date] {
        guard let retention = try await retention() else { return [:] }
        let now = Date()
        var out: [String: Date] = [:]
        for (info, modified) in try await listWithDates(prefix: listPrefix) {
            let until = modified.addingTimeInterval(Double(retention.days) * 86_400)
            if until > now { out[info.name] = until }
        }
        return out
    }

    /// The bytes of versions the bucket keeps for this repository's keys that are no longer the current version
    /// (hidden by a delete, as B2 does unless a lifecycle rule keeps only the last version).
    public func hiddenBytes() async throws(DestinationError) -> Int64? {
        let base = prefix.isEmpty ? "" : prefix + "/"
        return try await versionEntries(prefix: base).reduce(Int64(0)) { $0 + ($1.isLatest || $1.isDeleteMarker ? 0 : max(0, $1.size)) }
    }

    /// Whether the bucket exists; an error when that cannot be found out (an unreachable server).
    func bucketExists() async throws(DestinationError) -> Bool {
        let head = try await send(.HEAD, path: "/" + bucket, object: bucket)
        switch head.status {
        case 200: return true
        case 404: return false
        default: throw Self.error(head, object: bucket, endpoint: endpoint)
        }
    }
}
