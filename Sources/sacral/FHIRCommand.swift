import ArgumentParser
import Foundation
import SacralEngine

/// `sacral fhir`: the FHIR R4 side of a case (Rules/fhir.lua).
struct FHIRCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fhir",
        abstract: "FHIR R4: the questionnaire for what the record does not hold, and case files as Bundles.",
        discussion: "Read a Bundle with `sacral evaluate --fhir BUNDLE.json --date YYYY-MM-DD`.",
        subcommands: [FHIRQuestionnaireCommand.self, FHIRExportCommand.self, FHIRPrefetchCommand.self])

    /// The engine and its mapping, or exit 3 when the rules have no usable mapping.
    static func load(_ ruleOptions: RuleOptions) throws -> (Engine, FHIRMapping) {
        let engine = try ruleOptions.engine()
        do {
            guard let mapping = try engine.fhirMapping() else {
                Terminal.error("\(engine.ruleSet.origin): no \(FHIRMapping.fileName): the rules declare no FHIR mapping")
                throw ExitCode(3)
            }
            return (engine, mapping)
        } catch let error as RuleSetError {
            Terminal.error("the FHIR mapping failed to load:\n\(error.message)")
            throw ExitCode(3)
        }
    }
}

/// `sacral fhir questionnaire`: the Questionnaire generated from the field dictionary.
struct FHIRQuestionnaireCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "questionnaire",
        abstract: "Print the FHIR R4 Questionnaire for the case fields the record cannot give.",
        discussion: "linkId = the case field path; lesions are a repeating group. A QuestionnaireResponse to it fills those fields.")

    @OptionGroup var ruleOptions: RuleOptions

    func run() throws {
        let (engine, mapping) = try FHIRCommand.load(ruleOptions)
        Terminal.write(FHIRQuestionnaire.make(mapping, dictionary: engine.dictionary).serialized() + "\n")
    }
}

/// `sacral fhir export`: a case file as a FHIR Bundle.
struct FHIRExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a case file as a FHIR R4 collection Bundle (Patient, Observations, Conditions, AllergyIntolerance, Procedure, QuestionnaireResponse).",
        discussion: """
            The evaluation date dates the Observations and gives the birth date for the case's age; \
            `sacral evaluate --fhir` on the Bundle at the same date gives the same case. The case's \
            `expect:` block is not exported.
            """)

    @Argument(help: ArgumentHelp("The case file.", valueName: "case-file"))
    var file: String

    @Option(name: .long, help: ArgumentHelp("The evaluation date.", valueName: "YYYY-MM-DD"))
    var date: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the Bundle to this file instead of standard output.", valueName: "file"))
    var output: String?

    @OptionGroup var ruleOptions: RuleOptions

    func validate() throws {
        if FHIRDate(date) == nil { throw ValidationError("--date: expected YYYY-MM-DD, got '\(date)'") }
    }

    func run() throws {
        let (engine, mapping) = try FHIRCommand.load(ruleOptions)
        let validated: ValidatedCase
        do {
            validated = try engine.load(path: file)
        } catch {
            for issue in error.issues {
                Terminal.error(issue.path.isEmpty ? "\(file): \(issue.message)" : "\(file): \(issue.path): \(issue.message)")
            }
            throw ExitCode(2)
        }
        let (bundle, unwritten) = FHIRExport.bundle(validated, mapping: mapping, dictionary: engine.dictionary, date: FHIRDate(date)!)
        for field in unwritten { Terminal.error("\(file): \(field): the mapping can write this field nowhere; left out") }
        let text = bundle.serialized() + "\n"
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: Data(text.utf8)) else {
                Terminal.error("\(output): cannot be written")
                throw ExitCode(2)
            }
        } else {
            Terminal.write(text)
        }
    }
}

/// `sacral fhir prefetch`: the FHIR queries the mapping reads, as CDS Hooks prefetch templates.
struct FHIRPrefetchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prefetch",
        abstract: "Print the FHIR queries the mapping reads (CDS Hooks prefetch templates, key -> query) and the ServiceRequest codes of the orderable pathways.")

    @OptionGroup var ruleOptions: RuleOptions

    func run() throws {
        let (_, mapping) = try FHIRCommand.load(ruleOptions)
        let document: JSONValue = .object([
            ("prefetch", .object(mapping.queries.map { ($0.key, .string($0.template)) })),
            ("orders", .object(mapping.orders.map { o in
                (o.pathway, .object([("codes", .array(o.codes.map { .string($0.description) })),
                                     ("text", .array(o.text.map(JSONValue.string)))]))
            })),
        ])
        Terminal.write(document.serialized() + "\n")
    }
}
