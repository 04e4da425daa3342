import LuaKit

/// What the loaded rules declare about themselves: the ruleset's metadata and vocabulary, its
/// rules and scores. Everything here comes from Rules/; Swift adds no word of its own.
public struct Catalog: Sendable {
    /// A rule or a score, where it is declared and what it claims.
    public struct Rule: Sendable {
        public var id: String
        public var pathways: [String]
        public var implements: [String]
        public var source: String?
        public var summary: String?
        public var file: String
        public var line: Int
        public var perLesion: Bool
    }

    public var name: String
    public var version: String
    /// The pathway ids, in ruleset order.
    public var pathways: [String]
    /// The alert ids the ruleset declares.
    public var alerts: [String]
    /// The short names a reason may cite.
    public var sources: [String]
    public var rules: [Rule]
    public var scores: [Rule]
    /// The ruleset's precedence (P19), strongest first: `status` or `status:strength`.
    public var precedence: [String]
    /// The numbered criteria the rules must claim, as ranges (`K1-K74`).
    public var criteria: [String]

    /// The statuses the precedence ranks.
    public var statuses: [String] { unique(precedence.map { String($0.split(separator: ":", maxSplits: 1)[0]) }) }

    /// The strengths the precedence ranks (`absolute`, `relative`).
    public var strengths: [String] {
        unique(precedence.compactMap { key in key.split(separator: ":", maxSplits: 1).dropFirst().first.map(String.init) })
    }

    private func unique(_ list: [String]) -> [String] {
        var seen = Set<String>()
        return list.filter { seen.insert($0).inserted }
    }

    /// From the runtime's description of the loaded rules.
    init(described: LuaValue) {
        let meta = described["ruleset"]
        func strings(_ v: LuaValue) -> [String] { (v.tableValue?.array ?? []).compactMap(\.stringValue) }
        func entries(_ v: LuaValue) -> [Rule] {
            (v.tableValue?.array ?? []).map { r in
                Rule(
                    id: r["id"].stringValue ?? "?", pathways: strings(r["pathways"]), implements: strings(r["implements"]),
                    source: r["source"].stringValue, summary: r["summary"].stringValue,
                    file: r["file"].stringValue ?? "?", line: r["line"].intValue ?? 0,
                    perLesion: r["per_lesion"].boolValue ?? false)
            }
        }
        name = meta["name"].stringValue ?? "unnamed"
        version = meta["version"].stringValue ?? "0"
        pathways = (meta["pathways"].tableValue?.array ?? []).compactMap { $0["id"].stringValue }
        alerts = (meta["alerts"].tableValue?.array ?? []).compactMap { $0["id"].stringValue }
        sources = meta["sources"].tableValue?.sortedKeys ?? []
        rules = entries(described["rules"])
        scores = entries(described["scores"])
        precedence = strings(meta["precedence"])
        criteria = strings(meta["criteria"])
    }
}
