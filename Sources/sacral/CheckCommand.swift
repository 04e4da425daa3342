import ArgumentParser
import SacralEngine

/// `sacral check`: static checks of the rules, and validation of case files, without evaluating.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check the rules (and optionally case files) without evaluating anything.",
        discussion: """
            Reports, with file and line: syntax errors, duplicate rule ids, rules that read fields the \
            dictionary does not declare, effects naming unknown pathways, statuses or alerts, reasons \
            without a known source, unknown or misspelt keys, and criteria (K/P numbers) that no rule \
            claims; it warns on a threshold restated as a number in a rule's text. Case files given as \
            arguments are validated against the field dictionary with the messages of `evaluate`. \
            Exit status: 0 clean, 3 rule problems, 2 bad case files.
            """)

    @Argument(help: ArgumentHelp("Case files or directories to validate.", valueName: "path"))
    var paths: [String] = []

    @OptionGroup var ruleOptions: RuleOptions

    func run() throws {
        let ruleSet: RuleSet
        do {
            ruleSet = try RuleSet.resolve(explicit: ruleOptions.rules)
        } catch {
            Terminal.error(error.message)
            throw ExitCode(3)
        }
        let problems = RuleChecker.check(ruleSet, limits: ruleOptions.limits)
        for p in problems { Terminal.write("\(p)\n") }
        if !problems.isEmpty {
            Terminal.write("\(ruleSet.origin): \(problems.count) problem\(problems.count == 1 ? "" : "s")\n")
            throw ExitCode(3)
        }
        for w in RuleChecker.warnings(ruleSet, limits: ruleOptions.limits) {
            Terminal.write("\(w.file):\(w.line): warning: \(w.message)\n")
        }
        Terminal.write("\(ruleSet.origin): \(ruleSet.luaFiles.count) rule files OK (sha256 \(ruleSet.sha256.prefix(12))…)\n")
        guard !paths.isEmpty else { return }
        let engine = try ruleOptions.engine()
        let (files, missing) = CaseFiles.collect(paths)
        var bad = missing.count
        for path in missing { Terminal.error("\(path): no such file or directory") }
        for file in files {
            do {
                let validated = try engine.load(path: file)
                for w in validated.warnings { Terminal.write("\(file): warning: \(w)\n") }
            } catch {
                bad += 1
                for issue in error.issues {
                    Terminal.write(issue.path.isEmpty ? "\(file): \(issue.message)\n" : "\(file): \(issue.path): \(issue.message)\n")
                }
            }
        }
        Terminal.write("\(files.count - (bad - missing.count)) of \(files.count) case files valid\n")
        if bad > 0 { throw ExitCode(2) }
    }
}
