import HTTPTypes
import Hummingbird
import SacralEngine

/// An error answered to the client as a FHIR `OperationOutcome` (the body CDS Hooks clients expect),
/// with the HTTP status and any headers (`WWW-Authenticate`, `Retry-After`) it needs.
public struct APIError: Error, Sendable {
    public var status: HTTPResponse.Status
    /// FHIR issue type: `login`, `forbidden`, `invalid`, `too-long`, `throttled`, `timeout`, `not-found`, `exception`…
    public var code: String
    public var message: String
    /// Field paths and messages, for a case that failed validation.
    public var issues: [ValidationIssue]
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, code: String, _ message: String, issues: [ValidationIssue] = [], headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.issues = issues
        self.headers = headers
    }

    /// 401: the caller could not be authenticated.
    public static func unauthorized(_ message: String) -> APIError {
        APIError(
            .unauthorized, code: "login", message,
            headers: [
                .wwwAuthenticate:
                    "Bearer error=\"invalid_token\", error_description=\"\(message.replacingOccurrences(of: "\"", with: "'"))\""
            ])
    }

    /// 403: the caller is known, or names a place, that the service does not accept.
    public static func forbidden(_ message: String) -> APIError {
        APIError(.forbidden, code: "forbidden", message)
    }

    public static func badRequest(_ message: String, issues: [ValidationIssue] = []) -> APIError {
        APIError(.badRequest, code: "invalid", message, issues: issues)
    }

    public var outcome: JSONValue {
        let severity: JSONValue = .string(status.code >= 500 ? "fatal" : "error")
        var list: [JSONValue] = [.object([("severity", severity), ("code", .string(code)), ("diagnostics", .string(message))])]
        for issue in issues {
            var entry: [(String, JSONValue)] = [
                ("severity", .string("error")), ("code", .string("invalid")), ("diagnostics", .string(issue.message)),
            ]
            if !issue.path.isEmpty { entry.append(("expression", .array([.string(issue.path)]))) }
            list.append(.object(entry))
        }
        return .object([("resourceType", .string("OperationOutcome")), ("issue", .array(list))])
    }

    public var response: Response {
        var headers = self.headers
        headers[.contentType] = "application/fhir+json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: outcome.serialized(pretty: false))))
    }
}

extension Response {
    /// A JSON document, with the ruleset that decided it named in `X-Sacral-Ruleset` when given.
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, ruleset: String? = nil, pretty: Bool = false) -> Response {
        json(text: value.serialized(pretty: pretty), status: status, ruleset: ruleset)
    }

    static func json(
        text: String, status: HTTPResponse.Status = .ok, ruleset: String? = nil,
        contentType: String = "application/json"
    ) -> Response {
        var headers: HTTPFields = [.contentType: contentType]
        if let ruleset { headers[.sacralRuleset] = ruleset }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

extension HTTPField.Name {
    /// The SHA-256 of the ruleset that decided a response.
    static let sacralRuleset = HTTPField.Name("X-Sacral-Ruleset")!
    static let requestID = HTTPField.Name("X-Request-Id")!
    /// The id of the decision-log entry that holds a decision.
    static let sacralDecision = HTTPField.Name("X-Sacral-Decision")!
}
