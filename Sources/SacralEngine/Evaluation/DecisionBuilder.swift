import LuaKit

/// The rule runtime returned something the decision model has no place for (a status outside the
/// contract, a text that is a table): the evaluation fails closed rather than guess.
struct ResultShapeError: Error {
    var message: String
}

/// Builds the typed ``Decision`` once from the plain data the Lua runtime returned (its result
/// table, read as a ``LuaTree``, whose shape is the runtime's contract with Swift). It refuses what it does not
/// understand: a value of the wrong kind is an error of the whole evaluation, decided fail-closed
/// by the engine, never a member silently dropped or converted.
// Every message is a closure (`what`): it is spelt out only when the shape is wrong, not for each
// of the thousands of reads a decision takes.
struct DecisionBuilder {
    var ruleset: Decision.RuleSetIdentity
    var engine: String

    func build(case validated: ValidatedCase, result: LuaNode) throws(ResultShapeError) -> Decision {
        var scores: [Decision.Score] = []
        for entry in try list(result["scores"], "scores") {
            scores.append(try score(entry))
        }
        var alerts: [Decision.Alert] = []
        for a in try list(result["alerts"], "alerts") {
            let rule = try string(a["rule"], "an alert's rule")
            func what() -> String { "alert of rule '\(rule)'" }
            alerts.append(
                Decision.Alert(
                    id: try string(a["id"], "the id of an \(what())"), level: try string(a["level"], "the level of an \(what())"),
                    text: try string(a["text"], "the text of an \(what())"), rule: rule,
                    source: try optionalString(a["source"], "the source of an \(what())")))
        }
        var pathways: [Decision.Pathway] = []
        for p in try list(result["pathways"], "pathways") {
            pathways.append(try pathway(p))
        }
        var plan: [Decision.PlanStep] = []
        for s in try list(result["plan"], "plan") {
            let rule = try string(s["rule"], "a plan step's rule")
            func what() -> String { "plan step of rule '\(rule)'" }
            guard let step = s["step"].intValue else { throw ResultShapeError(message: "a \(what()) has no step number") }
            plan.append(
                Decision.PlanStep(
                    step: step, pathway: try string(s["pathway"], "the pathway of a \(what())"),
                    timing: try optionalString(s["timing"], "the timing of a \(what())"),
                    text: try optionalString(s["text"], "the text of a \(what())"), rule: rule,
                    lesions: s["lesions"].isNil ? nil : try strings(s["lesions"], "the lesions of a \(what())")))
        }
        var missing: [Decision.MissingField] = []
        for m in try list(result["missing"], "missing") {
            var lesions: [(pathway: String, ids: [String])] = []
            for l in try list(m["lesions"], "the lesions a missing field affects") {
                lesions.append(
                    (
                        try string(l["pathway"], "a pathway a missing field affects"),
                        try strings(l["ids"], "the lesions a missing field affects")
                    ))
            }
            missing.append(
                Decision.MissingField(
                    field: try string(m["field"], "a missing field"), affects: try strings(m["affects"], "what a missing field affects"),
                    lesions: lesions))
        }
        let warnings = validated.warnings + (try strings(result["warnings"], "warnings"))
        var failures: [RuleFailure] = []
        for e in try list(result["errors"], "errors") {
            let rule = try string(e["rule"], "a failed rule's id")
            let message = try string(e["message"], "the message of rule '\(rule)''s failure")
            failures.append(
                RuleFailure(
                    rule: rule, message: message,
                    kind: FailureKind(rawValue: try optionalString(e["kind"], "a failure's kind") ?? "error"),
                    pathways: try strings(e["pathways"], "the pathways of rule '\(rule)'"),
                    location: Self.location(e, message: message), lesion: try optionalString(e["lesion"], "a failure's lesion")))
        }
        var trace: [Decision.TraceEntry] = []
        for t in try list(result["trace"], "trace") {
            trace.append(
                Decision.TraceEntry(rule: try string(t["rule"], "a traced rule"), outcome: try string(t["outcome"], "a traced outcome")))
        }
        return Decision(
            caseID: validated.id, title: validated.title, file: validated.file, ruleset: ruleset, engine: engine,
            scores: scores, alerts: alerts, pathways: pathways, plan: plan, missing: missing, warnings: warnings,
            failures: failures, trace: trace)
    }

    /// Where a failure happened: the runtime's `file` and `line` when it gives them, else the
    /// position Lua put at the head of the message (Lua's own format, read once, here).
    static func location(_ entry: LuaNode, message: String) -> RuleLocation? {
        if let file = entry["file"].stringValue { return RuleLocation(file: file, line: entry["line"].intValue ?? 0) }
        return LuaPosition(message: message).map { RuleLocation(file: $0.file, line: $0.line) }
    }

    /// The decision when the evaluation as a whole failed: every pathway undetermined (fail closed).
    func failed(case validated: ValidatedCase, pathways: [String], message: String, kind: FailureKind) -> Decision {
        let failure = RuleFailure(
            rule: "engine", message: message, kind: kind, pathways: pathways,
            location: LuaPosition(message: message).map { RuleLocation(file: $0.file, line: $0.line) })
        let reason = Decision.Reason(
            rule: "engine", outcome: .error, status: nil, strength: nil, lesion: nil,
            text: "The evaluation failed; no pathway can be recommended (fail closed): \(message)", source: "engine",
            implements: [], inputs: [], missing: nil, evidence: nil, correction: nil, error: message)
        return Decision(
            caseID: validated.id, title: validated.title, file: validated.file, ruleset: ruleset, engine: engine,
            scores: [], alerts: [],
            pathways: pathways.map { id in
                Decision.Pathway(id: id, status: .undetermined, strength: nil, detail: [], reasons: [reason], lesions: nil, missing: [])
            },
            plan: [], missing: [], warnings: validated.warnings, failures: [failure])
    }

    // MARK: - Parts

    private func score(_ entry: LuaNode) throws(ResultShapeError) -> Decision.Score {
        let id = try string(entry["id"], "a score's id")
        let t = entry["value"]
        if t.isTable {
            var members: [(key: String, value: JSONValue)] = []
            let first = ["total", "band", "items", "lesion"]
            for key in first {
                let v = t[key]
                if v.isNil { continue }
                members.append((key, key == "items" ? JSONValue.sortedObject(v) : JSONValue(v)))
            }
            for (key, v) in t.sortedFields where !first.contains(key) { members.append((key, JSONValue(v))) }
            return Decision.Score(id: id, outcome: .computed(members))
        }
        if !entry["value"].isNil { throw ResultShapeError(message: "score '\(id)' is not a table") }
        if !entry["missing"].isNil {
            return Decision.Score(id: id, outcome: .missing(try strings(entry["missing"], "the missing fields of score '\(id)'")))
        }
        return Decision.Score(id: id, outcome: .failed(try optionalString(entry["error"], "the error of score '\(id)'")))
    }

    private func pathway(_ p: LuaNode) throws(ResultShapeError) -> Decision.Pathway {
        let id = try string(p["id"], "a pathway's id")
        var reasons: [Decision.Reason] = []
        for r in try list(p["reasons"], "the reasons of pathway '\(id)'") {
            reasons.append(try reason(r, pathway: id))
        }
        var lesions: [Decision.LesionDecision]?
        if !p["lesions"].isNil {
            lesions = []
            for l in try list(p["lesions"], "the lesions of pathway '\(id)'") {
                let lesion = try string(l["id"], "a lesion id of pathway '\(id)'")
                func what() -> String { "lesion '\(lesion)' of pathway '\(id)'" }
                var reasons: [Decision.LesionReason] = []
                for r in try list(l["reasons"], "the reasons of \(what())") {
                    let rule = try string(r["rule"], "a reason's rule (\(what()))")
                    let outcomeName = try optionalString(r["outcome"], "the outcome of rule '\(rule)' at \(what())") ?? "fired"
                    guard let outcome = Decision.Reason.Outcome(rawValue: outcomeName) else {
                        throw ResultShapeError(message: "rule '\(rule)' at \(what()) has the unknown outcome '\(outcomeName)'")
                    }
                    reasons.append(
                        Decision.LesionReason(
                            rule: rule, outcome: outcome,
                            status: r["status"].isNil ? nil : try status(r["status"], "the status of rule '\(rule)' at \(what())"),
                            strength: try optionalString(r["strength"], "the strength of rule '\(rule)' at \(what())")))
                }
                lesions?.append(
                    Decision.LesionDecision(
                        id: lesion, status: try status(l["status"], "the status of \(what())"),
                        strength: try optionalString(l["strength"], "the strength of \(what())"),
                        approach: try strings(l["approach"], "the approach of \(what())"),
                        modality: try optionalString(l["modality"], "the modality of \(what())"),
                        detail: JSONValue.sortedMembers(l["detail"]), reasons: reasons,
                        missing: try strings(l["missing"], "the missing fields of \(what())")))
            }
        }
        return Decision.Pathway(
            id: id, status: try status(p["status"], "the status of pathway '\(id)'"),
            strength: try optionalString(p["strength"], "the strength of pathway '\(id)'"),
            detail: JSONValue.sortedMembers(p["detail"]), reasons: reasons, lesions: lesions,
            missing: try strings(p["missing"], "the missing fields of pathway '\(id)'"))
    }

    private func reason(_ r: LuaNode, pathway: String) throws(ResultShapeError) -> Decision.Reason {
        let rule = try string(r["rule"], "a reason's rule (pathway '\(pathway)')")
        func what() -> String { "the reason of rule '\(rule)' for pathway '\(pathway)'" }
        let outcomeName = try optionalString(r["outcome"], "the outcome of \(what())") ?? "fired"
        guard let outcome = Decision.Reason.Outcome(rawValue: outcomeName) else {
            throw ResultShapeError(message: "\(what()) has the unknown outcome '\(outcomeName)'")
        }
        return Decision.Reason(
            rule: rule, outcome: outcome,
            status: r["status"].isNil ? nil : try status(r["status"], "the status of \(what())"),
            strength: try optionalString(r["strength"], "the strength of \(what())"),
            lesion: try optionalString(r["lesion"], "the lesion of \(what())"),
            text: try optionalString(r["text"], "the text of \(what())"),
            source: try optionalString(r["source"], "the source of \(what())"),
            implements: try strings(r["implements"], "what \(what()) implements"),
            inputs: JSONValue.sortedMembers(r["inputs"]),
            missing: r["missing"].isNil ? nil : try strings(r["missing"], "the missing fields of \(what())"),
            evidence: r["evidence"].isNil ? nil : JSONValue(r["evidence"]),
            correction: r["correction"].isNil ? nil : JSONValue(r["correction"]),
            error: try optionalString(r["error"], "the error of \(what())"))
    }

    // MARK: - Checked reads

    private func list(_ v: LuaNode, _ what: @autoclosure () -> String) throws(ResultShapeError) -> LuaItems {
        if v.isNil { return v.items }  // none
        guard v.isTable, v.fieldCount == 0 else { throw ResultShapeError(message: "\(what()) is not a list") }
        return v.items
    }

    private func string(_ v: LuaNode, _ what: @autoclosure () -> String) throws(ResultShapeError) -> String {
        guard let s = v.stringValue else { throw ResultShapeError(message: "\(what()) is \(Self.kind(v)), not a string") }
        return s
    }

    private func optionalString(_ v: LuaNode, _ what: @autoclosure () -> String) throws(ResultShapeError) -> String? {
        v.isNil ? nil : try string(v, what())
    }

    private func strings(_ v: LuaNode, _ what: @autoclosure () -> String) throws(ResultShapeError) -> [String] {
        var out: [String] = []
        for item in try list(v, what()) { out.append(try string(item, "an item of \(what())")) }
        return out
    }

    private func status(_ v: LuaNode, _ what: @autoclosure () -> String) throws(ResultShapeError) -> PathwayStatus {
        let name = try string(v, what())
        guard let status = PathwayStatus(rawValue: name) else {
            throw ResultShapeError(message: "\(what()) is '\(name)', not a status of the output contract")
        }
        return status
    }

    private static func kind(_ v: LuaNode) -> String {
        if v.isNil { return "absent" }
        if v.boolValue != nil { return "a boolean" }
        if v.doubleValue != nil { return "a number" }
        if v.stringValue != nil { return "a string" }
        return "a table"
    }
}
