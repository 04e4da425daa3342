import ArgumentParser
import Foundation
import SacralEngine

/// `sacral diff`: what a rule change does to every case of a corpus.
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Evaluate a corpus under two rule sets and list every case whose decision changed.",
        discussion: """
            OLD and NEW are rules directories, or git revisions of this repository's Rules/ \
            (e.g. --rules HEAD~1 --against Rules). Changes in status, strength, approach, detail, \
            alerts, plan and the rules that spoke are listed, grouped by pathway, old → new.
            """)

    @Option(name: .long, help: ArgumentHelp("The rules before the change (default: ./Rules or the built-in rules).", valueName: "old"))
    var rules: String?

    @Option(name: .long, help: ArgumentHelp("The rules after the change.", valueName: "new"))
    var against: String

    @Argument(help: ArgumentHelp("Case files or directories (default: Cases).", valueName: "path"))
    var paths: [String] = ["Cases"]

    @Option(name: .long, help: "Output format.")
    var format: OutputFormat = .text

    @Flag(name: .long, help: "Exit with status 1 when any case changed.")
    var failOnChange = false

    @Option(name: .shortAndLong, help: "Worker threads, each with its own pair of Lua states (default: the number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    func run() throws {
        let old = try Self.engine(rules)
        let new = try Self.engine(against)
        let (files, missing) = CaseFiles.collect(paths)
        for path in missing { Terminal.error("\(path): no such file or directory") }
        let changes: [ImpactChange]
        let cases: Int
        do {
            (changes, cases) = try ImpactDiff(old: old, new: new).run(files: files, workers: max(1, jobs))
        } catch {
            Terminal.error("rules failed to load:\n\(error.message)")
            throw ExitCode(3)
        }
        switch format {
        case .text:
            Terminal.write(
                "old: \(old.ruleSet.origin) (\(old.ruleSet.sha256.prefix(12))…)  new: \(new.ruleSet.origin) (\(new.ruleSet.sha256.prefix(12))…)\n"
            )
            Terminal.write(ImpactDiff.text(changes, cases: cases))
        case .json:
            Terminal.write(ImpactDiff.json(changes, cases: cases, old: old, new: new).serialized() + "\n")
        }
        if !missing.isEmpty { throw ExitCode(2) }
        if failOnChange && !changes.isEmpty { throw ExitCode(1) }
    }

    /// A rules directory, or a git revision whose Rules/ is extracted to a temporary directory.
    static func engine(_ spec: String?) throws -> Engine {
        do {
            if let spec, !FileManager.default.fileExists(atPath: spec), let extracted = try extractRevision(spec) {
                // The files are read into the rule set whole; the extracted copy is not needed after.
                defer { try? FileManager.default.removeItem(atPath: extracted.directory) }
                var ruleSet = try RuleSet.load(directory: extracted.rules)
                ruleSet.origin = "\(spec):Rules"
                return try Engine(ruleSet: ruleSet)
            }
            return try Engine(ruleSet: RuleSet.resolve(explicit: spec))
        } catch let error as RuleSetError {
            Terminal.error("rules \(spec ?? "Rules") failed to load:\n\(error.message)")
            throw ExitCode(3)
        }
    }

    /// The revision's Rules/ extracted into a new temporary directory (`directory`, which the caller
    /// removes), or nil when `revision` names no commit.
    private static func extractRevision(_ revision: String) throws -> (directory: String, rules: String)? {
        guard run(["git", "rev-parse", "--verify", "--quiet", "\(revision)^{commit}"]) == 0 else { return nil }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sacral-rules-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        guard run(["sh", "-c", "git archive --format=tar \"$0\" Rules | tar -x -C \"$1\"", revision, dir]) == 0 else {
            try? FileManager.default.removeItem(atPath: dir)
            throw RuleSetError(file: revision, message: "git could not extract Rules/ from that revision")
        }
        return (dir, dir + "/Rules")
    }

    private static func run(_ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
