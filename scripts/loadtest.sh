#!/usr/bin/env bash
# Load benchmark of `sacral serve` with wrk (Debian's package): POST /v1/evaluate and the
# patient-view CDS hook, 64 connections for 30 s each; prints throughput, p50, p99, errors and the
# server's CPU time per request.
#   scripts/loadtest.sh [SECONDS] [CONNECTIONS]
# The server runs a release build as deployed: every request carries its own ES384 token (a
# fresh jti, the endpoint's URL as aud), minted before each run by scripts/loadtest-tokens.py and
# verified by the server against the issuer's JWKS file. SACRAL_LOADTEST_INSECURE=1 runs the
# server with --insecure-local and no tokens instead (the cost of verification is the difference).
# SACRAL_LOADTEST_FSYNC_DELAY_US=5000 makes every fsync of the server 5 ms slower (strace fault
# injection): the decision log on slow storage, where its group commit is what keeps throughput.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
seconds="${1:-30}"
connections="${2:-64}"
scripts/bootstrap.sh wrk
swift build -c release --product sacral 2>&1 | { grep -vE '^\[[0-9]+/[0-9]+\]' || true; }
bin="$root/.build/release/sacral"

insecure="${SACRAL_LOADTEST_INSECURE:-0}"
py="$(scripts/pyenv.sh)/bin/python"
work="$(mktemp -d)"
port=$((20000 + RANDOM % 20000))
base="http://127.0.0.1:$port"
"$py" scripts/loadtest-tokens.py jwks "$work/ehr.jwks.json" "$work/ehr.key.pem"
cat > "$work/config.yaml" <<CONFIG
public_base_url: $base
database: sqlite:decisions.sqlite
issuers:
  - { iss: "https://loadtest-ehr.test", jwks_file: ehr.jwks.json }
limits: { queue_depth: 1024 }
CONFIG
mode=()
[ "$insecure" = 1 ] && mode=(--insecure-local)
delay="${SACRAL_LOADTEST_FSYNC_DELAY_US:-0}"
wrapper=()
if [ "$delay" != 0 ]; then
    scripts/bootstrap.sh strace
    wrapper=(strace -f --seccomp-bpf -o /dev/null -e trace=fsync,fdatasync
        -e "inject=fsync:delay_exit=$delay" -e "inject=fdatasync:delay_exit=$delay")
    echo "storage: every fsync ${delay} us slower (strace fault injection)"
fi
echo "server: release build, $( [ "$insecure" = 1 ] && echo "--insecure-local, no tokens" || echo "every request with its own ES384 token, verified" )"
"${wrapper[@]}" "$bin" serve "${mode[@]}" --config "$work/config.yaml" --port "$port" --rules Rules 2>"$work/server.log" &
server=$!
# Under strace the server is strace's child: stop it by its port, then strace ends with it.
trap 'pkill -f -- "--port $port" 2>/dev/null; kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done

cat > "$work/post.lua" <<'LUA'
-- One token per request: thread k of n takes every n-th line of the token file, from line k.
local threads = 0
function setup(thread)
    thread:set("tid", threads)
    threads = threads + 1
    thread:set("nthreads", tonumber(os.getenv("SACRAL_THREADS")))
end
local tokens, next_token = {}, 0
function init()
    local path = os.getenv("SACRAL_TOKENS")
    if path ~= nil and path ~= "" then
        local n = 0
        for line in io.lines(path) do
            if n % nthreads == tid then tokens[#tokens + 1] = line end
            n = n + 1
        end
    end
    local f = assert(io.open(os.getenv("SACRAL_BODY"), "rb"))
    wrk.body = f:read("*a")
    f:close()
end
local headers = { ["Content-Type"] = os.getenv("SACRAL_CONTENT_TYPE") }
function request()
    if #tokens > 0 then
        next_token = next_token + 1
        -- Past the last token a request goes without one and counts as an error (401).
        headers["Authorization"] = tokens[next_token] and ("Bearer " .. tokens[next_token]) or nil
    end
    return wrk.format("POST", nil, headers, wrk.body)
end
done = function(summary, latency, requests)
    local e = summary.errors
    io.write(string.format("RESULT requests=%d seconds=%.1f rps=%.0f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f errors=%d (connect %d, read %d, write %d, timeout %d, non-2xx %d)\n",
        summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
        latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
        e.connect + e.read + e.write + e.timeout + e.status, e.connect, e.read, e.write, e.timeout, e.status))
end
LUA

# The server's CPU time so far in clock ticks (utime + stime of all its threads). Under strace the
# server is strace's child: it is found by its port and its name.
cpu_ticks() {
    local pid
    for pid in $(pgrep -f -- "--port $port"); do
        if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sacral ]; then
            awk '{ print $14 + $15 }' "/proc/$pid/stat"
            return
        fi
    done
    echo 0
}
run() {
    local name="$1" path="$2" body="$3" type="$4" tokens=""
    echo "== $name: POST $path, $connections connections, ${seconds}s"
    if [ "$insecure" != 1 ]; then
        # More tokens than the server can answer in the time (2,000 a second), minted just before.
        tokens="$work/tokens.txt"
        "$py" scripts/loadtest-tokens.py tokens "$work/ehr.key.pem" "$base$path" $(( seconds * 2000 )) "$tokens"
    fi
    local before result
    before=$(cpu_ticks)
    result=$(SACRAL_BODY="$body" SACRAL_CONTENT_TYPE="$type" SACRAL_TOKENS="$tokens" SACRAL_THREADS=2 \
        wrk -t2 -c"$connections" -d"${seconds}s" --timeout 10s \
        -s "$work/post.lua" "$base$path" | grep -E '^RESULT|Requests/sec')
    echo "$result"
    # Closed-loop clients: the mean latency is connections / throughput however fast the service
    # is (Little's law); above one request per engine, the rest of it is the wait for an engine.
    echo "$result" | sed -nE 's/^RESULT .* rps=([0-9]+) .*/\1/p' | awk -v c="$connections" \
        '{ if ($1 > 0) printf "queueing: %d connections / %d per second = %.0f ms mean latency (Little'"'"'s law)\n", c, $1, c / $1 * 1000 }'
    # CPU per request: what a replica costs, the figure to size a deployment by; it moves less than
    # throughput when wrk and other work share the cores (a shared host's speed still drifts).
    local requests ticks
    requests=$(echo "$result" | sed -nE 's/^RESULT requests=([0-9]+).*/\1/p')
    ticks=$(( $(cpu_ticks) - before ))
    awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" -v n="$requests" \
        'BEGIN { if (n > 0) printf "server CPU: %.2f ms per request (user + system, all threads)\n", t / hz * 1000 / n }'
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
