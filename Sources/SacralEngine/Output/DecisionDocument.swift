/// Renders a ``Decision`` as the JSON of decision-output.md: keys in contract order, optional
/// members left out when absent, so that the same decision always prints the same bytes.
enum DecisionDocument {
    static func render(_ d: Decision) -> JSONValue {
        var doc: [(key: String, value: JSONValue)] = [("case", .string(d.caseID))]
        if let title = d.title { doc.append(("title", .string(title))) }
        doc.append(
            (
                "ruleset",
                .object([
                    ("name", .string(d.ruleset.name)), ("version", .string(d.ruleset.version)),
                    ("sha256", .string(d.ruleset.sha256)),
                ])
            ))
        doc.append(("engine", .string(d.engine)))
        doc.append(("scores", .object(d.scores.map { (key: $0.id, value: score($0)) })))
        doc.append(("alerts", .array(d.alerts.map(alert))))
        doc.append(("pathways", .object(d.pathways.map { (key: $0.id, value: pathway($0)) })))
        doc.append(("plan", .array(d.plan.map(step))))
        doc.append(
            (
                "missing",
                .array(
                    d.missing.map { m in
                        var members: [(key: String, value: JSONValue)] = [("field", .string(m.field)), ("affects", strings(m.affects))]
                        if !m.lesions.isEmpty {
                            members.append(("lesions", .object(m.lesions.map { (key: $0.pathway, value: strings($0.ids)) })))
                        }
                        return .object(members)
                    })
            ))
        doc.append(("warnings", strings(d.warnings)))
        doc.append(("errors", .array(d.failures.map(failure))))
        return .object(doc)
    }

    static func strings(_ list: [String]) -> JSONValue { .array(list.map(JSONValue.string)) }

    private static func score(_ s: Decision.Score) -> JSONValue {
        switch s.outcome {
        case .computed(let members): return .object(members)
        case .missing(let fields): return .object([("total", .null), ("missing", strings(fields))])
        case .failed(let error): return .object([("total", .null), ("error", error.map(JSONValue.string) ?? .null)])
        }
    }

    private static func alert(_ a: Decision.Alert) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("id", .string(a.id)), ("level", .string(a.level)), ("text", .string(a.text)), ("rule", .string(a.rule)),
        ]
        if let source = a.source { members.append(("source", .string(source))) }
        return .object(members)
    }

    private static func pathway(_ p: Decision.Pathway) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [("status", .string(p.status.rawValue))]
        if let strength = p.strength { members.append(("strength", .string(strength))) }
        members.append(("detail", .object(p.detail)))
        members.append(("reasons", .array(p.reasons.map(reason))))
        if let lesions = p.lesions {
            members.append(("lesions", .object(lesions.map { (key: $0.id, value: lesion($0)) })))
        }
        members.append(("missing", strings(p.missing)))
        return .object(members)
    }

    /// A lesion's own decision (P20): radiation states its modality, the others their approach.
    private static func lesion(_ l: Decision.LesionDecision) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [("status", .string(l.status.rawValue))]
        if let strength = l.strength { members.append(("strength", .string(strength))) }
        if let modality = l.modality {
            members.append(("modality", .string(modality)))
        } else {
            members.append(("approach", strings(l.approach)))
        }
        if !l.detail.isEmpty { members.append(("detail", .object(l.detail))) }
        members.append(
            (
                "reasons",
                .array(
                    l.reasons.map { r in
                        var m: [(key: String, value: JSONValue)] = [("rule", .string(r.rule)), ("outcome", .string(r.outcome.rawValue))]
                        if let status = r.status { m.append(("status", .string(status.rawValue))) }
                        if let strength = r.strength { m.append(("strength", .string(strength))) }
                        return .object(m)
                    })
            ))
        members.append(("missing", strings(l.missing)))
        return .object(members)
    }

    private static func reason(_ r: Decision.Reason) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [("rule", .string(r.rule)), ("outcome", .string(r.outcome.rawValue))]
        if let status = r.status { members.append(("status", .string(status.rawValue))) }
        if let strength = r.strength { members.append(("strength", .string(strength))) }
        if let lesion = r.lesion { members.append(("lesion", .string(lesion))) }
        if let text = r.text { members.append(("text", .string(text))) }
        if let source = r.source { members.append(("source", .string(source))) }
        members.append(("implements", strings(r.implements)))
        members.append(("inputs", .object(r.inputs)))
        if let missing = r.missing { members.append(("missing", strings(missing))) }
        if let evidence = r.evidence { members.append(("evidence", evidence)) }
        if let correction = r.correction { members.append(("correction", correction)) }
        if let error = r.error { members.append(("error", .string(error))) }
        return .object(members)
    }

    private static func step(_ s: Decision.PlanStep) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [("step", .int(Int64(s.step))), ("pathway", .string(s.pathway))]
        if let timing = s.timing { members.append(("timing", .string(timing))) }
        if let lesions = s.lesions { members.append(("lesions", strings(lesions))) }
        if let text = s.text { members.append(("text", .string(text))) }
        members.append(("rule", .string(s.rule)))
        return .object(members)
    }

    /// A rule failure; where it happened is data (`file`, `line`) beside the message, so that no
    /// consumer has to read the position back out of the text.
    private static func failure(_ f: RuleFailure) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("rule", .string(f.rule)), ("kind", .string(f.kind.rawValue)), ("message", .string(f.message)),
        ]
        if let location = f.location {
            members.append(("file", .string(location.file)))
            members.append(("line", .int(Int64(location.line))))
        }
        if let lesion = f.lesion { members.append(("lesion", .string(lesion))) }
        members.append(("pathways", strings(f.pathways)))
        return .object(members)
    }
}
