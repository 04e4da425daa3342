import Foundation
import Testing

@testable import SacralEngine

/// `--jobs` changes how fast, never what: one worker and two print the same bytes, in input order,
/// for every output format, for JSON Lines (bad lines included), case files and `diff`.
@Suite(.enabled(if: sacralBinaryExists, "needs .build/debug/sacral (swift build)"))
struct ParallelOutputTests {
    private static func assertSameOutput(_ arguments: [String]) throws {
        let one = try runSacral(arguments + ["--jobs", "1"])
        let two = try runSacral(arguments + ["-j", "2"])
        defer {
            try? FileManager.default.removeItem(atPath: one.stdoutPath)
            try? FileManager.default.removeItem(atPath: two.stdoutPath)
        }
        #expect(!one.stdout.isEmpty, "no output: \(one.stderr.suffix(300))")
        #expect(one.status == two.status)
        #expect(one.stdout == two.stdout, "standard output differs between --jobs 1 and 2 (\(arguments))")
        #expect(one.stderr == two.stderr, "standard error differs between --jobs 1 and 2 (\(arguments))")
    }

    @Test(arguments: ["json", "summary", "csv"])
    func jsonLinesAreByteIdenticalWithOneAndTwoWorkers(format: String) throws {
        // More lines than one batch of work, so that batches follow each other too.
        let (path, _) = try BatchTests.writeBatch(count: scaled(1_500, minimum: 700))
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Self.assertSameOutput(["evaluate", "--rules", shippedRules, "--jsonl", path, "--format", format])
    }

    @Test(arguments: ["text", "json", "summary", "csv"])
    func caseFilesAreByteIdenticalWithOneAndTwoWorkers(format: String) throws {
        var files = CaseFiles.collect([repositoryRoot + "/Cases"]).files
        files.insert(try temporaryFile("id: broken\nlesions: [ { id: A \n"), at: files.count / 2)
        try Self.assertSameOutput(["evaluate", "--rules", shippedRules, "--format", format, "--color", "never"] + files)
    }

    @Test func diffIsByteIdenticalWithOneAndTwoWorkers() throws {
        let changed = try copyOfRules()
        let thresholds = changed + "/thresholds.lua"
        let text = try String(contentsOfFile: thresholds, encoding: .utf8)
        try text.replacingOccurrences(of: "diameter_max_cm = 3.0", with: "diameter_max_cm = 2.0")
            .write(toFile: thresholds, atomically: true, encoding: .utf8)
        try Self.assertSameOutput(["diff", "--rules", shippedRules, "--against", changed, repositoryRoot + "/Cases"])
    }
}

/// `sacral diff --rules REVISION` reads that revision's Rules/ out of git into a temporary
/// directory; what it extracted is gone once the rules are loaded.
@Suite(
    .enabled(if: sacralBinaryExists, "needs .build/debug/sacral (swift build)"),
    .enabled(if: FileManager.default.fileExists(atPath: repositoryRoot + "/.git"), "needs a git checkout")
)
struct RevisionDiffTests {
    @Test func diffAgainstAGitRevisionNamesItAndLeavesNoExtractedCopyBehind() throws {
        let tmp = scratchPath("tmpdir")
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        let run = try runSacral(
            ["diff", "--rules", "HEAD", "--against", shippedRules, repositoryRoot + "/Cases/mika2018"],
            environment: ["TMPDIR": tmp], in: repositoryRoot
        )
        #expect(run.status == 0, "\(run.stderr.suffix(300))")
        let out = String(decoding: run.stdout, as: UTF8.self)
        #expect(out.hasPrefix("old: HEAD:Rules ("), "\(out.prefix(200))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp).isEmpty)

        let unknown = try runSacral(
            ["diff", "--rules", "no-such-revision-or-directory", "--against", shippedRules, repositoryRoot + "/Cases/mika2018"],
            environment: ["TMPDIR": tmp], in: repositoryRoot
        )
        #expect(unknown.status == 3)
        #expect(unknown.stderr.contains("no-such-revision-or-directory"), "\(unknown.stderr.suffix(300))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp).isEmpty)
    }
}
