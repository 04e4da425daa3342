import Foundation
import LuaKit
import Testing

@testable import SacralEngine

/// The shipped corpus end to end: every case's expectations hold, every rule fires somewhere,
/// and a threshold change fails exactly the cases that depend on it.
@Suite struct CorpusTests {
    let files = CaseFiles.collect([repositoryRoot + "/Cases"]).files

    @Test func everyShippedCasePassesItsExpectations() throws {
        let (results, coverage) = CaseTestRunner(engine: try makeEngine(), coverage: true).run(files: files)
        #expect(results.count == files.count)
        #expect(files.count >= 8)
        for r in results where r.status != .passed {
            Issue.record(
                "\(r.file): \(r.status) \(r.messages) \(r.failedChecks.map { "\($0.key): expected \($0.expected), got \($0.actual)" })")
        }
        let neverFired = coverage.filter { $0.fired == 0 }.map(\.rule.id)
        #expect(neverFired.isEmpty, "rules never fired: \(neverFired)")
    }

    @Test func mikaAndTianCasesAreShipped() {
        let names = files.map { ($0 as NSString).lastPathComponent }
        #expect(names.filter { $0.hasPrefix("fig") }.count >= 3)
        #expect(files.contains { $0.contains("/tian/") })
    }

    @Test func removingTheCasesOfARuleMakesCoverageNameIt() throws {
        let engine = try makeEngine()
        let (_, full) = CaseTestRunner(engine: engine, coverage: true).run(files: files)
        // Pick a rule that fires in few cases and drop those cases.
        let rule = try #require(full.filter { $0.fired > 0 }.min { $0.fired < $1.fired }).rule.id
        let (results, _) = CaseTestRunner(engine: engine, coverage: true).run(files: files)
        let kept = results.filter { r in !(r.decision?.trace.contains { $0.rule == rule && $0.outcome == "fired" } ?? false) }.map(\.file)
        let (_, partial) = CaseTestRunner(engine: engine, coverage: true).run(files: kept)
        let report = TestReport(results: [], coverage: partial)
        #expect(report.firedPercent < 100)
        #expect(report.coverageText().contains(rule))
    }

    @Test func thresholdChangeFailsExactlyTheDependentCasesAndDiffListsThem() throws {
        let copy = try copyOfRules()
        let thresholds = copy + "/thresholds.lua"
        let text = try String(contentsOfFile: thresholds, encoding: .utf8)
        #expect(text.contains("inr_max = 1.50"))
        try text.replacingOccurrences(of: "inr_max = 1.50", with: "inr_max = 1.70").write(
            toFile: thresholds, atomically: true, encoding: .utf8)
        let old = try makeEngine()
        let new = try makeEngine(rules: copy)

        let (results, _) = CaseTestRunner(engine: new).run(files: files)
        let failed = Set(results.filter { $0.status == .failed }.map(\.file))
        #expect(!failed.isEmpty)
        // Every failing case has an INR in (1.50, 1.70]; and it shows the deciding rule.
        for r in results where r.status == .failed {
            let inr = r.decision.flatMap { d in
                d.pathway("sacroplasty")?.reasons.compactMap { $0.inputs.first { $0.key == "labs.inr" }?.value }.first
            }
            #expect(inr != nil, "\(r.file) failed without reading labs.inr")
        }
        let report = TestReport(results: results, coverage: []).text(verbose: false)
        #expect(report.contains("because"))

        let (changes, _) = ImpactDiff(old: old, new: new).run(files: files)
        #expect(Set(changes.map(\.file)).isSuperset(of: failed))
        #expect(
            changes.allSatisfy { c in
                (try? old.load(path: c.file)).map { $0.data["labs"]["inr"].doubleValue.map { $0 > 1.5 && $0 <= 1.7 } ?? false } ?? false
            })
    }
}

/// The last line of `sacral diff`: changed cases overall and per area, areas in the order of their
/// first change, a case counted once per area however many of its aspects changed.
@Suite struct ImpactSummaryTests {
    @Test func summaryCountsEachChangedCaseOncePerAreaInFirstChangeOrder() {
        func change(_ file: String, _ area: String, _ aspect: String) -> ImpactChange {
            ImpactChange(file: file, caseID: file, area: area, aspect: aspect, old: "a", new: "b")
        }
        let changes = [
            change("a.yaml", "sacroplasty", "status"), change("a.yaml", "sacroplasty", "reasons"),
            change("a.yaml", "alerts", "alerts"), change("b.yaml", "rfa", "status"),
            change("b.yaml", "sacroplasty", "lesion S1"), change("c.yaml", "rfa", "reasons"),
        ]
        #expect(ImpactDiff.summary(changes, cases: 5) == "3 of 5 cases changed (sacroplasty 2, alerts 1, rfa 2)")
        #expect(ImpactDiff.summary([], cases: 5) == "0 of 5 cases changed")
    }
}

/// `sacral test` runs one engine per worker thread; the report must not depend on how many.
@Suite struct ParallelRunnerTests {
    @Test func workersGiveTheSameResultsAndCoverageAsOneThread() throws {
        let files = CaseFiles.collect([repositoryRoot + "/Cases"]).files
        let ruleSet = try RuleSet.load(directory: shippedRules)
        let serial = try CaseTestRunner.run(
            files: files, ruleSet: ruleSet, limits: EngineLimits(), workers: 1,
            coverage: true, stopOnFailure: false)
        let parallel = try CaseTestRunner.run(
            files: files, ruleSet: ruleSet, limits: EngineLimits(), workers: 4,
            coverage: true, stopOnFailure: false)
        #expect(serial.results.map(\.file) == parallel.results.map(\.file))
        #expect(serial.results.map(\.status) == parallel.results.map(\.status))
        for (a, b) in zip(serial.results, parallel.results) {
            #expect(a.decision?.document.serialized() == b.decision?.document.serialized(), "\(a.file)")
        }
        #expect(serial.coverage.map(\.fired) == parallel.coverage.map(\.fired))
        #expect(serial.lines.map(\.covered) == parallel.lines.map(\.covered))
    }
}
