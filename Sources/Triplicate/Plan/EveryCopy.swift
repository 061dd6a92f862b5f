// EveryCopy: prune changes every copy of a plan at once, so that the copies stay identical; forget and key removal
// change the copies they reach and record what they removed for the others (Removals.swift).

extension PlanSession {
    /// The plan's copies as one repository that writes to every copy, after they caught up with each other, for prune.
    ///
    /// Every copy must be reachable: prune writes new packs and deletes old ones, which a copy out of reach could not
    /// follow by a record of names alone. The error then says which copy is missing, and nothing is changed.
    public func openEveryCopy(for command: String, progress: ProgressHandler? = nil) async throws(TriplicateError) -> Repository {
        let repo = try await openForBackup(progress: progress)
        let missing = repo.replicas?.missingCopies ?? []
        guard missing.isEmpty else {
            throw TriplicateError(.destination(.unavailable), "\(command) changes every copy at once, so that they stay identical, and \(missing.joined(separator: ", ")) cannot be reached now; nothing was changed. A copy out of reach would bring back what was removed at its next sync", remedy: .runAgain)
        }
        return repo
    }

    /// Forgets, on every copy of the plan at once (``openEveryCopy(for:progress:)``), the snapshots `policy` (else the
    /// plan's ``Plan/retention``) does not keep. A copy that fails part way is named in
    /// ``ForgetReport/copiesLeftBehind``; forgetting again with the same rules finishes it. With `dryRun`, the copies
    /// are only read.
    public func forget(policy: RetentionPolicy? = nil, dryRun: Bool = false,
                       progress: ProgressHandler? = nil) async throws(TriplicateError) -> ForgetReport {
        guard let policy = policy ?? plan.retention else {
            throw TriplicateError(.invalidArgument, "\(plan.at(nil))the plan has no [retention] table and no rule was given: nothing to decide by")
        }
        if dryRun { return try await openRepository().forget(policy: policy, dryRun: true) }
        let repo = try await openForBackup(progress: progress)
        var report = try await repo.forget(policy: policy)
        report.copiesLeftBehind = repo.copiesLeftBehind
        return report
    }
}

extension Repository {
    /// On a plan's repository: the copies out of reach, and those that failed part way through this session's writes,
    /// each with the reason.
    public var copiesLeftBehind: [String] {
        guard let replicas else { return [] }
        let dropped = replicas.dropped.map { "\($0.name): \($0.error)" }
        let failed = Set(replicas.dropped.map(\.name))
        return replicas.missingCopies.filter { !failed.contains($0) }.map { "\($0): out of reach" } + dropped
    }

    /// Refuses to remove snapshot or key files from a plan's repository opened only to read: the removal must go to
    /// every copy it reaches and be recorded for the others (``PlanSession/openForBackup(progress:)``).
    func requirePlanWriter(_ command: String) throws(TriplicateError) {
        if let replicas, replicas.use != .writing || replicas.run == nil {
            throw TriplicateError(.invalidArgument, "\(command) removes files, so on a plan it needs the copies opened for writing: open the plan's repository with PlanSession.openForBackup, so that every copy it reaches removes them and the others do at their next sync")
        }
    }

    /// Refuses to prune a plan's repository that was not opened with every copy
    /// (``PlanSession/openEveryCopy(for:progress:)``).
    func requireEveryCopy(_ command: String) throws(TriplicateError) {
        if let replicas, !replicas.holdsEveryCopy {
            throw TriplicateError(.invalidArgument, "\(command) removes files, so on a plan it needs every copy at once: open the plan's repository with PlanSession.openEveryCopy, or a copy left out would bring them back at its next sync")
        }
    }
}

extension PlanSession {
    /// Prunes every copy of the plan at once (``openEveryCopy(for:progress:)``): the same packs and index files are
    /// deleted from each, and the packs and index files repacking writes go to each, so the copies stay identical. A
    /// copy that fails part way is named in ``PruneReport/copiesLeftBehind``; pruning again finishes it. With a dry run,
    /// the copies are only read.
    public func prune(options: PruneOptions = PruneOptions(), progress: ProgressHandler? = nil) async throws(TriplicateError) -> PruneReport {
        if options.dryRun { return try await openRepository().prune(options: options, progress: progress) }
        let repo = try await openEveryCopy(for: "prune", progress: progress)
        return try await repo.prune(options: options, progress: progress)
    }
}
