/// One check of an `expect:` block against a decision (Cases/README.md has the grammar).
public struct ExpectationResult: Sendable {
    /// The key as written in the case: `sacroplasty`, `scores.sins.total`, `reasons.fixation`.
    public var key: String
    public var expected: String
    public var actual: String
    public var passed: Bool
    /// The pathway the check concerns, if any: its reasons explain the actual value.
    public var pathway: String?
    /// Why the expectation cannot be checked as written: it names a status, rule, field, alert,
    /// score, pathway or lesion that the rules (or the case) do not have. Always a failure: a typo
    /// in a negative expectation would otherwise pass for ever.
    public var problem: String?

    public init(key: String, expected: String, actual: String, passed: Bool, pathway: String? = nil, problem: String? = nil) {
        self.key = key
        self.expected = expected
        self.actual = actual
        self.passed = passed
        self.pathway = pathway
        self.problem = problem
    }

    /// A failed check for a name the vocabulary does not hold.
    static func unknown(_ key: String, _ name: String, _ problem: String, pathway: String? = nil) -> ExpectationResult {
        ExpectationResult(key: key, expected: name, actual: "(not checked)", passed: false, pathway: pathway, problem: problem)
    }

    /// The line a report prints for a failed check.
    public var failureText: String {
        if let problem { return "\(key): \(problem)" }
        return "\(key): expected \(expected), got \(actual)"
    }
}

/// A malformed `expect:` block (a key of no known kind, a value of the wrong shape).
public struct ExpectationError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var key: String
    public var message: String
    public var description: String { "\(file): expect.\(key): \(message)" }
}

/// The words an `expect:` block may use, all from the loaded rules: pathway ids, statuses and
/// strengths (the ruleset's precedence), alert ids, rule ids and score ids (the catalogue), field
/// paths (the field dictionary). Lesion ids come from the case being checked.
public struct ExpectationVocabulary: Sendable {
    public var pathways: [String]
    public var statuses: [String]
    public var strengths: [String]
    public var alerts: [String]
    public var rules: Set<String>
    public var scores: [String]
    public var dictionary: FieldDictionary

    public init(catalog: Catalog, dictionary: FieldDictionary) {
        pathways = catalog.pathways
        statuses = catalog.statuses
        strengths = catalog.strengths
        alerts = catalog.alerts
        rules = Set(catalog.rules.map(\.id))
        scores = catalog.scores.map(\.id)
        self.dictionary = dictionary
    }

    /// Whether the field dictionary declares a path as the output names it (`lesions[0].epidural`
    /// is the dictionary's `lesions[].epidural`).
    func declares(field path: String) -> Bool {
        dictionary[path.replacingOccurrences(of: #"\[\d+\]"#, with: "[]", options: .regularExpression)] != nil
    }
}

/// Compares a decision with the `expect:` block of its case: one small handler per kind of key
/// (ExpectationHandlers.swift), each validating the names it is given against the vocabulary
/// before it compares.
public struct ExpectationChecker: Sendable {
    public var vocabulary: ExpectationVocabulary

    public init(vocabulary: ExpectationVocabulary) {
        self.vocabulary = vocabulary
    }

    /// The checker for the rules an engine has loaded.
    public init(engine: Engine) {
        self.init(vocabulary: ExpectationVocabulary(catalog: engine.catalog, dictionary: engine.dictionary))
    }

    public func check(_ expect: JSONValue, decision: Decision, file: String) throws(ExpectationError) -> [ExpectationResult] {
        guard case .object(let entries) = expect else {
            throw ExpectationError(file: file, key: "", message: "expected an object of expectations, got \(expect.kindName)")
        }
        let rendered = RenderedDecision(decision)
        var results: [ExpectationResult] = []
        for (key, value) in entries {
            let expectation = Expectation(key: key, value: value, file: file, decision: decision, rendered: rendered)
            results += try check(expectation)
        }
        return results
    }

    /// The least of a decision the checks of an `expect:` block need: ``DecisionExtent/reduced``
    /// when every key reads only what the reduced decision holds exactly as the full one does,
    /// else ``DecisionExtent/full``. Those keys: a pathway's status (`<pathway>`, `not.<pathway>`,
    /// `<pathway>.status`), strength and missing fields, a lesion's status, strength, approach,
    /// modality and missing fields (`<pathway>.lesions.<id>.<that>`), `alerts`, `missing`,
    /// `reasons` and their `_absent` forms. Scores, the plan, details, texts and inputs are not in
    /// the reduced decision; nor are the warnings of the scores no rule asked for, so `warnings`
    /// takes the full one too. A block that is not an object is reported against the full one.
    public func extent(for expect: JSONValue?) -> DecisionExtent {
        guard let expect else { return .reduced }
        guard case .object(let entries) = expect else { return .full }
        for (key, _) in entries where !readsReducedOnly(key) { return .full }
        return .reduced
    }

    private static let reducedKinds: Set<String> = ["alerts", "alerts_absent", "missing", "missing_absent", "reasons", "reasons_absent"]
    private static let reducedLesionValues: Set<String> = ["status", "strength", "approach", "modality", "missing"]

    /// Whether a key reads only what the reduced decision holds. Anything not named here — a kind
    /// of key added later included — takes the full decision.
    func readsReducedOnly(_ key: String) -> Bool {
        let parts = key.split(separator: ".", omittingEmptySubsequences: false)
        let kind = String(parts[0])
        if Self.reducedKinds.contains(kind) { return true }
        if kind == "not" { return parts.count == 2 }
        guard vocabulary.pathways.contains(kind) else { return false }
        switch parts.count {
        case 1: return true
        case 2: return parts[1] == "status" || parts[1] == "strength" || parts[1] == "missing"
        case 4: return parts[1] == "lesions" && Self.reducedLesionValues.contains(String(parts[3]))
        default: return false
        }
    }

    /// Dispatches a key to the handler of its kind.
    private func check(_ e: Expectation) throws(ExpectationError) -> [ExpectationResult] {
        switch e.kind {
        case "alerts": return try alerts(e, absent: false)
        case "alerts_absent": return try alerts(e, absent: true)
        case "missing": return try missing(e, absent: false)
        case "missing_absent": return try missing(e, absent: true)
        case "warnings": return try warnings(e, absent: false)
        case "warnings_absent": return try warnings(e, absent: true)
        case "reasons": return try reasons(e, absent: false)
        case "reasons_absent": return try reasons(e, absent: true)
        case "plan_order": return try planOrder(e)
        case "plan": return try planStep(e)
        case "not": return try notStatus(e)
        case "exact": return try listAt(e, exact: true)
        case "excludes": return try listAt(e, exact: false)
        case "scores": return try score(e)
        case "absent": return try absent(e)
        default: return try pathway(e)
        }
    }
}

/// A decision's JSON, rendered when a check first reads it and shared by the keys of one block:
/// most blocks name statuses, alerts and missing fields, which the typed decision answers.
final class RenderedDecision {
    private let decision: Decision
    private(set) lazy var document: JSONValue = decision.document

    init(_ decision: Decision) { self.decision = decision }
}

/// One key of an `expect:` block with what it is checked against.
struct Expectation {
    var key: String
    var value: JSONValue
    var file: String
    var decision: Decision
    let rendered: RenderedDecision
    /// The decision as JSON: dotted paths address the output as printed.
    var document: JSONValue { rendered.document }

    /// The key split at dots: `["sacroplasty", "lesions", "A", "status"]`.
    var parts: [String] { key.split(separator: ".", omittingEmptySubsequences: false).map(String.init) }
    /// The first part: the kind of check, or a pathway.
    var kind: String { parts[0] }

    func fail(_ message: String) -> ExpectationError { ExpectationError(file: file, key: key, message: message) }

    /// The value as names: one, or a list of them.
    func names(_ value: JSONValue? = nil) throws(ExpectationError) -> [String] {
        let value = value ?? self.value
        switch value {
        case .string(let s): return [s]
        case .int(let i): return [String(i)]
        case .array(let items):
            var out: [String] = []
            for item in items {
                switch item {
                case .string(let s): out.append(s)
                case .int(let i): out.append(String(i))
                default: throw fail("expected names, got \(item.shortDescription)")
                }
            }
            return out
        default: throw fail("expected a name or a list of names, got \(value.shortDescription)")
        }
    }
}
