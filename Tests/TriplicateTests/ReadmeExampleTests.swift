// ReadmeExampleTests: the README's "use it as a library" example, compiled and run, and kept identical to the README.
import Foundation
import Testing
import Triplicate

// README-BEGIN
/// Backs up a photo folder into a repository on a NAS mount and restores the newest snapshot elsewhere.
func backUpAndRestore(photos: String, repository: String, restoreInto: String, password: String) async throws {
    let nas = LocalDirectory(path: repository)
    let repo: Repository
    do {
        repo = try await Repository.open(nas, password: password)
    } catch {
        // `error` is a TriplicateError: open's errors are typed. Create the repository on first use only.
        guard error.kind == .noRepository else { throw error }
        repo = try await Repository.initialize(on: nas, password: password)
    }
    let result = try await repo.backup(paths: [photos], options: BackupOptions(excludes: ["*.tmp"], tags: ["daily"]))
    print("snapshot \(result.snapshot.id.short): \(result.snapshot.summary.filesRead) files read")
    for problem in result.errors { print("not backed up: \(problem)") }

    let report = try await repo.check(readData: true)
    guard report.isHealthy else { throw TriplicateError(.corrupt, report.errors.joined(separator: "\n")) }

    let latest = try await repo.findSnapshot("latest")
    _ = try await repo.restore(latest, to: restoreInto)
}
// README-END

// PLAN-BEGIN
/// Backs up with the photographer's plan and tells whether the 3-2-1 rule holds afterwards.
func nightlyBackup(planFile: String, password: String) async throws -> Bool {
    let plan = try Plan.load(planFile)
    let session = PlanSession(plan: plan, password: password)
    let result = try await session.backup()
    for d in result.destinations where d.outcome != .done {
        print("\(d.name) does not hold snapshot \(result.backup.snapshot.id.short): \(d.problem ?? "")")
    }
    let status = try await session.status()
    return status.verdict.holds
}
// PLAN-END

@Suite struct ReadmeExampleTests {
    @Test func theExampleRuns() async throws {
        let t = TempDir("readme")
        try makeSampleTree(t.sub("Photos"))
        try await backUpAndRestore(photos: t.sub("Photos"), repository: t.sub("nas/repo"), restoreInto: t.sub("restored"),
                                   password: "example")
        #expect(try TreeFingerprint.of(t.sub("restored/Photos")) == TreeFingerprint.of(t.sub("Photos")))
    }

    @Test func thePlanExampleRuns() async throws {
        let t = TempDir("readme-plan")
        try makeSampleTree(t.sub("Photos"))
        let plan = """
            [[source]]
            path = "Photos"

            [[destination]]
            name = "nas"
            repo = "nas/triplicate"
            media = "nas"
            site = "onsite"

            [[destination]]
            name = "usb"
            repo = "drive/triplicate"
            media = "usb"
            site = "onsite"
            """
        try plan.write(toFile: t.sub("plan.toml"), atomically: true, encoding: .utf8)
        let session = PlanSession(plan: try Plan.load(t.sub("plan.toml")), password: "example", stateDirectory: t.sub("state"))
        _ = try await session.initialize()
        // Two on-site copies and the source: three copies on two kinds of media, none off site.
        #expect(try await nightlyBackup(planFile: t.sub("plan.toml"), password: "example") == false)
    }

    @Test(arguments: ["README", "PLAN"]) func theReadmeShowsExactlyTheseExamples(_ marker: String) throws {
        let source = try String(contentsOfFile: #filePath, encoding: .utf8)
        let begin = try #require(source.range(of: "// \(marker)-BEGIN\n"))
        let end = try #require(source.range(of: "// \(marker)-END"))
        let example = String(source[begin.upperBound..<end.lowerBound])
        let readme = try String(contentsOfFile: packageRoot + "/README.md", encoding: .utf8)
        #expect(readme.contains(example), "README.md's library example differs from Tests/TriplicateTests/ReadmeExampleTests.swift")
    }
}
