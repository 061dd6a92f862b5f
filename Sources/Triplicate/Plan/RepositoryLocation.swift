// RepositoryLocation: the text that names where a repository lives (`--repo`, a plan's `repo`) turned into a destination.
internal import Foundation

/// Turns a repository location into a destination:
/// - a folder path or `local:PATH`: ``LocalDirectory`` (internal disk, NAS mount);
/// - `usb:PATH`: ``RemovableDrive``;
/// - `b2:BUCKET/PREFIX`: ``S3Destination`` at Backblaze B2's S3 endpoint, `https://s3.REGION.backblazeb2.com` with
///   REGION from `B2_REGION`, or the endpoint in `B2_ENDPOINT`;
/// - `s3:https://HOST/BUCKET/PREFIX`: ``S3Destination`` at any S3-compatible endpoint.
///
/// Credentials come from `B2_APPLICATION_KEY_ID` and `B2_APPLICATION_KEY` (or `AWS_ACCESS_KEY_ID` and
/// `AWS_SECRET_ACCESS_KEY`); the region from `B2_REGION` or `AWS_REGION`, else the endpoint's host.
public enum RepositoryLocation {
    /// The kind of place a location names.
    public enum Kind: Sendable, Hashable {
        /// A folder on a disk or a NAS mount.
        case folder
        /// A folder on a removable drive.
        case drive
        /// A bucket of an object store.
        case bucket
    }

    /// The kind of place `location` names, without checking anything else.
    public static func kind(of location: String) -> Kind {
        if location.hasPrefix("usb:") { return .drive }
        if location.hasPrefix("b2:") || location.hasPrefix("s3:") { return .bucket }
        return .folder
    }

    /// The destination `location` names, with credentials from `environment` (nil: this process's). `verifyWrites`
    /// applies to `usb:` only. Errors
    /// (``TriplicateError/Kind-swift.enum/invalidArgument``) say what is wrong with the location or which
    /// environment variable is missing.
    public static func destination(_ location: String, verifyWrites: Bool = false,
                                   environment: [String: String]? = nil) throws(TriplicateError) -> any Destination {
        let environment = environment ?? ProcessInfo.processInfo.environment
        if location.hasPrefix("usb:") {
            let path = String(location.dropFirst(4))
            guard path.hasPrefix("/") else {
                throw TriplicateError(.invalidArgument, "usb:PATH needs an absolute path on the drive, e.g. usb:/media/you/DRIVE/triplicate")
            }
            return RemovableDrive(path: path, verifyWrites: verifyWrites)
        }
        if verifyWrites { throw TriplicateError(.invalidArgument, "--verify-writes applies to a removable drive (usb:PATH)") }
        if location.hasPrefix("b2:") || location.hasPrefix("s3:") { return try objectStore(location, environment: environment) }
        if location.hasPrefix("local:") { return LocalDirectory(path: String(location.dropFirst(6))) }
        if let colon = location.firstIndex(of: ":"), !location[..<colon].contains("/"), location[..<colon].count > 1 {
            throw TriplicateError(.invalidArgument, "unknown repository kind \"\(location[..<colon])\" in \(location); use a folder path, usb:, b2: or s3:")
        }
        return LocalDirectory(path: location)
    }

    private static func objectStore(_ location: String, environment env: [String: String]) throws(TriplicateError) -> S3Destination {
        func value(_ names: String...) -> String? { names.lazy.compactMap { env[$0] }.first { !$0.isEmpty } }
        let endpoint: String
        let path: Substring
        if location.hasPrefix("b2:") {
            path = location.dropFirst(3)
            if let e = value("B2_ENDPOINT") {
                endpoint = e
            } else if let region = value("B2_REGION") {
                endpoint = "https://s3.\(region).backblazeb2.com"
            } else {
                throw TriplicateError(.invalidArgument, "b2: needs B2_REGION (the part after s3. in the bucket's endpoint, e.g. eu-central-003) or B2_ENDPOINT")
            }
        } else {
            let rest = location.dropFirst(3)
            guard let scheme = rest.range(of: "://"), let slash = rest[scheme.upperBound...].firstIndex(of: "/") else {
                throw TriplicateError(.invalidArgument, "s3: takes an endpoint, a bucket and a prefix: s3:https://HOST/BUCKET/PREFIX")
            }
            endpoint = String(rest[..<slash])
            path = rest[rest.index(after: slash)...]
        }
        let parts = path.split(separator: "/", maxSplits: 1)
        guard let bucket = parts.first, !bucket.isEmpty else {
            throw TriplicateError(.invalidArgument, "no bucket in \(location); write \(location.hasPrefix("b2:") ? "b2:BUCKET/PREFIX" : "s3:https://HOST/BUCKET/PREFIX")")
        }
        guard let keyID = value("B2_APPLICATION_KEY_ID", "AWS_ACCESS_KEY_ID"), let key = value("B2_APPLICATION_KEY", "AWS_SECRET_ACCESS_KEY") else {
            throw TriplicateError(.invalidArgument, "no credentials: set B2_APPLICATION_KEY_ID and B2_APPLICATION_KEY (an application key made for this bucket in Backblaze's web console)")
        }
        // The region of a B2 endpoint is its host's second label (s3.eu-central-003.backblazeb2.com).
        let host = endpoint.split(separator: "/").dropFirst().first.map(String.init) ?? ""
        let labels = host.split(separator: ".")
        let region = value("B2_REGION", "AWS_REGION") ?? (labels.count > 2 && labels[0] == "s3" ? String(labels[1]) : "us-east-1")
        return S3Destination(endpoint: endpoint, bucket: String(bucket), prefix: parts.count > 1 ? String(parts[1]) : "",
                             accessKeyID: keyID, secretKey: key, region: region)
    }
}
