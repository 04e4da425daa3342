import Foundation
import SacralEngine

/// The outcome of evaluating one case on a pool engine: everything the response, the metrics and
/// the decision log need, in Sendable form.
public struct CaseEvaluation: Sendable {
    /// The decision document.
    public var document: JSONValue
    /// The document exactly as `sacral evaluate --format json` prints it.
    public var text: String
    public var failures: [String]
    public var rulesetSHA256: String
    /// The case as evaluated, as compact JSON (what the log keeps and replay reads back).
    public var caseJSON: String

    /// Pathway statuses, for metrics and cards.
    public var statuses: [(pathway: String, status: String)] {
        (document["pathways"]?.objectValue ?? []).compactMap { entry in
            entry.1["status"]?.stringValue.map { (entry.0, $0) }
        }
    }
}

/// A case in the request could not be used: unreadable (400) or failing the field dictionary (422).
public enum CaseRejection: Error, Sendable {
    case unreadable(String)
    case invalid([ValidationIssue])

    var apiError: APIError {
        switch self {
        case .unreadable(let message): return .badRequest(message)
        case .invalid(let issues):
            return APIError(.unprocessableContent, code: "invalid", "the case does not match the field dictionary", issues: issues)
        }
    }
}

/// Decodes, validates and evaluates case data with one engine. Runs on a pool worker thread.
public enum CaseEvaluator {
    /// The label the engine sees as the case's file: fixed, so that replay reproduces the bytes.
    public static let requestLabel = "request"

    public static func evaluate(_ value: CaseValue, engine: Engine) -> Result<CaseEvaluation, CaseRejection> {
        let validated: ValidatedCase
        do {
            validated = try engine.validator.validate(value, file: requestLabel)
        } catch {
            return .failure(.invalid(error.issues))
        }
        let decision = engine.evaluate(validated)
        let document = decision.document
        return .success(CaseEvaluation(
            document: document, text: document.serialized() + "\n", failures: decision.failures.map(\.description),
            rulesetSHA256: engine.ruleSet.sha256, caseJSON: CaseJSON.encode(value).serialized(pretty: false)))
    }

    public static func decode(_ bytes: Data, format: CaseDecoder.Format) -> Result<CaseValue, CaseRejection> {
        do {
            return .success(try CaseDecoder().decode(bytes, format: format, file: requestLabel))
        } catch {
            return .failure(.unreadable(error.message))
        }
    }
}

/// Case data as JSON, keys in their original order.
public enum CaseJSON {
    public static func encode(_ value: CaseValue) -> JSONValue {
        switch value {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(Int64(i))
        case .double(let d): return .double(d)
        case .string(let s): return .string(s)
        case .list(let items): return .array(items.map(encode))
        case .object(let pairs): return .object(pairs.map { ($0.key, encode($0.value)) })
        }
    }
}
