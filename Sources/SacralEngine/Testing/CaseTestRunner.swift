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

    public init(engine: Engine, coverage: Bool = false, stopOnFailure: Bool = false) {
        self.engine = engine
        self.coverage = coverage
        self.stopOnFailure = stopOnFailure
    }

    /// Runs `files` on `workers` threads, each with its own engine built from `ruleSet`. With
    /// coverage, rule coverage comes from the decisions' traces and line coverage from each
    /// worker's Lua line hook, merged.
    public static func run(
        files: [String], ruleSet: RuleSet, limits: EngineLimits, workers: Int, coverage: Bool,
        stopOnFailure: Bool
    ) throws(RuleSetError) -> CaseTestRun {
        let first = try Engine(ruleSet: ruleSet, limits: limits, recordLines: coverage)
        let workers = stopOnFailure ? 1 : max(1, min(workers, files.count / 50 + 1))
        if workers == 1 {
            let (results, table) = CaseTestRunner(engine: first, coverage: coverage, stopOnFailure: stopOnFailure).run(files: files)
            return CaseTestRun(results: results, coverage: table, lines: coverage ? try first.lineCoverage() : [])
        }
        let collector = ResultCollector(count: files.count)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let mine = stride(from: worker, to: files.count, by: workers).map { $0 }
            do throws(RuleSetError) {
                let engine = try Engine(ruleSet: ruleSet, limits: limits, recordLines: coverage)
                let runner = CaseTestRunner(engine: engine, coverage: coverage)
                let (results, _) = runner.run(files: mine.map { files[$0] })
                collector.store(zip(mine, results).map { ($0, $1) }, lines: coverage ? try engine.lineCoverage() : [])
            } catch {
                collector.fail(error)
            }
        }
        // A worker's engine loaded the same rules as the first, so this does not happen; if it
        // ever does, the run stops with the reason rather than report the files as failed.
        if let error = collector.error { throw error }
        let results = collector.results.enumerated().map { i, r in
            r ?? CaseTestResult(file: files[i], status: .failed, messages: ["the worker evaluating this file failed"])
        }
        return CaseTestRun(
            results: results,
            coverage: coverage ? CaseTestRunner.coverage(of: results, catalog: first.catalog) : [],
            lines: collector.lines)
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
        let checker = ExpectationChecker(engine: engine)
        var results: [CaseTestResult] = []
        for file in files {
            let start = DispatchTime.now().uptimeNanoseconds
            var result = CaseTestResult(file: file, status: .skipped)
            defer {
                result.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                results.append(result)
            }
            let validated: ValidatedCase
            do {
                validated = try engine.load(path: file)
            } catch {
                result.status = .badInput
                result.messages = error.issues.map { $0.path.isEmpty ? $0.message : "\($0.path): \($0.message)" }
                if stopOnFailure { break }
                continue
            }
            result.caseID = validated.id
            let decision = engine.evaluate(validated, trace: coverage)
            result.decision = decision
            guard let expect = validated.expect else {
                result.status = decision.failures.isEmpty ? .skipped : .failed
                result.messages = decision.failures.map(\.description)
                continue
            }
            do {
                result.checks = try checker.check(expect, decision: decision, file: file)
            } catch {
                result.status = .badInput
                result.messages = [error.description]
                if stopOnFailure { break }
                continue
            }
            result.messages = decision.failures.map(\.description)
            result.status = result.failedChecks.isEmpty && decision.failures.isEmpty ? .passed : .failed
            if result.status == .failed && stopOnFailure { break }
        }
        return (results, coverage ? CaseTestRunner.coverage(of: results, catalog: engine.catalog) : [])
    }
}

/// Collects results from worker threads, each storing the indices it owns.
private final class ResultCollector: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var results: [CaseTestResult?]

    init(count: Int) {
        results = Array(repeating: nil, count: count)
    }

    private var lineSets: [String: LineCoverage] = [:]
    private(set) var error: RuleSetError?

    func fail(_ error: RuleSetError) {
        lock.lock()
        defer { lock.unlock() }
        if self.error == nil { self.error = error }
    }

    var lines: [LineCoverage] { lineSets.keys.sorted().map { lineSets[$0]! } }

    func store(_ items: [(Int, CaseTestResult)], lines: [LineCoverage]) {
        lock.lock()
        defer { lock.unlock() }
        for (i, r) in items { results[i] = r }
        for l in lines {
            if var merged = lineSets[l.file] {
                merged.executable.formUnion(l.executable)
                merged.covered.formUnion(l.covered)
                lineSets[l.file] = merged
            } else {
                lineSets[l.file] = l
            }
        }
    }
}
