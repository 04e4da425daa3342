import ArgumentParser
import Foundation
import SacralEngine

/// Benchmark helpers: generating case corpora and timing the warm engine. scripts/bench.sh drives
/// it and prints the figures beside the cold-start latency and the lua5.4 floor.
@main
struct SacralBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sacral-bench",
        abstract: "Generate case corpora and time the warm engine.",
        subcommands: [Generate.self, Warm.self, Stages.self, Start.self, Cold.self])
}

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write N generated valid cases.")

    @Option(help: "How many cases.") var count = 10_000
    @Option(help: "Seed of the generator.") var seed: UInt64 = 1
    @Option(help: "Directory for one JSON case file each (with a trivial expect: block).") var out: String?
    @Option(help: "One JSON Lines file with every case.") var jsonl: String?
    @Option(help: "A Lua file returning the decoded cases (for the lua5.4 floor).") var lua: String?
    @Option(help: "The rules directory whose field dictionary drives the generator.") var rules = "Rules"
    @Option(help: "Vary the case files of this corpus (one to three fields each) instead of generating whole cases.") var corpus: String?

    func run() throws {
        let engine = try Engine(ruleSet: RuleSet.load(directory: rules))
        var generator = CaseGenerator(dictionary: engine.dictionary, seed: seed)
        let seeds =
            try corpus.map { dir in
                try CaseFiles.collect([dir]).files.map { try CaseDecoder().read(path: $0) }
            } ?? []
        // A mutant the field dictionary refuses (rare) is replaced by the next one.
        func next(_ i: Int, _ id: String) -> CaseValue {
            guard !seeds.isEmpty else { return generator.next(id: id) }
            while true {
                let value = generator.mutant(of: seeds[i % seeds.count], id: id)
                if (try? engine.validator.validate(value, file: id)) != nil { return value }
            }
        }
        var lines: [String] = []
        var luaItems: [String] = []
        if let out { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) }
        for i in 0..<count {
            let id = String(format: "gen-%06d", i)
            let value = next(i, id)
            if let out {
                var withExpect = value
                if case .object(var pairs) = value {
                    pairs.append(("expect", .object([("radiation", .array(PathwayStatus.allCases.map { JSONValue.string($0.rawValue) }))])))
                    withExpect = .object(pairs)
                }
                try (withExpect.json + "\n").write(toFile: "\(out)/\(id).json", atomically: false, encoding: .utf8)
            }
            if jsonl != nil { lines.append(value.json) }
            if lua != nil { luaItems.append(value.luaLiteral) }
        }
        if let jsonl { try (lines.joined(separator: "\n") + "\n").write(toFile: jsonl, atomically: true, encoding: .utf8) }
        if let lua {
            try ("return {\n" + luaItems.joined(separator: ",\n") + "\n}\n").write(toFile: lua, atomically: true, encoding: .utf8)
        }
    }
}

struct Warm: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Time evaluation in a warm engine (cases decoded and validated first).")

    @Argument(help: "A JSON Lines file of cases.") var jsonl: String
    @Option(help: "Passes over the cases.") var passes = 3
    @Option(help: "The rules directory.") var rules = "Rules"

    func run() throws {
        let engine = try Engine(ruleSet: RuleSet.load(directory: rules))
        let decoder = CaseDecoder()
        let text = try String(contentsOfFile: jsonl, encoding: .utf8)
        var cases: [ValidatedCase] = []
        for (n, line) in text.split(separator: "\n").enumerated() {
            let value = try decoder.decode(Data(line.utf8), format: .json, file: "\(jsonl):\(n + 1)")
            cases.append(try engine.validator.validate(value, file: "\(jsonl):\(n + 1)"))
        }
        for c in cases.prefix(200) { _ = engine.evaluate(c) }  // warm-up
        var best = Double.infinity
        var failures = 0
        for _ in 0..<passes {
            let start = DispatchTime.now().uptimeNanoseconds
            for c in cases { failures += engine.evaluate(c).failures.count }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            best = min(best, seconds)
        }
        print(
            String(
                format: "warm engine: %d cases, best of %d passes %.3f s, %.2f us per case (rule failures: %d, state rebuilds: %d)",
                cases.count, passes, best, best / Double(cases.count) * 1e6, failures, engine.rebuilds))
    }
}

/// One cold evaluation, phase by phase, in CPU time since the process began: what a cold
/// `sacral evaluate FILE --format json` spends before its command runs (exec, dynamic linking, the
/// Swift runtime, argument parsing), on the rules (embedded or read, and hashed), on the engine's
/// start, and on the case. scripts/bench-stages.sh runs it in 30 fresh processes and prints each
/// phase's median. (This binary links the same engine as `sacral`, dynamically: its process start
/// is not the static `sacral`'s; section 2b gives that binary's total.)
struct Cold: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Time one cold evaluation by phase (CPU ms, one line).")

    @Argument(help: "A case file.") var file: String
    @Option(help: "The rules directory (default: the embedded rules).") var rules: String?

    func run() throws {
        var marks: [(String, Double)] = []
        func mark(_ name: String) {
            var now = timespec()
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
            marks.append((name, Double(now.tv_sec) * 1e3 + Double(now.tv_nsec) / 1e6))
        }
        mark("start")
        let ruleSet = try rules.map { try RuleSet.load(directory: $0) } ?? RuleSet.embedded
        mark("rules")
        let engine = try Engine(ruleSet: ruleSet)
        mark("engine")
        let value = try CaseDecoder().read(path: file)
        mark("read")
        let validated = try engine.validator.validate(value, file: file)
        mark("validate")
        let decision = engine.evaluate(validated)
        mark("evaluate")
        FileHandle.standardOutput.write(Data((decision.document.serialized() + "\n").utf8))
        mark("render")
        var previous = 0.0
        let phases = marks.map { name, at in
            defer { previous = at }
            return "\(name)=" + String(format: "%.3f", at - previous)
        }
        FileHandle.standardError.write(Data((phases.joined(separator: " ") + "\n").utf8))
    }
}

/// The engine's start, repeated in one process: the part of a cold `sacral evaluate` that loads the
/// rules (read, hash, compile or load the bytecode, declare, index, describe), without the process
/// start. CPU time per start, so that a busy machine disturbs it less than wall time.
struct Start: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Time the engine's start (rules to a ready engine), N times.")

    @Option(help: "The rules directory (default: the embedded rules).") var rules: String?
    @Option(help: "Starts.") var count = 200

    func run() throws {
        var samples: [Double] = []
        for _ in 0..<count {
            var before = timespec()
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &before)
            let ruleSet = try rules.map { try RuleSet.load(directory: $0) } ?? RuleSet.embedded
            _ = try Engine(ruleSet: ruleSet)
            var after = timespec()
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &after)
            samples.append(Double(after.tv_sec - before.tv_sec) * 1e6 + Double(after.tv_nsec - before.tv_nsec) / 1e3)
        }
        samples.sort()
        print(
            String(
                format: "engine start (%@): median %.0f us CPU, min %.0f us, of %d", rules ?? "embedded rules",
                samples[samples.count / 2], samples[0], samples.count))
    }
}

/// Where the time of a batch goes, stage by stage, in one warm engine: read and decode, validate,
/// evaluate (the Lua run, the crossing of the result into Swift and the building of the decision),
/// render (the full JSON, and the cohort summary). scripts/bench-stages.sh runs it plain for wall
/// time and under callgrind (collecting only inside `measuredBatchLoop`) to split evaluation further.
struct Stages: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Time each stage of evaluating a JSON Lines batch.")

    @Argument(help: "A JSON Lines file of cases.") var jsonl: String
    @Option(help: "The rules directory.") var rules = "Rules"

    func run() throws {
        let engine = try Engine(ruleSet: RuleSet.load(directory: rules))
        let text = try String(contentsOfFile: jsonl, encoding: .utf8)
        let lines = text.split(separator: "\n").map { Data($0.utf8) }
        for line in lines.prefix(50) {  // warm-up
            if let v = try? CaseDecoder().decode(line, format: .json, file: jsonl),
                let c = try? engine.validator.validate(v, file: jsonl)
            {
                _ = engine.evaluate(c).document.serialized(pretty: false)
            }
        }
        let t = measuredBatchLoop(engine: engine, lines: lines)
        let summarized = measuredSummaryLoop(engine: engine, lines: lines)
        let total = t.reduce(0) { $0 + $1.seconds }
        for (name, seconds) in t {
            print(
                name.padding(toLength: 36, withPad: " ", startingAt: 0)
                    + String(format: "%8.3f s %9.1f us/case %5.1f %%", seconds, seconds / Double(lines.count) * 1e6, seconds / total * 100))
        }
        print(
            "total".padding(toLength: 36, withPad: " ", startingAt: 0)
                + String(format: "%8.3f s %9.1f us/case (%d cases)", total, total / Double(lines.count) * 1e6, lines.count))
        print(
            "--format summary (all stages)".padding(toLength: 36, withPad: " ", startingAt: 0)
                + String(format: "%8.3f s %9.1f us/case", summarized, summarized / Double(lines.count) * 1e6))
    }

    /// What `--format summary` does per case, in a pass of its own (callgrind collects inside this
    /// function for the summary's figure): read, validate, the same evaluation with only what the
    /// summary reads crossing into Swift, the line.
    @inline(never)
    func measuredSummaryLoop(engine: Engine, lines: [Data]) -> Double {
        let decoder = CaseDecoder()
        let start = DispatchTime.now().uptimeNanoseconds
        var bytes = 0
        for (i, line) in lines.enumerated() {
            guard let value = try? decoder.decode(line, format: .json, file: "\(jsonl):\(i + 1)"),
                let validated = try? engine.validator.validate(value, file: "\(jsonl):\(i + 1)")
            else { continue }
            bytes += engine.summarize(validated).summary.line.utf8.count
        }
        precondition(bytes > 0 || lines.isEmpty)
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// The measured part (callgrind collects inside this function only).
    @inline(never)
    func measuredBatchLoop(engine: Engine, lines: [Data]) -> [(name: String, seconds: Double)] {
        let decoder = CaseDecoder()
        var clock = DispatchTime.now().uptimeNanoseconds
        func lap() -> Double {
            let now = DispatchTime.now().uptimeNanoseconds
            defer { clock = now }
            return Double(now - clock) / 1e9
        }
        var decode = 0.0
        var validate = 0.0
        var evaluate = 0.0
        var json = 0.0
        var summary = 0.0
        var bytes = 0
        for (i, line) in lines.enumerated() {
            _ = lap()
            guard let value = try? decoder.decode(line, format: .json, file: "\(jsonl):\(i + 1)") else { continue }
            decode += lap()
            guard let validated = try? engine.validator.validate(value, file: "\(jsonl):\(i + 1)") else { continue }
            validate += lap()
            let decision = engine.evaluate(validated)
            evaluate += lap()
            bytes += decision.document.serialized(pretty: false).utf8.count
            json += lap()
            bytes += CohortSummary(decision).line.utf8.count
            summary += lap()
        }
        return [
            ("read and decode (JSON)", decode), ("validate", validate),
            ("evaluate (Lua, crossing, decision)", evaluate), ("render full JSON", json), ("render summary", summary),
        ]
    }
}
