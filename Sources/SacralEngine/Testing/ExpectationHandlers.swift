// The handlers of ExpectationChecker, one per kind of `expect:` key. Each first checks the names
// it is given against the vocabulary of the rules (a name the rules do not have is a failed check
// saying so), then compares with the decision.

extension ExpectationChecker {
    /// `alerts` / `alerts_absent`: alert ids present / absent.
    func alerts(_ e: Expectation, absent: Bool) throws(ExpectationError) -> [ExpectationResult] {
        let have = e.decision.alerts.map(\.id)
        return try e.names().map { id in
            guard vocabulary.alerts.contains(id) else {
                return .unknown(e.key, id, "no alert '\(id)' in the ruleset (its alerts: \(list(vocabulary.alerts)))")
            }
            return ExpectationResult(
                key: e.key, expected: absent ? "no \(id)" : id, actual: have.isEmpty ? "(none)" : have.joined(separator: ", "),
                passed: have.contains(id) != absent)
        }
    }

    /// `missing` / `missing_absent`: fields reported missing / not missing.
    func missing(_ e: Expectation, absent: Bool) throws(ExpectationError) -> [ExpectationResult] {
        let have = e.decision.missing.map(\.field)
        return try e.names().map { field in
            guard vocabulary.declares(field: field) else {
                return .unknown(e.key, field, "no field '\(field)' in the field dictionary")
            }
            let affected = e.decision.missing.first { $0.field == field }?.affects.first
            return ExpectationResult(
                key: e.key, expected: absent ? "\(field) not missing" : "\(field) missing",
                actual: have.isEmpty ? "(nothing missing)" : have.joined(separator: ", "), passed: have.contains(field) != absent,
                pathway: affected)
        }
    }

    /// `warnings` / `warnings_absent`: substrings some warning holds / no warning holds (free
    /// text: there is no vocabulary to check them against).
    func warnings(_ e: Expectation, absent: Bool) throws(ExpectationError) -> [ExpectationResult] {
        let have = e.decision.warnings
        return try e.names().map { text in
            ExpectationResult(
                key: e.key, expected: (absent ? "no warning containing" : "a warning containing") + " \"\(text)\"",
                actual: have.isEmpty ? "(no warnings)" : have.joined(separator: " | "),
                passed: have.contains { $0.contains(text) } != absent)
        }
    }

    /// `reasons` / `reasons_absent`: pathway → rule ids that decided / did not decide it.
    func reasons(_ e: Expectation, absent: Bool) throws(ExpectationError) -> [ExpectationResult] {
        guard case .object(let byPathway) = e.value else { throw e.fail("expected pathway: [rule ids]") }
        // The engine's own reasons (the ruleset's default, a failed evaluation) are rules too.
        let known = vocabulary.rules.union(e.decision.pathways.flatMap { $0.reasons.map(\.rule) })
        var results: [ExpectationResult] = []
        for (pathway, ids) in byPathway {
            let key = "\(e.key).\(pathway)"
            guard let decided = e.decision.pathway(pathway) else {
                results.append(.unknown(key, pathway, unknownPathway(pathway)))
                continue
            }
            let fired = decided.reasons.filter(\.decided).map(\.rule)
            for id in try e.names(ids) {
                guard known.contains(id) else {
                    results.append(.unknown(key, id, "no rule '\(id)' in the rule catalogue", pathway: pathway))
                    continue
                }
                results.append(
                    ExpectationResult(
                        key: key, expected: absent ? "not \(id)" : id, actual: fired.isEmpty ? "(no rule)" : fired.joined(separator: ", "),
                        passed: fired.contains(id) != absent, pathway: pathway))
            }
        }
        return results
    }

    /// `plan_order`: these steps are in the plan, in this order (a step may be a preparatory
    /// action the ruleset's plan sequence names, so the names are not checked against pathways).
    func planOrder(_ e: Expectation) throws(ExpectationError) -> [ExpectationResult] {
        let want = try e.names()
        let have = e.decision.plan.map(\.pathway)
        var position = 0
        var inOrder = true
        for p in want {
            guard let i = have[position...].firstIndex(of: p) else {
                inOrder = false
                break
            }
            position = i + 1
        }
        return [
            ExpectationResult(
                key: e.key, expected: want.joined(separator: " → "), actual: have.isEmpty ? "(empty plan)" : have.joined(separator: " → "),
                passed: inOrder, pathway: want.first { !have.contains($0) })
        ]
    }

    /// `plan.<pathway>.<field>`: a field of the first plan step of that pathway or action.
    func planStep(_ e: Expectation) throws(ExpectationError) -> [ExpectationResult] {
        let parts = e.parts
        guard parts.count >= 3 else { throw e.fail("write plan.<pathway>.<field>, e.g. plan.decompression.timing") }
        let step = planStep(named: parts[1], in: e.document)
        return [
            compare(
                key: e.key, expected: e.value, actual: navigate(step, Array(parts.dropFirst(2))),
                pathway: vocabulary.pathways.contains(parts[1]) ? parts[1] : nil)
        ]
    }

    /// `not.<pathway>`: statuses the pathway must not have.
    func notStatus(_ e: Expectation) throws(ExpectationError) -> [ExpectationResult] {
        let parts = e.parts
        guard parts.count == 2 else { throw e.fail("write not.<pathway>: status or [statuses]") }
        guard let decided = e.decision.pathway(parts[1]) else { return [.unknown(e.key, parts[1], unknownPathway(parts[1]))] }
        let (unwanted, unknown) = try statuses(e, e.names(), vocabulary: vocabulary.statuses, what: "status")
        guard !unwanted.isEmpty else { return unknown }
        return unknown + [
            ExpectationResult(
                key: e.key, expected: "not " + unwanted.joined(separator: " or "), actual: decided.status.rawValue,
                passed: !unwanted.contains(decided.status.rawValue), pathway: parts[1])
        ]
    }

    /// The first plan step of a pathway or action, as printed.
    func planStep(named pathway: String, in document: JSONValue) -> JSONValue? {
        (document["plan"]?.arrayValue ?? []).first { $0["pathway"]?.stringValue == pathway }
    }

    /// `exact.<pathway, scores or plan>.<path>` (the list there is exactly these values, in order)
    /// and `excludes.<…>` (it holds none of them). `plan.<pathway>.<path>` reads the (first) plan
    /// step of that pathway.
    func listAt(_ e: Expectation, exact: Bool) throws(ExpectationError) -> [ExpectationResult] {
        let parts = e.parts
        guard parts.count >= 3 else { throw e.fail("write \(parts[0]).<pathway, scores or plan>.<path>") }
        let area = parts[1]
        let path = Array(parts.dropFirst(2))
        let node: JSONValue?
        if area == "plan" {
            guard path.count >= 2 else { throw e.fail("write \(parts[0]).plan.<pathway>.<field>") }
            node = navigate(planStep(named: path[0], in: e.document), Array(path.dropFirst()))
        } else if area == "scores" {
            if let problem = unknownScore(path[0]) { return [.unknown(e.key, path[0], problem)] }
            node = navigate(e.document["scores"], path)
        } else {
            if e.decision.pathway(area) == nil { return [.unknown(e.key, area, unknownPathway(area))] }
            if let problem = unknownLesion(in: area, path: path, decision: e.decision) {
                return [.unknown(e.key, path[1], problem, pathway: area)]
            }
            node = navigate(e.document["pathways"]?[area], path)
        }
        let wanted: [JSONValue]
        if case .array(let items) = e.value { wanted = items } else { wanted = [e.value] }
        let items = node?.arrayValue ?? []
        let passed: Bool
        if exact {
            passed = node?.arrayValue != nil && items.count == wanted.count && zip(wanted, items).allSatisfy { Self.same($0, $1) }
        } else {
            passed = !wanted.contains { w in items.contains { Self.same(w, $0) } }
        }
        return [
            ExpectationResult(
                key: e.key, expected: (exact ? "exactly " : "none of ") + e.value.inlineText, actual: node?.inlineText ?? "(absent)",
                passed: passed, pathway: area == "scores" ? nil : area == "plan" ? path[0] : area)
        ]
    }

    /// `absent: [paths]`: none of these output paths exists (or each is null): `scores.<score>.<path>`,
    /// `<pathway>.<path>`, `plan.<pathway>[.<field>]` (a score with missing items has no `total`; a
    /// pathway with no recommended lesion has no plan step).
    func absent(_ e: Expectation) throws(ExpectationError) -> [ExpectationResult] {
        try e.names().map { path in
            let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            let key = "\(e.key).\(path)"
            let node: JSONValue?
            var pathway: String?
            switch parts[0] {
            case "scores":
                guard parts.count >= 2 else { return .unknown(key, path, "name a score: scores.<score>.<path>") }
                if let problem = unknownScore(parts[1]) { return .unknown(key, parts[1], problem) }
                node = navigate(e.document["scores"], Array(parts.dropFirst()))
            case "plan":
                guard parts.count >= 2 else { return .unknown(key, path, "name a step: plan.<pathway>[.<field>]") }
                node = navigate(planStep(named: parts[1], in: e.document), Array(parts.dropFirst(2)))
                pathway = vocabulary.pathways.contains(parts[1]) ? parts[1] : nil
            default:
                guard vocabulary.pathways.contains(parts[0]) else { return .unknown(key, parts[0], unknownPathway(parts[0])) }
                let rest = Array(parts.dropFirst())
                if let problem = unknownLesion(in: parts[0], path: rest, decision: e.decision) {
                    return .unknown(key, rest[1], problem, pathway: parts[0])
                }
                node = navigate(e.document["pathways"]?[parts[0]], rest)
                pathway = parts[0]
            }
            let shown = node.flatMap { $0.isNull ? nil : $0.inlineText }
            return ExpectationResult(key: key, expected: "absent", actual: shown ?? "(absent)", passed: shown == nil, pathway: pathway)
        }
    }

    /// `scores.<score>.<path>`.
    func score(_ e: Expectation) throws(ExpectationError) -> [ExpectationResult] {
        let parts = e.parts
        guard parts.count >= 2 else { throw e.fail("name a score: scores.sins.total") }
        if let problem = unknownScore(parts[1]) { return [.unknown(e.key, parts[1], problem)] }
        return [compare(key: e.key, expected: e.value, actual: navigate(e.document["scores"], Array(parts.dropFirst())), pathway: nil)]
    }

    /// `<pathway>` (its status is one of these) and `<pathway>.<path>` (the value there).
    func pathway(_ e: Expectation) throws(ExpectationError) -> [ExpectationResult] {
        let parts = e.parts
        let pathway = parts[0]
        guard vocabulary.pathways.contains(pathway) else {
            throw e.fail("no pathway '\(pathway)' (and not a known expectation)")
        }
        let decided = e.decision.pathway(pathway)
        let path = Array(parts.dropFirst())
        if path.isEmpty {
            let (want, unknown) = try statuses(e, e.names(), vocabulary: vocabulary.statuses, what: "status")
            guard !want.isEmpty else { return unknown }
            let status = decided?.status.rawValue ?? "(absent)"
            return unknown + [
                ExpectationResult(
                    key: e.key, expected: want.joined(separator: " or "), actual: status, passed: want.contains(status), pathway: pathway)
            ]
        }
        if let problem = unknownLesion(in: pathway, path: path, decision: e.decision) {
            return [.unknown(e.key, path[1], problem, pathway: pathway)]
        }
        // The last segment names what the value is: a status or a strength is checked against
        // the ruleset's words.
        var unknown: [ExpectationResult] = []
        if let last = path.last, last == "status" || last == "strength", e.value.stringValue != nil || e.value.arrayValue != nil {
            let words = last == "status" ? vocabulary.statuses : vocabulary.strengths
            unknown = try statuses(e, e.names(), vocabulary: words, what: last).unknown
            if !unknown.isEmpty { return unknown }
        }
        return [compare(key: e.key, expected: e.value, actual: navigate(e.document["pathways"]?[pathway], path), pathway: pathway)]
    }

    // MARK: - Vocabulary

    /// The names the vocabulary holds, and a failed check for each it does not.
    private func statuses(_ e: Expectation, _ names: [String], vocabulary words: [String], what: String) -> (
        known: [String], unknown: [ExpectationResult]
    ) {
        var known: [String] = []
        var unknown: [ExpectationResult] = []
        for name in names {
            if words.contains(name) {
                known.append(name)
            } else {
                unknown.append(
                    .unknown(
                        e.key, name,
                        "no \(what) '\(name)' in the ruleset (its \(what == "status" ? "statuses" : "strengths"): \(list(words)))"))
            }
        }
        return (known, unknown)
    }

    private func unknownPathway(_ id: String) -> String {
        "no pathway '\(id)' in the ruleset (its pathways: \(list(vocabulary.pathways)))"
    }

    private func unknownScore(_ id: String) -> String? {
        vocabulary.scores.contains(id) ? nil : "no score '\(id)' in the rule catalogue (its scores: \(list(vocabulary.scores)))"
    }

    /// For a path `lesions.<id>…` into a pathway: a problem when the case has no such lesion.
    private func unknownLesion(in pathway: String, path: [String], decision: Decision) -> String? {
        guard path.count >= 2, path[0] == "lesions" else { return nil }
        let caseLesions = decision.pathways.flatMap { ($0.lesions ?? []).map(\.id) }
        guard let lesions = decision.pathway(pathway)?.lesions else {
            return "pathway '\(pathway)' is not decided per lesion"
        }
        if lesions.contains(where: { $0.id == path[1] }) { return nil }
        var seen = Set<String>()
        return "no lesion '\(path[1])' in this case (its lesions: \(list(caseLesions.filter { seen.insert($0).inserted })))"
    }

    private func list(_ names: [String]) -> String { names.isEmpty ? "none" : names.joined(separator: ", ") }

    // MARK: - Comparing

    func navigate(_ node: JSONValue?, _ path: [String]) -> JSONValue? {
        var current = node
        for part in path {
            guard let c = current else { return nil }
            if case .array(let items) = c, let i = Int(part), items.indices.contains(i) {
                current = items[i]
                continue
            }
            current = c[part]
        }
        return current
    }

    /// Equality for scalars; for an actual list, containment of the expected value(s).
    func compare(key: String, expected: JSONValue, actual: JSONValue?, pathway: String?) -> ExpectationResult {
        let wanted: [JSONValue]
        if case .array(let items) = expected { wanted = items } else { wanted = [expected] }
        let shown = wanted.map(\.inlineText).joined(separator: ", ")
        guard let actual else {
            return ExpectationResult(key: key, expected: shown, actual: "(absent)", passed: false, pathway: pathway)
        }
        let passed: Bool
        if case .array(let items) = actual {
            passed = wanted.allSatisfy { w in items.contains { Self.same(w, $0) } }
        } else if wanted.count == 1 {
            passed = Self.same(wanted[0], actual)
        } else {
            passed = wanted.contains { Self.same($0, actual) }  // one of several values
        }
        return ExpectationResult(key: key, expected: shown, actual: actual.inlineText, passed: passed, pathway: pathway)
    }

    static func same(_ expected: JSONValue, _ actual: JSONValue) -> Bool {
        switch (expected, actual) {
        case (.string(let a), .string(let b)): return a == b
        case (.bool(let a), .bool(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.int(let a), .double(let b)): return Double(a) == b
        case (.double(let a), .int(let b)): return a == Double(b)
        case (.double(let a), .double(let b)): return abs(a - b) < 1e-9
        case (.int(let a), .string(let b)): return String(a) == b
        case (.null, .null): return true
        default: return false
        }
    }
}
