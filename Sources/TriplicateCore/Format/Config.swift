// Config and key files: the plaintext repository marker and the password-wrapped master secret.
package import Foundation

/// The `config` file: plaintext JSON that marks a directory as a Triplicate repository and gives its
/// format version and ID (FORMAT.md, "config"). Its ID is authenticated through every key file.
package struct RepositoryConfig: Sendable, Codable, Equatable {
    /// Always `"triplicate"`.
    package var format: String
    /// The repository format version.
    package var version: Int
    /// The repository ID, 64 hex digits.
    package var id: String

    /// The format version this build writes; it reads exactly this version.
    package static let currentVersion = 1

    /// A config for a new repository with `id`.
    package init(id: ObjectID) {
        format = "triplicate"
        version = Self.currentVersion
        self.id = id.hex
    }

    /// The repository ID.
    package var repositoryID: ObjectID? { ObjectID(hex: id) }

    /// The file's bytes: sorted-key JSON and a newline.
    package func encode() throws(CoreError) -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        do { return Array(try e.encode(self)) + [0x0A] } catch { throw .invalidArgument("config does not encode") }
    }

    /// Parses a config file; throws ``CoreError/malformed(_:)`` for anything that is not one.
    package static func decode(_ bytes: [UInt8]) throws(CoreError) -> RepositoryConfig {
        let c: RepositoryConfig
        do { c = try JSONDecoder().decode(RepositoryConfig.self, from: Data(bytes)) } catch {
            throw .malformed("config is not a Triplicate config file")
        }
        guard c.format == "triplicate", c.repositoryID != nil else { throw .malformed("config is not a Triplicate config file") }
        return c
    }
}

/// A key file (`keys/<name>`): the master secret sealed under a key derived from a password by scrypt
/// (FORMAT.md, "Key files"). A repository may have several, one per password.
package struct KeyFile: Sendable, Codable, Equatable {
    /// The key derivation function and its parameters.
    package struct KDF: Sendable, Codable, Equatable {
        /// Always `"scrypt"`.
        package var algorithm: String
        /// scrypt N.
        package var n: UInt64
        /// scrypt r.
        package var r: UInt64
        /// scrypt p.
        package var p: UInt64
        /// 32-byte salt, base64.
        package var salt: String
    }

    /// Key file version, 1.
    package var version: Int
    /// Creation time, ISO 8601 UTC.
    package var created: String
    /// Host that created it (informational).
    package var hostname: String
    /// The KDF.
    package var kdf: KDF
    /// 12-byte random nonce, base64.
    package var nonce: String
    /// AES-256-GCM of the master secret with its tag, base64.
    package var sealed: String

    /// The associated data of the sealed master secret: `triplicate/v1/key` followed by the repository ID.
    static func aad(_ repositoryID: ObjectID) -> [UInt8] { Array("triplicate/v1/key".utf8) + repositoryID.bytes }

    /// Wraps `master` under `password` for the repository `repositoryID`.
    package static func create(master: [UInt8], password: String, repositoryID: ObjectID,
                              parameters: KeyDerivation.ScryptParameters, hostname: String, now: Date) throws(CoreError) -> KeyFile {
        let salt = try KeyDerivation.randomBytes(32)
        let nonce = try KeyDerivation.randomBytes(12)
        let key = try KeyDerivation.scrypt(password: Array(password.utf8), salt: salt, parameters: parameters, length: 32)
        let sealed = try AESGCM().seal(key: key, nonce: nonce, aad: aad(repositoryID), plaintext: master)
        return KeyFile(version: 1, created: SnapshotRecord.format(now), hostname: hostname,
                       kdf: KDF(algorithm: "scrypt", n: parameters.n, r: parameters.r, p: parameters.p,
                                salt: Data(salt).base64EncodedString()),
                       nonce: Data(nonce).base64EncodedString(), sealed: Data(sealed).base64EncodedString())
    }

    /// Unwraps the master secret with `password`; throws ``CoreError/authenticationFailed(_:)`` when the
    /// password is wrong (or the file was altered, or belongs to another repository).
    package func open(password: String, repositoryID: ObjectID, context: String) throws(CoreError) -> [UInt8] {
        guard version == 1, kdf.algorithm == "scrypt",
              let salt = Data(base64Encoded: kdf.salt), let nonce = Data(base64Encoded: nonce),
              let sealed = Data(base64Encoded: sealed), nonce.count == 12 else {
            throw .malformed("\(context): not a version 1 scrypt key file")
        }
        let params = KeyDerivation.ScryptParameters(n: kdf.n, r: kdf.r, p: kdf.p)
        let key = try KeyDerivation.scrypt(password: Array(password.utf8), salt: Array(salt), parameters: params, length: 32)
        let master = try AESGCM().open(key: key, nonce: Array(nonce), aad: Self.aad(repositoryID), sealed: Array(sealed), what: context)
        guard master.count == RepositoryKeys.masterLength else { throw .malformed("\(context): master secret has the wrong length") }
        return master
    }

    /// The file's bytes: sorted-key JSON and a newline.
    package func encode() throws(CoreError) -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        do { return Array(try e.encode(self)) + [0x0A] } catch { throw .invalidArgument("key file does not encode") }
    }

    /// Parses a key file.
    package static func decode(_ bytes: [UInt8], context: String) throws(CoreError) -> KeyFile {
        do { return try JSONDecoder().decode(KeyFile.self, from: Data(bytes)) } catch {
            throw .malformed("\(context): not a Triplicate key file")
        }
    }
}
