import ArgumentParser
import SacralEngine

/// `sacral rules`: the catalogue of rules and scores, for reviewers.
struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "List every rule and score: id, pathways, K/P numbers, source, summary.",
        discussion: "--format markdown writes a document a clinical reviewer can sign off.")

    enum CatalogueFormat: String, ExpressibleByArgument, CaseIterable { case text, markdown, json }

    @Option(name: .long, help: "Output format.")
    var format: CatalogueFormat = .text

    @OptionGroup var ruleOptions: RuleOptions

    func run() throws {
        let engine = try ruleOptions.engine()
        let catalogue = RuleCatalogue(catalog: engine.catalog, ruleSet: engine.ruleSet)
        switch format {
        case .text: Terminal.write(catalogue.text())
        case .markdown: Terminal.write(catalogue.markdown())
        case .json: Terminal.write(catalogue.json().serialized() + "\n")
        }
    }
}
