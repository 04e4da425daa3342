import Prometheus

/// What `/metrics` reports, in Prometheus' text format: requests and their latency by route,
/// decisions by pathway and status, rule failures, how long requests waited for an engine, and the
/// hook calls answered without a card because the patient is out of the mapping's scope.
public final class ServerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let poolWait: DurationHistogram
    private let ruleFailures: Counter
    private let queueFull: Counter
    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
    ]

    static func name(_ name: String, unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "sacral", metricName: name, unitName: unit, helpText: help)
    }

    static var requests: MetricNameDescriptor {
        name("http_requests", unit: "total", "HTTP requests answered, by route, method and status.")
    }
    static var latency: MetricNameDescriptor { name("http_request_duration", unit: "seconds", "Time to answer, by route.") }
    static var decisions: MetricNameDescriptor { name("decisions", unit: "total", "Decisions made, by pathway and status.") }
    static var reloads: MetricNameDescriptor { name("rules_reloads", unit: "total", "Rule reloads, by outcome.") }
    static var outOfScope: MetricNameDescriptor {
        name("cds_out_of_scope", unit: "total", "Hook calls answered with no card: no sacral metastasis on record (Rules/fhir.lua scope).")
    }

    public init() {
        poolWait = registry.makeDurationHistogram(
            descriptor: Self.name("pool_wait", unit: "seconds", "Time a request waited for a free engine."), buckets: Self.latencyBuckets)
        ruleFailures = registry.makeCounter(descriptor: Self.name("rule_failures", unit: "total", "Rules that failed while deciding."))
        queueFull = registry.makeCounter(
            descriptor: Self.name("pool_rejected", unit: "total", "Requests answered 503 because every engine was busy and the queue full.")
        )
    }

    func request(route: String, method: String, status: Int, duration: Duration) {
        registry.makeCounter(descriptor: Self.requests, labels: [("route", route), ("method", method), ("status", String(status))])
            .increment()
        registry.makeDurationHistogram(descriptor: Self.latency, labels: [("route", route)], buckets: Self.latencyBuckets).record(duration)
    }

    func decision(statuses: [(pathway: String, status: String)], failures: Int) {
        for (pathway, status) in statuses {
            registry.makeCounter(descriptor: Self.decisions, labels: [("pathway", pathway), ("status", status)]).increment()
        }
        if failures > 0 { ruleFailures.increment(by: Int64(failures)) }
    }

    func waited(_ duration: Duration) { poolWait.record(duration) }
    func rejected() { queueFull.increment() }
    func outOfScope(service: String) { registry.makeCounter(descriptor: Self.outOfScope, labels: [("service", service)]).increment() }

    func reload(outcome: String) {
        registry.makeCounter(descriptor: Self.reloads, labels: [("outcome", outcome)]).increment()
    }

    public func text() -> String { registry.emitToString() }
}
