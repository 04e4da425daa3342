import Foundation
import Testing

@testable import SacralEngine

/// `--what-if`: each value of each missing field of an undetermined pathway, one field at a time.
@Suite struct WhatIfTests {
    func explore(_ file: String, engine: Engine? = nil, limit: Int = WhatIfExplorer.defaultLimit) throws -> (Decision, WhatIf) {
        let engine = try engine ?? makeEngine()
        let path = file.hasPrefix("/") ? file : repositoryRoot + "/Cases/" + file
        let decision = engine.evaluate(try engine.load(path: path))
        return (decision, WhatIfExplorer(engine: engine, limit: limit).explore(file: path, decision: decision))
    }

    func outcomes(_ w: WhatIf, _ pathway: String, _ field: String) -> [String] {
        let f = w.pathways.first { $0.pathway == pathway }?.fields.first { $0.field == field }
        return (f?.outcomes ?? []).map { o in "\(o.when) → \(o.status)" + (o.strength.map { " (\($0))" } ?? "") }
    }

    @Test func aMissingINRIsTriedEitherSideOfTheThresholdOfThresholdsLua() throws {
        let (decision, w) = try explore("missing-data/missing-inr.yaml")
        #expect(decision.status(of: "sacroplasty") == .undetermined)
        #expect(outcomes(w, "sacroplasty", "labs.inr") == ["≤ 1.50 → recommended", "> 1.50 → contraindicated (relative)"])
        #expect(outcomes(w, "rfa", "labs.inr") == ["≤ 1.50 → recommended", "> 1.50 → contraindicated (relative)"])
        let inr = w.pathways.first { $0.pathway == "sacroplasty" }!.fields.first { $0.field == "labs.inr" }!
        #expect(inr.label == "INR")
        #expect(inr.outcomes[0].maximum == 1.5 && inr.outcomes[0].maximumInclusive == true)
        #expect(inr.outcomes[1].minimum == 1.5 && inr.outcomes[1].minimumInclusive == false)
        // The values tried include the threshold itself and a step either side.
        let tried = inr.outcomes.flatMap(\.values)
        #expect(tried.contains(.double(1.5)) && tried.contains(.double(1.49)) && tried.contains(.double(1.51)))
    }

    @Test func aLowerBoundThresholdReadsAsBelowAndAtOrAbove() throws {
        let (_, w) = try explore("missing-data/missing-platelets.yaml")
        #expect(outcomes(w, "sacroplasty", "labs.platelets") == ["< 90 → contraindicated (relative)", "≥ 90 → recommended"])
    }

    @Test func everyEnumerationValueIsTriedAndEqualResultsAreGrouped() throws {
        let (_, w) = try explore("missing-data/missing-epidural.yaml")
        #expect(outcomes(w, "sacroplasty", "lesions[0].epidural") == ["0 → recommended", "1a, 1b, 1c, 2, 3 → contraindicated (absolute)"])
    }

    @Test func bothBooleansAreTried() throws {
        let (_, w) = try explore("missing-data/missing-systemic-infection.yaml")
        #expect(
            outcomes(w, "sacroplasty", "comorbidities.systemic_infection") == ["true → contraindicated (absolute)", "false → recommended"])
    }

    @Test func theThresholdComesFromTheRulesNotFromSwift() throws {
        let copy = try copyOfRules()
        let thresholds = copy + "/thresholds.lua"
        let text = try String(contentsOfFile: thresholds, encoding: .utf8)
        try text.replacingOccurrences(of: "inr_max = 1.50", with: "inr_max = 1.70").write(
            toFile: thresholds, atomically: true, encoding: .utf8)
        let (_, w) = try explore("missing-data/missing-inr.yaml", engine: try makeEngine(rules: copy))
        #expect(outcomes(w, "sacroplasty", "labs.inr") == ["≤ 1.70 → recommended", "> 1.70 → contraindicated (relative)"])
    }

    @Test func aNumberWithoutDeclaredThresholdsIsNotGuessed() throws {
        let copy = try copyOfRules()
        let fields = copy + "/fields.lua"
        let text = try String(contentsOfFile: fields, encoding: .utf8)
        try text.replacingOccurrences(of: "compared_with = { \"thresholds.inr_max\" }, ", with: "")
            .write(toFile: fields, atomically: true, encoding: .utf8)
        let (_, w) = try explore("missing-data/missing-inr.yaml", engine: try makeEngine(rules: copy))
        #expect(outcomes(w, "sacroplasty", "labs.inr").isEmpty)
        #expect(w.unexplored.contains { $0.field == "labs.inr" && $0.reason.contains("no threshold is declared") })
    }

    @Test func theLimitBoundsEvaluationsAndNamesWhatWasLeftOut() throws {
        let (_, all) = try explore("missing-data/missing-inr.yaml")
        #expect(all.evaluations > 2)
        let (_, w) = try explore("missing-data/missing-inr.yaml", limit: 2)
        #expect(w.evaluations <= 2)
        #expect(w.unexplored.contains { $0.field == "labs.inr" && $0.reason.contains("limit") })
        // A field is explored whole or not at all.
        for p in w.pathways { for f in p.fields { #expect(f.field != "labs.inr") } }
    }

    @Test func aDecidedCaseHasNothingToExplore() throws {
        let (_, w) = try explore("mika2018/fig2-colon-s1-impending-instability.yaml")
        #expect(w.pathways.isEmpty && w.evaluations == 0)
    }

    @Test func theSectionIsAdditive() throws {
        let engine = try makeEngine()
        let path = repositoryRoot + "/Cases/missing-data/missing-inr.yaml"
        let decision = engine.evaluate(try engine.load(path: path))
        let w = WhatIfExplorer(engine: engine).explore(file: path, decision: decision)
        let extended = decision.document.appending("what_if", w.json)
        guard case .object(let before) = decision.document, case .object(let after) = extended else {
            Issue.record("not objects")
            return
        }
        #expect(before.map(\.0) + ["what_if"] == after.map(\.0))
        #expect(decision.document["what_if"] == nil)
        #expect(w.text.contains("INR (labs.inr): ≤ 1.50 → recommended; > 1.50 → contraindicated (relative)"))
    }

    @Test func regionsBetweenThresholds() {
        let t = [40.0, 50.0, 80.0]
        #expect([30.0, 40, 45, 50, 60, 80, 90].map { WhatIfExplorer.region(of: $0, t) } == [0, 1, 2, 3, 4, 5, 6])
    }
}

/// `sacral report`: one self-contained page.
@Suite struct PageReportTests {
    @Test func thePageInlinesEveryAssetAndTheDataAndFetchesNothing() throws {
        let engine = try makeEngine()
        let (html, decision) = try PageReport.report(engine: engine, file: repositoryRoot + "/Cases/missing-data/missing-inr.yaml")
        #expect(decision.caseID == "missing-inr")
        for name in PageReport.scripts + PageReport.styles { #expect(PageReport.assets[name] != nil, "\(name)") }
        #expect(html.contains("id=\"sacral-data\""))
        #expect(!html.contains("{{"))
        #expect(!html.contains("src=") && !html.contains("href=\"http"))
        // The data block cannot be closed early by anything in it.
        let data = html.components(separatedBy: "id=\"sacral-data\">")[1].components(separatedBy: "</script>")[0]
        #expect(!data.contains("</"))
        #expect(data.contains("\"what_if\"") && data.contains("\"label\":\"INR\""))
    }

    @Test func theServedPageIsLiveWithoutADictionaryAndCarriesALoggedCaseSafely() throws {
        let blank = PageReport.live()
        #expect(blank.contains("{\"mode\":\"live\"}") && !blank.contains("{{"))
        // A logged case holds whatever text a user typed: nothing in it can close the data block.
        let typed: JSONValue = .object([("id", .string("x</script><script>alert(1)</script>"))])
        let opened = PageReport.live(decision: nil, caseData: typed, source: "Logged decision")
        let data = opened.components(separatedBy: "id=\"sacral-data\">")[1].components(separatedBy: "</script>")[0]
        #expect(!data.contains("</") && data.contains("\"mode\":\"live\"") && !data.contains("\"dictionary\""))
        #expect(data.contains("alert(1)"))
    }

    @Test func theDictionaryCarriesLabelsHelpAndTheRuleset() throws {
        let engine = try makeEngine()
        let dict = PageReport.dictionary(engine)
        #expect(dict["ruleset"]?["sha256"]?.stringValue == engine.ruleSet.sha256)
        let fields = dict["fields"]?.arrayValue ?? []
        #expect(fields.count == engine.dictionary.fields.count)
        // Every field a clinician enters has a label from Rules/fields.lua.
        for f in fields { #expect(f["label"]?.stringValue != nil, "\(f["path"]?.stringValue ?? "?")") }
    }
}
