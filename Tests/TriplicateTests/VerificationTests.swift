// VerificationTests: a check that reads a share of the data each day, least recently verified first, records what it
// read intact in the copy it read, and status says how much of each copy was verified lately.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Testing
@testable import Triplicate

@Suite struct DataSubsetTests {
    @Test func sharesAndPartsAreParsedAndNonsenseIsNot() {
        #expect(DataSubset("10%") == .share(0.1))
        #expect(DataSubset("2.5%") == .share(0.025))
        #expect(DataSubset("100%") == .share(1))
        #expect(DataSubset("2/7") == .part(2, of: 7))
        for bad in ["0%", "101%", "-5%", "0/3", "4/3", "1/0", "x", "", "5", "nan%"] { #expect(DataSubset(bad) == nil, "\(bad)") }
        #expect(DataSubset.share(0.05).description == "5%" && DataSubset.part(1, of: 3).description == "1/3")
    }

    @Test func aShareTakesTheLeastRecentlyVerifiedPacksFirst() {
        let ids = (0..<4).map { ObjectID(bytes: [UInt8](repeating: UInt8($0 * 60), count: 32)) }
        let sizes = Dictionary(uniqueKeysWithValues: ids.map { ($0, Int64(100)) })
        let now = Date(timeIntervalSince1970: 1_764_500_000)
        // 0 was verified long ago, 1 yesterday, 2 and 3 never: never first (by ID), then the oldest.
        let verified = [ids[0]: now.addingTimeInterval(-90 * 86_400), ids[1]: now.addingTimeInterval(-86_400)]
        #expect(DataSubset.share(0.5).select(sizes, verified: verified) == [ids[2], ids[3]])
        #expect(DataSubset.share(0.75).select(sizes, verified: verified) == [ids[0], ids[2], ids[3]])
        #expect(DataSubset.share(0.01).select(sizes, verified: verified) == [ids[2]], "at least one pack is read")
        // Parts split by the first byte of the ID and together cover every pack once.
        let parts = (1...3).map { DataSubset.part($0, of: 3).select(sizes, verified: [:]) }
        #expect(parts.reduce(Set<ObjectID>()) { $0.union($1) } == Set(ids) && parts.map(\.count).reduce(0, +) == 4)
    }
}

@Suite struct VerificationTests {
    @Test func dailySharesReadEveryPackInTurnAndKeepOneRecord() async throws {
        let t = TempDir("verify")
        for i in 0..<6 { try writeFile(t.sub("Photos/IMG_\(i).DNG"), pseudoRandomBytes(1 << 20, seed: UInt64(700 + i))) }
        let repo = try await makeRepository(t.sub("repo"))
        _ = try await repo.backup(paths: [t.sub("Photos")], options: BackupOptions(packSize: 1 << 19))
        let packs = try await objects(t.sub("repo"), "data/").count
        #expect(packs >= 6)
        var shares: [Double] = []
        var read = 0
        for _ in 0..<3 {
            let r = try await repo.check(readDataSubset: .share(0.34))
            #expect(r.isHealthy, "\(r.errors)")
            read += r.packsRead
            shares.append(r.verifiedRecently ?? -1)
            #expect(try await objects(t.sub("repo"), "verified/").count == 1, "the records were not folded into one")
        }
        #expect(shares == shares.sorted() && shares.last == 1, "\(shares)")
        // Least recently verified first: the second check reads none of what the first read, so each adds a third of the
        // data. (How many packs that is varies: the chunker's cuts, and so the packs' sizes, are keyed per repository.)
        #expect(read >= packs && shares[0] >= 0.34 && shares[1] >= 0.68, "\(read) reads of \(packs) packs, shares \(shares)")

        // A pack damaged in place is found by the check that reads it, and never counted as verified.
        let all = try await objects(t.sub("repo"), "data/")
        try zeroBytes(t.sub("repo/") + all[0], at: 300, count: 64)
        var found = false
        for _ in 0..<4 where !found {
            let r = try await repo.check(readDataSubset: .share(0.34))
            found = !r.isHealthy && r.damagedPacks.contains(all[0])
            if found { #expect((r.verifiedRecently ?? 1) < 1, "\(r.errors)") }
        }
        #expect(found, "three checks of 34% never read the damaged pack")
    }

    @Test func eachCopyOfAPlanKeepsItsOwnRecordAndStatusShowsIt() throws {
        let t = TempDir("verify-plan")
        try writeFile(t.sub("password"), Array("verify password\n".utf8))
        try makeSampleTree(t.sub("Pictures"))
        try folderPlan(t, copies: ["nas", "usb", "offsite"]).write(toFile: t.sub("plan.toml"), atomically: true, encoding: .utf8)
        let env = ["XDG_STATE_HOME": t.sub("state")]
        func run(_ args: [String]) throws -> CLIResult { try runCLI(args + ["--plan", t.sub("plan.toml")], env: env, password: nil) }
        settleTimestamps()
        #expect(try run(["init"]).status == 0)
        #expect(try run(["backup"]).status == 0)
        let before = try JSONDecoder().decode(PlanStatus.self, from: Data(try run(["status", "--json"]).stdout.utf8))
        #expect(before.destinations.allSatisfy { $0.verifiedRecently == 0 }, "\(before.destinations.map(\.verifiedRecently))")

        let checked = try run(["check", "--read-data-subset", "100%"])
        #expect(checked.status == 0 && checked.stdout.contains("100% of the data verified in the last 30 days"), "\(checked.stdout)\(checked.stderr)")
        let records = try ["nas", "usb", "offsite"].map { try FileManager.default.contentsOfDirectory(atPath: t.sub($0 + "/verified")) }
        #expect(records.allSatisfy { $0.count == 1 } && Set(records.flatMap { $0 }).count == 3, "\(records)")
        let after = try run(["status"])
        #expect(after.status == 0 && after.stdout.components(separatedBy: "100% verified in 30 days").count == 4, "\(after.stdout)")

        // A copy's record is its own: sync copies none to another.
        try FileManager.default.removeItem(atPath: t.sub("usb/verified"))
        #expect(try run(["sync"]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: t.sub("usb/verified")))
        let status = try JSONDecoder().decode(PlanStatus.self, from: Data(try run(["status", "--json"]).stdout.utf8))
        #expect(status.destinations.map(\.verifiedRecently) == [1, 0, 1])
        #expect(try run(["check", "--read-data-subset", "5/4"]).status == 64)
    }
}
