import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Turns every error into an `OperationOutcome` response, and logs one structured line per request
/// (method, route, status, duration, request id: never a token, a body or a patient identifier),
/// and counts it in the metrics.
struct OutcomeAndAccessLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics
    /// The methods a path answers to, for 405 (with `Allow`) instead of 404 on a known path.
    let methods: @Sendable (String) -> [String]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as APIError {
            response = error.response
        } catch let error as HTTPError where error.status == .notFound && !methods(request.uri.path).isEmpty {
            let allowed = methods(request.uri.path)
            response =
                APIError(
                    .methodNotAllowed, code: "not-supported", "\(request.method.rawValue) is not supported here",
                    headers: [.allow: allowed.joined(separator: ", ")]
                ).response
        } catch let error as HTTPError {
            let code = error.status == .notFound ? "not-found" : error.status == .contentTooLarge ? "too-long" : "invalid"
            var mapped = APIError(error.status, code: code, error.body ?? error.status.reasonPhrase)
            mapped.headers = error.headers
            response = mapped.response
        } catch let error as HTTPResponseError where error.status.code < 500 {
            response =
                APIError(error.status, code: error.status == .contentTooLarge ? "too-long" : "invalid", error.status.reasonPhrase).response
        } catch {
            context.logger.error("request failed", metadata: ["error.type": "\(type(of: error))"])
            response = APIError(.internalServerError, code: "exception", "the service failed to answer; the failure is logged").response
        }
        let duration = ContinuousClock.now - start
        response.headers[.requestID] = context.id
        let route = context.endpointPath ?? "unmatched"
        metrics.request(route: route, method: request.method.rawValue, status: response.status.code, duration: duration)
        let ms = Double(duration.components.attoseconds) / 1e15 + Double(duration.components.seconds) * 1000
        context.logger.info(
            "request",
            metadata: [
                "http.method": "\(request.method.rawValue)", "http.route": "\(route)", "http.status": "\(response.status.code)",
                "duration_ms": "\(String(format: "%.2f", ms))",
            ])
        return response
    }
}

/// CORS for the browser-based EHRs on the allow-list: preflights are answered on every route, and
/// the allowed origin (never `*`) is echoed; other origins get no CORS headers at all.
struct AllowListCORSMiddleware<Context: RequestContext>: RouterMiddleware {
    let origins: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin] else { return try await next(request, context) }
        let allowed = origins.contains(origin)
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var response = Response(status: allowed ? .noContent : .forbidden)
            if allowed {
                response.headers[.accessControlAllowOrigin] = origin
                response.headers[.accessControlAllowMethods] = "GET, POST, OPTIONS"
                response.headers[.accessControlAllowHeaders] = "Authorization, Content-Type"
                response.headers[.accessControlMaxAge] = "600"
            }
            response.headers[.vary] = "Origin"
            return response
        }
        var response = try await next(request, context)
        if allowed {
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.accessControlExposeHeaders] = "X-Sacral-Ruleset, X-Request-Id, Retry-After"
        }
        response.headers[.vary] = "Origin"
        return response
    }
}
