#!/usr/bin/env bash
# Peers on the same work (Benchmarks/peers/README.md): the sacroplasty exclusion and eligibility
# decision of P1-P4 in sacral (a reduced rule set of the shipped rule files), CLIPS 6.30 (Debian's
# clips) and zen-engine decision tables (PyPI), over the same N cases varied from the corpus. Prints
# each engine's time per case and the ratios, and fails when the engines disagree on any lesion.
#   scripts/bench-peers.sh [N_CASES]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
n="${1:-10000}"
peers=Benchmarks/peers
scripts/bootstrap.sh clips lua5.4
venv="$(scripts/pyenv.sh)"
py="$venv/bin/python"
"$py" -c 'import zen' 2>/dev/null || "$venv/bin/pip" install -q --disable-pip-version-check -r "$peers/requirements.txt" >&2
swift build -c release --product sacral >/dev/null
swift build -c release --product sacral-bench >/dev/null
bin=.build/release
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The peers carry the thresholds of Rules/thresholds.lua as constants: stop if these changed.
want="inr_max=1.5 platelets_min=90 diameter_max_cm=3.0 life_expectancy_min_months=3 tokuhashi_6_months_min=9 tokuhashi_kps_good_min=80 tokuhashi_kps_moderate_min=50 tokuhashi_extraspinal_many=3 tokuhashi_vertebral_many=3 tokuhashi_vertebral_two=2"
have=$(lua5.4 - "$want" <<'LUA'
local t
function define(name, v) if name == "thresholds" then t = v end end
dofile("Rules/thresholds.lua")
local out = {}
for k in string.gmatch(arg[1], "([%w_]+)=") do out[#out + 1] = k .. "=" .. tostring(t[k]) end
print(table.concat(out, " "))
LUA
)
if [ "$have" != "$want" ]; then
    echo "bench-peers: Rules/thresholds.lua changed; update the CLIPS and zen encodings:" >&2
    echo "  expected $want" >&2
    echo "  found    $have" >&2
    exit 1
fi

# The reduced sacral rule set: the shipped files that implement P1-P4, unchanged, with the peers'
# ruleset (three pathways) and its eligibility rule.
rules="$work/rules"
mkdir -p "$rules/rules"
cp Rules/fields.lua Rules/thresholds.lua "$rules/"
cp -r Rules/lib Rules/data "$rules/"
cp Rules/rules/exclusions.lua Rules/rules/coagulation.lua Rules/rules/lesion_size.lua Rules/rules/life_expectancy.lua "$rules/rules/"
cp "$peers/sacral/ruleset.lua" "$rules/"
cp "$peers/sacral/rules/"*.lua "$rules/rules/"

"$bin/sacral-bench" generate --count "$n" --corpus Cases --seed 13 --jsonl "$work/cases.jsonl"
timings="$work/timings.jsonl"
: > "$timings"
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", (b - a) / 1e9 }'; }

# sacral: the warm engine (cases decoded and validated beforehand), and the whole command line.
warm=$("$bin/sacral-bench" warm "$work/cases.jsonl" --rules "$rules" --passes 3)
echo "$warm" | sed -E 's/.*best of [0-9]+ passes ([0-9.]+) s.*/{"engine": "sacral (warm engine)", "seconds": \1, "note": "evaluation only, best of 3"}/' >> "$timings"
for jobs in 1 2; do
    t0=$(date +%s%N)
    "$bin/sacral" evaluate --rules "$rules" --jsonl "$work/cases.jsonl" --format summary --jobs "$jobs" > "$work/sacral-$jobs.jsonl"
    t1=$(date +%s%N)
    echo "{\"engine\": \"sacral evaluate --jobs $jobs\", \"seconds\": $(seconds "$t0" "$t1"), \"note\": \"process, JSON decode, validation, summary output\"}" >> "$timings"
done
cmp -s "$work/sacral-1.jsonl" "$work/sacral-2.jsonl" || { echo "bench-peers: --jobs 1 and 2 differ" >&2; exit 1; }

# CLIPS: the cases as facts (converted beforehand), then load-facts and run, timed inside CLIPS.
"$py" "$peers/clips/to_facts.py" "$work/cases.jsonl" "$work/cases.fct"
cat > "$work/run.clp" <<CLP
(load "$root/$peers/clips/sacroplasty.clp")
(defglobal ?*t0* = 0 ?*t1* = 0)
(bind ?*t0* (time))
(load-facts "$work/cases.fct")
(run)
(bind ?*t1* (time))
(open "$work/clips.tsv" out "w")
(do-for-all-facts ((?v verdict)) TRUE (printout out ?v:case tab ?v:lesion tab (status-name ?v:rank) crlf))
(close out)
(printout t "{\"engine\": \"CLIPS 6.30\", \"seconds\": " (- ?*t1* ?*t0*) ", \"note\": \"load-facts and run\"}" crlf)
(exit)
CLP
clips -f2 "$work/run.clp" | grep '^{' >> "$timings"

# zen-engine: one evaluation per lesion, timed in Python around decision.evaluate.
"$py" "$peers/zen/run.py" "$peers/zen/sacroplasty.json" "$work/cases.jsonl" "$work/zen.tsv" \
    | sed 's/}$/, "note": "decision.evaluate per lesion, from Python"}/' >> "$timings"

echo "machine: $(nproc) cores, $(uname -m), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"
"$py" "$peers/compare.py" "$work/cases.jsonl" "$work/sacral-1.jsonl" "$work/clips.tsv" "$work/zen.tsv" "$timings"
