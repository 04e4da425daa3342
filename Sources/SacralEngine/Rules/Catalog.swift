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

    /// An alert the ruleset declares (P18).
    public struct Alert: Sendable {
        public var id: String
        public var level: String
        public var text: String
    }

    public var name: String
    public var version: String
    /// The pathway ids, in ruleset order.
    public var pathways: [String]
    /// Each pathway's title, as the ruleset words it.
    public var pathwayTitles: [String: String]
    /// The pathways decided per lesion (P20).
    public var perLesionPathways: Set<String>
    /// The word between a pathway and its lesions in the plan's short form ("radiation to B"), as
    /// the ruleset words it for that pathway.
    public var prepositions: [String: String]
    /// The ruleset's word for every other plan step ("biopsy of A").
    public var defaultPreposition: String?

    /// The word between a plan step and its lesions, nil when the ruleset words none.
    public func preposition(for pathway: String) -> String? { prepositions[pathway] ?? defaultPreposition }
    /// The alert ids the ruleset declares.
    public var alerts: [String]
    /// The alerts with their level and text, in ruleset order.
    public var alertDeclarations: [Alert]
    /// The numbers of the rules' shared tables, by table and name (`numbers["thresholds"]["inr_max"]`).
    public var numbers: [String: [String: Double]]
    /// The field dictionary as Rules/fields.lua declares it (without file and line), for the page.
    public var fieldDeclarations: [JSONValue]
    /// The short names a reason may cite.
    public var sources: [String]
    /// Each source's full citation as the ruleset declares it, by short name, in name order.
    public var citations: JSONValue
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

    /// From the runtime's description of the loaded rules: the whole, or its "evaluation" part
    /// (metadata and fields; no numbers, rules or scores until ``complete(with:)``).
    init(described: LuaValue) {
        let meta = described["ruleset"]
        let strings = Catalog.strings
        name = meta["name"].stringValue ?? "unnamed"
        version = meta["version"].stringValue ?? "0"
        pathways = (meta["pathways"].tableValue?.array ?? []).compactMap { $0["id"].stringValue }
        pathwayTitles = [:]
        perLesionPathways = []
        prepositions = [:]
        defaultPreposition = meta["preposition"].stringValue
        for p in meta["pathways"].tableValue?.array ?? [] {
            guard let id = p["id"].stringValue else { continue }
            pathwayTitles[id] = p["title"].stringValue
            prepositions[id] = p["preposition"].stringValue
            if p["per_lesion"].boolValue == true { perLesionPathways.insert(id) }
        }
        alerts = (meta["alerts"].tableValue?.array ?? []).compactMap { $0["id"].stringValue }
        alertDeclarations = (meta["alerts"].tableValue?.array ?? []).compactMap { a in
            a["id"].stringValue.map { Alert(id: $0, level: a["level"].stringValue ?? "", text: a["text"].stringValue ?? "") }
        }
        numbers = [:]
        fieldDeclarations = (described["fields"].tableValue?.array ?? []).map { f in
            guard case .object(let pairs) = JSONValue(f) else { return .null }
            return .object(pairs.filter { $0.key != "file" && $0.key != "line" })
        }
        sources = meta["sources"].tableValue?.sortedKeys ?? []
        citations = JSONValue.sortedObject(meta["sources"])
        rules = []
        scores = []
        precedence = strings(meta["precedence"])
        criteria = strings(meta["criteria"])
        complete(with: described)
    }

    /// Adds the "catalogue" part of the runtime's description: the shared tables' numbers, the
    /// rules and the scores.
    mutating func complete(with described: LuaValue) {
        for (table, values) in described["numbers"].tableValue?.fields ?? [:] {
            var named: [String: Double] = [:]
            for (key, value) in values.tableValue?.fields ?? [:] {
                if let number = value.doubleValue { named[key] = number }
            }
            numbers[table] = named
        }
        func entries(_ v: LuaValue) -> [Rule] {
            (v.tableValue?.array ?? []).map { r in
                Rule(
                    id: r["id"].stringValue ?? "?", pathways: Catalog.strings(r["pathways"]),
                    implements: Catalog.strings(r["implements"]), source: r["source"].stringValue,
                    summary: r["summary"].stringValue, file: r["file"].stringValue ?? "?", line: r["line"].intValue ?? 0,
                    perLesion: r["per_lesion"].boolValue ?? false)
            }
        }
        rules += entries(described["rules"])
        scores += entries(described["scores"])
    }

    private static func strings(_ v: LuaValue) -> [String] { (v.tableValue?.array ?? []).compactMap(\.stringValue) }
}
