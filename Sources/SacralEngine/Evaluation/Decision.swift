import LuaKit

/// A rule that failed while evaluating a case (an error, the instruction budget, the memory cap).
public struct RuleFailure: Sendable, Equatable, CustomStringConvertible {
    public var rule: String
    /// `file:line: message`.
    public var message: String
    /// "error", "instruction_limit" or "memory".
    public var kind: String
    public var pathways: [String]

    public var description: String { "rule \(rule): \(message)" }
}

/// The engine's answer for one case: the JSON document of decision-output.md, and the facts the
/// commands need about it.
public struct Decision: Sendable {
    public var caseID: String
    public var file: String
    /// The whole output, keys in contract order.
    public var document: JSONValue
    /// Rules that failed; their pathways were decided fail-closed.
    public var failures: [RuleFailure]
    /// With tracing on: every rule evaluated and its outcome ("fired", "false", "unknown", "error").
    public var trace: [(rule: String, outcome: String)] = []

    /// The status of a pathway (`recommended`, …).
    public func status(of pathway: String) -> String? {
        document["pathways"]?[pathway]?["status"]?.stringValue
    }

    /// The pathway ids, in ruleset order.
    public var pathwayIDs: [String] {
        document["pathways"]?.objectValue?.map(\.0) ?? []
    }
}

/// Builds a ``Decision`` from what the runtime returned.
struct DecisionBuilder {
    var header: [(String, JSONValue)]

    func build(case validated: ValidatedCase, result: LuaValue) -> Decision {
        var doc: [(String, JSONValue)] = [("case", .string(validated.id))]
        if let title = validated.title { doc.append(("title", .string(title))) }
        doc += header

        var scores: [(String, JSONValue)] = []
        for entry in result["scores"].tableValue?.array ?? [] {
            guard let id = entry["id"].stringValue else { continue }
            if !entry["value"].isNil {
                scores.append((id, scoreObject(entry["value"])))
            } else if !entry["missing"].isNil {
                scores.append((id, .object([("total", .null), ("missing", JSONValue(entry["missing"]))])))
            } else {
                scores.append((id, .object([("total", .null), ("error", JSONValue(entry["error"]))])))
            }
        }
        doc.append(("scores", .object(scores)))

        let alerts = (result["alerts"].tableValue?.array ?? []).map { a in
            ordered(a, ["id", "level", "text", "rule", "source"])
        }
        doc.append(("alerts", .array(alerts)))

        var pathways: [(String, JSONValue)] = []
        for p in result["pathways"].tableValue?.array ?? [] {
            guard let id = p["id"].stringValue else { continue }
            pathways.append((id, pathwayObject(p)))
        }
        doc.append(("pathways", .object(pathways)))

        let plan = (result["plan"].tableValue?.array ?? []).map { s in
            ordered(s, ["step", "pathway", "timing", "text", "rule"])
        }
        doc.append(("plan", .array(plan)))

        let missing = (result["missing"].tableValue?.array ?? []).map { m in
            JSONValue.object([("field", JSONValue(m["field"])), ("affects", JSONValue(m["affects"]))])
        }
        doc.append(("missing", .array(missing)))

        let warnings = validated.warnings + (result["warnings"].tableValue?.array ?? []).compactMap(\.stringValue)
        doc.append(("warnings", .array(warnings.map(JSONValue.string))))

        let failures = (result["errors"].tableValue?.array ?? []).map { e in
            RuleFailure(rule: e["rule"].stringValue ?? "?", message: e["message"].stringValue ?? "",
                        kind: e["kind"].stringValue ?? "error",
                        pathways: (e["pathways"].tableValue?.array ?? []).compactMap(\.stringValue))
        }
        doc.append(("errors", .array(failures.map { f in
            .object([("rule", .string(f.rule)), ("kind", .string(f.kind)), ("message", .string(f.message)),
                     ("pathways", .array(f.pathways.map(JSONValue.string)))])
        })))
        var decision = Decision(caseID: validated.id, file: validated.file, document: .object(doc), failures: failures)
        decision.trace = (result["trace"].tableValue?.array ?? []).map { t in
            (t["rule"].stringValue ?? "?", t["outcome"].stringValue ?? "?")
        }
        return decision
    }

    /// The decision when the evaluation as a whole failed: every pathway undetermined (fail closed).
    func failed(case validated: ValidatedCase, pathways: [String], error: LuaError) -> Decision {
        let failure = RuleFailure(rule: "engine", message: error.message, kind: error.kind.rawValue, pathways: pathways)
        var doc: [(String, JSONValue)] = [("case", .string(validated.id))]
        if let title = validated.title { doc.append(("title", .string(title))) }
        doc += header
        doc.append(("scores", .object([])))
        doc.append(("alerts", .array([])))
        doc.append(("pathways", .object(pathways.map { id in
            (id, .object([
                ("status", .string("undetermined")),
                ("detail", .object([])),
                ("reasons", .array([.object([
                    ("rule", .string("engine")), ("outcome", .string("error")),
                    ("text", .string("The evaluation failed; no pathway can be recommended (fail closed): \(error.message)")),
                    ("source", .string("engine")), ("error", .string(error.message)),
                ])])),
                ("missing", .array([])),
            ]))
        })))
        doc.append(("plan", .array([])))
        doc.append(("missing", .array([])))
        doc.append(("warnings", .array(validated.warnings.map(JSONValue.string))))
        doc.append(("errors", .array([.object([
            ("rule", .string("engine")), ("kind", .string(error.kind.rawValue)), ("message", .string(error.message)),
            ("pathways", .array(pathways.map(JSONValue.string))),
        ])])))
        return Decision(caseID: validated.id, file: validated.file, document: .object(doc), failures: [failure])
    }

    private func scoreObject(_ value: LuaValue) -> JSONValue {
        guard let t = value.tableValue else { return JSONValue(value) }
        var pairs: [(String, JSONValue)] = []
        let first = ["total", "band", "items", "lesion"]
        for key in first where t.fields[key] != nil {
            pairs.append((key, key == "items" ? JSONValue.object(t.fields[key]!) : JSONValue(t.fields[key]!)))
        }
        for key in t.sortedKeys where !first.contains(key) { pairs.append((key, JSONValue(t.fields[key]!))) }
        return .object(pairs)
    }

    private func pathwayObject(_ p: LuaValue) -> JSONValue {
        var pairs: [(String, JSONValue)] = [("status", JSONValue(p["status"]))]
        if let strength = p["strength"].stringValue { pairs.append(("strength", .string(strength))) }
        pairs.append(("detail", JSONValue.object(p["detail"])))
        let reasons = (p["reasons"].tableValue?.array ?? []).map { r -> JSONValue in
            var reason = ordered(r, ["rule", "outcome", "status", "strength", "lesion", "text", "source"])
            if case .object(var fields) = reason {
                fields.append(("implements", JSONValue(r["implements"].isNil ? .list([]) : r["implements"])))
                fields.append(("inputs", JSONValue.object(r["inputs"])))
                for key in ["missing", "evidence", "correction", "error"] where !r[key].isNil {
                    fields.append((key, JSONValue(r[key])))
                }
                reason = .object(fields)
            }
            return reason
        }
        pairs.append(("reasons", .array(reasons)))
        if let lesions = p["lesions"].tableValue?.array {
            pairs.append(("lesions", .object(lesions.compactMap { l in
                guard let id = l["id"].stringValue else { return nil }
                var fields: [(String, JSONValue)] = [("status", JSONValue(l["status"]))]
                if let strength = l["strength"].stringValue { fields.append(("strength", .string(strength))) }
                fields.append(("approach", JSONValue(l["approach"])))
                if let missing = l["missing"].tableValue, !missing.array.isEmpty {
                    fields.append(("missing", JSONValue(l["missing"])))
                }
                return (id, .object(fields))
            })))
        }
        pairs.append(("missing", JSONValue(p["missing"])))
        return .object(pairs)
    }

    /// The named fields first, in that order, skipping absent ones.
    private func ordered(_ value: LuaValue, _ keys: [String]) -> JSONValue {
        .object(keys.compactMap { key in value[key].isNil ? nil : (key, JSONValue(value[key])) })
    }
}
