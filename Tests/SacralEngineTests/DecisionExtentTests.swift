import Foundation
import Testing

@testable import SacralEngine

/// `sacral test` checks most `expect:` blocks against the reduced decision (``DecisionExtent``):
/// every check it does so must come out exactly as against the full decision.
struct DecisionExtentTests {
    /// Every kind of key a block may hold, with values taken from the full decision (so that most
    /// checks pass and some fail, both ways compared), for one case.
    private func keys(for full: Decision, engine: Engine) -> [(key: String, value: JSONValue)] {
        let statuses = engine.catalog.statuses
        let allRules = JSONValue.array(engine.catalog.rules.map { .string($0.id) })
        var keys: [(String, JSONValue)] = [
            ("alerts", .array(engine.catalog.alerts.map(JSONValue.string))),
            ("alerts_absent", .array(engine.catalog.alerts.map(JSONValue.string))),
            ("missing", .array((full.missing.map(\.field) + ["labs.inr", "patient.karnofsky"]).map(JSONValue.string))),
            ("missing_absent", .array((full.missing.map(\.field) + ["labs.platelets"]).map(JSONValue.string))),
            ("reasons", .object(full.pathways.map { ($0.id, allRules) })),
            ("reasons_absent", .object(full.pathways.map { ($0.id, allRules) })),
            // Not in the reduced decision: the classification must send these to the full one.
            ("warnings", .array([.string("a")])),
            ("warnings_absent", .array([.string("a")])),
            ("scores.sins.total", .int(9)),
            ("scores.tokuhashi.band", .string("poor")),
            ("plan_order", .array([.string("fixation"), .string("radiation")])),
            ("absent", .array([.string("scores.sins.total"), .string("plan.radiation")])),
        ]
        for (i, p) in full.pathways.enumerated() {
            let other = statuses[((statuses.firstIndex(of: p.status.rawValue) ?? 0) + 1) % statuses.count]
            keys += [
                (p.id, .string(i % 2 == 0 ? p.status.rawValue : other)),
                ("not.\(p.id)", .string(i % 2 == 0 ? other : p.status.rawValue)),
                ("\(p.id).status", .string(p.status.rawValue)),
                ("\(p.id).strength", .string(p.strength ?? "absolute")),
                ("\(p.id).missing", .string(p.missing.first ?? "labs.inr")),
                ("\(p.id).detail.extent", .string("unilateral")),
                ("\(p.id).reasons", .string("x")),
                ("exact.\(p.id).missing", .array(p.missing.map(JSONValue.string))),
            ]
            for l in p.lesions ?? [] {
                let at = "\(p.id).lesions.\(l.id)"
                keys += [
                    ("\(at).status", .string(l.status.rawValue)),
                    ("\(at).strength", .string(l.strength ?? "relative")),
                    ("\(at).approach", .string(l.approach.first ?? "interpedicular")),
                    ("\(at).modality", .string(l.modality ?? "stereotactic")),
                    ("\(at).missing", .string(l.missing.first ?? "labs.inr")),
                    ("\(at).detail.approach_note", .string("x")),
                ]
            }
        }
        return keys
    }

    /// A check as text: all of it that a report could show.
    private func described(_ results: [ExpectationResult]) -> [String] {
        results.map { "\($0.key)|\($0.expected)|\($0.actual)|\($0.passed)|\($0.pathway ?? "-")|\($0.problem ?? "-")" }
    }

    private func corpus(engine: Engine) -> [ValidatedCase] {
        var cases = CaseFiles.collect([repositoryRoot + "/Cases"]).files.compactMap { try? engine.load(path: $0) }
        var generator = CaseGenerator(dictionary: engine.dictionary, seed: 77)
        for i in 0..<scaled(300, minimum: 60) {
            if let v = try? engine.validator.validate(generator.next(id: "extent-\(i)"), file: "generated-\(i)") { cases.append(v) }
        }
        return cases
    }

    @Test func everyCheckTheReducedDecisionAnswersComesOutAsOnTheFullDecision() throws {
        let engine = try makeEngine()
        let checker = ExpectationChecker(engine: engine)
        var reducedKeys = 0
        var fullKeysThatWouldDiffer = Set<String>()
        let cases = corpus(engine: engine)
        #expect(cases.count > 100)
        for validated in cases {
            let full = engine.evaluate(validated)
            let reduced = engine.evaluate(validated, extent: .reduced)
            for (key, value) in keys(for: full, engine: engine) {
                let block = JSONValue.object([(key, value)])
                let onFull = described(try checker.check(block, decision: full, file: validated.file))
                let onReduced = described(try checker.check(block, decision: reduced, file: validated.file))
                if checker.extent(for: block) == .reduced {
                    reducedKeys += 1
                    #expect(onReduced == onFull, "\(validated.id): \(key)")
                } else if onReduced != onFull {
                    fullKeysThatWouldDiffer.insert(key.split(separator: ".").prefix(2).joined(separator: "."))
                }
            }
        }
        #expect(reducedKeys > 1_000)
        // The keys sent to the full decision are there for a reason: on the reduced one they would
        // come out otherwise (so a classification that let them through would fail above).
        for kind in ["scores.sins", "plan_order", "absent", "warnings_absent"] {
            #expect(fullKeysThatWouldDiffer.contains(kind), "\(kind): \(fullKeysThatWouldDiffer.sorted())")
        }
        #expect(fullKeysThatWouldDiffer.contains { $0.hasSuffix(".detail") || $0.hasSuffix(".reasons") })
    }

    @Test(arguments: [
        ("sacroplasty", DecisionExtent.reduced), ("not.sacroplasty", .reduced), ("sacroplasty.status", .reduced),
        ("fixation.strength", .reduced), ("radiation.missing", .reduced), ("sacroplasty.lesions.S1.approach", .reduced),
        ("sacroplasty.lesions.S1.status", .reduced), ("radiation.lesions.A.modality", .reduced),
        ("rfa.lesions.A.missing", .reduced), ("alerts", .reduced), ("alerts_absent", .reduced), ("missing", .reduced),
        ("missing_absent", .reduced), ("reasons", .reduced), ("reasons_absent", .reduced),
        ("warnings", .full), ("warnings_absent", .full), ("scores.sins.total", .full), ("plan_order", .full),
        ("plan.fixation.timing", .full), ("exact.sacroplasty.lesions.S1.approach", .full),
        ("excludes.sacroplasty.lesions.S1.approach", .full), ("absent", .full), ("fixation.detail.extent", .full),
        ("sacroplasty.reasons", .full), ("sacroplasty.lesions.S1.detail", .full), ("sacroplasty.lesions.S1", .full),
        ("not.sacroplasty.status", .full),
    ])
    func aKeyIsCheckedOnTheReducedDecisionOnlyWhenItHoldsWhatTheKeyReads(key: String, extent: DecisionExtent) throws {
        let checker = ExpectationChecker(engine: try makeEngine())
        #expect(checker.extent(for: .object([(key, .string("x"))])) == extent)
        // One key that needs the full decision sends the whole block there.
        #expect(checker.extent(for: .object([("sacroplasty", .string("x")), (key, .string("x"))])) == extent)
    }

    @Test func aCaseWithoutExpectationsIsReducedAndAMalformedBlockIsFull() throws {
        let checker = ExpectationChecker(engine: try makeEngine())
        #expect(checker.extent(for: nil) == .reduced)
        #expect(checker.extent(for: .array([.string("sacroplasty")])) == .full)
    }

    @Test func aFailedCaseIsReportedWithTheReasonsOfTheFullDecision() throws {
        let engine = try makeEngine()
        // A status expectation (checked on the reduced decision) that fails.
        let yaml = caseYAML(id: "wrong-status") + "\nexpect:\n  sacroplasty: contraindicated\n"
        let file = try temporaryFile(yaml)
        let validated = try engine.load(path: file)
        #expect(ExpectationChecker(engine: engine).extent(for: validated.expect) == .reduced)
        let result = CaseTestRunner(engine: engine).test(file: file)
        #expect(result.status == .failed)
        #expect(result.seconds > 0)
        let reasons = try #require(result.decision?.pathway("sacroplasty")?.reasons)
        let full = try #require(engine.evaluate(validated).pathway("sacroplasty")?.reasons)
        #expect(reasons.map(\.rule) == full.map(\.rule))
        #expect(reasons.map(\.text) == full.map(\.text))
        #expect(reasons.contains { $0.text != nil && !$0.inputs.isEmpty })
        let report = TestReport(results: [result], coverage: []).text(verbose: false)
        #expect(report.contains("because (sacroplasty):"))
        #expect(report.contains("inputs: labs.inr="), "\(report)")
    }

    @Test func aPassingCaseIsTimed() throws {
        let engine = try makeEngine()
        let anyStatus = "[recommended, option, not_indicated, contraindicated, undetermined]"
        let file = try temporaryFile(caseYAML(id: "timed") + "\nexpect:\n  radiation: \(anyStatus)\n")
        let result = CaseTestRunner(engine: engine).test(file: file)
        #expect(result.status == .passed)
        #expect(result.seconds > 0)
        let junit = TestReport(results: [result], coverage: []).junit()
        #expect(!junit.contains("time=\"0.0000\""), "\(junit)")
    }
}
