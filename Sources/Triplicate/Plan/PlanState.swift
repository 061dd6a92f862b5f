// PlanState: what a plan's commands learned about each destination (when its data was last checked, which snapshots
// it held when last reached), kept on the computer so that status can describe a drive that is in a drawer.
@_spi(Benchmarks) internal import TriplicateCore
internal import Foundation

/// The state file of one repository's plan: `STATE_DIRECTORY/REPOSITORY_ID.json`, written atomically.
struct PlanState: Codable, Sendable {
    struct Seen: Codable, Sendable {
        /// When the destination was last reached (ISO 8601, UTC).
        var lastSeen: String?
        /// The snapshot IDs (hex) it held then.
        var snapshots: [String]?
        var lastChecked: String?
        var lastCheckReadData: Bool?
        var lastCheckPassed: Bool?
    }

    var version = 1
    var destinations: [String: Seen] = [:]
    /// What status calls saw of each copy, oldest first (absent in state files written before it was kept).
    var history: [StatusSample]?

    static func now() -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date())
    }
}

extension PlanSession {
    private func statePath(_ places: [Place]) -> String? {
        guard let dir = stateDirectory, let id = places.lazy.compactMap(\.config?.repositoryID).first else { return nil }
        return dir + "/" + id.hex + ".json"
    }

    func loadState(_ places: [Place]) -> PlanState? {
        guard let path = statePath(places), let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(PlanState.self, from: data)
    }

    func saveState(_ state: PlanState, _ places: [Place]) throws {
        guard let path = statePath(places) else { return }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try encoder.encode(state).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Records, for every destination reached, the snapshots it holds now.
    func recordSeen(_ places: [Place]) throws {
        var state = loadState(places) ?? PlanState()
        let now = PlanState.now()
        for p in places where p.reachable && p.repository != nil {
            state.destinations[p.target.name, default: PlanState.Seen()].lastSeen = now
            state.destinations[p.target.name, default: PlanState.Seen()].snapshots =
                p.objects.keys.filter { $0.hasPrefix(Layout.snapshots) }.map { String($0.dropFirst(Layout.snapshots.count)) }.sorted()
        }
        try saveState(state, places)
    }
}
