import Foundation

/// One difference a rule change makes to one case.
public struct ImpactChange: Sendable {
    public var file: String
    public var caseID: String
    /// A pathway id, or "alerts" / "case" for case-level changes.
    public var area: String
    /// What changed: "status", "approach S1", "reasons", "alerts", "plan", "input".
    public var aspect: String
    public var old: String
    public var new: String
}

/// The clinical impact of a rule change across a case corpus: evaluates every case under both
/// rule sets and lists what changed in status, strength, approach, alerts, plan and reasons.
public struct ImpactDiff {
    public var old: Engine
    public var new: Engine

    public init(old: Engine, new: Engine) {
        self.old = old
        self.new = new
    }

    public func run(files: [String]) -> (changes: [ImpactChange], cases: Int) {
        (files.flatMap(changes), files.count)
    }

    /// Runs `files` on `workers` threads, each with its own pair of engines built from the rule
    /// sets of these; the changes come back in file order, whatever the number of workers.
    public func run(files: [String], workers: Int) throws(RuleSetError) -> (changes: [ImpactChange], cases: Int) {
        let pool = try WorkerPool(first: self, count: min(workers, max(1, files.count / 20))) { () throws(RuleSetError) in
            ImpactDiff(
                old: try Engine(ruleSet: old.ruleSet, limits: old.limits),
                new: try Engine(ruleSet: new.ruleSet, limits: new.limits))
        }
        return (pool.map(files.count) { diff, i in diff.changes(file: files[i]) }.flatMap { $0 }, files.count)
    }

    /// What the change does to one case file.
    public func changes(file: String) -> [ImpactChange] {
        let a = Result { () throws(CaseLoadError) in try old.load(path: file) }
        let b = Result { () throws(CaseLoadError) in try new.load(path: file) }
        switch (a, b) {
        case (.success(let ca), .success(let cb)):
            return compare(file: file, id: ca.id, old.evaluate(ca), new.evaluate(cb))
        case (.failure, .failure):
            return []  // bad under both: not a change the rules made
        case (.success(let ca), .failure(let e)):
            return [
                ImpactChange(
                    file: file, caseID: ca.id, area: "case", aspect: "input",
                    old: "valid", new: e.issues.map(\.description).joined(separator: "; "))
            ]
        case (.failure(let e), .success(let cb)):
            return [
                ImpactChange(
                    file: file, caseID: cb.id, area: "case", aspect: "input",
                    old: e.issues.map(\.description).joined(separator: "; "), new: "valid")
            ]
        }
    }

    private func compare(file: String, id: String, _ a: Decision, _ b: Decision) -> [ImpactChange] {
        var out: [ImpactChange] = []
        func add(_ area: String, _ aspect: String, _ x: String, _ y: String) {
            if x != y { out.append(ImpactChange(file: file, caseID: id, area: area, aspect: aspect, old: x, new: y)) }
        }
        let pathways = a.pathwayIDs + b.pathwayIDs.filter { !a.pathwayIDs.contains($0) }
        for p in pathways {
            let pa = a.pathway(p)
            let pb = b.pathway(p)
            add(p, "status", Self.status(pa?.status, pa?.strength), Self.status(pb?.status, pb?.strength))
            let lesions = (pa?.lesions ?? []).map(\.id) + (pb?.lesions ?? []).map(\.id)
            var seen = Set<String>()
            for l in lesions where seen.insert(l).inserted {
                let la = pa?.lesion(l)
                let lb = pb?.lesion(l)
                add(p, "lesion \(l)", Self.status(la?.status, la?.strength), Self.status(lb?.status, lb?.strength))
                add(p, "approach \(l)", Self.list(la?.approach), Self.list(lb?.approach))
                add(p, "modality \(l)", la?.modality ?? "-", lb?.modality ?? "-")
            }
            let detail = { (x: Decision.Pathway?) in x.map { JSONValue.object($0.detail).serialized(pretty: false) } ?? "" }
            add(p, "detail", detail(pa), detail(pb))
            add(p, "reasons", Self.reasons(pa), Self.reasons(pb))
        }
        add("alerts", "alerts", Self.list(a.alerts.map(\.id)), Self.list(b.alerts.map(\.id)))
        let plan = { (d: Decision) in
            // Steps joined by ", ": the arrow separates old from new. A step names its lesions (P20).
            d.plan.map { "\($0.pathway)(\($0.timing ?? "-"))" + ($0.lesions.map { Self.list($0) } ?? "") }
                .joined(separator: ", ")
        }
        add("plan", "plan", plan(a), plan(b))
        let scores = a.scores.map(\.id) + b.scores.map(\.id).filter { id in !a.scores.contains { $0.id == id } }
        for id in scores { add("scores", id, Self.score(a.score(id)), Self.score(b.score(id))) }
        return out
    }

    /// A score as a value: its total, or its interval and missing items (P21), or why it has none.
    private static func score(_ s: Decision.Score?) -> String {
        guard let s else { return "(absent)" }
        switch s.outcome {
        case .computed:
            if let total = s.total { return total.inlineText }
            let items = s["missing_items"]?.arrayValue.map { " (missing " + $0.map(\.inlineText).joined(separator: ", ") + ")" } ?? ""
            return "\(s["min"]?.inlineText ?? "?")–\(s["max"]?.inlineText ?? "?")" + items
        case .missing(let fields): return "not computable (missing \(fields.joined(separator: ", ")))"
        case .failed(let error): return "failed: \(error ?? "")"
        }
    }

    private static func status(_ status: PathwayStatus?, _ strength: String?) -> String {
        guard let status else { return "(absent)" }
        if let strength { return "\(status) (\(strength))" }
        return status.rawValue
    }

    private static func list(_ items: [String]?) -> String {
        "[" + (items ?? []).joined(separator: ", ") + "]"
    }

    /// The rules that spoke, with what they said: a change of wording does not count, a change of
    /// rule, status or outcome does.
    private static func reasons(_ pathway: Decision.Pathway?) -> String {
        (pathway?.reasons ?? []).map { r in
            var s = r.rule
            if let l = r.lesion { s += "@\(l)" }
            if let st = r.status { s += ":\(st)" }
            if r.outcome != .fired { s += "(\(r.outcome.rawValue))" }
            return s
        }.sorted().joined(separator: ", ")
    }

    /// Changes grouped by pathway (then alerts, plan, case), for people.
    public static func text(_ changes: [ImpactChange], cases: Int) -> String {
        var out = ""
        var order: [String] = []
        for c in changes where !order.contains(c.area) { order.append(c.area) }
        for area in order {
            out += "\(area)\n"
            for c in changes where c.area == area {
                out += "  \(c.file) (\(c.caseID)): \(c.aspect): \(c.old) → \(c.new)\n"
            }
        }
        out += summary(changes, cases: cases) + "\n"
        return out
    }

    public static func summary(_ changes: [ImpactChange], cases: Int) -> String {
        // One pass: a cohort's diff has tens of thousands of changes (a pass per change, as
        // before, took longer than evaluating the cases twice).
        var changedCases = Set<String>()
        var areas: [String] = []  // in order of first change
        var casesByArea: [String: Set<String>] = [:]
        for c in changes {
            changedCases.insert(c.file)
            if casesByArea[c.area] == nil { areas.append(c.area) }
            casesByArea[c.area, default: []].insert(c.file)
        }
        let detail = areas.map { "\($0) \(casesByArea[$0]!.count)" }.joined(separator: ", ")
        return "\(changedCases.count) of \(cases) cases changed" + (detail.isEmpty ? "" : " (\(detail))")
    }

    public static func json(_ changes: [ImpactChange], cases: Int, old: Engine, new: Engine) -> JSONValue {
        .object([
            ("old", .object([("origin", .string(old.ruleSet.origin)), ("sha256", .string(old.ruleSet.sha256))])),
            ("new", .object([("origin", .string(new.ruleSet.origin)), ("sha256", .string(new.ruleSet.sha256))])),
            (
                "summary",
                .object([
                    ("cases", .int(Int64(cases))), ("changed_cases", .int(Int64(Set(changes.map(\.file)).count))),
                    ("changes", .int(Int64(changes.count))),
                ])
            ),
            (
                "changes",
                .array(
                    changes.map { c in
                        .object([
                            ("file", .string(c.file)), ("case", .string(c.caseID)), ("area", .string(c.area)),
                            ("aspect", .string(c.aspect)), ("old", .string(c.old)), ("new", .string(c.new)),
                        ])
                    })
            ),
        ])
    }
}
