import Foundation

/// The decision reduced to what a cohort analysis counts: for each pathway its status, strength,
/// deciding rules and missing fields, each lesion's status and approach, the case's alerts, missing
/// fields and failed rules, and the ruleset's SHA-256. `--format summary` prints it as one JSON line
/// per case; `--format csv` as one row per case and pathway (``CohortCSV``).
///
/// It reads the typed ``Decision`` the full document is rendered from (the same members, not a
/// second derivation), so it says nothing the document does not say; `CohortOutputTests` hold it
/// to the document of every corpus case. Reading the model rather than the rendered document saves
/// building and searching the whole document once per case.
public struct CohortSummary: Sendable {
    /// One lesion of a per-lesion pathway.
    public struct Lesion: Sendable, Equatable {
        public var id: String
        public var status: String
        public var strength: String?
        /// Needle approaches (sacroplasty, RFA) or modalities (radiation), preferred first.
        public var approach: [String]
    }

    /// One pathway.
    public struct Pathway: Sendable, Equatable {
        public var id: String
        public var status: String
        public var strength: String?
        /// The rules whose outcome is the pathway's status: those that fired with this status (and
        /// strength), the unknown or failed rules that hold it undetermined, or the default rule.
        public var rules: [String]
        public var missing: [String]
        public var lesions: [Lesion]?
    }

    public var caseID: String
    /// Where the case came from: a file, or `file:line` in JSON Lines.
    public var source: String
    public var rulesetSHA256: String
    public var pathways: [Pathway]
    public var alerts: [String]
    public var missing: [String]
    /// Rules that failed (error, instruction or memory limit) on this case.
    public var errors: [String]

    public init(_ decision: Decision) {
        caseID = decision.caseID
        source = decision.file
        rulesetSHA256 = decision.ruleset.sha256
        pathways = decision.pathways.map(Self.pathway)
        alerts = decision.alerts.map(\.id)
        missing = decision.missing.map(\.field)
        errors = Self.unique(decision.failures.map(\.rule))
    }

    private static func pathway(_ p: Decision.Pathway) -> Pathway {
        let deciding = p.reasons.filter { r in
            if p.status == .undetermined && (r.outcome == .unknown || r.outcome == .error) { return true }
            if r.outcome == .byDefault { return true }
            guard r.outcome == .fired, r.status == p.status else { return false }
            return p.strength == nil || r.strength == nil || r.strength == p.strength
        }
        // The document shows a radiation lesion's modality in place of an approach.
        let lesions = p.lesions.map { list in
            list.map { l in
                Lesion(id: l.id, status: l.status.rawValue, strength: l.strength, approach: l.modality.map { [$0] } ?? l.approach)
            }
        }
        return Pathway(
            id: p.id, status: p.status.rawValue, strength: p.strength, rules: unique(deciding.map(\.rule)),
            missing: p.missing, lesions: lesions)
    }

    private static func unique(_ items: [String]) -> [String] {
        var seen = Set<String>()
        return items.filter { seen.insert($0).inserted }
    }

    /// The summary as one JSON object (keys in a fixed order).
    public var json: JSONValue {
        func strings(_ list: [String]) -> JSONValue { .array(list.map(JSONValue.string)) }
        return .object([
            ("case", .string(caseID)),
            ("source", .string(source)),
            ("ruleset_sha256", .string(rulesetSHA256)),
            (
                "pathways",
                .object(
                    pathways.map { p in
                        var fields: [(String, JSONValue)] = [("status", .string(p.status))]
                        if let s = p.strength { fields.append(("strength", .string(s))) }
                        fields.append(("rules", strings(p.rules)))
                        fields.append(("missing", strings(p.missing)))
                        if let lesions = p.lesions {
                            fields.append(
                                (
                                    "lesions",
                                    .object(
                                        lesions.map { l in
                                            var lf: [(String, JSONValue)] = [("status", .string(l.status))]
                                            if let s = l.strength { lf.append(("strength", .string(s))) }
                                            lf.append(("approach", strings(l.approach)))
                                            return (l.id, .object(lf))
                                        })
                                ))
                        }
                        return (p.id, .object(fields))
                    })
            ),
            ("alerts", strings(alerts)),
            ("missing", strings(missing)),
            ("errors", strings(errors)),
        ])
    }

    /// One JSON line.
    public var line: String { json.serialized(pretty: false) }
}

/// Cohort rows for spreadsheets, R and pandas: RFC 4180 CSV, one row per case and pathway, lists
/// joined by `;`, lesions as `id=status` (`status/strength` for a contraindication's strength).
/// Case-level columns (alerts, ruleset) repeat on every row so that any row stands alone.
public enum CohortCSV {
    public static let columns = [
        "case", "source", "pathway", "status", "strength", "lesions", "approach",
        "rules", "missing", "alerts", "errors", "ruleset_sha256",
    ]

    /// The header line.
    public static var header: String { row(columns) }

    /// The rows of one decision.
    public static func rows(_ s: CohortSummary) -> String {
        var out = ""
        for p in s.pathways {
            let lesions = (p.lesions ?? []).map { l in "\(l.id)=\(l.status)" + (l.strength.map { "/\($0)" } ?? "") }
            let approach = (p.lesions ?? []).filter { !$0.approach.isEmpty }.map { "\($0.id)=\($0.approach.joined(separator: "|"))" }
            out += row([
                s.caseID, s.source, p.id, p.status, p.strength ?? "", lesions.joined(separator: ";"),
                approach.joined(separator: ";"), p.rules.joined(separator: ";"), p.missing.joined(separator: ";"),
                s.alerts.joined(separator: ";"), s.errors.joined(separator: ";"), s.rulesetSHA256,
            ])
        }
        return out
    }

    /// The row that stands for an input that could not be evaluated: status `bad_input`, the
    /// problems in `errors`.
    public static func badInput(source: String, issues: [ValidationIssue]) -> String {
        var fields = Array(repeating: "", count: columns.count)
        fields[1] = source
        fields[3] = "bad_input"
        fields[10] = issues.map(\.description).joined(separator: "; ")
        return row(fields)
    }

    static func row(_ fields: [String]) -> String {
        fields.map(quote).joined(separator: ",") + "\r\n"
    }

    /// A field quoted only when it must be (RFC 4180: comma, quote, CR or LF inside).
    static func quote(_ field: String) -> String {
        guard field.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
