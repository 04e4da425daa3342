#!/usr/bin/env bash
# The rule-side fuzzer: random rule files (benign and hostile) from the rule DSL's grammar, added
# to the shipped rules and evaluated over generated cases; checks fail-closed, byte-identical
# output across runs and case orders, no crash, bounded time (Tests/SacralEngineTests/RuleFuzzTests.swift).
#   scripts/fuzz-rules.sh [ROUNDS] [SEED]     (defaults: 40 rounds, seed 1; deterministic by seed)
# SACRAL_RULE_FUZZ_RUNTIME=1 adds the constructs whose defence lives in the Lua runtime.
# SACRAL_RULE_FUZZ_ROUND=N evaluates round N alone (the same file and cases as in the full run):
#   SACRAL_RULE_FUZZ_ROUND=179 scripts/fuzz-rules.sh 180 7777 reproduces a report in seconds.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
rounds="${1:-40}"
seed="${2:-1}"
# Built by scripts/test.sh (swift build --build-tests); build here when run alone.
[ -x .build/debug/sacral ] || swift build --build-tests >&2
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
SACRAL_RULE_FUZZ_ROUNDS="$rounds" SACRAL_RULE_FUZZ_SEED="$seed" \
    swift test --skip-build --filter RuleFuzzTests >"$log" 2>&1 || status=$?
grep -E '^(rule fuzz:|✘|✔ Test run|↳)' "$log" | cut -c1-2000 || true
exit "$status"
