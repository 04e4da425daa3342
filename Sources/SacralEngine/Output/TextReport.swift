/// The decision as text for people: alerts on top, then the plan, the scores, every pathway with
/// its reasons (rule, source, inputs), and what is missing.
public struct TextReport: Sendable {
    /// ANSI colour for statuses and alert levels (only on a terminal, never with NO_COLOR).
    public var color: Bool
    /// The ruleset's words (``Catalog/preposition(for:)``); without it, or for a step the ruleset
    /// words nothing for, the plan's short form is written "pathway: lesions".
    public var catalog: Catalog?

    public init(color: Bool, catalog: Catalog? = nil) {
        self.color = color
        self.catalog = catalog
    }

    /// Text from a case or a rule made safe to print: a control character other than newline (C0,
    /// DEL, C1) or a bidirectional override is written as `\u{…}`, and every line after a newline is
    /// indented deeper than any line the report itself starts (8 spaces), so no text can hide
    /// itself, move the cursor or look like a header.
    public static func safe(_ text: String) -> String {
        // Nearly every text has nothing to change: checked first, it is returned as it is (appending
        // scalar by scalar was a tenth of a cold evaluate).
        guard text.unicodeScalars.contains(where: { needsRewriting($0.value) }) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        let scalars = text.unicodeScalars
        var runStart = scalars.startIndex
        var i = runStart
        while i != scalars.endIndex {
            let v = scalars[i].value
            if needsRewriting(v) {
                out.unicodeScalars.append(contentsOf: scalars[runStart..<i])
                out += v == 0x0A ? "\n" + continuation : "\\u{" + String(v, radix: 16, uppercase: true) + "}"
                runStart = scalars.index(after: i)
            }
            i = scalars.index(after: i)
        }
        out.unicodeScalars.append(contentsOf: scalars[runStart...])
        return out
    }

    /// A newline (indented after), a control character (C0, DEL, C1) or a bidirectional control.
    private static func needsRewriting(_ v: UInt32) -> Bool {
        if v >= 0x20 && v < 0x7F { return false }
        return v < 0x20 || (0x7F...0x9F).contains(v) || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v)
            || v == 0x200E || v == 0x200F || v == 0x061C
    }

    /// The indent of a continuation line of a text (deeper than any line the report starts).
    static let continuation = String(repeating: " ", count: 8)

    private func t(_ text: String) -> String { Self.safe(text) }
    private func t(_ value: JSONValue) -> String { Self.safe(value.inlineText) }

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
        let title = d.title.map { " — \(t($0))" } ?? ""
        out += paint("Case \(t(d.caseID))", "1") + title + "\n"
        out += "Rules \(t(d.ruleset.name)) \(t(d.ruleset.version)) (sha256 \(d.ruleset.sha256.prefix(12))…), \(d.engine)\n"

        if !d.alerts.isEmpty {
            out += "\n" + paint("ALERTS", "1") + "\n"
            for a in d.alerts {
                let code = a.level == "emergency" ? "1;41;37" : a.level == "warning" ? "1;33" : "36"
                out += "  " + paint(t(a.level.uppercased()), code) + " \(t(a.id)): \(t(a.text))"
                out += " [rule \(t(a.rule))]\n"
            }
        }

        out += "\n" + paint("PLAN", "1") + "\n"
        if d.plan.isEmpty { out += "  (no pathway is recommended)\n" }
        if let summary = planSummary(d) { out += "  \(summary)\n" }
        for s in d.plan {
            let timing = s.timing.map { " (\(t($0)))" } ?? ""
            let lesions = s.lesions.map { " [\(t($0.joined(separator: ", ")))]" } ?? ""
            out += "  \(s.step).  \(t(s.pathway))\(timing)\(lesions): \(t(s.text ?? ""))\n"
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
                let affects = m.affects.map { id in
                    guard let ids = m.lesions.first(where: { $0.pathway == id })?.ids else { return id }
                    return "\(id) (lesion\(ids.count == 1 ? "" : "s") \(ids.joined(separator: ", ")))"
                }
                out += "  \(t(m.field)): holds \(t(affects.joined(separator: ", "))) undetermined\n"
            }
        }
        if !d.warnings.isEmpty {
            out += "\n" + paint("WARNINGS", "1") + "\n"
            for w in d.warnings { out += "  \(t(w))\n" }
        }
        if !d.failures.isEmpty {
            out += "\n" + paint("RULE FAILURES (their pathways were decided fail-closed)", "1;31") + "\n"
            for f in d.failures { out += "  \(t(f.rule))\(f.lesion.map { " (lesion \(t($0)))" } ?? ""): \(t(f.message))\n" }
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
            let joined = named.joined(separator: ", ")
            parts.append(catalog?.preposition(for: s.pathway).map { "\(s.pathway) \($0) \(joined)" } ?? "\(s.pathway): \(joined)")
        }
        return "In short: " + t(parts.joined(separator: ", then "))
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
                    return "  \(t(s.id)): not computable, missing \(t(missing.map(\.inlineText).joined(separator: ", ")))\n"
                }
                return "  \(t(s.id)): failed: \(t(s["error"]?.inlineText ?? ""))\n"
            }
            var line = "  \(t(s.id)): \(t(shown))"
            if let band = s.band { line += s.total == nil ? ", \(t(band)) whatever they are" : " (\(t(band)))" }
            if let lesion = s.lesion { line += ", lesion \(t(lesion))" }
            if let items = s["items"]?.objectValue, !items.isEmpty {
                line += " — " + items.map { "\(t($0.key)) \(t($0.value))" }.joined(separator: ", ")
            }
            if let lesions = s["lesions"]?.objectValue, lesions.count > 1 {
                line += "\n    per lesion: " + lesions.map { "\(t($0.key)) \(t(value($0.value) ?? "?"))" }.joined(separator: "; ")
            }
            return line + "\n"
        case .missing(let fields):
            return "  \(t(s.id)): not computable, missing \(t(fields.joined(separator: ", ")))\n"
        case .failed(let error):
            return "  \(t(s.id)): failed: \(t(error ?? "null"))\n"
        }
    }

    private func pathway(_ p: Decision.Pathway) -> String {
        var out = ""
        var head = p.status.rawValue.uppercased().replacingOccurrences(of: "_", with: " ")
        if let strength = p.strength { head += " (\(t(strength)))" }
        // P20: a per-lesion pathway's status is its most favourable lesion's: never shown alone.
        if let lesions = p.lesions, !lesions.isEmpty {
            head +=
                " ("
                + lesions.map { t($0.id) + " " + $0.status.rawValue + ($0.strength.map { " " + t($0) } ?? "") }
                .joined(separator: "; ") + ")"
        }
        out += "\n  " + paint(t(p.id), "1") + " — " + paint(head, statusColor(p.status)) + "\n"
        for (k, v) in p.detail { out += "    \(t(k)): \(t(v))\n" }
        for l in p.lesions ?? [] {
            var line = "    lesion \(t(l.id)): \(l.status.rawValue)"
            if let strength = l.strength { line += " (\(t(strength)))" }
            if let modality = l.modality { line += "; modality \(t(modality))" }
            if !l.approach.isEmpty { line += "; approach \(t(l.approach.joined(separator: ", ")))" }
            if !l.missing.isEmpty { line += "; missing \(t(l.missing.joined(separator: ", ")))" }
            // The rules that decided this lesion (a status, or an unknown or failure holding it); the
            // notes are among the pathway's reasons below.
            let rules = l.reasons.filter { $0.outcome != .byDefault && ($0.status != nil || $0.outcome != .fired) }
                .map { r in r.outcome == .fired ? r.rule : "\(r.rule) (\(r.outcome.rawValue))" }
            if !rules.isEmpty { line += "; by \(t(rules.joined(separator: ", ")))" }
            out += line + "\n"
        }
        for r in p.reasons {
            var tag = r.status?.rawValue ?? (r.outcome == .fired ? "note" : r.outcome.rawValue)
            if let strength = r.strength { tag += " \(strength)" }
            if let lesion = r.lesion { tag += ", lesion \(lesion)" }
            out += "    • \(t(r.rule)) [\(t(tag))]\n"
            out += "      \(t(r.text ?? ""))\n"
            var basis: [String] = []
            if let source = r.source { basis.append(source) }
            if !r.implements.isEmpty { basis.append(r.implements.joined(separator: ", ")) }
            if !basis.isEmpty { out += "      source: \(t(basis.joined(separator: "; ")))\n" }
            if !r.inputs.isEmpty {
                out += "      inputs: " + r.inputs.map { "\(t($0.key))=\(t($0.value))" }.joined(separator: ", ") + "\n"
            }
            if let evidence = r.evidence { out += "      evidence: \(t(evidence))\n" }
            if let correction = r.correction { out += "      correction: \(t(correction))\n" }
        }
        return out
    }
}
