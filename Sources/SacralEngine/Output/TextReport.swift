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

    private func statusColor(_ status: String) -> String {
        switch status {
        case "recommended": return "1;32"
        case "option": return "32"
        case "contraindicated": return "1;31"
        case "undetermined": return "1;33"
        default: return "2"
        }
    }

    public func render(_ decision: Decision) -> String {
        let d = decision.document
        var out = ""
        let title = d["title"]?.stringValue.map { " — \($0)" } ?? ""
        out += paint("Case \(decision.caseID)", "1") + title + "\n"
        if let rs = d["ruleset"] {
            let sha = rs["sha256"]?.stringValue ?? ""
            out += "Rules \(rs["name"]?.stringValue ?? "") \(rs["version"]?.stringValue ?? "") (sha256 \(sha.prefix(12))…), \(d["engine"]?.stringValue ?? "")\n"
        }

        let alerts = d["alerts"]?.arrayValue ?? []
        if !alerts.isEmpty {
            out += "\n" + paint("ALERTS", "1") + "\n"
            for a in alerts {
                let level = a["level"]?.stringValue ?? "info"
                let code = level == "emergency" ? "1;41;37" : level == "warning" ? "1;33" : "36"
                out += "  " + paint(level.uppercased(), code) + " \(a["id"]?.stringValue ?? ""): \(a["text"]?.stringValue ?? "")"
                out += " [rule \(a["rule"]?.stringValue ?? "")]\n"
            }
        }

        let plan = d["plan"]?.arrayValue ?? []
        out += "\n" + paint("PLAN", "1") + "\n"
        if plan.isEmpty { out += "  (no pathway is recommended)\n" }
        for s in plan {
            let timing = s["timing"]?.stringValue.map { " (\($0))" } ?? ""
            out += "  \(s["step"].map(scalar) ?? "").  \(s["pathway"]?.stringValue ?? "")\(timing): \(s["text"]?.stringValue ?? "")\n"
        }

        if let scores = d["scores"]?.objectValue, !scores.isEmpty {
            out += "\n" + paint("SCORES", "1") + "\n"
            for (id, s) in scores {
                if let total = s["total"], total != .null {
                    var line = "  \(id): \(scalar(total))"
                    if let band = s["band"]?.stringValue { line += " (\(band))" }
                    if let lesion = s["lesion"]?.stringValue { line += ", lesion \(lesion)" }
                    if let items = s["items"]?.objectValue, !items.isEmpty {
                        line += " — " + items.map { "\($0.0) \(scalar($0.1))" }.joined(separator: ", ")
                    }
                    out += line + "\n"
                } else if let missing = s["missing"]?.arrayValue {
                    out += "  \(id): not computable, missing \(missing.map(scalar).joined(separator: ", "))\n"
                } else {
                    out += "  \(id): failed: \(s["error"].map(scalar) ?? "")\n"
                }
            }
        }

        out += "\n" + paint("PATHWAYS", "1") + "\n"
        for (id, p) in d["pathways"]?.objectValue ?? [] {
            let status = p["status"]?.stringValue ?? "?"
            var head = status.uppercased().replacingOccurrences(of: "_", with: " ")
            if let strength = p["strength"]?.stringValue { head += " (\(strength))" }
            out += "\n  " + paint(id, "1") + " — " + paint(head, statusColor(status)) + "\n"
            if let detail = p["detail"]?.objectValue, !detail.isEmpty {
                for (k, v) in detail { out += "    \(k): \(scalar(v))\n" }
            }
            if let lesions = p["lesions"]?.objectValue {
                for (lid, l) in lesions {
                    var line = "    lesion \(lid): \(l["status"]?.stringValue ?? "?")"
                    if let strength = l["strength"]?.stringValue { line += " (\(strength))" }
                    let approach = l["approach"]?.arrayValue?.map(scalar) ?? []
                    if !approach.isEmpty { line += "; approach \(approach.joined(separator: ", "))" }
                    out += line + "\n"
                }
            }
            for r in p["reasons"]?.arrayValue ?? [] {
                let outcome = r["outcome"]?.stringValue ?? "fired"
                var tag = r["status"]?.stringValue ?? (outcome == "fired" ? "note" : outcome)
                if let strength = r["strength"]?.stringValue { tag += " \(strength)" }
                if let lesion = r["lesion"]?.stringValue { tag += ", lesion \(lesion)" }
                out += "    • \(r["rule"]?.stringValue ?? "?") [\(tag)]\n"
                out += "      \(r["text"]?.stringValue ?? "")\n"
                var basis: [String] = []
                if let source = r["source"]?.stringValue { basis.append(source) }
                let implements = r["implements"]?.arrayValue?.map(scalar) ?? []
                if !implements.isEmpty { basis.append(implements.joined(separator: ", ")) }
                if !basis.isEmpty { out += "      source: \(basis.joined(separator: "; "))\n" }
                if let inputs = r["inputs"]?.objectValue, !inputs.isEmpty {
                    out += "      inputs: " + inputs.map { "\($0.0)=\(scalar($0.1))" }.joined(separator: ", ") + "\n"
                }
                if let evidence = r["evidence"] { out += "      evidence: \(scalar(evidence))\n" }
                if let correction = r["correction"] { out += "      correction: \(scalar(correction))\n" }
            }
        }

        let missing = d["missing"]?.arrayValue ?? []
        if !missing.isEmpty {
            out += "\n" + paint("MISSING DATA", "1") + "\n"
            for m in missing {
                let affects = m["affects"]?.arrayValue?.map(scalar).joined(separator: ", ") ?? ""
                out += "  \(m["field"]?.stringValue ?? ""): holds \(affects) undetermined\n"
            }
        }
        let warnings = d["warnings"]?.arrayValue ?? []
        if !warnings.isEmpty {
            out += "\n" + paint("WARNINGS", "1") + "\n"
            for w in warnings { out += "  \(scalar(w))\n" }
        }
        let errors = d["errors"]?.arrayValue ?? []
        if !errors.isEmpty {
            out += "\n" + paint("RULE FAILURES (their pathways were decided fail-closed)", "1;31") + "\n"
            for e in errors { out += "  \(e["rule"]?.stringValue ?? ""): \(e["message"]?.stringValue ?? "")\n" }
        }
        return out
    }

    /// A JSON value written inline for text output.
    private func scalar(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): return s
        case .array(let items): return "[" + items.map(scalar).joined(separator: ", ") + "]"
        default: return value.serialized(pretty: false)
        }
    }
}
