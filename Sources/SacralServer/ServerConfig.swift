import Foundation
import Yams

/// What `sacral serve` reads from `--config FILE` (JSON or YAML): who may call, where the service
/// lives, where the decision log is, and the limits. Unknown keys are refused, so that a misspelt
/// security setting never silently falls back to a default.
public struct ServerConfig: Sendable, Decodable {
    /// A token issuer the service trusts, and where its public keys come from.
    public struct Issuer: Sendable, Decodable {
        /// The exact `iss` value.
        public var iss: String
        /// A JWKS file (relative paths are resolved against the config file's folder).
        public var jwksFile: String?
        /// `jku` URLs this issuer may point at; a token's `jku` must be one of them, exactly.
        public var jkuAllow: [String]
        /// Whether this issuer's callers may use the admin endpoints (`POST /v1/admin/reload`).
        public var admin: Bool

        enum CodingKeys: String, CodingKey, CaseIterable {
            case iss
            case jwksFile = "jwks_file"
            case jkuAllow = "jku_allow"
            case admin
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            try ServerConfig.refuseUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
            iss = try c.decode(String.self, forKey: .iss)
            jwksFile = try c.decodeIfPresent(String.self, forKey: .jwksFile)
            jkuAllow = try c.decodeIfPresent([String].self, forKey: .jkuAllow) ?? []
            admin = try c.decodeIfPresent(Bool.self, forKey: .admin) ?? false
        }
    }

    /// Bounds on requests, tokens and the engine pool.
    public struct Limits: Sendable, Decodable {
        /// Largest request body accepted (413 above it).
        public var maxBodyBytes = 1 << 20
        /// Time a request may wait for an engine and evaluate before it is answered 503.
        public var requestTimeoutMilliseconds = 5_000
        /// Engines (one per worker thread); 0 means one per core.
        public var workers = 0
        /// Requests that may wait for an engine; one more is answered 503 with Retry-After.
        public var queueDepth = 256
        /// Clock skew allowed on `exp` and `iat`, in seconds (at most 60).
        public var clockSkewSeconds = 60
        /// Longest token lifetime (`exp - iat`) accepted, in seconds.
        public var maxTokenLifetimeSeconds = 300
        /// Time allowed for one FHIR or JWKS fetch, in milliseconds.
        public var fetchTimeoutMilliseconds = 3_000

        enum CodingKeys: String, CodingKey, CaseIterable {
            case maxBodyBytes = "max_body_bytes"
            case requestTimeoutMilliseconds = "request_timeout_ms"
            case workers
            case queueDepth = "queue_depth"
            case clockSkewSeconds = "clock_skew_s"
            case maxTokenLifetimeSeconds = "max_token_lifetime_s"
            case fetchTimeoutMilliseconds = "fetch_timeout_ms"
        }

        public init() {}

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            try ServerConfig.refuseUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
            let d = Limits()
            maxBodyBytes = try c.decodeIfPresent(Int.self, forKey: .maxBodyBytes) ?? d.maxBodyBytes
            requestTimeoutMilliseconds =
                try c.decodeIfPresent(Int.self, forKey: .requestTimeoutMilliseconds) ?? d.requestTimeoutMilliseconds
            workers = try c.decodeIfPresent(Int.self, forKey: .workers) ?? d.workers
            queueDepth = try c.decodeIfPresent(Int.self, forKey: .queueDepth) ?? d.queueDepth
            clockSkewSeconds = try c.decodeIfPresent(Int.self, forKey: .clockSkewSeconds) ?? d.clockSkewSeconds
            maxTokenLifetimeSeconds = try c.decodeIfPresent(Int.self, forKey: .maxTokenLifetimeSeconds) ?? d.maxTokenLifetimeSeconds
            fetchTimeoutMilliseconds = try c.decodeIfPresent(Int.self, forKey: .fetchTimeoutMilliseconds) ?? d.fetchTimeoutMilliseconds
        }
    }

    /// The URL clients call, without a trailing slash: every token's `aud` is computed from it.
    public var publicBaseURL: String
    public var issuers: [Issuer]
    /// Browser origins allowed by CORS (exact `scheme://host[:port]`).
    public var corsOrigins: [String]
    /// `sqlite:PATH` (relative to the config file) or `postgres://user@host:port/db`.
    public var database: String
    /// The secret for the keyed hash of patient identifiers: a file holding it (relative to the config).
    public var patientHashKeyFile: String?
    /// FHIR servers (`scheme://host[:port]`) the service may fetch missing prefetch data from.
    public var fhirServers: [String]
    /// Link on every card to the case's report page; `{hookInstance}` is replaced.
    public var reportURL: String?
    public var limits: Limits

    /// The folder of the config file, against which relative paths are resolved.
    public var directory: String = "."

    enum CodingKeys: String, CodingKey, CaseIterable {
        case publicBaseURL = "public_base_url"
        case issuers
        case corsOrigins = "cors_origins"
        case database
        case patientHashKeyFile = "patient_hash_key_file"
        case fhirServers = "fhir_servers"
        case reportURL = "report_url"
        case limits
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try ServerConfig.refuseUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        publicBaseURL = try c.decode(String.self, forKey: .publicBaseURL)
        while publicBaseURL.hasSuffix("/") { publicBaseURL.removeLast() }
        issuers = try c.decodeIfPresent([Issuer].self, forKey: .issuers) ?? []
        corsOrigins = try c.decodeIfPresent([String].self, forKey: .corsOrigins) ?? []
        database = try c.decodeIfPresent(String.self, forKey: .database) ?? "sqlite:sacral-decisions.sqlite"
        patientHashKeyFile = try c.decodeIfPresent(String.self, forKey: .patientHashKeyFile)
        fhirServers = try c.decodeIfPresent([String].self, forKey: .fhirServers) ?? []
        reportURL = try c.decodeIfPresent(String.self, forKey: .reportURL)
        limits = try c.decodeIfPresent(Limits.self, forKey: .limits) ?? Limits()
    }

    /// A config for `--insecure-local` without a file: loopback only, no issuers.
    public static func insecureLocal(host: String, port: Int) -> ServerConfig {
        ServerConfig(publicBaseURL: "http://\(host):\(port)")
    }

    init(publicBaseURL: String) {
        self.publicBaseURL = publicBaseURL
        issuers = []
        corsOrigins = []
        database = "sqlite:sacral-decisions.sqlite"
        fhirServers = []
        limits = Limits()
    }

    /// Reads a config file (`.json`, else YAML) and checks it.
    public static func load(path: String) throws(ServerConfigError) -> ServerConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ServerConfigError("\(path): cannot be read")
        }
        var config: ServerConfig
        do {
            if path.hasSuffix(".json") {
                config = try JSONDecoder().decode(ServerConfig.self, from: data)
            } else {
                config = try YAMLDecoder().decode(ServerConfig.self, from: data)
            }
        } catch let error as ServerConfigError {
            throw ServerConfigError("\(path): \(error.message)")
        } catch let DecodingError.keyNotFound(key, context) {
            throw ServerConfigError("\(path): \(Self.path(context.codingPath + [key])): required")
        } catch let DecodingError.typeMismatch(_, context) {
            throw ServerConfigError("\(path): \(Self.path(context.codingPath)): \(context.debugDescription)")
        } catch let DecodingError.valueNotFound(_, context) {
            throw ServerConfigError("\(path): \(Self.path(context.codingPath)): required")
        } catch {
            throw ServerConfigError("\(path): \(error)")
        }
        config.directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try config.check(file: path)
        return config
    }

    /// A path in the config relative to its folder, or as given when absolute.
    public func resolve(_ relative: String) -> String {
        relative.hasPrefix("/") ? relative : URL(fileURLWithPath: directory).appendingPathComponent(relative).path
    }

    func check(file: String) throws(ServerConfigError) {
        guard let url = URL(string: publicBaseURL), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil,
            url.query == nil
        else {
            throw ServerConfigError("\(file): public_base_url: expected an http(s) URL without a query, got \"\(publicBaseURL)\"")
        }
        var seen = Set<String>()
        for (i, issuer) in issuers.enumerated() {
            if !seen.insert(issuer.iss).inserted {
                throw ServerConfigError("\(file): issuers[\(i)].iss: \"\(issuer.iss)\" is listed twice")
            }
            if issuer.jwksFile == nil && issuer.jkuAllow.isEmpty {
                throw ServerConfigError("\(file): issuers[\(i)]: give jwks_file or jku_allow, or the issuer can never be verified")
            }
        }
        if limits.clockSkewSeconds < 0 || limits.clockSkewSeconds > 60 {
            throw ServerConfigError("\(file): limits.clock_skew_s: expected 0 to 60 seconds, got \(limits.clockSkewSeconds)")
        }
        if limits.maxTokenLifetimeSeconds < 1 || limits.maxTokenLifetimeSeconds > 3600 {
            throw ServerConfigError("\(file): limits.max_token_lifetime_s: expected 1 to 3600 seconds")
        }
        if limits.maxBodyBytes < 1024 { throw ServerConfigError("\(file): limits.max_body_bytes: expected at least 1024") }
        if limits.queueDepth < 0 { throw ServerConfigError("\(file): limits.queue_depth: expected 0 or more") }
        if limits.requestTimeoutMilliseconds < 10 { throw ServerConfigError("\(file): limits.request_timeout_ms: expected at least 10") }
    }

    static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    static func refuseUnknownKeys(_ decoder: any Decoder, known: [String]) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        for key in c.allKeys where !known.contains(key.stringValue) {
            let place = path(decoder.codingPath + [key])
            throw ServerConfigError("\(place): unknown setting (known here: \(known.joined(separator: ", ")))")
        }
    }
}

/// A config file that cannot be used: what is wrong and where.
public struct ServerConfigError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
    public init(_ message: String) { self.message = message }
}
