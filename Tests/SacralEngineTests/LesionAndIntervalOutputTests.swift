import Foundation
import Testing

@testable import SacralEngine

/// What P20 and P21 add to the output, as a clinician reads it: each lesion's status beside the
/// pathway's, plan steps naming lesions, and a score with unknown items printed as an interval.
@Suite struct LesionAndIntervalOutputTests {
    let engine: Engine

    init() throws { engine = try makeEngine() }

    private func decide(_ file: String) throws -> Decision {
        engine.evaluate(try engine.load(path: repositoryRoot + "/Cases/" + file))
    }

    @Test func aPerLesionStatusIsNeverPrintedWithoutTheLesionStatuses() throws {
        let d = try decide("multi-lesion/recommended-and-epidural.yaml")
        let text = TextReport(color: false).render(d)
        let sacroplasty = try #require(d.pathway("sacroplasty"))
        let lesions = try #require(sacroplasty.lesions)
        #expect(lesions.count == 2)
        let expected = lesions.map { "\($0.id) \($0.status.rawValue)" + ($0.strength.map { " \($0)" } ?? "") }.joined(separator: "; ")
        #expect(text.contains("sacroplasty — RECOMMENDED (\(expected))"), "\(text)")
    }

    @Test func thePlanNamesTheLesionsEachStepTreats() throws {
        let d = try decide("multi-lesion/irradiated-and-naive.yaml")
        #expect(d.plan.first { $0.pathway == "sacroplasty" }?.lesions == ["A"])
        #expect(d.plan.first { $0.pathway == "radiation" }?.lesions == ["B"])
        #expect(d.pathway("radiation")?.lesion("B")?.modality == "conventional")
        let text = TextReport(color: false, catalog: engine.catalog).render(d)
        #expect(
            text.contains(
                "biopsy of A, then rfa of A (short_axis), then sacroplasty of A (short_axis), then radiation to B (conventional)"),
            "\(text)")
        #expect(d.document["plan"]?.arrayValue?.contains { $0["lesions"] == .array([.string("B")]) } == true)
    }

    /// The words of the plan's short form are the ruleset's: a knowledge engineer rewords them in
    /// Rules/ruleset.lua without a rebuild, and a pathway without one is written "pathway: lesions".
    @Test func thePlanShortFormTakesItsWordsFromTheRuleset() throws {
        let copy = try copyOfRules()
        let path = copy + "/ruleset.lua"
        var ruleset = try String(contentsOfFile: path, encoding: .utf8)
        ruleset = ruleset.replacingOccurrences(of: #"preposition = "to", "#, with: #"preposition = "onto", "#)
        ruleset = ruleset.replacingOccurrences(of: "    preposition = \"of\",\n", with: "")
        try ruleset.write(toFile: path, atomically: true, encoding: .utf8)
        let reworded = try makeEngine(rules: copy)
        #expect(reworded.catalog.prepositions["radiation"] == "onto")
        #expect(reworded.catalog.preposition(for: "sacroplasty") == nil)
        let d = reworded.evaluate(try reworded.load(path: repositoryRoot + "/Cases/multi-lesion/irradiated-and-naive.yaml"))
        let text = TextReport(color: false, catalog: reworded.catalog).render(d)
        #expect(
            text.contains("biopsy: A, then rfa: A (short_axis), then sacroplasty: A (short_axis), then radiation onto B (conventional)"),
            "\(text)")
    }

    @Test func aScoreWithUnknownItemsPrintsAsAnIntervalNeverAsABound() throws {
        let d = try decide("partial-scores/sins-collapse-missing-straddles-7.yaml")
        let sins = try #require(d.score("sins"))
        #expect(sins.total == nil)
        let min = try #require(sins["min"]?.inlineText)
        let max = try #require(sins["max"]?.inlineText)
        #expect(min != max)
        let text = TextReport(color: false).render(d)
        #expect(text.contains("sins: \(min)–\(max) (items missing: collapse)"), "\(text)")
        #expect(!text.contains("sins: \(min) "))
    }
}
