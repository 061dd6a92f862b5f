// PlanRun: what a plan's backup knows besides its replica set: every copy as the survey found it and what catching up
// did to each, so that the one backup implementation can say, at the end, what happened at every destination.
@_spi(Benchmarks) internal import TriplicateCore
internal import Foundation

/// The plan side of a backup into a plan's repository (see ``PlanSession/openForBackup(progress:)``).
final class PlanRun: Sendable {
    let session: PlanSession
    let places: [PlanSession.Place]
    let reports: [String: DestinationReport]

    init(session: PlanSession, places: [PlanSession.Place], reports: [String: DestinationReport]) {
        self.session = session
        self.places = places
        self.reports = reports
    }

    /// The local folders of every copy of the plan, reachable or not: none is backed up into itself.
    var localFolders: [String] { places.flatMap(\.destination.localFolders) }

    /// One report per destination, in the plan's order, after the backup wrote `snapshot` through `replicas` (nil: it
    /// failed before its snapshot): a copy the set dropped failed; the others got the snapshot. What each destination
    /// holds is recorded for `status`.
    func finish(_ replicas: ReplicaSet, snapshot: ObjectID?) -> [DestinationReport] {
        var reports = self.reports
        let written = replicas.written
        for (name, error) in replicas.dropped {
            reports[name]?.outcome = .failed
            reports[name]?.problem = error.description
        }
        for m in replicas.members { reports[m.name]?.bytesWritten = written[m.name] ?? 0 }
        if let snapshot {
            var places = self.places
            for i in places.indices where reports[places[i].target.name]?.outcome == .done {
                places[i].objects[Layout.snapshot(snapshot)] = 0
            }
            try? session.recordSeen(places)
        }
        return session.plan.destinations.compactMap { reports[$0.name] }
    }
}
