import Foundation
import LuaKit

/// The tumour-board page (Sources/SacralEngine/Page/, embedded in the binary) and the data it is
/// drawn from: the field dictionary, the decision, the what-if and the case, all as JSON.
///
/// `sacral report` inlines everything into one self-contained HTML file (nothing fetched); a server
/// can serve the same template with the assets linked and the data fetched from its API.
public enum PageReport {
    /// The page's files by name relative to Page/ ("page.html", "js/form.js", …).
    public static var assets: [String: String] {
        var out: [String: String] = [:]
        for entry in EmbeddedFiles.all {
            guard let range = entry.path.range(of: "Sources/SacralEngine/Page/") else { continue }
            out[String(entry.path[range.upperBound...])] = entry.text
        }
        return out
    }

    /// The scripts in the order the page loads them (dependencies first).
    public static let scripts = [
        "vendor/js-yaml.min.js", "js/util.js", "js/dictionary.js", "js/form.js",
        "js/sacrum.js", "js/decision.js", "js/freeze.js", "js/adapter.js", "js/page.js",
    ]
    public static let styles = ["css/page.css", "css/print.css"]

    /// What the page needs to know about the rules: name, version, SHA-256, pathways (with their
    /// titles), alerts, and every field of the dictionary with its label, help, unit, range and values.
    public static func dictionary(_ engine: Engine) -> JSONValue {
        let catalog = engine.evaluationCatalog
        let pathways = catalog.pathways.map { id in
            JSONValue.object([
                ("id", .string(id)), ("title", catalog.pathwayTitles[id].map(JSONValue.string) ?? .null),
                ("per_lesion", .bool(catalog.perLesionPathways.contains(id))),
            ])
        }
        let alerts = catalog.alertDeclarations.map { a in
            JSONValue.object([("id", .string(a.id)), ("level", .string(a.level)), ("text", .string(a.text))])
        }
        let fields = catalog.fieldDeclarations
        return .object([
            (
                "ruleset",
                .object([
                    ("name", .string(catalog.name)), ("version", .string(catalog.version)),
                    ("sha256", .string(engine.ruleSet.sha256)),
                    ("pathways", .array(pathways)), ("alerts", .array(alerts)),
                    ("sources", catalog.citations),
                ])
            ),
            ("fields", .array(fields)),
        ])
    }

    /// The page as `sacral serve` gives it: the same template, scripts and styles inline, but no
    /// dictionary: the page fetches it and every decision from the server it came from (live mode).
    /// A logged case opens with its case and decision given.
    public static func live(decision: JSONValue? = nil, caseData: JSONValue? = nil, source: String? = nil) -> String {
        render(mode: "live", dictionary: nil, decision: decision, caseData: caseData, source: source)
    }

    /// One self-contained HTML page: inline CSS, scripts and data.
    public static func render(dictionary: JSONValue, decision: JSONValue?, caseData: JSONValue?, source: String?) -> String {
        render(mode: "report", dictionary: dictionary, decision: decision, caseData: caseData, source: source)
    }

    static func render(mode: String, dictionary: JSONValue?, decision: JSONValue?, caseData: JSONValue?, source: String?) -> String {
        let assets = self.assets
        let style = styles.map { assets[$0] ?? "" }.joined(separator: "\n")
        let script = scripts.map { name in "<script>/* \(name) */\n" + scriptSafe(assets[name] ?? "") + "\n</script>" }
            .joined(separator: "\n")
        var data: [(String, JSONValue)] = [("mode", .string(mode))]
        if let dictionary { data.append(("dictionary", dictionary)) }
        if let decision { data.append(("decision", decision)) }
        if let caseData { data.append(("case", caseData)) }
        if let source { data.append(("source", .string(source))) }
        let title = decision?["case"]?.stringValue ?? "case"
        return (assets["page.html"] ?? "")
            .replacingOccurrences(of: "{{title}}", with: htmlEscape(title))
            .replacingOccurrences(of: "{{style}}", with: "<style>\n" + style + "\n</style>")
            .replacingOccurrences(
                of: "{{data}}",
                with: "<script type=\"application/json\" id=\"sacral-data\">" + scriptSafe(JSONValue.object(data).serialized(pretty: false))
                    + "</script>"
            )
            .replacingOccurrences(of: "{{scripts}}", with: script)
    }

    /// The whole report for a case file: decision, what-if (bounded) and the case as written.
    public static func report(engine: Engine, file: String, whatIfLimit: Int = WhatIfExplorer.defaultLimit) throws(CaseLoadError) -> (
        html: String, decision: Decision
    ) {
        let value: CaseValue
        do { value = try CaseDecoder().read(path: file) } catch { throw .unreadable(error) }
        let validated: ValidatedCase
        do { validated = try engine.validator.validate(value, file: file) } catch { throw .invalid(error) }
        let decision = engine.evaluate(validated)
        let whatIf = WhatIfExplorer(engine: engine, limit: whatIfLimit).explore(value, file: file, decision: decision)
        let document = decision.document.appending("what_if", whatIf.json)
        let html = render(
            dictionary: dictionary(engine), decision: document, caseData: value,
            source: URL(fileURLWithPath: file).lastPathComponent)
        return (html, decision)
    }

    /// Text that can sit inside a <script> element: no "</" can close it early.
    static func scriptSafe(_ text: String) -> String {
        text.replacingOccurrences(of: "</", with: "<\\/").replacingOccurrences(of: "<!--", with: "<\\!--")
    }

    /// Text safe inside HTML elements and attribute values.
    public static func htmlEscape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
