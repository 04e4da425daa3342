import Foundation
import Hummingbird
import SacralEngine

/// The tumour-board page served live: `GET /board` (a new case), `GET /cases` (the decision log,
/// newest first) and `GET /cases/{id}` (a logged case, opened in the page).
///
/// A page in a browser carries no EHR token, and the log holds patients' cases, so these routes
/// exist only under `--insecure-local` (which listens on loopback only); with tokens they answer 404
/// saying so. The page's own calls (`/v1/dictionary`, `/v1/evaluate`) follow the API's token rules.
struct BoardRoutes {
    let state: ServiceState
    /// How many decisions `/cases` lists at most.
    static let listLimit = 200

    func add(to router: Router<BasicRequestContext>) {
        router.get("/board") { request, context in
            try await authorize(request, context: context)
            return Self.html(PageReport.live())
        }
        router.get("/cases") { request, context in
            try await authorize(request, context: context)
            let ruleset = request.uri.queryParameters.get("ruleset")
            let decisions: [LoggedDecision]
            do {
                decisions = try await state.log.recent(limit: Self.listLimit, ruleset: ruleset)
            } catch {
                throw APIError(
                    .serviceUnavailable, code: "transient", "the decision log could not be read; retry", headers: [.retryAfter: "1"])
            }
            return Self.html(Self.list(decisions, ruleset: ruleset))
        }
        router.get("/cases/:id") { request, context in
            try await authorize(request, context: context)
            let id = context.parameters.get("id") ?? ""
            let logged: LoggedDecision?
            do {
                logged = try await state.log.decision(id: id)
            } catch {
                throw APIError(
                    .serviceUnavailable, code: "transient", "the decision log could not be read; retry", headers: [.retryAfter: "1"])
            }
            guard let logged else { throw APIError(.notFound, code: "not-found", "no decision \(id) in the log") }
            let opened = Self.opened(logged)
            return Self.html(
                PageReport.live(decision: opened.decision, caseData: opened.caseData, source: "Logged decision of \(logged.receivedAt)"))
        }
    }

    /// Board routes: loopback-only insecure mode; 404 (not 401) otherwise, since no browser login exists.
    func authorize(_ request: Request, context: BasicRequestContext) async throws(APIError) {
        guard state.insecure else {
            throw APIError(
                .notFound, code: "not-supported",
                "the board pages are served only by `sacral serve --insecure-local` (loopback); a browser carries no token")
        }
        _ = try await state.authorize(request, context: context)
    }

    /// The case (for a FHIR-read case, the case inside the record) and the decision of a log entry.
    static func opened(_ logged: LoggedDecision) -> (caseData: JSONValue?, decision: JSONValue?) {
        let caseValue = try? CaseDecoder().decode(Data(logged.caseJSON.utf8), format: .json, file: "log")
        let decision = try? CaseDecoder().decode(Data(logged.decisionJSON.utf8), format: .json, file: "log")
        let caseData = logged.caseKind == "fhir" ? caseValue?["case"] : caseValue
        return (caseData, decision)
    }

    /// The `/cases` page: one row per decision with its pathways' statuses in words.
    static func list(_ decisions: [LoggedDecision], ruleset: String?) -> String {
        let assets = PageReport.assets
        let rows = decisions.map { logged -> String in
            let decision = opened(logged).decision
            let caseName = decision?["case"]?.stringValue ?? "(unnamed case)"
            let statuses = (decision?["pathways"]?.objectValue ?? []).map { entry in
                "\(entry.key): \(entry.value["status"]?.stringValue ?? "?")"
            }
            let name = decision?["ruleset"]?["name"]?.stringValue ?? ""
            let version = decision?["ruleset"]?["version"]?.stringValue ?? ""
            let e = PageReport.htmlEscape
            return "        <tr><td>\(e(logged.receivedAt))</td>"
                + "<td><a href=\"/cases/\(e(logged.id))\">\(e(caseName))</a></td>"
                + "<td>\(e(statuses.joined(separator: "; ")))</td><td>\(e(logged.origin))</td>"
                + "<td><a href=\"/cases?ruleset=\(e(logged.rulesetSHA256))\" title=\"\(e(logged.rulesetSHA256))\">"
                + "\(e(name)) \(e(version)) (\(e(String(logged.rulesetSHA256.prefix(12)))))</a></td></tr>"
        }
        let style = PageReport.styles.map { assets[$0] ?? "" }.joined(separator: "\n")
        let filter =
            ruleset.map {
                "<p class=\"form-status\">Only the ruleset \(PageReport.htmlEscape($0)). <a href=\"/cases\">Every ruleset</a></p>"
            } ?? ""
        return (assets["cases.html"] ?? "")
            .replacingOccurrences(of: "{{style}}", with: "<style>\n" + style + "\n</style>")
            .replacingOccurrences(of: "{{count}}", with: String(decisions.count))
            .replacingOccurrences(of: "{{filter}}", with: filter)
            .replacingOccurrences(of: "{{rows}}", with: rows.joined(separator: "\n"))
            .replacingOccurrences(of: "{{empty}}", with: decisions.isEmpty ? "<p class=\"empty\">No decision yet.</p>" : "")
    }

    static func html(_ text: String) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: "text/html; charset=utf-8",
                .contentSecurityPolicy:
                    "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data: blob:",
            ],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
