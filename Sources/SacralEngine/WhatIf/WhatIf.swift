import Foundation
import LuaKit

/// What would change an `undetermined` pathway: the case evaluated again with each possible value of
/// each missing field, one field at a time (`sacral evaluate --what-if`).
///
/// The values tried come from the field dictionary (Rules/fields.lua): every value of an
/// enumeration, both booleans, one item of a list's enumeration at a time, and for a number a value
/// either side of (and at) every threshold its `compared_with` names, plus the ends of its range.
/// The engine knows no threshold: the numbers come from the rules' shared tables (thresholds.lua).
/// A small integer range without declared thresholds is tried value by value.
///
/// Bounded: at most `limit` evaluations per case. A field is explored whole or not at all, so that
/// no partial answer passes for a complete one; what was left out is listed with the reason.
public struct WhatIfExplorer {
    /// Evaluations per case when the caller does not say.
    public static let defaultLimit = 64
    /// An integer field with at most this many values and no declared thresholds is tried value by value.
    static let smallIntegerRange = 11

    public let engine: Engine
    public let limit: Int

    public init(engine: Engine, limit: Int = WhatIfExplorer.defaultLimit) {
        self.engine = engine
        self.limit = max(0, limit)
    }

    /// The `what_if` section for a decision of `value` (the case as read from its file).
    public func explore(_ value: CaseValue, file: String, decision: Decision) -> WhatIf {
        let undetermined = decision.pathwayIDs.filter { decision.status(of: $0) == .undetermined }
        var fieldsByPathway: [(String, [String])] = []
        var order: [String] = []
        for pathway in undetermined {
            let missing = (decision.document["pathways"]?[pathway]?["missing"]?.arrayValue ?? []).compactMap(\.stringValue)
            fieldsByPathway.append((pathway, missing))
            for field in missing where !order.contains(field) { order.append(field) }
        }

        var evaluations = 0
        var explored: [String: [Trial]] = [:]
        var unexplored: [(field: String, reason: String)] = []
        for field in order {
            let candidates: [Candidate]
            switch self.candidates(for: field) {
            case .failure(let reason):
                unexplored.append((field, reason.text))
                continue
            case .success(let found):
                candidates = found
            }
            if evaluations + candidates.count > limit {
                unexplored.append((field, "the evaluation limit (\(limit) per case) would be exceeded by its \(candidates.count) values"))
                continue
            }
            var trials: [Trial] = []
            for candidate in candidates {
                evaluations += 1
                let changed = value.setting(path: field, to: candidate.value)
                guard let validated = try? engine.validator.validate(changed, file: file) else { continue }
                let result = engine.evaluate(validated)
                var statuses: [String: Result] = [:]
                for pathway in undetermined {
                    let p = result.document["pathways"]?[pathway]
                    statuses[pathway] = Result(status: p?["status"]?.stringValue ?? "undetermined", strength: p?["strength"]?.stringValue)
                }
                trials.append(Trial(candidate: candidate, statuses: statuses))
            }
            explored[field] = trials
        }

        var pathways: [WhatIf.PathwayChanges] = []
        for (pathway, fields) in fieldsByPathway {
            var changes: [WhatIf.FieldChanges] = []
            for field in fields {
                guard let trials = explored[field], !trials.isEmpty else { continue }
                let spec = engine.dictionary[FieldPath.normal(field)]
                changes.append(
                    WhatIf.FieldChanges(
                        field: field, label: spec?.label, unit: spec?.unit,
                        outcomes: outcomes(trials, pathway: pathway)))
            }
            pathways.append(WhatIf.PathwayChanges(pathway: pathway, fields: changes))
        }
        return WhatIf(
            limit: limit, evaluations: evaluations, pathways: pathways,
            unexplored: unexplored.map { WhatIf.Unexplored(field: $0.field, reason: $0.reason) })
    }

    // MARK: - Values to try

    struct Candidate {
        var value: CaseValue
        /// For numbers: the value, and the region it falls in between the thresholds.
        var number: Double?
        var region: Int?
        /// The thresholds the regions lie between, and the decimals to show numbers with.
        var thresholds: [Double] = []
        var digits = 0
    }

    struct Result: Equatable {
        var status: String
        var strength: String?
    }

    struct Trial {
        var candidate: Candidate
        var statuses: [String: Result]
    }

    struct NotExplored: Error { var text: String }

    func candidates(for field: String) -> Swift.Result<[Candidate], NotExplored> {
        guard let spec = engine.dictionary[FieldPath.normal(field)] else {
            return .failure(NotExplored(text: "not in the field dictionary"))
        }
        switch spec.kind {
        case .boolean:
            return .success([true, false].map { Candidate(value: .bool($0)) })
        case .string, .integer, .number:
            if let values = spec.enumeration {
                return .success(values.map { Candidate(value: $0) })
            }
            if spec.kind == .string { return .failure(NotExplored(text: "free text has no values to try")) }
            return numericCandidates(spec)
        case .list:
            guard let items = spec.itemEnumeration else {
                return .failure(NotExplored(text: "a list without an enumeration of its items"))
            }
            return .success(items.map { Candidate(value: .array([$0])) })
        case .object, .any:
            return .failure(NotExplored(text: "not a single value"))
        }
    }

    private func numericCandidates(_ spec: FieldDictionary.Field) -> Swift.Result<[Candidate], NotExplored> {
        let integer = spec.kind == .integer
        let step = spec.step ?? spec.multipleOf ?? (integer ? 1 : 0.01)
        guard step > 0 else { return .failure(NotExplored(text: "its step is not positive")) }
        var thresholds: [Double] = []
        for name in spec.comparedWith {
            guard let number = engine.number(named: name) else {
                return .failure(NotExplored(text: "compared_with names '\(name)', which the rules do not define"))
            }
            thresholds.append(number)
        }
        thresholds = Array(Set(thresholds)).sorted()
        let low = spec.minimum
        let high = spec.maximum
        var probes: [Double] = []
        if thresholds.isEmpty {
            guard integer, let low, let high, (high - low) / step + 1 <= Double(Self.smallIntegerRange) else {
                return .failure(NotExplored(text: "no threshold is declared for it (compared_with in Rules/fields.lua)"))
            }
            var x = low
            while x <= high {
                probes.append(x)
                x += step
            }
        } else {
            for t in thresholds { probes += [t - step, t, t + step] }
            if let low { probes.append(low) }
            if let high { probes.append(high) }
        }
        // Snap to the field's grid and range, then one probe per distinct value.
        let grid = spec.multipleOf ?? (integer ? 1 : nil)
        probes = probes.map { x in grid.map { ($0 * (x / $0).rounded()) } ?? x }
            .filter { x in (low.map { x >= $0 } ?? true) && (high.map { x <= $0 } ?? true) }
            .map { ($0 * 1e9).rounded() / 1e9 }  // 1.5 + 0.01 is 1.5100000000000002
        probes = Array(Set(probes)).sorted()
        let digits = Self.decimals([step] + thresholds)
        return .success(
            probes.map { x in
                Candidate(
                    value: integer ? .int(Int64(x.rounded())) : .double(x), number: x,
                    region: thresholds.isEmpty ? nil : Self.region(of: x, thresholds),
                    thresholds: thresholds, digits: digits)
            })
    }

    /// Regions of the number line between sorted thresholds t1 < t2 < …: 0 below t1, 1 at t1,
    /// 2 between t1 and t2, 3 at t2, …, 2n above tn.
    static func region(of x: Double, _ thresholds: [Double]) -> Int {
        for (i, t) in thresholds.enumerated() {
            if x < t { return 2 * i }
            if x == t { return 2 * i + 1 }
        }
        return 2 * thresholds.count
    }

    // MARK: - Grouping the results

    private func outcomes(_ trials: [Trial], pathway: String) -> [WhatIf.Outcome] {
        let numeric = trials.allSatisfy { $0.candidate.number != nil }
        if numeric { return numericOutcomes(trials, pathway: pathway) }
        // Values with the same result together, in the dictionary's order of their first value.
        var groups: [(result: Result, values: [CaseValue])] = []
        for trial in trials {
            let result = trial.statuses[pathway] ?? Result(status: "undetermined")
            if let i = groups.firstIndex(where: { $0.result == result }) {
                groups[i].values.append(trial.candidate.value)
            } else {
                groups.append((result, [trial.candidate.value]))
            }
        }
        return groups.map { g in
            WhatIf.Outcome(
                when: g.values.map(\.plainText).joined(separator: ", "), values: g.values,
                status: g.result.status, strength: g.result.strength)
        }
    }

    private func numericOutcomes(_ trials: [Trial], pathway: String) -> [WhatIf.Outcome] {
        // Consecutive probes with the same result form one interval.
        var runs: [(result: Result, trials: [Trial])] = []
        for trial in trials {
            let result = trial.statuses[pathway] ?? Result(status: "undetermined")
            if let last = runs.last, last.result == result {
                runs[runs.count - 1].trials.append(trial)
            } else {
                runs.append((result, [trial]))
            }
        }
        let thresholdsKnown = trials.allSatisfy { $0.candidate.region != nil }
        return runs.enumerated().map { index, run in
            let numbers = run.trials.compactMap(\.candidate.number)
            let digits = run.trials[0].candidate.digits
            var outcome = WhatIf.Outcome(
                when: "", values: run.trials.map(\.candidate.value),
                status: run.result.status, strength: run.result.strength)
            let first = run.trials.first!.candidate
            let last = run.trials.last!.candidate
            // A region shared with the neighbouring run has no clean bound: name the values tried.
            let sharesBelow = index > 0 && runs[index - 1].trials.last!.candidate.region == first.region
            let sharesAbove = index + 1 < runs.count && runs[index + 1].trials.first!.candidate.region == last.region
            guard thresholdsKnown, !sharesBelow, !sharesAbove, let lo = first.region, let hi = last.region else {
                outcome.when = numbers.map { Self.format($0, digits) }.joined(separator: ", ")
                return outcome
            }
            let thresholds = first.thresholds
            var parts: [String] = []
            if index > 0 {
                // lo odd: at a threshold (inclusive); lo even: above the threshold below it.
                let t = thresholds[(lo - 1) / 2]
                outcome.minimum = t
                outcome.minimumInclusive = lo % 2 == 1
                parts.append((lo % 2 == 1 ? "≥ " : "> ") + Self.format(t, digits))
            }
            if index + 1 < runs.count {
                let t = thresholds[hi / 2]
                outcome.maximum = t
                outcome.maximumInclusive = hi % 2 == 1
                parts.append((hi % 2 == 1 ? "≤ " : "< ") + Self.format(t, digits))
            }
            outcome.when = parts.isEmpty ? "any value" : parts.joined(separator: " and ")
            return outcome
        }
    }

    static func decimals(_ numbers: [Double]) -> Int {
        numbers.map { x -> Int in
            var d = 0
            while d < 4 && (x * pow(10, Double(d))).rounded() != x * pow(10, Double(d)) { d += 1 }
            return d
        }.max() ?? 0
    }

    static func format(_ x: Double, _ digits: Int) -> String {
        String(format: "%.\(digits)f", x)
    }
}

/// The result of ``WhatIfExplorer``: for each undetermined pathway, what each missing field's values decide.
public struct WhatIf: Sendable {
    public struct Outcome: Sendable {
        /// The condition as people read it: "≤ 1.50", "> 1.50", "true", "1a, 1b".
        public var when: String
        /// The values tried that gave this result.
        public var values: [CaseValue]
        public var minimum: Double?
        public var minimumInclusive: Bool?
        public var maximum: Double?
        public var maximumInclusive: Bool?
        public var status: String
        public var strength: String?

        init(when: String, values: [CaseValue], status: String, strength: String?) {
            self.when = when
            self.values = values
            self.status = status
            self.strength = strength
        }
    }

    public struct FieldChanges: Sendable {
        public var field: String
        public var label: String?
        public var unit: String?
        public var outcomes: [Outcome]
    }

    public struct PathwayChanges: Sendable {
        public var pathway: String
        public var fields: [FieldChanges]
    }

    public struct Unexplored: Sendable {
        public var field: String
        public var reason: String
    }

    public var limit: Int
    public var evaluations: Int
    public var pathways: [PathwayChanges]
    public var unexplored: [Unexplored]

    /// The additive `what_if` section of the JSON decision.
    public var json: JSONValue {
        .object([
            ("limit", .int(Int64(limit))),
            ("evaluations", .int(Int64(evaluations))),
            (
                "pathways",
                .object(
                    pathways.map { p in
                        (
                            p.pathway,
                            .array(
                                p.fields.map { f in
                                    var pairs: [(String, JSONValue)] = [("field", .string(f.field))]
                                    if let label = f.label { pairs.append(("label", .string(label))) }
                                    if let unit = f.unit { pairs.append(("unit", .string(unit))) }
                                    pairs.append(
                                        (
                                            "outcomes",
                                            .array(
                                                f.outcomes.map { o in
                                                    var out: [(String, JSONValue)] = [("when", .string(o.when))]
                                                    if let v = o.minimum { out.append(("min", .double(v))) }
                                                    if let v = o.minimumInclusive { out.append(("min_inclusive", .bool(v))) }
                                                    if let v = o.maximum { out.append(("max", .double(v))) }
                                                    if let v = o.maximumInclusive { out.append(("max_inclusive", .bool(v))) }
                                                    out.append(("values", .array(o.values)))
                                                    out.append(("status", .string(o.status)))
                                                    if let s = o.strength { out.append(("strength", .string(s))) }
                                                    return .object(out)
                                                })
                                        ))
                                    return .object(pairs)
                                })
                        )
                    })
            ),
            ("unexplored", .array(unexplored.map { .object([("field", .string($0.field)), ("reason", .string($0.reason))]) })),
        ])
    }

    /// The section as text, after the decision: "INR (labs.inr): ≤ 1.50 → recommended; > 1.50 → …".
    public var text: String {
        var out = "WHAT WOULD CHANGE IT (\(evaluations) evaluations, at most \(limit))\n"
        if pathways.isEmpty { out += "  (no pathway is undetermined)\n" }
        for p in pathways {
            out += "  \(p.pathway) — undetermined\n"
            if p.fields.isEmpty { out += "    (no missing field could be explored)\n" }
            for f in p.fields {
                let name = f.label.map { "\($0) (\(f.field))" } ?? f.field
                let outcomes = f.outcomes.map { o in
                    "\(o.when) → \(o.status)" + (o.strength.map { " (\($0))" } ?? "")
                }
                out += "    \(name): \(outcomes.joined(separator: "; "))\n"
            }
        }
        for u in unexplored { out += "  not explored: \(u.field): \(u.reason)\n" }
        return out
    }
}

/// Field paths as the output writes them (`lesions[0].epidural`) and as the dictionary does (`lesions[].epidural`).
enum FieldPath {
    static func normal(_ path: String) -> String {
        var out = ""
        var inIndex = false
        for ch in path {
            if ch == "[" {
                inIndex = true
                out.append("[")
            } else if ch == "]" {
                inIndex = false
                out.append("]")
            } else if !inIndex {
                out.append(ch)
            }
        }
        return out
    }

    /// "lesions[0].epidural" → [.key("lesions"), .index(0), .key("epidural")]
    enum Step: Equatable {
        case key(String)
        case index(Int)
    }

    static func steps(_ path: String) -> [Step] {
        var steps: [Step] = []
        for part in path.split(separator: ".") {
            var name = Substring(part)
            var indices: [Int] = []
            while let open = name.lastIndex(of: "["), name.hasSuffix("]") {
                if let i = Int(name[name.index(after: open)..<name.index(before: name.endIndex)]) { indices.insert(i, at: 0) }
                name = name[..<open]
            }
            steps.append(.key(String(name)))
            steps += indices.map { .index($0) }
        }
        return steps
    }
}

extension CaseValue {
    /// A copy with the value at `path` (objects on the way created when absent).
    func setting(path: String, to value: CaseValue) -> CaseValue {
        Self.set(self, FieldPath.steps(path)[...], value)
    }

    private static func set(_ base: CaseValue, _ steps: ArraySlice<FieldPath.Step>, _ value: CaseValue) -> CaseValue {
        guard let step = steps.first else { return value }
        switch step {
        case .key(let key):
            var pairs: [(key: String, value: CaseValue)]
            if case .object(let existing) = base { pairs = existing } else { pairs = [] }
            if let i = pairs.firstIndex(where: { $0.key == key }) {
                pairs[i].value = set(pairs[i].value, steps.dropFirst(), value)
            } else {
                pairs.append((key, set(.null, steps.dropFirst(), value)))
            }
            return .object(pairs)
        case .index(let i):
            guard case .array(var items) = base, items.indices.contains(i) else { return base }
            items[i] = set(items[i], steps.dropFirst(), value)
            return .array(items)
        }
    }

    /// The value as a case file would write it, for people.
    var plainText: String {
        switch self {
        case .string(let s): return s
        case .array(let items): return items.map(\.plainText).joined(separator: ", ")
        default: return shortDescription
        }
    }
}

extension Engine {
    /// A number of a shared table of the rules, named "table.key" (e.g. "thresholds.inr_max").
    func number(named name: String) -> Double? {
        let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return nil }
        return catalog.numbers[parts[0]]?[parts[1]]
    }
}

extension WhatIfExplorer {
    /// Explores a case file whose decision is given (the file is read again: the rules see the
    /// validated data, the what-if changes the case as written).
    public func explore(file: String, decision: Decision) -> WhatIf {
        guard let value = try? CaseDecoder().read(path: file) else {
            return WhatIf(limit: limit, evaluations: 0, pathways: [], unexplored: [])
        }
        return explore(value, file: file, decision: decision)
    }
}

extension JSONValue {
    /// An object with one more member at the end (an additive section of the output).
    public func appending(_ key: String, _ value: JSONValue) -> JSONValue {
        guard case .object(let pairs) = self else { return self }
        return .object(pairs + [(key, value)])
    }
}
