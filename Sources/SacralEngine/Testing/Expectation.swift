/// One check of an `expect:` block against a decision (Cases/README.md has the grammar).
public struct ExpectationResult: Sendable {
    /// The key as written in the case: `sacroplasty`, `scores.sins.total`, `reasons.fixation`.
    public var key: String
    public var expected: String
    public var actual: String
    public var passed: Bool
    /// The pathway the check concerns, if any: its reasons explain the actual value.
    public var pathway: String?
}

/// A malformed `expect:` block (an unknown pathway, a value of the wrong shape).
public struct ExpectationError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var key: String
    public var message: String
    public var description: String { "\(file): expect.\(key): \(message)" }
}

/// Compares a decision with the `expect:` block of its case.
public struct ExpectationChecker: Sendable {
    public var pathways: [String]

    public init(pathways: [String]) {
        self.pathways = pathways
    }

    public func check(_ expect: CaseValue, decision: Decision, file: String) throws(ExpectationError) -> [ExpectationResult] {
        guard case .object(let entries) = expect else {
            throw ExpectationError(file: file, key: "", message: "expected an object of expectations, got \(expect.kindName)")
        }
        var results: [ExpectationResult] = []
        let doc = decision.document
        for (key, value) in entries {
            func fail(_ message: String) -> ExpectationError { ExpectationError(file: file, key: key, message: message) }
            let parts = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            switch parts[0] {
            case "alerts", "alerts_absent":
                let want = try strings(value, fail)
                let have = (doc["alerts"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
                let absent = parts[0] == "alerts_absent"
                for id in want {
                    results.append(ExpectationResult(key: key, expected: absent ? "no \(id)" : id,
                                                     actual: have.isEmpty ? "(none)" : have.joined(separator: ", "),
                                                     passed: have.contains(id) != absent, pathway: nil))
                }
            case "missing", "missing_absent":
                let want = try strings(value, fail)
                let have = (doc["missing"]?.arrayValue ?? []).compactMap { $0["field"]?.stringValue }
                let absent = parts[0] == "missing_absent"
                for field in want {
                    let affected = (doc["missing"]?.arrayValue ?? []).first { $0["field"]?.stringValue == field }?["affects"]?
                        .arrayValue?.first?.stringValue
                    results.append(ExpectationResult(key: key, expected: absent ? "\(field) not missing" : "\(field) missing",
                                                     actual: have.isEmpty ? "(nothing missing)" : have.joined(separator: ", "),
                                                     passed: have.contains(field) != absent, pathway: affected))
                }
            case "plan_order":
                let want = try strings(value, fail)
                let have = (doc["plan"]?.arrayValue ?? []).compactMap { $0["pathway"]?.stringValue }
                var position = 0
                var inOrder = true
                for p in want {
                    guard let i = have[position...].firstIndex(of: p) else { inOrder = false; break }
                    position = i + 1
                }
                results.append(ExpectationResult(key: key, expected: want.joined(separator: " → "),
                                                 actual: have.isEmpty ? "(empty plan)" : have.joined(separator: " → "),
                                                 passed: inOrder, pathway: want.first { !have.contains($0) }))
            case "warnings", "warnings_absent":
                let want = try strings(value, fail)
                let have = (doc["warnings"]?.arrayValue ?? []).compactMap(\.stringValue)
                let absent = parts[0] == "warnings_absent"
                for text in want {
                    results.append(ExpectationResult(key: key, expected: (absent ? "no warning containing" : "a warning containing") + " \"\(text)\"",
                                                     actual: have.isEmpty ? "(no warnings)" : have.joined(separator: " | "),
                                                     passed: have.contains { $0.contains(text) } != absent, pathway: nil))
                }
            case "not":
                // not.<pathway>: status(es) the pathway must not have.
                guard parts.count == 2, pathways.contains(parts[1]) else { throw fail("write not.<pathway>: status or [statuses]") }
                let unwanted = try strings(value, fail)
                let status = doc["pathways"]?[parts[1]]?["status"]?.stringValue ?? "(absent)"
                results.append(ExpectationResult(key: key, expected: "not " + unwanted.joined(separator: " or "), actual: status,
                                                 passed: !unwanted.contains(status), pathway: parts[1]))
            case "exact", "excludes":
                // exact.<path>: the list there is exactly these values, in this order;
                // excludes.<path>: the list there contains none of them.
                guard parts.count >= 3 else { throw fail("write \(parts[0]).<pathway or scores>.<path>") }
                let area = parts[1]
                let node: JSONValue?
                if area == "scores" { node = navigate(doc["scores"], Array(parts.dropFirst(2))) }
                else if pathways.contains(area) { node = navigate(doc["pathways"]?[area], Array(parts.dropFirst(2))) }
                else { throw fail("no pathway '\(area)'") }
                let wanted: [CaseValue]
                if case .list(let items) = value { wanted = items } else { wanted = [value] }
                let items = node?.arrayValue ?? []
                let passed: Bool
                if parts[0] == "exact" {
                    passed = node?.arrayValue != nil && items.count == wanted.count && zip(wanted, items).allSatisfy { Self.same($0, $1) }
                } else {
                    passed = !wanted.contains { w in items.contains { Self.same(w, $0) } }
                }
                results.append(ExpectationResult(key: key, expected: (parts[0] == "exact" ? "exactly " : "none of ") + Self.text(value),
                                                 actual: node.map(Self.text) ?? "(absent)", passed: passed,
                                                 pathway: area == "scores" ? nil : area))
            case "plan":
                // plan.<pathway>.<field>: a field of the (first) plan step of that pathway.
                guard parts.count >= 3 else { throw fail("write plan.<pathway>.<field>, e.g. plan.decompression.timing") }
                let step = (doc["plan"]?.arrayValue ?? []).first { $0["pathway"]?.stringValue == parts[1] }
                results.append(compare(key: key, expected: value, actual: navigate(step, Array(parts.dropFirst(2))),
                                       pathway: pathways.contains(parts[1]) ? parts[1] : nil))
            case "reasons", "reasons_absent":
                guard case .object(let byPathway) = value else { throw fail("expected pathway: [rule ids]") }
                let absent = parts[0] == "reasons_absent"
                for (pathway, ids) in byPathway {
                    guard pathways.contains(pathway) else { throw fail("no pathway '\(pathway)'") }
                    let reasons = doc["pathways"]?[pathway]?["reasons"]?.arrayValue ?? []
                    let fired = reasons.filter { ($0["outcome"]?.stringValue ?? "fired") != "unknown" }
                        .compactMap { $0["rule"]?.stringValue }
                    for id in try strings(ids, fail) {
                        results.append(ExpectationResult(key: "\(key).\(pathway)", expected: absent ? "not \(id)" : id,
                                                         actual: fired.isEmpty ? "(no rule)" : fired.joined(separator: ", "),
                                                         passed: fired.contains(id) != absent, pathway: pathway))
                    }
                }
            case "scores":
                guard parts.count >= 2 else { throw fail("name a score: scores.sins.total") }
                let actual = navigate(doc["scores"], Array(parts.dropFirst()))
                results.append(compare(key: key, expected: value, actual: actual, pathway: nil))
            default:
                let pathway = parts[0]
                guard pathways.contains(pathway) else { throw fail("no pathway '\(pathway)' (and not a known expectation)") }
                let node = doc["pathways"]?[pathway]
                if parts.count == 1 {
                    let want = try strings(value, fail)
                    let status = node?["status"]?.stringValue ?? "(absent)"
                    results.append(ExpectationResult(key: key, expected: want.joined(separator: " or "), actual: status,
                                                     passed: want.contains(status), pathway: pathway))
                } else {
                    let actual = navigate(node, Array(parts.dropFirst()))
                    results.append(compare(key: key, expected: value, actual: actual, pathway: pathway))
                }
            }
        }
        return results
    }

    private func strings(_ value: CaseValue, _ fail: (String) -> ExpectationError) throws(ExpectationError) -> [String] {
        switch value {
        case .string(let s): return [s]
        case .int(let i): return [String(i)]
        case .list(let items):
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

    private func navigate(_ node: JSONValue?, _ path: [String]) -> JSONValue? {
        var current = node
        for part in path {
            guard let c = current else { return nil }
            if case .array(let items) = c, let i = Int(part), items.indices.contains(i) { current = items[i]; continue }
            current = c[part]
        }
        return current
    }

    /// Equality for scalars; for an actual list, containment of the expected value(s).
    private func compare(key: String, expected: CaseValue, actual: JSONValue?, pathway: String?) -> ExpectationResult {
        let wanted: [CaseValue]
        if case .list(let items) = expected { wanted = items } else { wanted = [expected] }
        let shown = wanted.map(Self.text).joined(separator: ", ")
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
        return ExpectationResult(key: key, expected: shown, actual: Self.text(actual), passed: passed, pathway: pathway)
    }

    static func same(_ expected: CaseValue, _ actual: JSONValue) -> Bool {
        switch (expected, actual) {
        case let (.string(a), .string(b)): return a == b
        case let (.bool(a), .bool(b)): return a == b
        case let (.int(a), .int(b)): return Int64(a) == b
        case let (.int(a), .double(b)): return Double(a) == b
        case let (.double(a), .int(b)): return a == Double(b)
        case let (.double(a), .double(b)): return abs(a - b) < 1e-9
        case let (.int(a), .string(b)): return String(a) == b
        case (.null, .null): return true
        default: return false
        }
    }

    static func text(_ value: CaseValue) -> String {
        switch value {
        case .string(let s): return s
        case .list(let items): return "[" + items.map(text).joined(separator: ", ") + "]"
        default: return value.shortDescription
        }
    }

    static func text(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): return s
        case .array(let items): return "[" + items.map(text).joined(separator: ", ") + "]"
        default: return value.serialized(pretty: false)
        }
    }
}
