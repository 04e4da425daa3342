#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what it needs, builds, runs the Swift tests,
# the rule checks, luacheck over Rules/, the case corpus (JUnit XML kept in .build/), the Swift
# tests under AddressSanitizer, and a short fuzz pass (SACRAL_SKIP_FUZZ=1 skips it).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/bootstrap.sh lua-check

echo "== build"
# One build; progress lines dropped. pipefail carries a failed build through the filter.
swift build --build-tests 2>&1 | { grep -vE '^\[[0-9]+/[0-9]+\]' || true; }

echo "== sacral check (static checks of Rules/, validation of Cases/)"
.build/debug/sacral check Cases

echo "== luacheck Rules/"
luacheck --no-color --quiet --config Rules/.luacheckrc Rules

echo "== sacral test Cases (JUnit: .build/sacral-junit.xml)"
.build/debug/sacral test Cases --coverage --threshold 100 --junit .build/sacral-junit.xml | tail -n 25

echo "== FHIR: Questionnaire and exported Bundles validated by fhir.resources and fhirpathpy"; scripts/test-fhir.sh .build/debug/sacral

echo "== swift test under AddressSanitizer (build in .build-asan)"
# lld: gold aborts on ASan-instrumented Swift objects here. detect_leaks=0: see scripts/fuzz.sh.
# SACRAL_CORE_ONLY=1: the engine without the server and its dependencies (CI time).
SACRAL_CORE_ONLY=1 swift build --build-tests --sanitize=address --scratch-path .build-asan -Xswiftc -use-ld=lld 2>&1 \
    | { grep -E 'error|warning: |Build complete' || true; }
SACRAL_CORE_ONLY=1 ASAN_OPTIONS=detect_leaks=0 swift test --skip-build --sanitize=address --scratch-path .build-asan -Xswiftc -use-ld=lld 2>&1 \
    | awk '!/^◇ / && !(/^✔ Test / && !/^✔ Test run/)'

if [ "${SACRAL_SKIP_FUZZ:-0}" != 1 ]; then
    echo "== short fuzz pass (60 s; scripts/fuzz.sh)"
    scripts/fuzz.sh 60
fi

SACRAL_BIN="$root/.build/debug/sacral" scripts/test-server.sh

echo "== swift test"
# Last, so that its closing "Test run" line closes the log. Passing and started lines are dropped;
# failures, suites and the closing line stay.
swift test --skip-build 2>&1 | awk '!/^◇ / && !(/^✔ Test / && !/^✔ Test run/)'
