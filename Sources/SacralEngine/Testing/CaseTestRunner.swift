import Foundation

/// The outcome of one case file under `sacral test`.
public struct CaseTestResult: Sendable {
    public enum Status: String, Sendable { case passed, failed, skipped, badInput = "bad_input" }

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

/// How often each rule was evaluated and fired over a corpus.
public struct RuleCoverage: Sendable {
    public var rule: Catalog.Rule
    public var evaluated: Int
    public var fired: Int
}

/// Runs the `expect:` blocks of a corpus of case files (the engine of `sacral test`).
public struct CaseTestRunner {
    public var engine: Engine
    public var coverage: Bool
    public var stopOnFailure: Bool

    public init(engine: Engine, coverage: Bool = false, stopOnFailure: Bool = false) {
        self.engine = engine
        self.coverage = coverage
        self.stopOnFailure = stopOnFailure
    }

    public func run(files: [String]) -> (results: [CaseTestResult], coverage: [RuleCoverage]) {
        let checker = ExpectationChecker(pathways: engine.catalog.pathways)
        var results: [CaseTestResult] = []
        var evaluated: [String: Int] = [:]
        var fired: [String: Int] = [:]
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
            var seen = Set<String>(), seenFired = Set<String>()
            for (rule, outcome) in decision.trace {
                if seen.insert(rule).inserted { evaluated[rule, default: 0] += 1 }
                if outcome == "fired", seenFired.insert(rule).inserted { fired[rule, default: 0] += 1 }
            }
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
        // Cases counted once per case, not once per lesion.
        let table = engine.catalog.rules.map { rule in
            RuleCoverage(rule: rule, evaluated: evaluated[rule.id] ?? 0, fired: fired[rule.id] ?? 0)
        }
        return (results, coverage ? table : [])
    }
}
