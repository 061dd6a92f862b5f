// Keys: the key files of a repository, one per password, each wrapping the same master secret (FORMAT.md §4): list,
// add, remove, and change the password (add the new key file, then remove the old one).
@_spi(Benchmarks) internal import TriplicateCore
internal import Foundation

/// One key file of a repository.
public struct KeyInfo: Sendable, Codable, Equatable {
    /// The key file's ID (the SHA-256 of its bytes, 64 hex digits); ``Repository/removeKey(_:force:)`` takes a prefix.
    public var id: String
    /// When and on which computer it was created (informational, as the file says); nil for an unreadable file.
    public var created: String?
    public var hostname: String?
    /// True for the key file the password of this session opened.
    public var isCurrent: Bool
    /// Why it cannot be read, when it cannot.
    public var problem: String?
}

extension Repository {
    /// The key files, in the order of their IDs.
    public func listKeys() async throws(TriplicateError) -> [KeyInfo] {
        var out: [KeyInfo] = []
        for info in try await list(Layout.keys, what: "key files") {
            guard let id = Layout.id(of: info.name), Layout.key(id) == info.name else { continue }
            var key = KeyInfo(id: id.hex, isCurrent: info.name == openedKey)
            if info.size > Layout.maxSmallFile {
                key.problem = "not a key file (\(info.size) bytes)"
            } else {
                do {
                    let file = try KeyFile.decode(try await get(info.name), context: info.name)
                    key.created = file.created
                    key.hostname = file.hostname
                } catch let e as TriplicateError {
                    if case .destination = e.kind { throw e }
                    key.problem = e.message
                } catch {
                    key.problem = "not a key file (\(error))"
                }
            }
            out.append(key)
        }
        return out.sorted { $0.id < $1.id }
    }

    /// Adds a key file that opens the repository with `password` (the same master secret, wrapped anew), and returns
    /// its ID. On a plan's repository it is written to every copy.
    public func addKey(password: String, options: InitOptions = InitOptions()) async throws(TriplicateError) -> String {
        guard !password.isEmpty else { throw TriplicateError(.invalidArgument, "an empty password is not allowed") }
        let bytes: [UInt8]
        do {
            let file = try KeyFile.create(master: keys.master, password: password, repositoryID: keys.repositoryID,
                                          parameters: options.scrypt, hostname: Host.currentName, now: Date())
            bytes = try file.encode()
        } catch {
            throw TriplicateError(.internalFailure, "cannot create a key file: \(error)")
        }
        let id = SHA256.hash(bytes)
        try await put(Layout.key(id), bytes)
        return id.hex
    }

    /// Removes the key file whose ID starts with `idPrefix` (at least 8 hex digits, naming one file). Never the last key
    /// file that opens the repository; the one this session opened only with `force` (the password given stops
    /// working). On a plan's repository it is removed from every copy it reaches, and a removal record tells the others
    /// to remove it when they catch up (FORMAT.md §9.3).
    public func removeKey(_ idPrefix: String, force: Bool = false) async throws(TriplicateError) {
        try requirePlanWriter("removing a key")
        let prefix = idPrefix.lowercased()
        guard prefix.count >= 8, prefix.allSatisfy(\.isHexDigit) else {
            throw TriplicateError(.invalidArgument, "\"\(idPrefix)\" is not a key ID: give at least 8 of its hex digits, as `key list` shows them")
        }
        let all = try await listKeys()
        let matches = all.filter { $0.id.hasPrefix(prefix) }
        guard matches.count == 1, let key = matches.first else {
            throw TriplicateError(.invalidArgument, matches.isEmpty ? "no key file has an ID starting with \(prefix)"
                                  : "\(matches.count) key files have IDs starting with \(prefix); give more digits")
        }
        guard all.contains(where: { $0.id != key.id && $0.problem == nil }) else {
            throw TriplicateError(.refused, "key \(key.id.prefix(8)) is the repository's last readable key file: without it no password opens the repository; add another key first")
        }
        guard !key.isCurrent || force else {
            throw TriplicateError(.refused, "key \(key.id.prefix(8)) is the one the password you gave opened: removing it locks that password out. Give another password, or force it if that is what you mean")
        }
        guard let id = ObjectID(hex: key.id) else { return }
        try await recordRemoval(of: [Layout.key(id)], by: "key remove")
        do { try await destination.delete(Layout.key(id)) } catch {
            throw TriplicateError(error, doing: "cannot remove key file \(key.id.prefix(8))")
        }
    }

    /// Changes the password: adds a key file for `newPassword`, then removes the one the current password opened. An
    /// interruption between the two leaves both passwords working, never neither. Returns the new key's ID.
    public func changePassword(to newPassword: String, options: InitOptions = InitOptions()) async throws(TriplicateError) -> String {
        try requirePlanWriter("changing the password")
        guard let current = openedKey, let currentID = Layout.id(of: current) else {
            throw TriplicateError(.invalidArgument, "this repository was not opened with a password, so there is no password to change")
        }
        let added = try await addKey(password: newPassword, options: options)
        guard added != currentID.hex else { return added }
        try await recordRemoval(of: [current], by: "key passwd")
        do { try await destination.delete(current) } catch {
            throw TriplicateError(error, doing: "the new password works (key \(added.prefix(8))), but the old key file \(currentID.hex.prefix(8)) could not be removed, so the old password still works too; remove that key")
        }
        return added
    }
}
