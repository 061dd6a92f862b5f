// Forget: removes the snapshot files a retention policy does not keep. The data they alone used stays until a prune.
@_spi(Benchmarks) internal import TriplicateCore
public import struct Foundation.Date
internal import Foundation

/// The outcome of ``Repository/forget(policy:dryRun:)``.
public struct ForgetReport: Sendable {
    /// Each group of snapshots (one computer, one set of paths), with what was kept and why, and what was forgotten.
    public var groups: [ForgetGroup]
    /// True when nothing was removed because it was a dry run.
    public var dryRun: Bool
    /// Snapshots removed (with a dry run: that would be).
    public var forgottenCount: Int { groups.reduce(0) { $0 + $1.forgotten.count } }
    /// Snapshots kept.
    public var keptCount: Int { groups.reduce(0) { $0 + $1.kept.count } }
    /// Snapshot files that could not be read: a policy cannot judge them, so they are neither kept nor removed.
    public var unreadable: [String]
    /// On a plan: the copies out of reach or that failed part way, each with the reason; they still hold forgotten
    /// snapshots, and remove them at their next catch-up (sync, or a backup).
    public var copiesLeftBehind: [String] = []
    /// Snapshots the policy does not keep whose files object lock still protects, with when it ends: they stay (and
    /// are listed) until then, and a forget after that removes them.
    public var locked: [LockedSnapshot] = []
}

/// A snapshot whose file object lock protects until a moment.
public struct LockedSnapshot: Sendable, Codable, Equatable {
    /// The snapshot ID (64 hex digits).
    public var snapshot: String
    /// When the protection ends.
    public var until: Date
}

extension Repository {
    /// Removes every snapshot that `policy` does not keep (FORMAT.md §14.9): its snapshot file is deleted, nothing else.
    /// The data only forgotten snapshots used stays in the repository, unused, until a prune; until then a forgotten
    /// snapshot cannot be listed or restored, but its data is not lost.
    ///
    /// A plan's repository must be one that writes (``PlanSession/openForBackup(progress:)``;
    /// ``PlanSession/forget(policy:dryRun:progress:)`` does that): the same files are removed from every copy it
    /// reaches, and a removal record (FORMAT.md §9.3) makes a copy out of reach remove them at its next catch-up. A policy with no rule is refused (``RetentionPolicy/isEmpty``). With `dryRun`, nothing is removed and the report says
    /// what would be.
    public func forget(policy: RetentionPolicy, dryRun: Bool = false) async throws(TriplicateError) -> ForgetReport {
        try await forget(policy: policy, dryRun: dryRun, calendar: .current)
    }

    /// ``forget(policy:dryRun:)`` with periods in `calendar`'s time zone.
    func forget(policy: RetentionPolicy, dryRun: Bool, calendar: Calendar) async throws(TriplicateError) -> ForgetReport {
        guard !policy.isEmpty else {
            throw TriplicateError(.invalidArgument, "no retention rule was given: forget keeps nothing by itself, so it removes nothing without one")
        }
        let listing = try await snapshotListing()
        var report = ForgetReport(groups: policy.apply(to: listing.snapshots, calendar: calendar), dryRun: dryRun,
                                  unreadable: listing.damaged)
        // A file object lock protects cannot be deleted yet, and is not tried (a bucket that keeps versions would hide it
        // behind a delete marker instead).
        let retained = try await retained(Layout.snapshots)
        report.locked = report.groups.flatMap(\.forgotten).compactMap { s in
            retained[Layout.snapshot(s.id)].map { LockedSnapshot(snapshot: s.id.hex, until: $0) }
        }
        guard !dryRun else { return report }
        try requirePlanWriter("forget")
        let going = report.groups.flatMap(\.forgotten).filter { retained[Layout.snapshot($0.id)] == nil }
        try await recordRemoval(of: going.map { Layout.snapshot($0.id) }, by: "forget")
        for s in going {
            if Task.isCancelled {
                throw TriplicateError(.cancelled, "forget interrupted; the repository is consistent, and forgetting again with the same rules finishes the work")
            }
            do { try await destination.delete(Layout.snapshot(s.id)) } catch {
                throw TriplicateError(error, doing: "cannot remove snapshot \(s.id.short)")
            }
        }
        return report
    }
}
