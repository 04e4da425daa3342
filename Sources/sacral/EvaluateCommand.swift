import ArgumentParser
import Foundation
import SacralEngine

/// `sacral evaluate`: the reasoned recommendation for every pathway of each case file.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate case files and print a reasoned recommendation for every pathway.",
        discussion: """
            Case files are YAML (.yaml, .yml) or JSON (.json). Several files are evaluated on --jobs \
            workers and printed in the order given; a bad file is reported (file, field path, what was \
            expected) and the others are still evaluated. With --format json one file prints one JSON \
            object (decision-output.md) and several files print one JSON array of them, in argument \
            order; a bad file stands as an object with its errors, so no input goes unaccounted for. \
            --jsonl prints JSON Lines. For cohorts, --format summary prints one JSON line per case \
            (statuses, deciding rules, lesions, alerts, missing fields, ruleset SHA-256) and --format \
            csv one row per case and pathway. The output does not depend on --jobs.
            """)

    @Argument(help: ArgumentHelp("Case files.", valueName: "case-file"))
    var files: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Read cases as JSON Lines (one case per line) from this file, or - for standard input; print one result per line (compact JSON, or the --format summary/csv line), in input order.",
            valueName: "file"))
    var jsonl: String?

    @Option(
        name: .long,
        help: "Output format: text, json (the full decision), summary (one JSON line per case), csv (one row per case and pathway).")
    var format: EvaluateFormat = .text

    @Flag(
        name: .long,
        help:
            "The files are FHIR R4 Bundles of one patient, read through Rules/fhir.lua into one case; the output adds the provenance of every field."
    )
    var fhir = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "With --fhir: the evaluation date (age, recency of results); default the first Bundle's timestamp.", valueName: "YYYY-MM-DD"))
    var date: String?

    @Option(name: .long, help: "Colour in text output.")
    var color: ColorChoice = .auto

    @Option(name: .shortAndLong, help: "Worker threads, each with its own Lua state (default: the number of cores).")
    var jobs: Int?

    @Flag(
        name: .long,
        help:
            "For each undetermined pathway, evaluate again with each possible value of each missing field (one field at a time) and report the statuses (JSON: an additional what_if section)."
    )
    var whatIf = false

    @Option(name: .long, help: ArgumentHelp("Evaluations --what-if may run per case.", valueName: "n"))
    var whatIfLimit: Int = WhatIfExplorer.defaultLimit

    @OptionGroup var ruleOptions: RuleOptions

    func validate() throws {
        if files.isEmpty && jsonl == nil { throw ValidationError("give case files, or --jsonl FILE") }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if fhir && jsonl != nil { throw ValidationError("--fhir reads Bundle files, not --jsonl") }
        if date != nil && !fhir { throw ValidationError("--date goes with --fhir (case files give the age themselves)") }
        if let date, FHIRDate(date) == nil { throw ValidationError("--date: expected YYYY-MM-DD, got '\(date)'") }
    }

    /// What one input produced: its output text, its messages for standard error, and how it went.
    struct Outcome: Sendable {
        var output = ""
        var messages: [String] = []
        var badInput = false
        var ruleFailed = false
    }

    /// One worker: an engine (its own Lua state) and a decoder.
    final class Worker {
        let engine: Engine
        let decoder = CaseDecoder()
        init(_ engine: Engine) { self.engine = engine }
    }

    func run() throws {
        let engine = try ruleOptions.engine()
        if fhir { return try runFHIR(engine: engine) }
        let inputs = jsonl == nil ? files.count : Int.max
        // One input needs one worker: the number of cores is asked only when there is more to do
        // (ProcessInfo's first use costs a cold single case a few tenths of a millisecond).
        let pool = try Self.pool(engine, jobs: inputs <= 1 ? 1 : min(jobs ?? ProcessInfo.processInfo.activeProcessorCount, inputs))
        if format == .csv { Terminal.write(CohortCSV.header) }
        var badInput = false
        var ruleFailed = false
        // Several files with --format json make one JSON document: an array, written member by member.
        let array = jsonl == nil && format == .json && files.count > 1
        var written = 0
        func emit(_ outcomes: [Outcome]) {
            var text = ""
            for o in outcomes {
                badInput = badInput || o.badInput
                ruleFailed = ruleFailed || o.ruleFailed
                if !o.messages.isEmpty {
                    // Messages before the output of the same input, as one worker would print them.
                    if !text.isEmpty {
                        Terminal.write(text)
                        text = ""
                    }
                    for m in o.messages { Terminal.error(m) }
                }
                if array {
                    text += (written == 0 ? "[\n  " : ",\n  ") + o.output
                    written += 1
                } else {
                    text += o.output
                }
            }
            if !text.isEmpty { Terminal.write(text) }
        }
        if let jsonl {
            try readLines(jsonl) { batch in emit(pool.map(batch.count) { w, i in self.evaluateLine(batch[i], worker: w) }) }
        } else {
            let report = TextReport(color: Terminal.useColor(color), catalog: engine.evaluationCatalog)
            let files = self.files
            for start in stride(from: 0, to: files.count, by: Self.batchSize) {
                let end = min(files.count, start + Self.batchSize)
                emit(
                    pool.map(end - start) { w, i in
                        self.evaluateFile(files[start + i], index: start + i, worker: w, report: report, member: array)
                    })
            }
            if array { Terminal.write(written == 0 ? "[]\n" : "\n]\n") }
        }
        if ruleFailed { throw ExitCode(3) }
        if badInput { throw ExitCode(2) }
    }

    /// Inputs evaluated between two writes: enough to keep every worker busy, few enough that
    /// output streams and memory stays small.
    static let batchSize = 512

    static func pool(_ engine: Engine, jobs: Int) throws -> WorkerPool<Worker> {
        do {
            return try WorkerPool(first: Worker(engine), count: jobs) { () throws(RuleSetError) in
                Worker(try Engine(ruleSet: engine.ruleSet, limits: engine.limits))
            }
        } catch {
            Terminal.error("rules failed to load:\n\(error.message)")
            throw ExitCode(3)
        }
    }

    /// One case file. As a `member` of the JSON array of several files, the document is indented one
    /// level and has no line end: the caller writes the separators.
    private func evaluateFile(_ file: String, index: Int, worker: Worker, report: TextReport, member: Bool) -> Outcome {
        func json(_ document: JSONValue) -> String { member ? document.serialized(nestedAt: 1) : document.serialized() + "\n" }
        var outcome = Outcome()
        let validated: ValidatedCase
        do {
            validated = try worker.engine.load(path: file, decoder: worker.decoder)
        } catch {
            outcome.badInput = true
            outcome.messages = error.issues.map { $0.path.isEmpty ? "\(file): \($0.message)" : "\(file): \($0.path): \($0.message)" }
            switch format {
            case .json: outcome.output = json(Self.errorDocument(error))
            case .summary: outcome.output = Self.errorDocument(error).serialized(pretty: false) + "\n"
            case .csv: outcome.output = CohortCSV.badInput(source: file, issues: error.issues)
            case .text: break
            }
            return outcome
        }
        if format == .summary || format == .csv, !whatIf { return summaryOutcome(validated, place: file, worker: worker) }
        let decision = worker.engine.evaluate(validated)
        outcome.ruleFailed = !decision.failures.isEmpty
        outcome.messages = decision.failures.map { "\(file): \($0)" }
        let whatIf =
            whatIf ? WhatIfExplorer(engine: worker.engine, limit: whatIfLimit).explore(file: file, decision: decision) : nil
        switch format {
        case .json: outcome.output = json(whatIf.map { decision.document.appending("what_if", $0.json) } ?? decision.document)
        case .text: outcome.output = (index > 0 ? "\n" : "") + report.render(decision) + (whatIf.map { "\n" + $0.text } ?? "")
        case .summary: outcome.output = CohortSummary(decision).line + "\n"
        case .csv: outcome.output = CohortCSV.rows(CohortSummary(decision))
        }
        return outcome
    }

    /// `--format summary` / `csv`: the case evaluated for its summary alone (``Engine/summarize(_:)``).
    private func summaryOutcome(_ validated: ValidatedCase, place: String, worker: Worker) -> Outcome {
        var outcome = Outcome()
        let (summary, failures) = worker.engine.summarize(validated)
        outcome.ruleFailed = !failures.isEmpty
        outcome.messages = failures.map { "\(place): \($0)" }
        outcome.output = format == .csv ? CohortCSV.rows(summary) : summary.line + "\n"
        return outcome
    }

    /// One line of JSON Lines: a result line for a case, an error line naming the line number for a
    /// bad one.
    private func evaluateLine(_ line: InputLine, worker: Worker) -> Outcome {
        var outcome = Outcome()
        let issues: [ValidationIssue]
        if let tooLong = line.tooLong {
            let message = "is longer than the \(worker.decoder.maxBytes / 1024) KiB a case may have (\(tooLong) bytes)"
            outcome.messages = ["\(line.place): \(message)"]
            outcome.badInput = true
            issues = [ValidationIssue(path: "", message: message)]
            outcome.output =
                format == .csv
                ? CohortCSV.badInput(source: line.place, issues: issues) : Self.errorLine(line: line.number, issues) + "\n"
            return outcome
        }
        do {
            let value = try worker.decoder.decode(line.bytes, format: .json, file: line.place)
            let validated = try worker.engine.validator.validate(value, file: line.place)
            if format == .summary || format == .csv { return summaryOutcome(validated, place: line.place, worker: worker) }
            let decision = worker.engine.evaluate(validated)
            outcome.ruleFailed = !decision.failures.isEmpty
            outcome.messages = decision.failures.map { "\(line.place): \($0)" }
            outcome.output = decision.document.serialized(pretty: false) + "\n"
            return outcome
        } catch let error as CaseReadError {
            outcome.messages = [error.description]
            issues = [ValidationIssue(path: "", message: error.message)]
        } catch let error as CaseInvalid {
            outcome.messages = [error.description]
            issues = error.issues
        } catch {
            outcome.messages = ["\(line.place): \(error)"]
            issues = [ValidationIssue(path: "", message: "\(error)")]
        }
        outcome.badInput = true
        outcome.output =
            format == .csv
            ? CohortCSV.badInput(source: line.place, issues: issues)
            : Self.errorLine(line: line.number, issues) + "\n"
        return outcome
    }

    /// One input line of JSON Lines: its number and place for messages, and its bytes, or the size
    /// of a line too long to be a case (never read into memory whole).
    struct InputLine: Sendable {
        var number: Int
        var place: String
        var bytes = Data()
        var tooLong: Int?
    }

    /// Reads JSON Lines in batches of non-blank lines (JSONLinesReader: linear in the input, a line
    /// longer than a case may be is skipped, not buffered).
    private func readLines(_ source: String, _ body: ([InputLine]) -> Void) throws {
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
        var batch: [InputLine] = []
        var reader = JSONLinesReader(handle: handle, maxLineBytes: CaseDecoder().maxBytes)
        while let line = reader.next() {
            switch line {
            case .text(let number, let bytes):
                if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                batch.append(InputLine(number: number, place: "\(name):\(number)", bytes: bytes))
            case .tooLong(let number, let bytes):
                batch.append(InputLine(number: number, place: "\(name):\(number)", tooLong: bytes))
            }
            if batch.count == Self.batchSize {
                body(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { body(batch) }
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
            (
                "errors",
                .array(
                    error.issues.map { issue in
                        .object([("path", .string(issue.path)), ("message", .string(issue.message))])
                    })
            ),
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
                Terminal.write(
                    JSONValue.object([
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
            let report = TextReport(color: Terminal.useColor(color), catalog: engine.evaluationCatalog)
            Terminal.write(report.render(result.decision) + result.provenanceText())
        case .summary: Terminal.write(CohortSummary(result.decision).line + "\n")
        case .csv: Terminal.write(CohortCSV.header + CohortCSV.rows(CohortSummary(result.decision)))
        }
        if !result.decision.failures.isEmpty { throw ExitCode(3) }
    }
}

/// What `evaluate` prints for each case.
enum EvaluateFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, summary, csv
}
