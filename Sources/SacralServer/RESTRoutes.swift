import Foundation
import Hummingbird
import SacralEngine

/// The REST API (docs/openapi.yaml): `POST /v1/evaluate`, `GET /v1/rules`, `POST /v1/admin/reload`.
struct RESTRoutes {
    let state: ServiceState
    let evaluator: DecisionService

    func add(to router: Router<BasicRequestContext>) {
        router.post("/v1/evaluate") { request, context in
            _ = try await state.authorize(request, context: context)
            let body = try await state.body(request)
            let format = try Self.format(of: request, body: body)
            let requestID = try Self.requestID(request) ?? UUID().uuidString.lowercased()
            let outcome = try await evaluator.evaluate(
                bytes: Data(body.readableBytesView), format: format, origin: "rest", service: nil,
                requestID: requestID, patientID: nil, context: context)
            return Response.json(text: outcome.evaluation.text, ruleset: outcome.evaluation.rulesetSHA256)
        }
        router.get("/v1/rules") { request, context in
            _ = try await state.authorize(request, context: context)
            let pool = state.rules.pool
            let catalogue = RuleCatalogue(catalog: pool.catalog, ruleSet: pool.ruleSet)
            return Response.json(catalogue.json(), ruleset: pool.ruleSet.sha256, pretty: true)
        }
        router.post("/v1/admin/reload") { request, context in
            _ = try await state.authorize(request, context: context, admin: true)
            let outcome = await state.rules.reload(logger: context.logger)
            let status = state.rules.status
            var fields: [(String, JSONValue)] = []
            var code: HTTPResponse.Status = .ok
            switch outcome {
            case .replaced(let old, let new):
                state.metrics.reload(outcome: "replaced")
                fields = [("outcome", .string("replaced")), ("previous", .string(old)), ("sha256", .string(new))]
            case .unchanged(let sha):
                state.metrics.reload(outcome: "unchanged")
                fields = [("outcome", .string("unchanged")), ("sha256", .string(sha))]
            case .failed(let message):
                state.metrics.reload(outcome: "failed")
                code = .unprocessableContent
                fields = [("outcome", .string("failed")), ("error", .string(message)), ("sha256", .string(status.sha256))]
            case .busy:
                code = .conflict
                fields = [("outcome", .string("busy")), ("sha256", .string(status.sha256))]
            }
            return Response.json(.object(fields), status: code, ruleset: status.sha256)
        }
    }

    /// JSON or YAML, from Content-Type; without one, JSON when the body starts like JSON.
    static func format(of request: Request, body: ByteBuffer) throws(APIError) -> CaseDecoder.Format {
        let type = (request.headers[.contentType] ?? "").split(separator: ";").first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        } ?? ""
        switch type {
        case "application/json", "application/fhir+json": return .json
        case "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml": return .yaml
        case "":
            let first = body.readableBytesView.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
            return first == UInt8(ascii: "{") ? .json : .yaml
        default:
            throw APIError(.unsupportedMediaType, code: "not-supported", "send the case as application/json or application/yaml")
        }
    }

    /// The caller's `X-Request-Id`; it is stored in the log, so only a plain token of up to 128
    /// characters is accepted (400 otherwise).
    static func requestID(_ request: Request) throws(APIError) -> String? {
        guard let value = request.headers[.requestID] else { return nil }
        guard (1...128).contains(value.count),
              value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:".contains($0)) }) else {
            throw .badRequest("X-Request-Id: expected 1 to 128 letters, digits or - _ . :")
        }
        return value
    }
}
