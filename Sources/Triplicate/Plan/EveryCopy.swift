// EveryCopy: commands that remove files (forget, removing a key, changing the password) change every copy of a plan at
// once, so that the copies stay identical.

extension PlanSession {
    /// The plan's copies as one repository that writes to every copy, after they caught up with each other, for a
    /// command that removes files: forget, ``Repository/removeKey(_:force:)``, ``Repository/changePassword(to:options:)``.
    ///
    /// Every copy must be reachable: a copy out of reach would still hold the removed files, and its next sync would
    /// bring them back to the others (a forgotten snapshot reappears; a removed key file's password works again). The
    /// error then says which copy is missing, and nothing is changed.
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
        let repo = try await openEveryCopy(for: "forget", progress: progress)
        var report = try await repo.forget(policy: policy)
        report.copiesLeftBehind = repo.copiesLeftBehind
        return report
    }
}

extension Repository {
    /// On a plan's repository: the copies that failed part way through this session's writes, each with the reason.
    public var copiesLeftBehind: [String] { replicas?.dropped.map { "\($0.name): \($0.error)" } ?? [] }

    /// Refuses to remove files from a plan's repository that was not opened with every copy
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
