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

    @Option(name: .long, help: "Colour in text output.")
    var color: ColorChoice = .auto

    @Flag(name: .long, help: "For each undetermined pathway, evaluate again with each possible value of each missing field (one field at a time) and report the statuses (JSON: an additional what_if section).")
    var whatIf = false

    @Option(name: .long, help: ArgumentHelp("Evaluations --what-if may run per case.", valueName: "n"))
    var whatIfLimit: Int = WhatIfExplorer.defaultLimit

    @OptionGroup var ruleOptions: RuleOptions

    func validate() throws {
        if files.isEmpty && jsonl == nil { throw ValidationError("give case files, or --jsonl FILE") }
    }

    func run() throws {
        let engine = try ruleOptions.engine()
        if let jsonl { return try runLines(jsonl, engine: engine) }
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
            var decision = engine.evaluate(validated)
            if !decision.failures.isEmpty {
                ruleFailed = true
                for failure in decision.failures { Terminal.error("\(file): \(failure)") }
            }
            let whatIf = whatIf ? WhatIfExplorer(engine: engine, limit: whatIfLimit).explore(file: file, decision: decision) : nil
            if let whatIf { decision.document = decision.document.appending("what_if", whatIf.json) }
            switch format {
            case .json: Terminal.write(decision.document.serialized() + "\n")
            case .text: Terminal.write((index > 0 ? "\n" : "") + report.render(decision) + (whatIf.map { "\n" + $0.text } ?? ""))
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
