// RepositoryLocation: where a repository lives, parsed once from the text `--repo` and a plan's `repo` take into a
// typed value; DestinationRegistry turns it into a destination.
@_spi(Benchmarks) internal import TriplicateCore
internal import Foundation

/// Where a repository lives.
///
/// Written as text (``init(_:registry:)``, ``description``):
/// - a folder path, or `local:PATH`: a folder on the internal disk, an external disk or a NAS mount;
/// - `usb:PATH`: a folder on a removable drive (an absolute path);
/// - `b2:BUCKET/PREFIX`: a bucket of Backblaze B2, through its S3-compatible API;
/// - `s3:https://HOST/BUCKET/PREFIX`: a bucket of any S3-compatible object store;
/// - `SCHEME:ADDRESS` for a scheme a library user registered with ``DestinationRegistry/register(scheme:_:)``.
public enum RepositoryLocation: Sendable, Hashable, CustomStringConvertible {
    /// A folder (an absolute path, or one relative to the current folder).
    case folder(path: String)
    /// A folder on a removable drive (a destination needs an absolute path; a plan file's relative one is read
    /// against the plan's folder).
    case drive(path: String)
    /// A bucket of an object store, with a prefix inside it.
    case objectStore(ObjectStoreLocation)
    /// A location of a scheme a library user registered: the scheme and the text after its colon.
    case custom(scheme: String, address: String)

    /// Parses `text`. Errors (``TriplicateError/Kind-swift.enum/invalidArgument``) say what is wrong and how the
    /// location is written; a scheme that is neither built in nor in `registry` is one of them.
    public init(_ text: String, registry: DestinationRegistry = .standard) throws(TriplicateError) {
        guard !text.isEmpty else { throw TriplicateError(.invalidArgument, "an empty repository location") }
        guard let colon = text.firstIndex(of: ":"), !text[..<colon].contains("/"), text[..<colon].count > 1 else {
            self = .folder(path: text)
            return
        }
        let scheme = String(text[..<colon])
        let rest = String(text[text.index(after: colon)...])
        switch scheme {
        case "local":
            guard !rest.isEmpty else { throw TriplicateError(.invalidArgument, "local: needs a folder path, e.g. local:/mnt/nas/triplicate") }
            self = .folder(path: rest)
        case "usb":
            guard !rest.isEmpty else {
                throw TriplicateError(.invalidArgument, "usb:PATH needs the path of a folder on the drive, e.g. usb:/media/you/DRIVE/triplicate")
            }
            self = .drive(path: rest)
        case "b2":
            let (bucket, prefix) = try Self.bucketAndPrefix(Substring(rest), in: text, form: "b2:BUCKET/PREFIX")
            self = .objectStore(ObjectStoreLocation(service: .backblazeB2, bucket: bucket, prefix: prefix))
        case "s3":
            guard let sep = rest.range(of: "://"), let slash = rest[sep.upperBound...].firstIndex(of: "/"),
                  rest.hasPrefix("https://") || rest.hasPrefix("http://") else {
                throw TriplicateError(.invalidArgument, "s3: takes an endpoint, a bucket and a prefix: s3:https://HOST/BUCKET/PREFIX")
            }
            let (bucket, prefix) = try Self.bucketAndPrefix(rest[rest.index(after: slash)...], in: text, form: "s3:https://HOST/BUCKET/PREFIX")
            self = .objectStore(ObjectStoreLocation(service: .s3(endpoint: String(rest[..<slash])), bucket: bucket, prefix: prefix))
        default:
            guard registry.knows(scheme) else {
                throw TriplicateError(.invalidArgument, "unknown repository kind \"\(scheme)\" in \(text); use a folder path, usb:, b2: or s3:")
            }
            self = .custom(scheme: scheme, address: rest)
        }
    }

    private static func bucketAndPrefix(_ path: Substring, in text: String, form: String) throws(TriplicateError) -> (String, String) {
        let parts = path.split(separator: "/", maxSplits: 1)
        guard let bucket = parts.first, !bucket.isEmpty, path.first != "/" else {
            throw TriplicateError(.invalidArgument, "no bucket in \(text); write \(form)")
        }
        var prefix = parts.count > 1 ? String(parts[1]) : ""
        while prefix.hasSuffix("/") { prefix.removeLast() }
        return (String(bucket), prefix)
    }

    /// The scheme: `local`, `usb`, `b2`, `s3`, or a registered one.
    public var scheme: String {
        switch self {
        case .folder: "local"
        case .drive: "usb"
        case .objectStore(let o): o.service == .backblazeB2 ? "b2" : "s3"
        case .custom(let scheme, _): scheme
        }
    }

    /// The location as text, as ``init(_:registry:)`` reads it.
    public var description: String {
        switch self {
        case .folder(let path): path.contains(":") ? "local:" + path : path
        case .drive(let path): "usb:" + path
        case .objectStore(let o):
            switch o.service {
            case .backblazeB2: "b2:" + o.bucket + (o.prefix.isEmpty ? "" : "/" + o.prefix)
            case .s3(let endpoint): "s3:" + endpoint + "/" + o.bucket + (o.prefix.isEmpty ? "" : "/" + o.prefix)
            }
        case .custom(let scheme, let address): scheme + ":" + address
        }
    }

    /// The same location with a relative folder or drive path made absolute against `folder` (and `~/` against
    /// `home`), normalized: how a plan file's locations are read.
    func resolvingPaths(against folder: String, home: String) -> RepositoryLocation {
        func resolve(_ path: String) -> String {
            var p = path
            if p == "~" || p.hasPrefix("~/") { p = home + p.dropFirst() }
            if !p.hasPrefix("/") { p = folder + "/" + p }
            return (p as NSString).standardizingPath
        }
        switch self {
        case .folder(let path): return .folder(path: resolve(path))
        case .drive(let path): return .drive(path: resolve(path))
        case .objectStore, .custom: return self
        }
    }
}

/// A bucket of an object store, and the prefix under which the repository's objects are.
public struct ObjectStoreLocation: Sendable, Hashable {
    /// Which object store.
    public enum Service: Sendable, Hashable {
        /// Backblaze B2's S3-compatible API, at `https://s3.REGION.backblazeb2.com` (the region comes with the
        /// credentials, see ``ObjectStoreCredentials``).
        case backblazeB2
        /// Any S3-compatible endpoint, e.g. `https://s3.eu-west-1.amazonaws.com` or `http://127.0.0.1:9000`.
        case s3(endpoint: String)
    }

    /// Which object store.
    public var service: Service
    /// The bucket.
    public var bucket: String
    /// The prefix inside the bucket, without a trailing `/` (empty: the whole bucket).
    public var prefix: String

    /// A bucket and prefix of `service`.
    public init(service: Service, bucket: String, prefix: String) {
        self.service = service
        self.bucket = bucket
        self.prefix = prefix
    }
}

/// The key and region an object store is reached with.
public struct ObjectStoreCredentials: Sendable, Hashable {
    /// The key ID (Backblaze's application key ID, AWS's access key ID).
    public var keyID: String
    /// The secret key.
    public var secret: String
    /// The region (for B2, the part after `s3.` in the bucket's endpoint, e.g. `eu-central-003`); nil: the endpoint
    /// host's second label when it has the form `s3.REGION.…`, else `us-east-1`.
    public var region: String?
    /// An endpoint to use instead of the one the location implies (a B2 endpoint that is not `s3.REGION.backblazeb2.com`).
    public var endpoint: String?

    /// Credentials for an object store.
    public init(keyID: String, secret: String, region: String? = nil, endpoint: String? = nil) {
        self.keyID = keyID
        self.secret = secret
        self.region = region
        self.endpoint = endpoint
    }
}
