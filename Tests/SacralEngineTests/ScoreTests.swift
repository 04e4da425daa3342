import Testing

@testable import SacralEngine

/// Each score against values computed by hand from the tables of knowledge-base B1–B5.
@Suite struct ScoreTests {
    let engine: Engine

    init() throws {
        engine = try makeEngine()
    }

    private func scores(_ overrides: [String: String]) throws -> JSONValue {
        let d = engine.evaluate(try engine.load(path: try temporaryFile(caseYAML(overrides))))
        return try #require(d.document["scores"])
    }

    private func int(_ v: JSONValue?) -> Int64? { if case .int(let i)? = v { return i } else { return nil } }

    @Test func sinsOfTheWorstSacralCaseAddsEveryItem() throws {
        // S1 → location 3; mechanical pain 3; lytic 2; subluxation 4; collapse < 50 % 2; bilateral 3 = 17.
        let s = try scores([
            "lesions": """
            lesions:
              - { id: A, levels: [S1, S2], zones: [3], bone_lesion: lytic, collapse: under_half, alignment: subluxation, posterolateral: bilateral, epidural: "0", foraminal_erosion: false, ilium: none, irradiated: true }
            """
        ])
        let sins = try #require(s["sins"])
        #expect(int(sins["total"]) == 17)
        #expect(sins["band"]?.stringValue == "unstable")
        #expect(int(sins["items"]?["location"]) == 3)
        #expect(int(sins["items"]?["alignment"]) == 4)
        #expect(int(sins["items"]?["posterolateral"]) == 3)
    }

    @Test func sinsOfARigidLowSacralLesionIsStable() throws {
        // S3 → location 0; pain none 0; blastic 0; normal 0; no collapse 0; none 0 = 0.
        let s = try scores([
            "lesions":
                "lesions: [ { id: A, levels: [S3], zones: [1], bone_lesion: blastic, collapse: none, alignment: normal, posterolateral: none, epidural: \"0\", foraminal_erosion: false, ilium: none, irradiated: true } ]",
            "symptoms":
                "symptoms: { pain_vas: 2, pain_type: none, neurologic: intact, bowel_bladder: normal, cannot_walk_or_sit: false, conservative_care: refractory }",
        ])
        #expect(int(s["sins"]?["total"]) == 0)
        #expect(s["sins"]?["band"]?.stringValue == "stable")
    }

    @Test func sinsBoundaryBetweenStableAndIndeterminate() throws {
        // S2 location 0 + mechanical 3 + lytic 2 + deformity 2 = 7 (indeterminate); mixed instead of lytic = 6 (stable).
        let base =
            "{ id: A, levels: [S2], zones: [1], collapse: none, alignment: deformity, posterolateral: none, epidural: \"0\", foraminal_erosion: false, ilium: none, irradiated: true"
        let seven = try scores(["lesions": "lesions: [ \(base), bone_lesion: lytic } ]"])
        let six = try scores(["lesions": "lesions: [ \(base), bone_lesion: mixed } ]"])
        #expect(int(seven["sins"]?["total"]) == 7)
        #expect(seven["sins"]?["band"]?.stringValue == "indeterminate")
        #expect(int(six["sins"]?["total"]) == 6)
        #expect(six["sins"]?["band"]?.stringValue == "stable")
    }

    @Test func tokuhashiBestPrognosisIsFifteen() throws {
        // KPS 90 → 2; extraspinal 0 → 2; vertebral 1 → 2; no visceral → 2; breast → 5; Frankel E → 2 = 15.
        let s = try scores([
            "patient":
                "patient: { age: 62, sex: female, karnofsky: 90, fit_for_surgery: false, accepts_surgery: false, life_expectancy_months: 12 }",
            "cancer":
                "cancer: { primary: breast, tissue_diagnosis: primary_confirmed, visceral_metastases: none, extraspinal_bone_metastases: 0, vertebral_metastases: 1, systemic_therapy: ongoing }",
        ])
        let t = try #require(s["tokuhashi"])
        #expect(int(t["total"]) == 15)
        #expect(t["band"]?.stringValue == "1_year_or_more")
        #expect(int(t["items"]?["primary_site"]) == 5)
    }

    @Test func tokuhashiWorstPrognosisIsZero() throws {
        // KPS 30 → 0; extraspinal 3 → 0; vertebral 3 → 0; unremovable visceral → 0; lung → 0; Frankel A → 0.
        let s = try scores([
            "patient":
                "patient: { age: 62, sex: male, karnofsky: 30, fit_for_surgery: false, accepts_surgery: false, life_expectancy_months: 12 }",
            "cancer":
                "cancer: { primary: lung, tissue_diagnosis: primary_confirmed, visceral_metastases: untreatable, extraspinal_bone_metastases: 3, vertebral_metastases: 3, systemic_therapy: ongoing }",
            "symptoms":
                "symptoms: { pain_vas: 8, pain_type: mechanical, neurologic: motor_deficit, frankel: A, bowel_bladder: normal, cannot_walk_or_sit: true, conservative_care: refractory }",
        ])
        #expect(int(s["tokuhashi"]?["total"]) == 0)
        #expect(s["tokuhashi"]?["band"]?.stringValue == "under_6_months")
    }

    @Test func tokuhashiMiddleBandFromMixedItems() throws {
        // KPS 60 → 1; extraspinal 2 → 1; vertebral 2 → 1; treatable visceral → 1; kidney → 3; Frankel E → 2 = 9.
        let s = try scores([
            "patient":
                "patient: { age: 62, sex: male, karnofsky: 60, fit_for_surgery: false, accepts_surgery: false, life_expectancy_months: 12 }",
            "cancer":
                "cancer: { primary: kidney, tissue_diagnosis: primary_confirmed, visceral_metastases: treatable, extraspinal_bone_metastases: 2, vertebral_metastases: 2, systemic_therapy: ongoing }",
        ])
        #expect(int(s["tokuhashi"]?["total"]) == 9)
        #expect(s["tokuhashi"]?["band"]?.stringValue == "6_months_or_more")
    }

    @Test func tomitaLowestAndHighestTotals() throws {
        // breast slow 1 + no visceral 0 + solitary 1 = 2; lung rapid 4 + untreatable 4 + multiple 2 = 10.
        let low = try scores([
            "cancer":
                "cancer: { primary: breast, tissue_diagnosis: primary_confirmed, visceral_metastases: none, extraspinal_bone_metastases: 0, vertebral_metastases: 1, systemic_therapy: ongoing }"
        ])
        let high = try scores([
            "cancer":
                "cancer: { primary: lung, tissue_diagnosis: primary_confirmed, visceral_metastases: untreatable, extraspinal_bone_metastases: 4, vertebral_metastases: 3, systemic_therapy: ongoing }"
        ])
        #expect(int(low["tomita"]?["total"]) == 2)
        #expect(int(high["tomita"]?["total"]) == 10)
        #expect(int(high["tomita"]?["items"]?["primary_growth"]) == 4)
    }

    @Test func tomitaGrowthOverrideWins() throws {
        // kidney is moderate (2); cancer.growth: slow makes it 1.
        let s = try scores([
            "cancer":
                "cancer: { primary: kidney, growth: slow, tissue_diagnosis: primary_confirmed, visceral_metastases: none, extraspinal_bone_metastases: 0, vertebral_metastases: 1, systemic_therapy: ongoing }"
        ])
        #expect(int(s["tomita"]?["items"]?["primary_growth"]) == 1)
    }

    /// P21: ECOG gives the KPS interval of the conventional table (ECOG 2 = KPS 50-60), not a number.
    @Test func ecogAloneIsConvertedToAKarnofskyIntervalWithAWarning() throws {
        let path = try temporaryFile(
            caseYAML([
                "patient":
                    "patient: { age: 62, sex: male, ecog: 2, fit_for_surgery: false, accepts_surgery: false, life_expectancy_months: 12 }"
            ]))
        let d = engine.evaluate(try engine.load(path: path))
        let perf = try #require(d.document["scores"]?["performance"])
        #expect(perf["total"] == nil)
        #expect(int(perf["min"]) == 50)
        #expect(int(perf["max"]) == 60)
        #expect(int(perf["items"]?["ecog"]) == 2)
        #expect(perf["converted"]?.stringValue == "kps_from_ecog")
        #expect(d.warnings.contains { $0.contains("KPS") && $0.contains("ECOG") })
        // Both ends of 50-60 are Tokuhashi's "moderate" general condition: that item is known.
        #expect(int(d.document["scores"]?["tokuhashi"]?["items"]?["general_condition"]) == 1)
    }

    /// P21: a score with an unknown item is an interval (each missing item at its lowest and highest
    /// points) naming the item, with no total.
    @Test func scoreWithAnUnknownItemIsAnIntervalNamingTheItem() throws {
        let s = try scores([
            "patient": "patient: { age: 62, sex: male, fit_for_surgery: false, accepts_surgery: false, life_expectancy_months: 12 }"
        ])
        let t = try #require(s["tokuhashi"])
        #expect(t["total"] == nil)
        let low = try #require(int(t["min"]))
        #expect(int(t["max"]) == low + 2)  // general condition: 0 to 2 points
        #expect(t["missing_items"]?.arrayValue == [.string("general_condition")])
        #expect(t["items"]?["general_condition"] == nil)
    }
}
