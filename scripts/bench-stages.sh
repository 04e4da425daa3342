#!/usr/bin/env bash
# Where the time goes (figures, not pass/fail), in wall time and in callgrind instruction counts
# (stable on a noisy machine: compare those before and after a change):
#   1. per stage of a batch (read and decode, validate, evaluate = Lua + crossing + decision,
#      render full JSON / summary), warm engine, N cases varied from the corpus;
#   2. the commands users run: evaluate --jsonl (full JSON and summary, --jobs 1 and 2), sacral
#      test and sacral diff over 1,000 case files, cold single case (median of 30);
#   2b. the engine's start repeated in one process and the cold case, in CPU time;
#   3. a cold evaluation split by phase (CPU time since the process began, sacral-bench cold).
#   scripts/bench-stages.sh [N_CASES] [N_CALLGRIND_CASES]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
n="${1:-10000}"
ncg="${2:-300}"
scripts/bootstrap.sh valgrind
swift build -c release --product sacral >/dev/null
swift build -c release --product sacral-bench >/dev/null
bin="$root/.build/release"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Valgrind 3.19 cannot read the DWARF 5 the Swift toolchain writes: callgrind runs on copies without
# debug information (function names come from the symbol table).
cp "$bin/sacral" "$bin/sacral-bench" "$work/"
strip --strip-debug "$work/sacral" "$work/sacral-bench"
demangle() { swift demangle --simplified 2>/dev/null || cat; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) / 1e6 }'; }
# Inclusive instruction count of the first function whose demangled name contains $2.
ir() { grep -F -m1 -- "$2" "$1" | awk '{ gsub(",", "", $1); print $1 }'; }
per() { awk -v x="${1:-0}" -v n="$2" 'BEGIN { printf "%12.0f", x / n }'; }

echo "machine: $(nproc) cores, $(uname -m), load $(cut -d' ' -f1-3 /proc/loadavg) (wall figures are only as quiet as the machine)"
"$bin/sacral-bench" generate --count "$n" --corpus Cases --seed 5 --jsonl "$work/cases.jsonl"
head -n "$ncg" "$work/cases.jsonl" > "$work/cg.jsonl"

echo
echo "== 1. stages of a batch: $n cases varied from the corpus, warm engine, one thread (wall)"
"$bin/sacral-bench" stages "$work/cases.jsonl"

echo
echo "== 1b. the same stages in instructions per case (callgrind, $ncg cases)"
valgrind --tool=callgrind --callgrind-out-file="$work/stages.cg" --toggle-collect='*measuredBatchLoop*' \
    "$work/sacral-bench" stages "$work/cg.jsonl" >/dev/null 2>&1
callgrind_annotate --inclusive=yes --threshold=100 "$work/stages.cg" 2>/dev/null | demangle > "$work/stages.txt"
total=$(ir "$work/stages.txt" "measuredBatchLoop")
printf '  %-46s %s\n' "total" "$(per "$total" "$ncg")"
printf '  %-46s %s\n' "read and decode (CaseDecoder.decode)" "$(per "$(ir "$work/stages.txt" "CaseDecoder.decode(")" "$ncg")"
printf '  %-46s %s\n' "validate (CaseValidator.validate)" "$(per "$(ir "$work/stages.txt" "CaseValidator.validate(")" "$ncg")"
printf '  %-46s %s\n' "evaluate (Engine.evaluate)" "$(per "$(ir "$work/stages.txt" "Engine.evaluate(")" "$ncg")"
printf '  %-46s %s\n' "  case into Lua (LuaState.push)" "$(per "$(ir "$work/stages.txt" "LuaState.push(_:) [")" "$ncg")"
printf '  %-46s %s\n' "  Lua run (clua_pcall)" "$(per "$(ir "$work/stages.txt" "clua_pcall")" "$ncg")"
printf '  %-46s %s\n' "  result into Swift (LuaState.value(at:))" "$(per "$(ir "$work/stages.txt" "LuaState.value(at:depth:conversion:) [")" "$ncg")"
printf '  %-46s %s\n' "  decision document (DecisionBuilder.build)" "$(per "$(ir "$work/stages.txt" "DecisionBuilder.build(")" "$ncg")"
printf '  %-46s %s\n' "render full JSON (JSONValue.serialized)" "$(per "$(ir "$work/stages.txt" "JSONValue.serialized(")" "$ncg")"
printf '  %-46s %s\n' "render summary (CohortSummary)" "$(per "$(( $(ir "$work/stages.txt" "CohortSummary.init(") + $(ir "$work/stages.txt" "CohortSummary.line") ))" "$ncg")"
# --format summary evaluates for the summary alone (Engine.summarize): its own pass.
valgrind --tool=callgrind --callgrind-out-file="$work/summary.cg" --toggle-collect='*measuredSummaryLoop*' \
    "$work/sacral-bench" stages "$work/cg.jsonl" >/dev/null 2>&1
callgrind_annotate --inclusive=yes --threshold=100 "$work/summary.cg" 2>/dev/null | demangle > "$work/summary.txt"
printf '  %-46s %s\n' "--format summary, all stages" "$(per "$(ir "$work/summary.txt" "measuredSummaryLoop")" "$ncg")"
printf '  %-46s %s\n' "  of which Engine.summarize" "$(per "$(ir "$work/summary.txt" "Engine.summarize(")" "$ncg")"

echo
echo "== 2. commands (release build, wall)"
for format in json summary; do
    for jobs in 1 2; do
        t0=$(date +%s%N)
        "$bin/sacral" evaluate --jsonl "$work/cases.jsonl" --format "$format" --jobs "$jobs" > "$work/out" || true
        t1=$(date +%s%N)
        echo "  evaluate --jsonl $n cases --format $format --jobs $jobs: $(ms "$t0" "$t1") ms, $(wc -c < "$work/out") bytes"
    done
done
"$bin/sacral-bench" generate --count 1000 --seed 7 --corpus Cases --out "$work/gen"
for jobs in 1 2; do
    t0=$(date +%s%N); "$bin/sacral" test "$work/gen" --jobs "$jobs" > /dev/null || true; t1=$(date +%s%N)
    echo "  test over 1,000 case files --jobs $jobs: $(ms "$t0" "$t1") ms"
done
mkdir -p "$work/changed" && cp -r Rules "$work/changed/" \
    && sed -i 's/diameter_max_cm = 3.0/diameter_max_cm = 2.0/' "$work/changed/Rules/thresholds.lua"
for jobs in 1 2; do
    t0=$(date +%s%N); "$bin/sacral" diff --rules Rules --against "$work/changed/Rules" "$work/gen" --jobs "$jobs" > /dev/null || true; t1=$(date +%s%N)
    echo "  diff over 1,000 case files --jobs $jobs: $(ms "$t0" "$t1") ms"
done
case_file=Cases/mika2018/fig2-colon-s1-impending-instability.yaml
times=()
for _ in $(seq 30); do
    t0=$(date +%s%N); "$bin/sacral" evaluate "$case_file" --format json > /dev/null; t1=$(date +%s%N)
    times+=($(( (t1 - t0) / 1000 )))
done
echo "  cold single case: median $(printf '%s\n' "${times[@]}" | sort -n | sed -n 15p) us of 30"

echo
echo "== 2b. cold start in CPU time (a second figure that a busy machine disturbs less than wall time)"
"$bin/sacral-bench" start --count 200 | sed 's/^/  /'
"$bin/sacral-bench" start --count 200 --rules Rules | sed 's/^/  /'
if perf stat -e task-clock true >/dev/null 2>&1; then
    cpu=$(perf stat -e task-clock -x, -r 30 "$bin/sacral" evaluate "$case_file" --format json 2>&1 >/dev/null | grep task-clock | cut -d, -f1)
    echo "  cold single case: $cpu ms CPU (perf task-clock, mean of 30)"
    # The binary the README's first command builds: the core alone, Swift runtime and Foundation linked statically.
    scripts/sacral --version >/dev/null 2>&1
    cpu=$(perf stat -e task-clock -x, -r 30 .build-core/release/sacral evaluate "$case_file" --format json 2>&1 >/dev/null | grep task-clock | cut -d, -f1)
    echo "  cold single case, the README's static binary (scripts/sacral): $cpu ms CPU (perf task-clock, mean of 30)"
fi
# The same process in instructions (the figure to compare before and after a change): the text
# report, as the README's first command prints it, from the repository (rules read from Rules/).
cp .build-core/release/sacral "$work/sacral-core"
strip --strip-debug "$work/sacral-core"
cold_ir=$(valgrind --tool=callgrind --callgrind-out-file="$work/cold.cg" "$work/sacral-core" evaluate "$case_file" 2>&1 >/dev/null |
    sed -nE 's/.*refs: +([0-9,]+).*/\1/p' | tr -d ,)
echo "  cold single case, the README's static binary: $(awk -v x="$cold_ir" 'BEGIN { printf "%.1f", x / 1e6 }')M instructions (callgrind)"

echo
echo "== 3. a cold evaluation by phase (sacral-bench cold: CPU ms since the process began, median of 30 fresh processes)"
# callgrind cannot split it: valgrind 3.19 dies (internal SIGSEGV) on release builds of sacral.
for _ in $(seq 30); do "$bin/sacral-bench" cold "$case_file" 2>&1 >/dev/null; done | awk '
    { for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = v[kv[1]] " " kv[2]; if (!(kv[1] in seen)) { seen[kv[1]] = 1; order[++n] = kv[1] } } }
    END {
        label["start"] = "process start to the command (exec, linking, runtime, arguments)"
        label["rules"] = "rules resolved (embedded copy, SHA-256)"
        label["engine"] = "engine start (Lua state, runtime, rule files, index, catalogue)"
        label["read"] = "case read and decoded"
        label["validate"] = "case validated"
        label["evaluate"] = "case evaluated"
        label["render"] = "decision rendered and written (full JSON)"
        for (k = 1; k <= n; k++) {
            m = split(substr(v[order[k]], 2), a, " ")
            for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
            printf "  %-68s %7.2f ms\n", label[order[k]], a[int((m + 1) / 2)]
        }
    }'
