/// The decision as text for people: alerts on top, then the plan, the scores, every pathway with
/// its reasons (rule, source, inputs), and what is missing.
public struct TextReport: Sendable {
    /// ANSI colour for statuses and alert levels (only on a terminal, never with NO_COLOR).
    public var color: Bool

    public init(color: Bool) {
        self.color = color
    }

    private func paint(_ text: String, _ code: String) -> String {
        color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    private func statusColor(_ status: PathwayStatus) -> String {
        switch status {
        case .recommended: return "1;32"
        case .option: return "32"
        case .contraindicated: return "1;31"
        case .undetermined: return "1;33"
        case .notIndicated: return "2"
        }
    }

    public func render(_ d: Decision) -> String {
        var out = ""
        let title = d.title.map { " — \($0)" } ?? ""
        out += paint("Case \(d.caseID)", "1") + title + "\n"
        out += "Rules \(d.ruleset.name) \(d.ruleset.version) (sha256 \(d.ruleset.sha256.prefix(12))…), \(d.engine)\n"

        if !d.alerts.isEmpty {
            out += "\n" + paint("ALERTS", "1") + "\n"
            for a in d.alerts {
                let code = a.level == "emergency" ? "1;41;37" : a.level == "warning" ? "1;33" : "36"
                out += "  " + paint(a.level.uppercased(), code) + " \(a.id): \(a.text)"
                out += " [rule \(a.rule)]\n"
            }
        }

        out += "\n" + paint("PLAN", "1") + "\n"
        if d.plan.isEmpty { out += "  (no pathway is recommended)\n" }
        if let summary = planSummary(d) { out += "  \(summary)\n" }
        for s in d.plan {
            let timing = s.timing.map { " (\($0))" } ?? ""
            let lesions = s.lesions.map { " [\($0.joined(separator: ", "))]" } ?? ""
            out += "  \(s.step).  \(s.pathway)\(timing)\(lesions): \(s.text ?? "")\n"
        }

        if !d.scores.isEmpty {
            out += "\n" + paint("SCORES", "1") + "\n"
            for s in d.scores { out += score(s) }
        }

        out += "\n" + paint("PATHWAYS", "1") + "\n"
        for p in d.pathways { out += pathway(p) }

        if !d.missing.isEmpty {
            out += "\n" + paint("MISSING DATA", "1") + "\n"
            for m in d.missing {
                out += "  \(m.field): holds \(m.affects.joined(separator: ", ")) undetermined\n"
            }
        }
        if !d.warnings.isEmpty {
            out += "\n" + paint("WARNINGS", "1") + "\n"
            for w in d.warnings { out += "  \(w)\n" }
        }
        if !d.failures.isEmpty {
            out += "\n" + paint("RULE FAILURES (their pathways were decided fail-closed)", "1;31") + "\n"
            for f in d.failures { out += "  \(f.rule): \(f.message)\n" }
        }
        return out
    }

    /// One line naming what the plan treats where (P20): "rfa of A, then sacroplasty of A
    /// (short_axis); radiation to B (conventional)". Only when some step names lesions.
    private func planSummary(_ d: Decision) -> String? {
        guard d.plan.contains(where: { $0.lesions != nil }) else { return nil }
        var parts: [String] = []
        for s in d.plan {
            guard let lesions = s.lesions, !lesions.isEmpty else {
                parts.append(s.pathway)
                continue
            }
            let named = lesions.map { id -> String in
                guard let l = d.pathway(s.pathway)?.lesion(id) else { return id }
                if let modality = l.modality { return "\(id) (\(modality))" }
                if let first = l.approach.first { return "\(id) (\(first))" }
                return id
            }
            parts.append("\(s.pathway) \(s.pathway == "radiation" ? "to" : "of") \(named.joined(separator: ", "))")
        }
        return "In short: " + parts.joined(separator: ", then ")
    }

    /// A score's value: its total, or the interval of a score with unknown items with the items
    /// missing (P21), never a bound as if it were the score.
    private func value(_ v: JSONValue) -> String? {
        if let total = v["total"], !total.isNull { return total.inlineText }
        guard let min = v["min"], let max = v["max"] else { return nil }
        var text = "\(min.inlineText)–\(max.inlineText)"
        if let missing = v["missing_items"]?.arrayValue, !missing.isEmpty {
            text += " (items missing: \(missing.map(\.inlineText).joined(separator: ", ")))"
        }
        return text
    }

    /// A score: its value, band, lesion and items; with several lesions, each lesion's value.
    private func score(_ s: Decision.Score) -> String {
        switch s.outcome {
        case .computed(let members):
            guard let shown = value(.object(members)) else {
                if let missing = s["missing"]?.arrayValue {
                    return "  \(s.id): not computable, missing \(missing.map(\.inlineText).joined(separator: ", "))\n"
                }
                return "  \(s.id): failed: \(s["error"]?.inlineText ?? "")\n"
            }
            var line = "  \(s.id): \(shown)"
            if let band = s.band { line += s.total == nil ? ", \(band) whatever they are" : " (\(band))" }
            if let lesion = s.lesion { line += ", lesion \(lesion)" }
            if let items = s["items"]?.objectValue, !items.isEmpty {
                line += " — " + items.map { "\($0.key) \($0.value.inlineText)" }.joined(separator: ", ")
            }
            if let lesions = s["lesions"]?.objectValue, lesions.count > 1 {
                line += "\n    per lesion: " + lesions.map { "\($0.key) \(value($0.value) ?? "?")" }.joined(separator: "; ")
            }
            return line + "\n"
        case .missing(let fields):
            return "  \(s.id): not computable, missing \(fields.joined(separator: ", "))\n"
        case .failed(let error):
            return "  \(s.id): failed: \(error ?? "null")\n"
        }
    }

    private func pathway(_ p: Decision.Pathway) -> String {
        var out = ""
        var head = p.status.rawValue.uppercased().replacingOccurrences(of: "_", with: " ")
        if let strength = p.strength { head += " (\(strength))" }
        // P20: a per-lesion pathway's status is its most favourable lesion's: never shown alone.
        if let lesions = p.lesions, !lesions.isEmpty {
            head +=
                " ("
                + lesions.map { "\($0.id) \($0.status.rawValue)" + ($0.strength.map { " \($0)" } ?? "") }
                .joined(separator: "; ") + ")"
        }
        out += "\n  " + paint(p.id, "1") + " — " + paint(head, statusColor(p.status)) + "\n"
        for (k, v) in p.detail { out += "    \(k): \(v.inlineText)\n" }
        for l in p.lesions ?? [] {
            var line = "    lesion \(l.id): \(l.status.rawValue)"
            if let strength = l.strength { line += " (\(strength))" }
            if let modality = l.modality { line += "; modality \(modality)" }
            if !l.approach.isEmpty { line += "; approach \(l.approach.joined(separator: ", "))" }
            if !l.missing.isEmpty { line += "; missing \(l.missing.joined(separator: ", "))" }
            // The rules that decided this lesion (a status, or an unknown or failure holding it); the
            // notes are among the pathway's reasons below.
            let rules = l.reasons.filter { $0.outcome != .byDefault && ($0.status != nil || $0.outcome != .fired) }
                .map { r in r.outcome == .fired ? r.rule : "\(r.rule) (\(r.outcome.rawValue))" }
            if !rules.isEmpty { line += "; by \(rules.joined(separator: ", "))" }
            out += line + "\n"
        }
        for r in p.reasons {
            var tag = r.status?.rawValue ?? (r.outcome == .fired ? "note" : r.outcome.rawValue)
            if let strength = r.strength { tag += " \(strength)" }
            if let lesion = r.lesion { tag += ", lesion \(lesion)" }
            out += "    • \(r.rule) [\(tag)]\n"
            out += "      \(r.text ?? "")\n"
            var basis: [String] = []
            if let source = r.source { basis.append(source) }
            if !r.implements.isEmpty { basis.append(r.implements.joined(separator: ", ")) }
            if !basis.isEmpty { out += "      source: \(basis.joined(separator: "; "))\n" }
            if !r.inputs.isEmpty {
                out += "      inputs: " + r.inputs.map { "\($0.key)=\($0.value.inlineText)" }.joined(separator: ", ") + "\n"
            }
            if let evidence = r.evidence { out += "      evidence: \(evidence.inlineText)\n" }
            if let correction = r.correction { out += "      correction: \(correction.inlineText)\n" }
        }
        return out
    }
}
