#!/usr/bin/env bash
# Two builds of sacral compared on a noisy machine: runs alternate between them, each in a fresh
# process under `perf stat`, and the CPU time (task-clock) of each is summarised (median, lower
# quartile, minimum). Alternating is what makes the pair comparable when the machine's speed
# drifts; two separate runs of scripts/bench-stages.sh are not.
#   scripts/bench-ab.sh N BIN_A BIN_B -- ARGS...
#   scripts/bench-ab.sh 50 /tmp/sacral-before .build-core/release/sacral -- evaluate Cases/mika2018/fig2-colon-s1-impending-instability.yaml --format json
set -euo pipefail
if [ $# -lt 4 ] || [ "$4" != "--" ]; then
    echo "usage: scripts/bench-ab.sh N BIN_A BIN_B -- ARGS..." >&2
    exit 2
fi
n="$1" a="$2" b="$3"
shift 4
command -v perf >/dev/null || "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh" linux-perf
for _ in $(seq "$n"); do
    for side in A B; do
        bin="$a"
        [ "$side" = B ] && bin="$b"
        echo "$side $(perf stat -x, -e task-clock "$bin" "$@" 2>&1 >/dev/null | grep task-clock | cut -d, -f1)"
    done
done | awk -v a="$a" -v b="$b" '
    { v[$1, ++n[$1]] = $2 }
    END {
        for (s = 1; s <= 2; s++) {
            side = s == 1 ? "A" : "B"
            m = n[side]
            for (i = 1; i <= m; i++) x[i] = v[side, i]
            for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
            printf "%s %s: median %.2f ms, lower quartile %.2f ms, min %.2f ms CPU (%d runs)\n", side, side == "A" ? a : b, x[int(m / 2) + 1], x[int(m / 4) + 1], x[1], m
        }
    }'
