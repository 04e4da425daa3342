import ArgumentParser
import Foundation
import SacralEngine

/// `sacral report`: the tumour-board page for a case, as one self-contained HTML file.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write the tumour-board page of a case as one self-contained HTML file.",
        discussion: """
            The page holds the decision, what each missing field's values would decide (--what-if), \
            the sacrum drawn from the case, and the case form generated from the field dictionary; \
            CSS, SVG, scripts and data are inline, nothing is fetched. It prints on A4. With several \
            case files, -o names a directory and each page is written there as CASE-ID.html.
            """)

    @Argument(help: ArgumentHelp("Case files.", valueName: "case-file"))
    var files: [String]

    @Option(name: .shortAndLong, help: ArgumentHelp("The HTML file to write (a directory for several cases).", valueName: "path"))
    var output: String

    @Option(name: .long, help: ArgumentHelp("Evaluations the what-if may run per case.", valueName: "n"))
    var whatIfLimit: Int = WhatIfExplorer.defaultLimit

    @OptionGroup var ruleOptions: RuleOptions

    func run() throws {
        let engine = try ruleOptions.engine()
        let several = files.count > 1
        if several {
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        }
        var badInput = false
        var ruleFailed = false
        for file in files {
            do {
                let (html, decision) = try PageReport.report(engine: engine, file: file, whatIfLimit: whatIfLimit)
                if !decision.failures.isEmpty {
                    ruleFailed = true
                    for failure in decision.failures { Terminal.error("\(file): \(failure)") }
                }
                let path = several ? (output as NSString).appendingPathComponent(decision.caseID + ".html") : output
                do {
                    try html.write(toFile: path, atomically: true, encoding: .utf8)
                } catch {
                    Terminal.error("\(path): cannot be written: \(error.localizedDescription)")
                    throw ExitCode(1)
                }
            } catch let error as CaseLoadError {
                badInput = true
                for issue in error.issues {
                    Terminal.error(issue.path.isEmpty ? "\(file): \(issue.message)" : "\(file): \(issue.path): \(issue.message)")
                }
            }
        }
        if ruleFailed { throw ExitCode(3) }
        if badInput { throw ExitCode(2) }
    }
}
