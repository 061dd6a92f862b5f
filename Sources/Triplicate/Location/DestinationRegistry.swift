// DestinationRegistry: the one place a location's scheme becomes a destination: the built-in folder, drive, B2 and S3
// schemes, and any a library user registers.
@_spi(Benchmarks) internal import TriplicateCore
internal import Foundation

/// What a ``DestinationRegistry`` needs besides the location to make a destination.
public struct DestinationContext: Sendable {
    /// Settings of the environment: where object-store credentials are found when ``credentials`` is nil
    /// (see ``ObjectStoreCredentials/init(environment:)``).
    public var environment: [String: String]
    /// Credentials for an object store, instead of those in ``environment``.
    public var credentials: ObjectStoreCredentials?
    /// For a removable drive: read every object written back and compare it.
    public var verifyWrites: Bool
    /// For an object store: caps on the bandwidth of its uploads and downloads.
    public var limits: TransferLimits

    /// A context; `environment` nil is this process's environment.
    public init(environment: [String: String]? = nil, credentials: ObjectStoreCredentials? = nil, verifyWrites: Bool = false,
                limits: TransferLimits = TransferLimits()) {
        self.environment = environment ?? ProcessInfo.processInfo.environment
        self.credentials = credentials
        self.verifyWrites = verifyWrites
        self.limits = limits
    }
}

/// Makes the destination of a location of the scheme it is registered for.
public protocol DestinationFactory: Sendable {
    /// The destination of `location` (always of the scheme this factory was registered for). Errors:
    /// ``TriplicateError/Kind-swift.enum/invalidArgument`` for a location that cannot be used as written,
    /// ``TriplicateError/Kind-swift.enum/missingCredentials`` when what it needs to reach it is missing.
    func destination(for location: RepositoryLocation, context: DestinationContext) throws(TriplicateError) -> any Destination
}

/// Turns a ``RepositoryLocation`` into the destination that stores its objects, by scheme.
///
/// ``standard`` knows `local` (and plain folder paths), `usb`, `b2` and `s3`. A library user adds a destination of their
/// own under a scheme of its own, which locations (`--repo`, a plan's `repo`) may then name:
///
/// ```swift
/// struct SFTPFactory: DestinationFactory {
///     func destination(for location: RepositoryLocation, context: DestinationContext) throws(TriplicateError) -> any Destination {
///         guard case .custom(_, let address) = location else { throw TriplicateError(.invalidArgument, "not an sftp: location") }
///         return MySFTPDestination(address)
///     }
/// }
/// var registry = DestinationRegistry.standard
/// registry.register(scheme: "sftp", SFTPFactory())
/// let location = try RepositoryLocation("sftp:nas.local/photos", registry: registry)
/// let destination = try registry.destination(for: location)
/// ```
public struct DestinationRegistry: Sendable {
    private var factories: [String: any DestinationFactory] = [:]

    /// The built-in schemes: `local`, `usb`, `b2`, `s3`.
    public static let standard: DestinationRegistry = {
        var r = DestinationRegistry()
        r.factories["local"] = FolderFactory()
        r.factories["usb"] = DriveFactory()
        r.factories["b2"] = ObjectStoreFactory()
        r.factories["s3"] = ObjectStoreFactory()
        return r
    }()

    /// Makes locations of `scheme` go to `factory` (a built-in scheme is replaced).
    public mutating func register(scheme: String, _ factory: any DestinationFactory) {
        factories[scheme] = factory
    }

    /// True when `scheme` is built in or registered.
    public func knows(_ scheme: String) -> Bool { factories[scheme] != nil }

    /// The destination of `location`. Errors: ``TriplicateError/Kind-swift.enum/invalidArgument`` for a location that
    /// cannot be used as written or a scheme nobody registered, ``TriplicateError/Kind-swift.enum/missingCredentials``
    /// for an object store whose key or region is not given.
    public func destination(for location: RepositoryLocation,
                            context: DestinationContext = DestinationContext()) throws(TriplicateError) -> any Destination {
        guard let factory = factories[location.scheme] else {
            throw TriplicateError(.invalidArgument, "no destination is registered for \(location.scheme): locations")
        }
        return try factory.destination(for: location, context: context)
    }
}

private func mismatch(_ location: RepositoryLocation, _ scheme: String) -> TriplicateError {
    TriplicateError(.invalidArgument, "\(location) is not a \(scheme): location")
}

private struct FolderFactory: DestinationFactory {
    func destination(for location: RepositoryLocation, context: DestinationContext) throws(TriplicateError) -> any Destination {
        guard case .folder(let path) = location else { throw mismatch(location, "local") }
        return LocalDirectory(path: path)
    }
}

private struct DriveFactory: DestinationFactory {
    func destination(for location: RepositoryLocation, context: DestinationContext) throws(TriplicateError) -> any Destination {
        guard case .drive(let path) = location else { throw mismatch(location, "usb") }
        guard path.hasPrefix("/") else {
            throw TriplicateError(.invalidArgument, "usb:PATH needs an absolute path on the drive, e.g. usb:/media/you/DRIVE/triplicate")
        }
        return RemovableDrive(path: path, verifyWrites: context.verifyWrites)
    }
}

private struct ObjectStoreFactory: DestinationFactory {
    func destination(for location: RepositoryLocation, context: DestinationContext) throws(TriplicateError) -> any Destination {
        guard case .objectStore(let o) = location else { throw mismatch(location, "b2 or s3") }
        guard let credentials = context.credentials ?? ObjectStoreCredentials(environment: context.environment) else {
            throw TriplicateError(.missingCredentials, "no credentials for \(location): it needs an application key made for this bucket (key ID and key)")
        }
        let endpoint: String
        switch o.service {
        case .backblazeB2:
            if let e = credentials.endpoint {
                endpoint = e
            } else if let region = credentials.region {
                endpoint = "https://s3.\(region).backblazeb2.com"
            } else {
                throw TriplicateError(.missingCredentials, "\(location) needs the bucket's region (the part after s3. in its endpoint, e.g. eu-central-003) or its endpoint")
            }
        case .s3(let e):
            endpoint = e
        }
        // The region of a B2 endpoint is its host's second label (s3.eu-central-003.backblazeb2.com).
        let host = endpoint.split(separator: "/").dropFirst().first.map(String.init) ?? ""
        let labels = host.split(separator: ".")
        let region = credentials.region ?? (labels.count > 2 && labels[0] == "s3" ? String(labels[1]) : "us-east-1")
        var destination = S3Destination(endpoint: endpoint, bucket: o.bucket, prefix: o.prefix,
                                        accessKeyID: credentials.keyID, secretKey: credentials.secret, region: region)
        destination.limits = context.limits
        return destination
    }
}

extension ObjectStoreCredentials {
    /// The credentials the environment gives: the key from `B2_APPLICATION_KEY_ID` and `B2_APPLICATION_KEY` (or
    /// `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`), the region from `B2_REGION` or `AWS_REGION`, the endpoint
    /// from `B2_ENDPOINT`; nil without a key.
    public init?(environment env: [String: String]) {
        func value(_ names: String...) -> String? { names.lazy.compactMap { env[$0] }.first { !$0.isEmpty } }
        guard let keyID = value("B2_APPLICATION_KEY_ID", "AWS_ACCESS_KEY_ID"),
              let key = value("B2_APPLICATION_KEY", "AWS_SECRET_ACCESS_KEY") else { return nil }
        self.init(keyID: keyID, secret: key, region: value("B2_REGION", "AWS_REGION"), endpoint: value("B2_ENDPOINT"))
    }
}
