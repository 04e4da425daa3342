import ArgumentParser
import Foundation
import SacralEngine

/// `sacral evaluate`: the reasoned recommendation for every pathway of each case file.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate case files and print a reasoned recommendation for every pathway.",
        discussion: """
            Case files are YAML (.yaml, .yml) or JSON (.json). Several files are evaluated one by one; \
            a bad file is reported (file, field path, what was expected) and the others are still \
            evaluated. With --format json each case prints one JSON object (decision-output.md); a bad \
            file prints an object with its errors instead, so no input goes unaccounted for.
            """)

    @Argument(help: ArgumentHelp("Case files.", valueName: "case-file"))
    var files: [String]

    @Option(name: .long, help: "Output format.")
    var format: OutputFormat = .text

    @Option(name: .long, help: "Colour in text output.")
    var color: ColorChoice = .auto

    @OptionGroup var ruleOptions: RuleOptions

    func run() throws {
        let engine = try ruleOptions.engine()
        let report = TextReport(color: Terminal.useColor(color))
        var badInput = false
        var ruleFailed = false
        for (index, file) in files.enumerated() {
            let validated: ValidatedCase
            do {
                validated = try engine.load(path: file)
            } catch {
                badInput = true
                for issue in error.issues {
                    Terminal.error(issue.path.isEmpty ? "\(file): \(issue.message)" : "\(file): \(issue.path): \(issue.message)")
                }
                if format == .json { Terminal.write(Self.errorDocument(error).serialized() + "\n") }
                continue
            }
            let decision = engine.evaluate(validated)
            if !decision.failures.isEmpty {
                ruleFailed = true
                for failure in decision.failures { Terminal.error("\(file): \(failure)") }
            }
            switch format {
            case .json: Terminal.write(decision.document.serialized() + "\n")
            case .text: Terminal.write((index > 0 ? "\n" : "") + report.render(decision))
            }
        }
        if ruleFailed { throw ExitCode(3) }
        if badInput { throw ExitCode(2) }
    }

    /// The JSON that stands in for a case that could not be evaluated.
    static func errorDocument(_ error: CaseLoadError) -> JSONValue {
        .object([
            ("file", .string(error.file)),
            ("errors", .array(error.issues.map { issue in
                .object([("path", .string(issue.path)), ("message", .string(issue.message))])
            })),
        ])
    }
}
