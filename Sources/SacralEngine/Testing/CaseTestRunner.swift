import Foundation

/// The outcome of one case file under `sacral test`.
public struct CaseTestResult: Sendable {
    public enum Status: String, Sendable {
        case passed, failed, skipped
        case badInput = "bad_input"
    }

    public var file: String
    public var caseID: String?
    public var status: Status
    public var checks: [ExpectationResult] = []
    /// Why the file could not be tested, or which rules failed while evaluating it.
    public var messages: [String] = []
    public var decision: Decision?
    public var seconds: Double = 0

    public var failedChecks: [ExpectationResult] { checks.filter { !$0.passed } }
}

/// Everything a `sacral test` run produced.
public struct CaseTestRun: Sendable {
    public var results: [CaseTestResult]
    /// Per rule: cases evaluated and fired (with coverage on).
    public var coverage: [RuleCoverage]
    /// Per rule file: lines that can run and lines that ran (with coverage on).
    public var lines: [LineCoverage]
}

/// How often each rule was evaluated and fired over a corpus.
public struct RuleCoverage: Sendable {
    public var rule: Catalog.Rule
    public var evaluated: Int
    public var fired: Int
}

/// Runs the `expect:` blocks of a corpus of case files (the engine of `sacral test`).
///
/// With several workers, each worker owns an engine of its own (a Lua state serves one thread) and
/// takes every n-th file; results come back in file order, so the report does not depend on the
/// number of workers.
public struct CaseTestRunner {
    public var engine: Engine
    public var coverage: Bool
    public var stopOnFailure: Bool
    private let checker: ExpectationChecker

    public init(engine: Engine, coverage: Bool = false, stopOnFailure: Bool = false) {
        self.engine = engine
        self.coverage = coverage
        self.stopOnFailure = stopOnFailure
        checker = ExpectationChecker(engine: engine)
    }

    /// Runs `files` on `workers` threads, each with its own engine built from `ruleSet`. With
    /// coverage, rule coverage comes from the decisions' traces and line coverage from each
    /// worker's Lua line hook, merged.
    public static func run(
        files: [String], ruleSet: RuleSet, limits: EngineLimits, workers: Int, coverage: Bool,
        stopOnFailure: Bool
    ) throws(RuleSetError) -> CaseTestRun {
        let first = try Engine(ruleSet: ruleSet, limits: limits, recordLines: coverage)
        return try run(files: files, engine: first, workers: workers, stopOnFailure: stopOnFailure)
    }

    /// Runs `files` with `engine` as the first worker and `workers - 1` more engines of the same
    /// rules, limits and line recording; coverage when the engine records lines. Files are handed
    /// out one at a time (cases differ in cost) and the results come back in file order.
    public static func run(
        files: [String], engine first: Engine, workers: Int, stopOnFailure: Bool
    ) throws(RuleSetError) -> CaseTestRun {
        let coverage = first.recordsLines
        let workers = stopOnFailure ? 1 : max(1, min(workers, files.count / 50 + 1))
        if workers == 1 {
            let (results, table) = CaseTestRunner(engine: first, coverage: coverage, stopOnFailure: stopOnFailure).run(files: files)
            return CaseTestRun(results: results, coverage: table, lines: coverage ? try first.lineCoverage() : [])
        }
        var engines = [first]
        let pool = try WorkerPool(first: CaseTestRunner(engine: first, coverage: coverage), count: workers) { () throws(RuleSetError) in
            let engine = try Engine(ruleSet: first.ruleSet, limits: first.limits, recordLines: coverage)
            engines.append(engine)
            return CaseTestRunner(engine: engine, coverage: coverage)
        }
        let results = pool.map(files.count) { runner, i in runner.test(file: files[i]) }
        var lines: [String: LineCoverage] = [:]
        if coverage {
            for engine in engines {
                for l in try engine.lineCoverage() {
                    if var merged = lines[l.file] {
                        merged.executable.formUnion(l.executable)
                        merged.covered.formUnion(l.covered)
                        lines[l.file] = merged
                    } else {
                        lines[l.file] = l
                    }
                }
            }
        }
        return CaseTestRun(
            results: results,
            coverage: coverage ? CaseTestRunner.coverage(of: results, catalog: first.catalog) : [],
            lines: lines.keys.sorted().map { lines[$0]! })
    }

    /// Rule coverage from the traces of the decisions.
    static func coverage(of results: [CaseTestResult], catalog: Catalog) -> [RuleCoverage] {
        var evaluated: [String: Int] = [:]
        var fired: [String: Int] = [:]
        for r in results {
            guard let trace = r.decision?.trace else { continue }
            var seen = Set<String>()
            var seenFired = Set<String>()
            for t in trace {
                if seen.insert(t.rule).inserted { evaluated[t.rule, default: 0] += 1 }
                if t.outcome == "fired", seenFired.insert(t.rule).inserted { fired[t.rule, default: 0] += 1 }
            }
        }
        return catalog.rules.map { RuleCoverage(rule: $0, evaluated: evaluated[$0.id] ?? 0, fired: fired[$0.id] ?? 0) }
    }

    public func run(files: [String]) -> (results: [CaseTestResult], coverage: [RuleCoverage]) {
        var results: [CaseTestResult] = []
        for file in files {
            let result = test(file: file)
            results.append(result)
            if stopOnFailure && (result.status == .failed || result.status == .badInput) { break }
        }
        return (results, coverage ? CaseTestRunner.coverage(of: results, catalog: engine.catalog) : [])
    }

    /// Evaluates one case file and checks its `expect:` block.
    public func test(file: String) -> CaseTestResult {
        let start = DispatchTime.now().uptimeNanoseconds
        var result = evaluateAndCheck(file: file)
        // Set on the value returned, not in a `defer`: a defer runs after the return value is copied.
        result.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return result
    }

    private func evaluateAndCheck(file: String) -> CaseTestResult {
        var result = CaseTestResult(file: file, status: .skipped)
        let validated: ValidatedCase
        do {
            validated = try engine.load(path: file)
        } catch {
            result.status = .badInput
            result.messages = error.issues.map { $0.path.isEmpty ? $0.message : "\($0.path): \($0.message)" }
            return result
        }
        result.caseID = validated.id
        // Only what the checks read crosses into Swift (most expectations are statuses). Line
        // coverage wants every line that runs in a full evaluation, the scores' included.
        let extent = engine.recordsLines ? .full : checker.extent(for: validated.expect)
        let decision = engine.evaluate(validated, trace: coverage, extent: extent)
        result.decision = decision
        if let expect = validated.expect {
            do {
                result.checks = try checker.check(expect, decision: decision, file: file)
            } catch {
                result.status = .badInput
                result.messages = [error.description]
                return result
            }
            result.status = result.failedChecks.isEmpty && decision.failures.isEmpty ? .passed : .failed
        } else {
            result.status = decision.failures.isEmpty ? .skipped : .failed
        }
        result.messages = decision.failures.map(\.description)
        // A failed case's report shows the reasons behind each failed check, with their texts and
        // inputs: the whole decision, evaluated again (the same case on the same fresh heap
        // decides the same, so the checks stand).
        if result.status == .failed, extent == .reduced {
            result.decision = engine.evaluate(validated, trace: coverage)
        }
        return result
    }
}
