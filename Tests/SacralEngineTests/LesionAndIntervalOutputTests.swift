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
        let text = TextReport(color: false).render(d)
        #expect(text.contains("sacroplasty of A (short_axis), then radiation to B (conventional)"), "\(text)")
        #expect(d.document["plan"]?.arrayValue?.contains { $0["lesions"] == .array([.string("B")]) } == true)
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
