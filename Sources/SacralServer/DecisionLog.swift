@preconcurrency import AsyncKit
import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresKit
import SQLKit
import SQLiteKit

/// One evaluation the service made, as recorded (and as `sacral log export` writes it).
public struct LoggedDecision: Codable, Sendable {
    /// Server-made UUID of the record.
    public var id: String
    /// The request's id: the CDS Hooks `hookInstance`, or the REST request id.
    public var requestID: String
    /// UTC, ISO 8601 with milliseconds.
    public var receivedAt: String
    /// `rest` or the CDS Hooks hook (`patient-view`, `order-select`, `order-sign`).
    public var origin: String
    /// The CDS service id, when the call came through CDS Hooks.
    public var service: String?
    public var rulesetSHA256: String
    public var engineVersion: String
    /// Which replica evaluated it (host name and port).
    public var replica: String
    /// Keyed hash (HMAC-SHA256) of the patient identifier, never the identifier itself.
    public var patientHash: String?
    /// `case` or `fhir` (then `case_json` also holds the evaluation date, FHIR warnings and provenance).
    public var caseKind: String
    /// The case exactly as evaluated, as JSON (FHIR-mapped cases carry their provenance inside).
    public var caseJSON: String
    /// The decision document, byte for byte as answered (compact JSON).
    public var decisionJSON: String
    /// Rules that failed while deciding.
    public var ruleFailures: Int

    enum CodingKeys: String, CodingKey {
        case id
        case requestID = "request_id"
        case receivedAt = "received_at"
        case origin, service
        case rulesetSHA256 = "ruleset_sha256"
        case engineVersion = "engine_version"
        case replica
        case patientHash = "patient_hash"
        case caseKind = "case_kind"
        case caseJSON = "case_json"
        case decisionJSON = "decision_json"
        case ruleFailures = "rule_failures"
    }
}

/// A card the service returned, so that feedback can be tied to the decision behind it.
struct LoggedCard: Codable, Sendable {
    var cardUUID: String
    var decisionID: String
    var service: String

    enum CodingKeys: String, CodingKey {
        case cardUUID = "card_uuid"
        case decisionID = "decision_id"
        case service
    }
}

/// Feedback on one card (CDS Hooks `POST {service}/feedback`): accepted or overridden, and why.
public struct LoggedFeedback: Codable, Sendable {
    /// SHA-256 of what makes the feedback unique: posting the same feedback again changes nothing.
    public var id: String
    public var decisionID: String?
    public var service: String
    public var cardUUID: String
    public var outcome: String
    public var outcomeTimestamp: String
    public var acceptedSuggestionsJSON: String?
    public var overrideReasonJSON: String?
    public var receivedAt: String

    enum CodingKeys: String, CodingKey {
        case id
        case decisionID = "decision_id"
        case service
        case cardUUID = "card_uuid"
        case outcome
        case outcomeTimestamp = "outcome_timestamp"
        case acceptedSuggestionsJSON = "accepted_suggestions_json"
        case overrideReasonJSON = "override_reason_json"
        case receivedAt = "received_at"
    }
}

/// The decision log: embedded SQLite by default, PostgreSQL when several replicas share one log.
///
/// Both go through SQLKit, so the schema and every query are written once and run on either
/// (sqlite-kit and postgres-kit are SQLKit's drivers); only opening the connection differs.
public final class DecisionLog: Sendable {
    public enum Kind: Sendable {
        case sqlite(String)
        case postgres(String)
    }

    public let kind: Kind
    public let db: any SQLDatabase
    /// Every write goes through it (group commit; see DecisionLogWriter).
    let writer: DecisionLogWriter
    private let closer: @Sendable () async throws -> Void

    private init(kind: Kind, db: any SQLDatabase, closer: @escaping @Sendable () async throws -> Void) {
        self.kind = kind
        self.db = db
        self.writer = DecisionLogWriter(db: db)
        self.closer = closer
    }

    /// Parses `sqlite:PATH` (relative to `directory`) or `postgres://…`.
    public static func kind(of url: String, directory: String) throws -> Kind {
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") { return .postgres(url) }
        if url.hasPrefix("sqlite:") {
            var path = String(url.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
            if path.isEmpty { throw ServerConfigError("database: sqlite: needs a file path") }
            return .sqlite(path.hasPrefix("/") ? path : URL(fileURLWithPath: directory).appendingPathComponent(path).path)
        }
        throw ServerConfigError("database: expected sqlite:PATH or postgres://…, got a URL of another kind")
    }

    /// Opens the log and creates its tables when they are missing.
    public static func open(_ kind: Kind, logger: Logger) async throws -> DecisionLog {
        let log: DecisionLog
        switch kind {
        case .sqlite(let path):
            let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            let db = connection.sql()
            // WAL: readers (export, replay) never block the server's writes.
            _ = try await db.raw("PRAGMA journal_mode=WAL").all()
            try await db.raw("PRAGMA busy_timeout=5000").run()
            log = DecisionLog(kind: kind, db: db) { try await connection.close() }
        case .postgres(let url):
            let configuration = try SQLPostgresConfiguration(url: url)
            let pool = EventLoopGroupConnectionPool(
                source: PostgresConnectionSource(sqlConfiguration: configuration), maxConnectionsPerEventLoop: 4,
                pruneInterval: nil, logger: logger, on: MultiThreadedEventLoopGroup.singleton)
            let box = PoolBox(pool: pool)
            log = DecisionLog(kind: kind, db: pool.database(logger: logger).sql()) { try await box.pool.shutdownAsync() }
        }
        do {
            try await log.createSchema()
        } catch {
            // Two replicas starting at once on one PostgreSQL may race on CREATE TABLE IF NOT EXISTS.
            try await Task.sleep(for: .milliseconds(200))
            try await log.createSchema()
        }
        return log
    }

    public func close() async {
        try? await closer()
    }

    func createSchema() async throws {
        try await db.create(table: "decisions").ifNotExists()
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("request_id", type: .text, .notNull)
            .column("received_at", type: .text, .notNull)
            .column("origin", type: .text, .notNull)
            .column("service", type: .text)
            .column("ruleset_sha256", type: .text, .notNull)
            .column("engine_version", type: .text, .notNull)
            .column("replica", type: .text, .notNull)
            .column("patient_hash", type: .text)
            .column("case_kind", type: .text, .notNull)
            .column("case_json", type: .text, .notNull)
            .column("decision_json", type: .text, .notNull)
            .column("rule_failures", type: .bigint, .notNull)
            .run()
        try await db.create(table: "cards").ifNotExists()
            .column("card_uuid", type: .text, .primaryKey(autoIncrement: false))
            .column("decision_id", type: .text, .notNull)
            .column("service", type: .text, .notNull)
            .run()
        try await db.create(table: "feedback").ifNotExists()
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("decision_id", type: .text)
            .column("service", type: .text, .notNull)
            .column("card_uuid", type: .text, .notNull)
            .column("outcome", type: .text, .notNull)
            .column("outcome_timestamp", type: .text, .notNull)
            .column("accepted_suggestions_json", type: .text)
            .column("override_reason_json", type: .text)
            .column("received_at", type: .text, .notNull)
            .run()
        try await db.raw("CREATE INDEX IF NOT EXISTS decisions_received_at ON decisions (received_at)").run()
        try await db.raw("CREATE INDEX IF NOT EXISTS decisions_patient_hash ON decisions (patient_hash)").run()
    }

    /// Stores a decision and the cards that show it, together; returns once they are durable.
    public func record(_ decision: LoggedDecision, cards: [String] = []) async throws {
        let rows = decision.service.map { service in cards.map { LoggedCard(cardUUID: $0, decisionID: decision.id, service: service) } }
        _ = try await writer.submit(.decision(decision, cards: rows ?? []))
    }

    /// The decision behind a card this service returned, if it did.
    func decisionID(card: String, service: String) async throws -> String? {
        try await db.select().column("decision_id").from("cards")
            .where("card_uuid", .equal, card).where("service", .equal, service)
            .first(decodingColumn: "decision_id", as: String.self)
    }

    /// Stores feedback once; true when it was new.
    @discardableResult
    public func record(_ feedback: LoggedFeedback) async throws -> Bool {
        try await writer.submit(.feedback(feedback))
    }

    /// Every decision, oldest first (ties by id, so the order is stable across replicas).
    public func decisions(limit: Int? = nil) async throws -> [LoggedDecision] {
        var query = db.select().columns("*").from("decisions").orderBy("received_at").orderBy("id")
        if let limit { query = query.limit(limit) }
        return try await query.all(decoding: LoggedDecision.self)
    }

    /// The latest decisions, newest first: what the `/cases` page lists.
    public func recent(limit: Int, ruleset: String? = nil) async throws -> [LoggedDecision] {
        var query = db.select().columns("*").from("decisions")
        if let ruleset { query = query.where("ruleset_sha256", .equal, ruleset) }
        return try await query.orderBy("received_at", .descending).orderBy("id", .descending)
            .limit(limit).all(decoding: LoggedDecision.self)
    }

    /// One decision by its id, if it is in the log.
    public func decision(id: String) async throws -> LoggedDecision? {
        try await db.select().columns("*").from("decisions").where("id", .equal, id).first(decoding: LoggedDecision.self)
    }

    public func feedback() async throws -> [LoggedFeedback] {
        try await db.select().columns("*").from("feedback").orderBy("received_at").orderBy("id").all(decoding: LoggedFeedback.self)
    }
}

/// The connection pool is thread-safe (it locks internally) but not marked Sendable.
private struct PoolBox: @unchecked Sendable {
    let pool: EventLoopGroupConnectionPool<PostgresConnectionSource>
}
