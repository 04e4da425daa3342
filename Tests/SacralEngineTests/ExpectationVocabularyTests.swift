import Foundation
import Testing

@testable import SacralEngine

/// An expectation that names something the rules or the case do not have fails its case with the
/// reason: a typo can no longer make a negative expectation pass for ever.
@Suite struct ExpectationVocabularyTests {
    /// Runs `sacral test`'s runner on the base case with this `expect:` block.
    private func run(_ expect: String) throws -> CaseTestResult {
        let path = try temporaryFile(caseYAML(id: "vocabulary", ["expect": "expect:\n" + expect]))
        let (results, _) = CaseTestRunner(engine: try makeEngine()).run(files: [path])
        return try #require(results.first)
    }

    private func problems(_ result: CaseTestResult) -> [String] { result.checks.compactMap(\.problem) }

    @Test func misspeltStatusInANegativeExpectationFailsTheCase() throws {
        let result = try run("  not.sacroplasty: [contraindicted]\n")
        #expect(result.status == .failed)
        #expect(
            problems(result).contains { $0.contains("no status 'contraindicted'") && $0.contains("contraindicated") }, "\(result.checks)")
        let report = TestReport(results: [result], coverage: []).text(verbose: false)
        #expect(report.contains("FAIL \(result.file)"))
        #expect(report.contains("not.sacroplasty: no status 'contraindicted' in the ruleset"), "\(report)")
    }

    @Test func misspeltRuleIdInReasonsAbsentFailsTheCase() throws {
        let result = try run("  reasons_absent:\n    sacroplasty: [sacroplasty.coagulopathyy]\n")
        #expect(result.status == .failed)
        #expect(problems(result) == ["no rule 'sacroplasty.coagulopathyy' in the rule catalogue"])
        // The correctly spelt rule id still passes: the check itself is unchanged.
        let id = try #require(try makeEngine().catalog.rules.first { $0.pathways.contains("sacroplasty") }?.id)
        let spelt = try run("  reasons_absent:\n    radiation: [\(id)]\n")
        #expect(spelt.status == .passed, "\(spelt.checks)")
    }

    @Test func misspeltFieldInMissingAbsentFailsTheCase() throws {
        let result = try run("  missing_absent: [labs.inrr]\n")
        #expect(result.status == .failed)
        #expect(problems(result) == ["no field 'labs.inrr' in the field dictionary"])
        // Output paths index lesions; the dictionary's path has `[]`.
        #expect(try run("  missing_absent: [labs.inr, \"lesions[0].epidural\"]\n").status == .passed)
    }

    @Test func unknownAlertScorePathwayLesionAndStrengthEachFailWithTheirReason() throws {
        let cases: [(String, String)] = [
            ("  alerts_absent: [biopsy_requird]\n", "no alert 'biopsy_requird'"),
            ("  scores.sinss.total: 5\n", "no score 'sinss'"),
            ("  excludes.scores.tokuhasi.items: [x]\n", "no score 'tokuhasi'"),
            ("  reasons_absent:\n    sacroplsty: [x]\n", "no pathway 'sacroplsty'"),
            ("  not.radiaton: option\n", "no pathway 'radiaton'"),
            ("  sacroplasty.lesions.S9.status: option\n", "no lesion 'S9' in this case (its lesions: S2a)"),
            ("  excludes.sacroplasty.lesions.S9.approach: [transiliac]\n", "no lesion 'S9'"),
            ("  decompression.lesions.S2a.status: option\n", "pathway 'decompression' is not decided per lesion"),
            ("  sacroplasty.strength: absolut\n", "no strength 'absolut'"),
            ("  sacroplasty.lesions.S2a.status: [recommended, recomended]\n", "no status 'recomended'"),
            ("  rfa: [option, optional]\n", "no status 'optional'"),
        ]
        for (expect, reason) in cases {
            let result = try run(expect)
            #expect(result.status == .failed, "\(expect)")
            #expect(problems(result).contains { $0.contains(reason) }, "\(expect): \(problems(result))")
        }
    }

    @Test func wellSpeltExpectationsOfEveryKindPass() throws {
        let engine = try makeEngine()
        let path = try temporaryFile(caseYAML(id: "vocabulary"))
        let decision = engine.evaluate(try engine.load(path: path))
        let sacroplasty = try #require(decision.pathway("sacroplasty"))
        let status = sacroplasty.status.rawValue
        let other = try #require(PathwayStatus.allCases.first { $0 != sacroplasty.status }).rawValue
        let result = try run(
            """
              sacroplasty: \(status)
              not.sacroplasty: [\(other)]
              sacroplasty.lesions.S2a.status: \(sacroplasty.lesion("S2a")?.status.rawValue ?? "?")
              alerts_absent: [\(engine.catalog.alerts.filter { id in !decision.alerts.contains { $0.id == id } }.joined(separator: ", "))]
              missing_absent: [labs.inr]
              scores.sins.total: \(decision.score("sins")?.total?.inlineText ?? "?")

            """)
        #expect(result.status == .passed, "\(result.checks.filter { !$0.passed })")
    }

    @Test func theVocabularyComesFromTheLoadedRules() throws {
        let copy = try copyOfRules()
        let ruleset = copy + "/ruleset.lua"
        var text = try String(contentsOfFile: ruleset, encoding: .utf8)
        text = text.replacingOccurrences(
            of: "    alerts = {\n", with: "    alerts = {\n        zz_added_alert = { level = \"info\", text = \"Added in a copy.\" },\n")
        try text.write(toFile: ruleset, atomically: true, encoding: .utf8)
        let engine = try makeEngine(rules: copy)
        let vocabulary = ExpectationVocabulary(catalog: engine.catalog, dictionary: engine.dictionary)
        #expect(vocabulary.alerts.contains("zz_added_alert"))
        #expect(!ExpectationVocabulary(catalog: try makeEngine().catalog, dictionary: engine.dictionary).alerts.contains("zz_added_alert"))
        #expect(vocabulary.statuses.sorted() == PathwayStatus.allCases.map(\.rawValue).sorted())
        #expect(vocabulary.strengths.sorted() == ["absolute", "relative"])
    }

    @Test func junitAndJSONReportsCarryTheReason() throws {
        let result = try run("  not.sacroplasty: [contraindicted]\n")
        let report = TestReport(results: [result], coverage: [])
        #expect(report.junit().contains("not.sacroplasty: no status &apos;contraindicted&apos;"))
        let checks = report.json()["results"]?.arrayValue?.first?["checks"]?.arrayValue ?? []
        #expect(checks.contains { $0["problem"]?.stringValue?.contains("contraindicted") == true })
    }
}
