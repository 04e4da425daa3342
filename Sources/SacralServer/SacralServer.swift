import Foundation
import Hummingbird
import Logging
import SacralEngine
import ServiceLifecycle
import UnixSignals

/// `sacral serve`: builds the service from its options and runs it until SIGTERM or SIGINT,
/// reloading the rules on SIGHUP.
public struct SacralServer {
    public struct Options: Sendable {
        public var host: String
        public var port: Int
        public var rules: RulesHolder.Source
        public var limits: EngineLimits
        public var config: ServerConfig
        public var insecureLocal: Bool
        /// Overrides the config's database URL (`--database`).
        public var database: String?

        public init(
            host: String, port: Int, rules: RulesHolder.Source, limits: EngineLimits, config: ServerConfig,
            insecureLocal: Bool, database: String?
        ) {
            self.host = host
            self.port = port
            self.rules = rules
            self.limits = limits
            self.config = config
            self.insecureLocal = insecureLocal
            self.database = database
        }
    }

    public let options: Options

    public init(options: Options) {
        self.options = options
    }

    /// Bootstraps swift-log with the JSON handler (once per process).
    public static func bootstrapLogging() {
        LoggingSystem.bootstrap { label in
            var handler = JSONLogHandler(label: label)
            if let level = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) {
                handler.logLevel = level
            }
            return handler
        }
    }

    public func run() async throws {
        let logger = Logger(label: "sacral.serve")
        let config = options.config
        if options.insecureLocal {
            logger.warning("INSECURE: --insecure-local: tokens are not checked; every call is accepted. For a laptop only.")
        }
        let metrics = ServerMetrics()
        let insecure = options.insecureLocal
        let rules = try await RulesHolder(
            source: options.rules, limits: options.limits, workers: config.limits.workers,
            queueDepth: config.limits.queueDepth, onWait: { metrics.waited($0) })
        let verifier = options.insecureLocal ? nil : try await TokenVerifier(config: config)
        let logKind = try DecisionLog.kind(of: options.database ?? config.database, directory: config.directory)
        let log = try await DecisionLog.open(logKind, logger: Logger(label: "sacral.log"))
        let hasher = try PatientHasher.load(config: config, log: logKind)
        let state = ServiceState(
            config: config, rules: rules, verifier: verifier, log: log, hasher: hasher, metrics: metrics,
            logger: logger, replica: "\(ProcessInfo.processInfo.hostName):\(options.port)")

        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: AllowListCORSMiddleware(origins: Set(config.corsOrigins)))
        router.add(middleware: OutcomeAndAccessLogMiddleware(metrics: metrics, methods: Self.methods))
        let decisions = DecisionService(state: state)
        OpsRoutes(state: state).add(to: router)
        RESTRoutes(state: state, evaluator: decisions).add(to: router)
        CDSRoutes(state: state, decisions: decisions).add(to: router)
        BoardRoutes(state: state).add(to: router)

        let app = Application(
            router: router,
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "sacral"),
            onServerRunning: { channel in
                logger.notice(
                    "sacral serve listening",
                    metadata: [
                        "address": "\(channel.localAddress?.description ?? "?")", "ruleset.sha256": "\(rules.status.sha256)",
                        "engines": "\(rules.pool.workers)", "insecure": "\(insecure)",
                    ])
            },
            logger: Logger(label: "sacral.http"))
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: app), .init(service: ReloadOnHangUp(state: state))],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            logger.error("server stopped", metadata: ["error": "\(error)"])
        }
        // The server has stopped taking requests: let queued evaluations finish, then close the log.
        await rules.close()
        await log.close()
        logger.notice("sacral serve stopped")
    }
}

extension SacralServer {
    /// Every route and its methods (OPTIONS, for CORS preflights, on all).
    @Sendable static func methods(_ path: String) -> [String] {
        switch path {
        case "/healthz", "/readyz", "/metrics", "/v1/rules", "/v1/dictionary", "/v1/fhir/questionnaire", "/cds-services", "/board",
            "/cases":
            return ["GET", "OPTIONS"]
        case "/v1/evaluate", "/v1/fhir/case", "/v1/admin/reload": return ["POST", "OPTIONS"]
        default:
            let parts = path.split(separator: "/", omittingEmptySubsequences: false)
            if parts.count == 3 && parts[1] == "cases" && !parts[2].isEmpty { return ["GET", "OPTIONS"] }
            if parts.count >= 3 && parts.count <= 4 && parts[1] == "cds-services" && CDSServices.ids.contains(String(parts[2])) {
                if parts.count == 3 || parts[3] == "feedback" { return ["POST", "OPTIONS"] }
            }
            return []
        }
    }
}

/// Reloads the rules whenever the process receives SIGHUP.
struct ReloadOnHangUp: Service {
    let state: ServiceState

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            let outcome = await state.rules.reload(logger: state.logger)
            switch outcome {
            case .replaced: state.metrics.reload(outcome: "replaced")
            case .unchanged: state.metrics.reload(outcome: "unchanged")
            case .failed: state.metrics.reload(outcome: "failed")
            case .busy: break
            }
        }
    }
}
