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
    var files: [String] = []

    @Option(name: .long, help: ArgumentHelp("Read cases as JSON Lines (one case per line) from this file, or - for standard input; print one compact JSON result per line, in input order.", valueName: "file"))
    var jsonl: String?

    @Option(name: .long, help: "Output format.")
    var format: OutputFormat = .text

    @Flag(name: .long, help: "The files are FHIR R4 Bundles of one patient, read through Rules/fhir.lua into one case; the output adds the provenance of every field.")
    var fhir = false

    @Option(name: .long, help: ArgumentHelp("With --fhir: the evaluation date (age, recency of results); default the first Bundle's timestamp.", valueName: "YYYY-MM-DD"))
    var date: String?

    @Option(name: .long, help: "Colour in text output.")
    var color: ColorChoice = .auto

    @OptionGroup var ruleOptions: RuleOptions

    func validate() throws {
        if files.isEmpty && jsonl == nil { throw ValidationError("give case files, or --jsonl FILE") }
        if fhir && jsonl != nil { throw ValidationError("--fhir reads Bundle files, not --jsonl") }
        if date != nil && !fhir { throw ValidationError("--date goes with --fhir (case files give the age themselves)") }
        if let date, FHIRDate(date) == nil { throw ValidationError("--date: expected YYYY-MM-DD, got '\(date)'") }
    }

    func run() throws {
        let engine = try ruleOptions.engine()
        if let jsonl { return try runLines(jsonl, engine: engine) }
        if fhir { return try runFHIR(engine: engine) }
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

    /// JSON Lines: a result line for every input line that holds a case (blank lines are skipped),
    /// an error line naming the line number for a bad one; each line is written whole.
    private func runLines(_ source: String, engine: Engine) throws {
        let handle: FileHandle
        if source == "-" {
            handle = FileHandle.standardInput
        } else if let h = FileHandle(forReadingAtPath: source) {
            handle = h
        } else {
            Terminal.error("\(source): cannot be opened")
            throw ExitCode(2)
        }
        let name = source == "-" ? "stdin" : source
        let decoder = CaseDecoder()
        var badInput = false, ruleFailed = false
        var lineNumber = 0
        var pending = Data()
        func handleLine(_ bytes: Data) {
            lineNumber += 1
            let place = "\(name):\(lineNumber)"
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return }
            do {
                let value = try decoder.decode(bytes, format: .json, file: place)
                let validated = try engine.validator.validate(value, file: place)
                let decision = engine.evaluate(validated)
                if !decision.failures.isEmpty {
                    ruleFailed = true
                    for failure in decision.failures { Terminal.error("\(place): \(failure)") }
                }
                Terminal.write(decision.document.serialized(pretty: false) + "\n")
            } catch let error as CaseReadError {
                badInput = true
                Terminal.error(error.description)
                Terminal.write(Self.errorLine(line: lineNumber, [ValidationIssue(path: "", message: error.message)]) + "\n")
            } catch let error as CaseInvalid {
                badInput = true
                Terminal.error(error.description)
                Terminal.write(Self.errorLine(line: lineNumber, error.issues) + "\n")
            } catch {
                badInput = true
                Terminal.error("\(place): \(error)")
            }
        }
        while true {
            let chunk = handle.readData(ofLength: 1 << 16)
            if chunk.isEmpty { break }
            pending.append(chunk)
            while let newline = pending.firstIndex(of: 0x0A) {
                handleLine(pending[pending.startIndex..<newline])
                pending.removeSubrange(pending.startIndex...newline)
            }
        }
        if !pending.isEmpty { handleLine(pending) }
        if ruleFailed { throw ExitCode(3) }
        if badInput { throw ExitCode(2) }
    }

    static func errorLine(line: Int, _ issues: [ValidationIssue]) -> String {
        JSONValue.object([
            ("line", .int(Int64(line))),
            ("errors", .array(issues.map { .object([("path", .string($0.path)), ("message", .string($0.message))]) })),
        ]).serialized(pretty: false)
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

extension EvaluateCommand {
    /// --fhir: the Bundle files make one case (one patient); warnings name resource and field.
    private func runFHIR(engine: Engine) throws {
        let (_, mapping) = try FHIRCommand.load(ruleOptions)
        let fhirCase: FHIRCase
        do {
            fhirCase = try engine.fhirReader(mapping).read(bundleFiles: files, evaluationDate: date.flatMap(FHIRDate.init))
        } catch {
            Terminal.error(error.description)
            if format == .json {
                Terminal.write(JSONValue.object([
                    ("file", .string(error.file)),
                    ("errors", .array([.object([("path", .string("")), ("message", .string(error.message))])])),
                ]).serialized() + "\n")
            }
            throw ExitCode(2)
        }
        for warning in fhirCase.warnings { Terminal.error("warning: \(warning)") }
        let result = engine.evaluate(fhirCase)
        for failure in result.decision.failures { Terminal.error("\(files.joined(separator: ", ")): \(failure)") }
        switch format {
        case .json: Terminal.write(result.document.serialized() + "\n")
        case .text:
            Terminal.write(TextReport(color: Terminal.useColor(color)).render(result.decision) + result.provenanceText())
        }
        if !result.decision.failures.isEmpty { throw ExitCode(3) }
    }
}
