// RemovableDriveTests: a repository on a real FAT file system (an image made by mkfs.vfat, mounted with
// fusefat): the conformance checks, "drive not connected", the drive marker, an unplug in the middle of a
// backup, a full drive, and read-back verification.
@_spi(Benchmarks) import TriplicateCore
import DestinationConformance
import Foundation
import Testing
@testable import Triplicate
#if canImport(Glibc)
import Glibc
#endif

/// A FAT image mounted with fusefat at `mountPoint`; unmounted when released.
final class FATDrive {
    let image: String
    let mountPoint: String
    private(set) var mounted = false

    /// Makes a FAT image of `megabytes` and mounts it; throws when FUSE or the tools are missing here (tests that
    /// make one are enabled only where ``TestEnvironment/canMountFAT``, or under CI, which installs them).
    init(_ t: TempDir, megabytes: Int, label: String = "PHOTOSUSB") throws {
        image = t.sub("drive.img")
        mountPoint = t.sub("media/" + label)
        guard TestEnvironment.canMountFAT else {
            throw FATError(message: "mkfs.vfat, fusefat, fusermount or /dev/fuse is missing (make test installs dosfstools and fusefat)")
        }
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: image, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: image))
        try h.truncate(atOffset: UInt64(megabytes) << 20)
        try h.close()
        let made = try runProcess("/usr/sbin/mkfs.vfat", ["-F", "32", "-n", label, image], password: nil)
        guard made.status == 0 else { throw FATError(message: "mkfs.vfat failed: \(made.stderr)") }
        try mount()
    }

    func mount() throws {
        func device(_ path: String) -> UInt64? {
            var st = stat()
            return stat(path, &st) == 0 ? UInt64(st.st_dev) : nil
        }
        let parent = (mountPoint as NSString).deletingLastPathComponent
        // fusefat may return before the kernel shows the mount (seen under load), and once in a CI run its mount never
        // appeared: wait until the folder is on a file system of its own (or a following command finds "drive not
        // connected"), and mount again after a lazy unmount when it does not.
        for _ in 1...3 {
            let status = Self.run(["/usr/bin/fusefat", "-o", "rw+", image, mountPoint], log: image + ".log")
            guard status == 0 else {
                throw FATError(message: "fusefat failed (\(status)): \((try? String(contentsOfFile: image + ".log", encoding: .utf8)) ?? "")")
            }
            mounted = true
            for _ in 0..<500 where device(mountPoint) == device(parent) { usleep(20_000) }
            if device(mountPoint) != device(parent) { return }
            _ = try? runProcess("/usr/bin/fusermount", ["-u", "-z", mountPoint], password: nil)
            mounted = false
        }
        throw FATError(message: "fusefat returned three times but nothing is mounted at \(mountPoint)")
    }

    /// Runs a program that leaves a daemon behind (fusefat) and waits for the program itself, with its output
    /// in `log`. Python's subprocess starts it, closing every other descriptor: a daemon holding another test's
    /// pipe open would hang that test.
    static func run(_ argv: [String], log: String) -> Int32 {
        let script = "import subprocess, sys; log = open(sys.argv[1], 'w'); "
            + "sys.exit(subprocess.call(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, close_fds=True))"
        let full = ["/usr/bin/env", "python3", "-c", script, log] + argv
        var args: [UnsafeMutablePointer<CChar>?] = full.map { strdup($0) } + [nil]
        defer { for a in args { free(a) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, full[0], nil, nil, &args, environ) == 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1
    }

    /// Pulls the drive out: unmounts at once, lazily if files are still open.
    func unplug() throws {
        var r = try runProcess("/usr/bin/fusermount", ["-u", mountPoint], password: nil)
        if r.status != 0 { r = try runProcess("/usr/bin/fusermount", ["-u", "-z", mountPoint], password: nil) }
        guard r.status == 0 else { throw FATError(message: "fusermount -u failed: \(r.stderr)") }
        mounted = false
    }

    deinit { if mounted { _ = try? unplug() } }
}

struct FATError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

@Suite(.serialized, .tags(.slow)) struct RemovableDriveTests {
    @Test(.needsFATDrive, arguments: ConformanceCheck.all) func aFATDriveConforms(_ check: ConformanceCheck) async throws {
        let t = TempDir("usb-conformance")
        let drive = try FATDrive(t, megabytes: 96)
        let d = RemovableDrive(path: drive.mountPoint + "/triplicate", verifyWrites: true)
        try d.createRoot()
        try await d.put("config", data: [1])
        try await check.run(on: d)
    }

    @Test func anEmptyMountPointIsDriveNotConnectedAndNothingIsWritten() async throws {
        let t = TempDir("usb-absent")
        let mountPoint = t.sub("media/PHOTOSUSB")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let initResult = try runCLI(["init", "--repo", "usb:" + mountPoint + "/triplicate"])
        #expect(initResult.status == 14, "\(initResult.stderr)")
        #expect(initResult.stderr.contains("drive not connected"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: mountPoint).isEmpty)
        let backup = try runCLI(["backup", t.path, "--repo", "usb:" + mountPoint])
        #expect(backup.status == 14 && backup.stderr.contains("drive not connected"), "\(backup.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: mountPoint).isEmpty)
    }

    @Test(.needsFATDrive) func theDriveMarkerTiesTheFolderToItsRepository() async throws {
        let t = TempDir("usb-marker")
        let drive = try FATDrive(t, megabytes: 48)
        let folder = drive.mountPoint + "/triplicate"
        let repo = try await Repository.initialize(on: RemovableDrive(path: folder), password: TestKeys.password, options: TestKeys.cheap)
        let marker = try #require(try await RemovableDrive(path: folder).marker())
        #expect(marker.repository == repo.id.hex && marker.drive.count == 32)
        // Opening finds the same marker; a marker naming another repository is refused.
        _ = try await Repository.open(RemovableDrive(path: folder), password: TestKeys.password)
        let other = RemovableDrive.Marker(version: 1, repository: String(repeating: "ab", count: 32), drive: marker.drive)
        try await RemovableDrive(path: folder).put(RemovableDrive.markerName, data: Array(try JSONEncoder().encode(other)))
        do {
            _ = try await Repository.open(RemovableDrive(path: folder), password: TestKeys.password)
            Issue.record("a drive marked for another repository was opened")
        } catch {
            #expect(error.message.contains("another repository"), "\(error.message)")
        }
    }

    @Test(.needsFATDrive) func unpluggedDuringABackupThenPluggedBackTheNextBackupCompletes() async throws {
        let t = TempDir("usb-unplug")
        let drive = try FATDrive(t, megabytes: 128)
        let src = t.sub("src")
        for i in 0..<8 { try writeFile(src + "/DSC_\(i).NEF", pseudoRandomBytes(5 << 20, seed: UInt64(300 + i))) }
        let location = "usb:" + drive.mountPoint + "/triplicate"
        #expect(try runCLI(["init", "--repo", location]).status == 0)

        let p = cliProcess(["backup", src, "--repo", location, "--pack-size", "1", "--quiet"])
        let err = Pipe()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = err
        try p.run()
        // Wait until a few packs are on the drive, then pull it out.
        let packs = drive.mountPoint + "/triplicate/data"
        for _ in 0..<3000 where p.isRunning {
            let stored = (FileManager.default.enumerator(atPath: packs)?.allObjects as? [String] ?? []).filter { $0.count > 60 }
            if stored.count >= 3 { break }
            usleep(10_000)
        }
        #expect(p.isRunning, "the backup finished before the drive could be unplugged")
        try drive.unplug()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 14, "exit \(p.terminationStatus): \(message)")
        #expect(message.contains("drive not connected") && message.contains(drive.mountPoint), "\(message)")

        try drive.mount()
        let check = try runCLI(["check", "--read-data", "--repo", location])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        let again = try runCLI(["backup", src, "--repo", location, "--json"])
        #expect(again.status == 0, "\(again.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any]
        #expect((json?["adoptedPacks"] as? Int ?? 0) >= 1, "the packs stored before the unplug were not reused")
        let out = t.sub("out")
        #expect(try runCLI(["restore", "latest", "--target", out, "--repo", location]).status == 0)
        #expect(try TreeFingerprint.of(out + "/src") == TreeFingerprint.of(src))
    }

    @Test(.needsFATDrive) func aFullDriveStopsTheBackupAndAfterMakingRoomTheNextCompletes() async throws {
        let t = TempDir("usb-full")
        let drive = try FATDrive(t, megabytes: 48)
        let location = "usb:" + drive.mountPoint + "/triplicate"
        #expect(try runCLI(["init", "--repo", location]).status == 0)
        // Something else fills most of the drive.
        let filler = drive.mountPoint + "/filler.bin"
        try writeFile(filler, [UInt8](repeating: 7, count: 36 << 20))
        let src = t.sub("src")
        for i in 0..<4 { try writeFile(src + "/IMG_\(i).DNG", pseudoRandomBytes(4 << 20, seed: UInt64(400 + i))) }
        let full = try runCLI(["backup", src, "--repo", location, "--pack-size", "1"])
        #expect(full.status == 1, "\(full.stderr)")
        #expect(full.stderr.contains("free some space"), "\(full.stderr)")
        #expect(try runCLI(["check", "--repo", location]).status == 0)
        try FileManager.default.removeItem(atPath: filler)
        let again = try runCLI(["backup", src, "--repo", location, "--verify-writes"])
        #expect(again.status == 0, "\(again.stderr)")
        let out = t.sub("out")
        #expect(try runCLI(["restore", "latest", "--target", out, "--repo", location]).status == 0)
        #expect(try TreeFingerprint.of(out + "/src") == TreeFingerprint.of(src))
    }
}
