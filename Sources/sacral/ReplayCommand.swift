#if canImport(SacralServer)
    import ArgumentParser
    import Foundation
    import SacralEngine
    import SacralServer

    /// `sacral replay`: evaluates logged decisions again with the rules they record and reports every
    /// difference, byte for byte.
    struct ReplayCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "replay",
            abstract: "Re-evaluate logged decisions with the rules whose SHA-256 they record; report any difference.",
            discussion: """
                Each --rules is a rules directory or a git revision of this repository's Rules/ \
                (e.g. --rules Rules --rules HEAD~3). A decision is replayed with the one whose SHA-256 it \
                records; a decision whose rules are not given is reported as not replayable. Exit status: \
                0 when every decision was reproduced byte for byte, 1 otherwise.
                """)

        @Option(name: .long, help: ArgumentHelp("The log: sqlite:PATH or postgres://…", valueName: "url"))
        var database: String

        @Option(
            name: .long,
            help: ArgumentHelp(
                "Rules directories or git revisions (repeatable; default: ./Rules or the built-in rules).", valueName: "dir-or-rev"))
        var rules: [String] = []

        @Flag(name: .long, help: "List every decision, not only the differences.")
        var verbose = false

        func run() async throws {
            var engines: [String: Engine] = [:]
            for spec in rules.isEmpty ? [nil] : rules.map(Optional.some) {
                let engine = try DiffCommand.engine(spec)
                engines[engine.ruleSet.sha256] = engine
            }
            let log = try await LogAccess.open(database)
            let decisions: [LoggedDecision]
            do {
                decisions = try await log.decisions()
            } catch {
                await log.close()
                Terminal.error("\(database): the log could not be read: \(error)")
                throw ExitCode(2)
            }
            await log.close()

            var same = 0
            var different = 0
            var unavailable = 0
            for record in decisions {
                guard let engine = engines[record.rulesetSHA256] else {
                    unavailable += 1
                    Terminal.write("\(record.id) \(record.requestID): rules \(record.rulesetSHA256.prefix(12))… not given (--rules)\n")
                    continue
                }
                let replayed: String
                switch CaseEvaluator.replay(caseJSON: record.caseJSON, kind: record.caseKind, engine: engine) {
                case .success(let text): replayed = text
                case .failure(let rejection): replayed = "case rejected: \(rejection)"
                }
                if replayed == record.decisionJSON {
                    same += 1
                    if verbose { Terminal.write("\(record.id) \(record.requestID): identical\n") }
                } else {
                    different += 1
                    Terminal.write("\(record.id) \(record.requestID): DIFFERENT \(Self.firstDifference(record.decisionJSON, replayed))\n")
                }
            }
            Terminal.write(
                "replayed \(decisions.count) decisions: \(same) identical, \(different) different, \(unavailable) without their rules\n")
            if different > 0 || unavailable > 0 { throw ExitCode(1) }
        }

        /// Where two texts first differ: byte offset, line, and both lines.
        static func firstDifference(_ a: String, _ b: String) -> String {
            let x = Array(a.utf8)
            let y = Array(b.utf8)
            var i = 0
            while i < min(x.count, y.count) && x[i] == y[i] { i += 1 }
            let line = x[..<i].filter { $0 == 0x0A }.count + 1
            let logged = a.split(separator: "\n", omittingEmptySubsequences: false)
            let now = b.split(separator: "\n", omittingEmptySubsequences: false)
            let was = line <= logged.count ? String(logged[line - 1]) : "(end)"
            let got = line <= now.count ? String(now[line - 1]) : "(end)"
            return
                "at byte \(i), line \(line): logged `\(was.trimmingCharacters(in: .whitespaces))`, now `\(got.trimmingCharacters(in: .whitespaces))`"
        }
    }
#endif
