import ArgumentParser
import Foundation
import SacralEngine

/// `sacral test`: runs the `expect:` blocks of a case corpus — the regression suite of the rules.
struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Evaluate case files that carry an expect: block and compare.",
        discussion: """
            Directories are searched for .yaml, .yml and .json files. Exit status: 0 when all pass, 1 on \
            any failure (or coverage under --threshold), 2 on bad input, 3 when the rules do not load.
            """)

    @Argument(help: ArgumentHelp("Case files or directories (default: Cases).", valueName: "path"))
    var paths: [String] = ["Cases"]

    @Option(name: .long, help: "Only cases whose id or path contains this text.")
    var filter: String?

    @Option(name: .long, help: "Output format.")
    var format: OutputFormat = .text

    @Option(name: .long, help: ArgumentHelp("Also write JUnit XML to this file.", valueName: "file"))
    var junit: String?

    @Flag(name: [.customShort("x"), .long], help: "Stop at the first failure.")
    var stopOnFailure = false

    @Flag(name: .long, help: "Report, for each rule, in how many cases it was evaluated and fired, and the lines of Rules/ that ran.")
    var coverage = false

    @Option(name: .long, help: ArgumentHelp("With --coverage: fail when fewer than PCT % of the rules fired.", valueName: "pct"))
    var threshold: Double?

    @Flag(name: .shortAndLong, help: "List passing and skipped cases too.")
    var verbose = false

    @Option(name: .shortAndLong, help: "Worker threads, each with its own Lua state (default: the number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @OptionGroup var ruleOptions: RuleOptions

    func run() throws {
        let engine = try ruleOptions.engine(recordLines: coverage || threshold != nil)
        let (found, missing) = CaseFiles.collect(paths)
        for path in missing { Terminal.error("\(path): no such file or directory") }
        var files = found
        if let filter {
            // A file whose id cannot be read stays in: the run reports it as bad input.
            files = files.filter { file in
                if file.contains(filter) { return true }
                do { return try engine.load(path: file).id.contains(filter) } catch { return true }
            }
        }
        let run: CaseTestRun
        do {
            run = try CaseTestRunner.run(files: files, engine: engine, workers: jobs, stopOnFailure: stopOnFailure)
        } catch {
            Terminal.error("rules failed to load:\n\(error.message)")
            throw ExitCode(3)
        }
        let report = TestReport(results: run.results, coverage: run.coverage, lines: run.lines)
        switch format {
        case .text:
            Terminal.write(report.text(verbose: verbose))
            Terminal.write(report.coverageText())
            Terminal.write(report.summaryLine + "\n")
        case .json:
            Terminal.write(report.json().serialized() + "\n")
        }
        if let junit {
            do {
                try report.junit().write(toFile: junit, atomically: true, encoding: .utf8)
            } catch {
                Terminal.error("\(junit): cannot be written: \(error.localizedDescription)")
                throw ExitCode(2)
            }
        }
        if report.count(.badInput) > 0 || !missing.isEmpty { throw ExitCode(2) }
        if report.count(.failed) > 0 { throw ExitCode(1) }
        if let threshold, report.firedPercent < threshold {
            Terminal.error(String(format: "rule coverage %.1f%% is below the threshold %.1f%%", report.firedPercent, threshold))
            throw ExitCode(1)
        }
    }
}
