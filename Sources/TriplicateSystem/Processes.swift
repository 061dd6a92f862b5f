// Processes: this process's ID, and whether another process of this computer is still running.
#if canImport(Glibc)
internal import Glibc
#endif

extension FileSystem {
    /// This process's ID.
    package static var processID: Int32 { getpid() }

    /// False only when no process `pid` runs on this computer (ESRCH); a process of another user (EPERM) runs.
    package static func processIsRunning(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        if kill(pid, 0) == 0 { return true }
        return errno != ESRCH
    }
}
