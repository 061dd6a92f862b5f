// Heal: the copies of a plan hold the same files under names that are their SHA-256, so a file that is damaged or
// missing on one copy is replaced by the intact file of the same name from another, verified before and after.
@_spi(Benchmarks) internal import TriplicateCore
internal import Foundation
internal import Synchronization
internal import TriplicateDestinations
internal import TriplicateSystem

/// A file of one copy that was damaged or missing, replaced by the file of the same name from another copy.
public struct HealedFile: Sendable, Codable, Equatable {
    /// The repository file, e.g. `data/3f/3f…`.
    public var file: String
    /// The destination (plan name) whose file was replaced.
    public var destination: String
    /// The destination it was copied from.
    public var source: String
    /// What was wrong with it.
    public var problem: String
}

/// The files healed during one command, from any task.
final class HealLog: Sendable {
    private let healed = Mutex<[HealedFile]>([])
    func add(_ h: HealedFile) { healed.withLock { $0.append(h) } }
    var all: [HealedFile] { healed.withLock { $0 } }
}

/// One copy's file, read into a staging file and checked against its name.
enum StagedFile: Sendable {
    /// The bytes are right; they are in the staging file at `path` (the caller removes it).
    case intact(path: String)
    /// The bytes do not match the name.
    case damaged(String)
    /// It could not be read (missing, an I/O error).
    case unreadable(String)
}

extension PlanSession {
    /// Reads `name` (`size` bytes, as listed) from `place` into a staging file in 16 MiB pieces, hashing as it goes, and
    /// checks it against its name (config: it must decode and name this repository). Never holds the whole file in
    /// memory. A failure of the destination other than a missing file or an I/O error is thrown.
    func stage(_ name: String, size: Int64, from place: Place, repository: ObjectID?,
               in folder: String? = nil) async throws(TriplicateError) -> StagedFile {
        let dir = folder ?? FileManager.default.temporaryDirectory.path
        let path = dir + "/heal.tmp-" + FileSystem.uniqueSuffix()
        let fd: Int32
        do { fd = try FileSystem.createExclusive(path) } catch { throw TriplicateError(.targetWrite, "cannot create \(path): \(error.reason)") }
        var keep = false
        defer {
            FileSystem.closeQuietly(fd)
            if !keep { FileSystem.removeQuietly(path) }
        }
        let hasher: SHA256.Hasher
        do { hasher = try SHA256.Hasher() } catch { throw TriplicateError(.corrupt, "cannot set up SHA-256: \(error)") }
        let piece: Int64 = 16 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(min(max(size, 1), piece)), alignment: 64)
        defer { buffer.deallocate() }
        var config: [UInt8] = []
        var offset: Int64 = 0
        while offset < size {
            let end = min(size, offset + piece)
            let part = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<Int(end - offset)])
            do { try await place.destination.get(name, range: offset..<end, into: part) } catch {
                guard error.kind == .notFound || error.kind == .permanent else {
                    throw TriplicateError(error, doing: "cannot read \(name) from \"\(place.target.name)\"")
                }
                return .unreadable("\"\(place.target.name)\" could not be read (\(error))")
            }
            hasher.update(UnsafeRawBufferPointer(part))
            if name == Layout.config, config.count < Int(Layout.maxSmallFile) { config += part }
            do { try FileSystem.writeAll(fd, UnsafeRawBufferPointer(part), path: path) } catch {
                throw TriplicateError(.targetWrite, "cannot stage \(name): \(error.reason)")
            }
            offset = end
        }
        let right: Bool
        if name == Layout.config {
            right = size <= Layout.maxSmallFile && repository != nil && (try? RepositoryConfig.decode(config))?.repositoryID == repository
        } else {
            right = hasher.finalize().hex == Layout.id(of: name)?.hex
        }
        guard right else { return .damaged("its bytes no longer match its name") }
        do { try FileSystem.sync(fd, path: path) } catch { throw TriplicateError(.targetWrite, "cannot flush \(path): \(error.reason)") }
        keep = true
        return .intact(path: path)
    }

    /// Puts the verified staged file `path` under `name` on `target` (replacing a damaged file there), then reads it
    /// back and verifies it again; throws when the copy does not hold the right bytes afterwards.
    func place(_ path: String, as name: String, size: Int64, on target: Place, repository: ObjectID?) async throws(TriplicateError) {
        do { try await target.destination.put(name, file: path) } catch {
            throw TriplicateError(error, doing: "cannot write \(name) to \"\(target.target.name)\"")
        }
        switch try await stage(name, size: size, from: target, repository: repository) {
        case .intact(let check): FileSystem.removeQuietly(check)
        case .damaged(let why), .unreadable(let why):
            throw TriplicateError(.corrupt, "\(name) on \"\(target.target.name)\" is still wrong after it was replaced (\(why)); the medium may be failing")
        }
    }

    /// Replaces `name` on `target` by the intact file of another copy in `sources` (the fastest first). Returns the
    /// copy it came from, or nil when none holds an intact one. Copies found damaged on the way are healed too.
    func heal(_ name: String, on target: Place, from sources: [Place], problem: String, log: HealLog) async throws(TriplicateError) -> String? {
        let repository = target.config?.repositoryID ?? sources.lazy.compactMap(\.config?.repositoryID).first
        var damagedSources: [(Place, String)] = []
        for source in sources.sorted(by: { $0.speedRank < $1.speedRank })
        where source.reachable && source.target.name != target.target.name && source.objects[name] != nil {
            let size = source.objects[name] ?? 0
            switch try await stage(name, size: size, from: source, repository: repository, in: target.destination.stagingDirectory) {
            case .intact(let path):
                defer { FileSystem.removeQuietly(path) }
                try await place(path, as: name, size: size, on: target, repository: repository)
                log.add(HealedFile(file: name, destination: target.target.name, source: source.target.name, problem: problem))
                for (damaged, why) in damagedSources {
                    try await place(path, as: name, size: size, on: damaged, repository: repository)
                    log.add(HealedFile(file: name, destination: damaged.target.name, source: source.target.name, problem: why))
                }
                return source.target.name
            case .damaged(let why):
                damagedSources.append((source, why))
            case .unreadable:
                continue
            }
        }
        return nil
    }

    /// Makes the copies agree where two of them hold different sizes under one name (one is damaged): each holder's
    /// file is checked against its name and the wrong ones are replaced by a right one. A name no copy holds rightly is
    /// left out of every copy's listing here (nothing spreads it), and named in the result.
    func healConflicts(_ places: inout [Place], log: HealLog) async throws(TriplicateError) -> [String] {
        let (_, conflicts) = Self.union(places)
        var unresolved: [String] = []
        for name in conflicts {
            let holders = places.indices.filter { places[$0].reachable && places[$0].objects[name] != nil }
            let repository = places.lazy.compactMap(\.config?.repositoryID).first
            var good: (index: Int, path: String)?
            var bad: [(Int, String)] = []
            for i in holders {
                switch try await stage(name, size: places[i].objects[name] ?? 0, from: places[i], repository: repository) {
                case .intact(let path):
                    if good == nil { good = (i, path) } else { FileSystem.removeQuietly(path) }
                case .damaged(let why), .unreadable(let why):
                    bad.append((i, why))
                }
            }
            guard let good else {
                unresolved.append(name)
                for i in holders { places[i].objects[name] = nil }
                continue
            }
            defer { FileSystem.removeQuietly(good.path) }
            let size = places[good.index].objects[name] ?? 0
            for (i, why) in bad {
                try await place(good.path, as: name, size: size, on: places[i], repository: repository)
                places[i].objects[name] = size
                log.add(HealedFile(file: name, destination: places[i].target.name, source: places[good.index].target.name, problem: why))
            }
        }
        return unresolved
    }

    /// Stores one damage record (the same bytes on every reachable copy that holds the repository) of the blobs of
    /// `packs` (those that fail now, as the fastest copy holding each pack has it); returns its name, or nil when
    /// nothing could be recorded.
    func recordLostPacks(_ packs: [String], places: [Place]) async -> String? {
        var found: [DamageRecord.Pack] = []
        for name in packs {
            guard let id = Layout.id(of: name) else { continue }
            // Each copy's pack is damaged in its own way: every blob that fails on some copy is recorded. (A copy whose
            // pack lacks the file altogether never reads from it: the plan's backup lists only what every copy holds.)
            var bad: [ObjectID: String] = [:]
            for holder in places where holder.reachable && holder.objects[name] != nil {
                guard let repo = holder.repository, let index = try? await repo.loadIndex(recover: false),
                      let scanner = try? PackScanner(repository: repo, index: index),
                      let scan = try? await scanner.scan(id, size: holder.objects[name] ?? 0, expected: index.entriesByPack()[id] ?? []) else { continue }
                bad.merge(scan.bad) { first, _ in first }
            }
            guard !bad.isEmpty else { continue }
            found.append(DamageRecord.Pack(pack: id, blobs: Array(bad.keys), problem: "no copy holds it intact (\(bad.values.first ?? ""))"))
        }
        return await recordEverywhere(found, found: "sync", places: places)
    }

    /// Writes one damage record of `packs` with the same bytes to every reachable copy that holds the repository (the
    /// copies stay byte-identical); returns its name.
    func recordEverywhere(_ packs: [DamageRecord.Pack], found: String, places: [Place]) async -> String? {
        guard !packs.isEmpty, let repo = places.first(where: { $0.reachable && $0.repository != nil })?.repository,
              let files = try? repo.damageRecordFiles(packs, found: found, known: (try? await repo.loadDamage()) ?? DamageSet()),
              let first = files.first?.0 else { return nil }
        var stored = false
        for p in places where p.reachable && p.repository != nil {
            var all = true
            for (name, bytes) in files where (try? await p.destination.put(name, data: bytes)) == nil { all = false }
            stored = stored || all
        }
        return stored ? first : nil
    }
}
