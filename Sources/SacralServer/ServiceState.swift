import Foundation
import Hummingbird
import Logging
import SacralEngine

/// Everything the routes share: configuration, the rules, the verifier, the log and the metrics.
public final class ServiceState: Sendable {
    public let config: ServerConfig
    public let rules: RulesHolder
    /// Nil only in `--insecure-local` mode.
    public let verifier: TokenVerifier?
    public let log: DecisionLog
    public let hasher: PatientHasher
    public let metrics: ServerMetrics
    public let logger: Logger
    /// This process, in the log's `replica` column.
    public let replica: String

    init(
        config: ServerConfig, rules: RulesHolder, verifier: TokenVerifier?, log: DecisionLog, hasher: PatientHasher,
        metrics: ServerMetrics, logger: Logger, replica: String
    ) {
        self.config = config
        self.rules = rules
        self.verifier = verifier
        self.log = log
        self.hasher = hasher
        self.metrics = metrics
        self.logger = logger
        self.replica = replica
    }

    public var insecure: Bool { verifier == nil }

    /// Checks the caller's token for the endpoint at `path` (its `aud` is the public base URL plus
    /// that path). In insecure mode every call passes, with a warning.
    func authorize(_ request: Request, context: some RequestContext, admin: Bool = false) async throws(APIError) -> Caller {
        guard let verifier else {
            context.logger.warning("INSECURE: --insecure-local accepts this call without verifying a token; never expose this port")
            return Caller(issuer: "insecure-local", subject: nil, tenant: nil, admin: true)
        }
        let caller = try await verifier.verify(
            authorization: request.headers[.authorization],
            audience: config.publicBaseURL + request.uri.path)
        if admin && !caller.admin { throw .forbidden("this issuer may not use admin endpoints") }
        return caller
    }

    /// When the engine wait and evaluation of a request must be over.
    var deadline: ContinuousClock.Instant { .now + .milliseconds(config.limits.requestTimeoutMilliseconds) }

    /// Reads a request body, refusing more than the configured limit (413).
    func body(_ request: Request) async throws(APIError) -> ByteBuffer {
        let limit = config.limits.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError(.contentTooLarge, code: "too-long", "the request body is larger than \(limit) bytes")
        }
        do {
            return try await request.body.collect(upTo: limit)
        } catch let error as HTTPResponseError where error.status == .contentTooLarge {
            throw APIError(.contentTooLarge, code: "too-long", "the request body is larger than \(limit) bytes")
        } catch {
            throw APIError(.badRequest, code: "invalid", "the request body could not be read")
        }
    }

    static let timestamp: Date.ISO8601FormatStyle = .iso8601.year().month().day().time(includingFractionalSeconds: true)
        .timeZone(separator: .omitted)

    static func now() -> String { Date().formatted(Self.timestamp) }
}
