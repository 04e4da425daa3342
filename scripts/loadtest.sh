#!/usr/bin/env bash
# Load benchmark of `sacral serve` with wrk (Debian's package): POST /v1/evaluate and the
# patient-view CDS hook, 64 connections for 30 s each; prints throughput, p50, p99 and errors.
#   scripts/loadtest.sh [SECONDS] [CONNECTIONS]
# The server runs a release build with --insecure-local (wrk cannot sign a fresh single-use token
# per request); token verification is measured apart by the Python suite's timings.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
seconds="${1:-30}"
connections="${2:-64}"
scripts/bootstrap.sh wrk
swift build -c release --product sacral 2>&1 | { grep -vE '^\[[0-9]+/[0-9]+\]' || true; }
bin="$root/.build/release/sacral"

work="$(mktemp -d)"
port=$((20000 + RANDOM % 20000))
cat > "$work/config.yaml" <<CONFIG
public_base_url: http://127.0.0.1:$port
database: sqlite:decisions.sqlite
limits: { queue_depth: 1024 }
CONFIG
"$bin" serve --insecure-local --config "$work/config.yaml" --port "$port" --rules Rules 2>"$work/server.log" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done

cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = os.getenv("SACRAL_CONTENT_TYPE")
local f = assert(io.open(os.getenv("SACRAL_BODY"), "rb"))
wrk.body = f:read("*a")
f:close()
done = function(summary, latency, requests)
    local e = summary.errors
    io.write(string.format("RESULT requests=%d seconds=%.1f rps=%.0f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f errors=%d (connect %d, read %d, write %d, timeout %d, non-2xx %d)\n",
        summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
        latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
        e.connect + e.read + e.write + e.timeout + e.status, e.connect, e.read, e.write, e.timeout, e.status))
end
LUA

run() {
    local name="$1" path="$2" body="$3" type="$4"
    echo "== $name: POST $path, $connections connections, ${seconds}s"
    SACRAL_BODY="$body" SACRAL_CONTENT_TYPE="$type" wrk -t2 -c"$connections" -d"${seconds}s" --timeout 10s \
        -s "$work/post.lua" "http://127.0.0.1:$port$path" | grep -E '^RESULT|Requests/sec'
}

run "REST evaluate" /v1/evaluate examples/serve/request.json application/json
if [ -f examples/serve/patient-view.json ]; then
    run "CDS Hooks patient-view" /cds-services/sacral-pathways examples/serve/patient-view.json application/json
fi
decisions=$("$bin" log export --database "sqlite:$work/decisions.sqlite" | wc -l)
echo "decisions logged: $decisions"
echo "CLI, one case, process start to exit (for comparison):"
start=$(date +%s%N); "$bin" evaluate --rules Rules examples/serve/request.json >/dev/null; end=$(date +%s%N)
echo "  $(( (end - start) / 1000000 )) ms"
