// PlanForget: forget on every copy of a plan at once, so that the copies stay identical.

extension PlanSession {
    /// Forgets, on every copy of the plan at once, the snapshots `policy` (else the plan's ``Plan/retention``) does not
    /// keep: the copies first catch up with each other, as before a backup, then each forgotten snapshot file is removed
    /// from all of them.
    ///
    /// Every copy must be reachable: a copy out of reach would still hold the forgotten snapshots, and its next sync
    /// would bring them back to the others. Nothing is removed then, and the error says which copy is missing. A copy
    /// that fails part way is named in ``ForgetReport/copiesLeftBehind``; forgetting again with the same rules finishes
    /// it. With `dryRun`, the copies are only read.
    public func forget(policy: RetentionPolicy? = nil, dryRun: Bool = false,
                       progress: ProgressHandler? = nil) async throws(TriplicateError) -> ForgetReport {
        guard let policy = policy ?? plan.retention else {
            throw TriplicateError(.invalidArgument, "\(plan.at(nil))the plan has no [retention] table and no rule was given: nothing to decide by")
        }
        if dryRun { return try await openRepository().forget(policy: policy, dryRun: true) }
        let repo = try await openForBackup(progress: progress)
        let missing = plan.destinations.map(\.name).filter { !repo.copyNames.contains($0) }
        guard missing.isEmpty else {
            throw TriplicateError(.destination(.unavailable), "forget removes snapshots from every copy at once, so that they stay identical, and \(missing.joined(separator: ", ")) cannot be reached now; nothing was removed. A copy out of reach would bring the removed snapshots back at its next sync", remedy: .runAgain)
        }
        var report = try await repo.forget(policy: policy)
        report.copiesLeftBehind = repo.replicas?.dropped.map { "\($0.name): \($0.error)" } ?? []
        return report
    }
}
