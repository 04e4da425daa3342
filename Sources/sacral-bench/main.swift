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
        subcommands: [Generate.self, Warm.self])
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
        let seeds = try corpus.map { dir in
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
                    pairs.append(("expect", .object([("radiation", .list(["recommended", "option", "not_indicated", "contraindicated", "undetermined"].map(CaseValue.string)))])))
                    withExpect = .object(pairs)
                }
                try (withExpect.json + "\n").write(toFile: "\(out)/\(id).json", atomically: false, encoding: .utf8)
            }
            if jsonl != nil { lines.append(value.json) }
            if lua != nil { luaItems.append(value.luaLiteral) }
        }
        if let jsonl { try (lines.joined(separator: "\n") + "\n").write(toFile: jsonl, atomically: true, encoding: .utf8) }
        if let lua { try ("return {\n" + luaItems.joined(separator: ",\n") + "\n}\n").write(toFile: lua, atomically: true, encoding: .utf8) }
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
        print(String(format: "warm engine: %d cases, best of %d passes %.3f s, %.2f us per case (rule failures: %d, state rebuilds: %d)",
                     cases.count, passes, best, best / Double(cases.count) * 1e6, failures, engine.rebuilds))
    }
}
