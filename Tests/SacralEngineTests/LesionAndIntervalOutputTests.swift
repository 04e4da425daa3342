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

    /// A missing field says which lesions it holds undetermined, in the JSON and in the text: a
    /// case-wide field every lesion, a lesion's field that lesion alone.
    @Test func aMissingFieldNamesTheLesionsItHoldsUndetermined() throws {
        let wide = try decide("multi-lesion/patient-wide-inr-missing.yaml")
        let inr = try #require(wide.missing.first { $0.field == "labs.inr" })
        #expect(inr.lesions.map(\.pathway) == ["radiation", "sacroplasty", "rfa"])
        #expect(inr.lesions.allSatisfy { $0.ids == ["A", "B"] })
        #expect(wide.missing.first { $0.field == "labs.coagulopathy_correctable" }?.lesions.isEmpty == true)

        let one = try decide("multi-lesion/option-and-undetermined.yaml")
        let epidural = try #require(one.missing.first { $0.field == "lesions[1].epidural" })
        #expect(epidural.lesions.allSatisfy { $0.ids == ["B"] } && epidural.lesions.count == 3)
        let entry = one.document["missing"]?.arrayValue?.first { $0["field"] == .string("lesions[1].epidural") }
        #expect(entry?["lesions"]?["sacroplasty"] == .array([.string("B")]))
        let text = TextReport(color: false).render(one)
        #expect(
            text.contains("lesions[1].epidural: holds radiation (lesion B), sacroplasty (lesion B), rfa (lesion B) undetermined"), "\(text)"
        )
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
