import Hummingbird
import SacralEngine

/// `/healthz` (the process answers), `/readyz` (rules loaded, log reachable; the last failed
/// reload, if any) and `/metrics` (Prometheus). These carry no patient data and need no token, so
/// that load balancers and scrapers can reach them; keep them on the internal network.
struct OpsRoutes {
    let state: ServiceState

    func add(to router: Router<BasicRequestContext>) {
        router.get("/healthz") { _, _ in
            Response.json(.object([("status", .string("ok"))]))
        }
        router.get("/readyz") { _, _ in
            let status = state.rules.status
            var ready = true
            var fields: [(String, JSONValue)] = []
            do {
                _ = try await state.log.db.raw("SELECT 1 AS one").all()
                fields.append(("log", .string("ok")))
            } catch {
                ready = false
                fields.append(("log", .string("unreachable")))
            }
            fields.insert(("status", .string(ready ? "ready" : "not_ready")), at: 0)
            fields.append(("ruleset", .object([("sha256", .string(status.sha256)), ("origin", .string(status.origin))])))
            fields.append(("engines", .int(Int64(state.rules.pool.workers))))
            // A failed reload leaves the previous rules serving: the service stays ready, and says why.
            fields.append(("reload_error", status.reloadError.map(JSONValue.string) ?? .null))
            return Response.json(.object(fields), status: ready ? .ok : .serviceUnavailable, ruleset: status.sha256)
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: state.metrics.text())))
        }
    }
}
