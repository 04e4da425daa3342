import LuaKit
import Testing

@testable import SacralEngine

/// An engine describes the rules in two parts: what an evaluation needs when it starts, the
/// rules, scores and numbers when first asked for (`Engine.catalog`). The parts must add up to
/// the description made at once, and asking for the second must not change any decision.
@Suite struct CatalogueTests {
    /// The whole description, as `sacral check` makes it (one call, every part).
    private func describedAtOnce() throws -> Catalog {
        let ruleSet = try RuleSet.load(directory: shippedRules)
        let (state, runtime) = try Engine.startRuntime(limits: LuaLimits())
        for file in ruleSet.luaFiles { #expect(Engine.loadFile(file, state: state, runtime: runtime) == nil) }
        #expect(try state.call(runtime, "finish_loading")["ok"].boolValue == true)
        return Catalog(described: try state.call(runtime, "describe"))
    }

    @Test func theCatalogueAskedForLaterIsTheOneDescribedAtOnce() throws {
        let engine = try makeEngine()
        let later = engine.catalog
        let atOnce = try describedAtOnce()
        #expect(!later.rules.isEmpty && !later.scores.isEmpty && !later.numbers.isEmpty)
        #expect(later.rules.map(\.id) == atOnce.rules.map(\.id))
        #expect(later.rules.map(\.implements) == atOnce.rules.map(\.implements))
        #expect(later.rules.map { "\($0.file):\($0.line)" } == atOnce.rules.map { "\($0.file):\($0.line)" })
        #expect(later.rules.map(\.pathways) == atOnce.rules.map(\.pathways))
        #expect(later.scores.map(\.id) == atOnce.scores.map(\.id))
        #expect(later.numbers == atOnce.numbers)
        #expect(later.pathways == atOnce.pathways && later.precedence == atOnce.precedence)
        #expect(later.sources == atOnce.sources && later.criteria == atOnce.criteria)
        #expect(later.fieldDeclarations.count == atOnce.fieldDeclarations.count)
        // Asked for again: the same, without describing anew.
        #expect(engine.catalog.rules.map(\.id) == later.rules.map(\.id))
    }

    @Test func theEvaluationPartHasTheVocabularyButNoRules() throws {
        let engine = try makeEngine()
        let part = engine.evaluationCatalog
        let whole = engine.catalog
        #expect(part.rules.isEmpty && part.scores.isEmpty && part.numbers.isEmpty)
        #expect(part.name == whole.name && part.version == whole.version)
        #expect(part.pathways == whole.pathways && part.pathwayTitles == whole.pathwayTitles)
        #expect(part.alerts == whole.alerts && part.precedence == whole.precedence)
        #expect(part.fieldDeclarations.count == whole.fieldDeclarations.count && !part.fieldDeclarations.isEmpty)
    }

    @Test func askingForTheCatalogueBetweenCasesChangesNoDecision() throws {
        let first = try temporaryFile(caseYAML(id: "first"))
        let labs = "labs: { inr: 1.8, platelets: 210, coagulopathy_correctable: false }"
        let second = try temporaryFile(caseYAML(id: "second", ["labs": labs]))
        let used = try makeEngine()
        _ = used.evaluate(try used.load(path: first))
        #expect(!used.catalog.rules.isEmpty)
        let after = used.evaluate(try used.load(path: second)).document.serialized()
        let fresh = try makeEngine()
        #expect(after == fresh.evaluate(try fresh.load(path: second)).document.serialized())
        // Nothing of the description stays behind: the heap the next case finds is a fresh engine's.
        #expect(try used.heapBetweenCases() == (try fresh.heapBetweenCases()))
    }
}
