import Foundation
import Testing

@testable import SacralEngine

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// `sacral check` finds each kind of problem, with file and line; the catalogue and JUnit output
/// are well formed.
@Suite struct CheckerTests {
    /// Writes `text` as a rule file into a fresh copy of the rules and returns the problems found.
    private func problems(adding text: String, as name: String = "rules/zz_check.lua") throws -> [RuleProblem] {
        let copy = try copyOfRules()
        try text.write(toFile: copy + "/" + name, atomically: true, encoding: .utf8)
        return RuleChecker.check(try RuleSet.load(directory: copy))
    }

    private let header = "pathways = { \"sacroplasty\" }, implements = { \"P1\" }, source = \"Tian 2022\""

    @Test func syntaxErrorIsReportedWithFileAndLine() throws {
        let found = try problems(adding: "local x = 1\nrule { id = \n")
        #expect(found.contains { $0.file.hasSuffix("rules/zz_check.lua") && $0.line == 3 })
    }

    @Test func duplicateRuleIdIsReported() throws {
        let id = try makeEngine().catalog.rules[0].id
        let found = try problems(adding: "\n\nrule { id = \"\(id)\", \(header), when = function() return false end, effect = {} }\n")
        #expect(found.contains { $0.file.hasSuffix("zz_check.lua") && $0.line == 3 && $0.message.contains("declared twice") })
    }

    @Test func readingAnUndeclaredFieldIsReported() throws {
        let found = try problems(
            adding: "rule { id = \"zz.f\", \(header),\n  when = function(c) return c:get(\"labs.inrr\") > 1 end, effect = {} }\n")
        #expect(found.contains { $0.line == 2 && $0.message.contains("labs.inrr") })
    }

    @Test func unknownPathwayIsReported() throws {
        let found = try problems(
            adding:
                "rule { id = \"zz.p\", pathways = { \"surgery\" }, implements = {}, source = \"Tian 2022\", when = function() return false end, effect = {} }\n"
        )
        #expect(found.contains { $0.line == 1 && $0.message.contains("unknown pathway 'surgery'") })
    }

    @Test func unknownStatusIsReported() throws {
        let found = try problems(
            adding: "rule { id = \"zz.s\", \(header), when = function() return false end, effect = { status = \"maybe\" } }\n")
        #expect(found.contains { $0.message.contains("unknown status 'maybe'") })
    }

    @Test func undeclaredAlertIsReported() throws {
        let found = try problems(
            adding: "rule { id = \"zz.a\", \(header), when = function() return false end, effect = { alert = \"panic\" } }\n")
        #expect(found.contains { $0.message.contains("undeclared alert 'panic'") })
    }

    @Test func reasonWithoutSourceIsReported() throws {
        let found = try problems(
            adding: "rule { id = \"zz.n\", pathways = { \"rfa\" }, implements = {}, when = function() return false end, effect = {} }\n")
        #expect(found.contains { $0.message.contains("cites no source") })
        let unknown = try problems(
            adding:
                "rule { id = \"zz.u\", pathways = { \"rfa\" }, implements = {}, source = \"My Blog 2024\", when = function() return false end, effect = {} }\n"
        )
        #expect(unknown.contains { $0.message.contains("My Blog 2024") })
    }

    @Test func unclaimedCriterionIsReported() throws {
        let copy = try copyOfRules()
        let ruleset = copy + "/ruleset.lua"
        let text = try String(contentsOfFile: ruleset, encoding: .utf8)
        try text.replacingOccurrences(of: "\"K1-K74\"", with: "\"K1-K75\"").write(toFile: ruleset, atomically: true, encoding: .utf8)
        let found = RuleChecker.check(try RuleSet.load(directory: copy))
        #expect(found.contains { $0.file.hasSuffix("ruleset.lua") && $0.line > 0 && $0.message.contains("K75") })
    }

    @Test func catalogueListsEveryRuleForSignOff() throws {
        let engine = try makeEngine()
        let markdown = RuleCatalogue(catalog: engine.catalog, ruleSet: engine.ruleSet).markdown()
        for rule in engine.catalog.rules { #expect(markdown.contains("`\(rule.id)`")) }
        #expect(markdown.contains(engine.ruleSet.sha256))
    }

    @Test func junitOutputParsesWithOneTestcasePerCaseFile() throws {
        let files = Array(CaseFiles.collect([repositoryRoot + "/Cases"]).files.prefix(12))
        let (results, _) = CaseTestRunner(engine: try makeEngine()).run(files: files)
        let xml = TestReport(results: results, coverage: []).junit()
        final class Counter: NSObject, XMLParserDelegate {
            var testcases = 0
            func parser(
                _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]
            ) {
                if name == "testcase" { testcases += 1 }
            }
        }
        let parser = XMLParser(data: Data(xml.utf8))
        let counter = Counter()
        parser.delegate = counter
        #expect(parser.parse())
        #expect(counter.testcases == files.count)
    }
}
