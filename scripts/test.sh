#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what it needs, lints the Swift sources
# (swift format, part of the toolchain, with .swift-format), builds, runs the Swift tests, the rule
# checks, luacheck over Rules/ and the runtime, the combiner's tests, the case corpus (JUnit XML kept
# in .build/), FHIR validation, the Swift tests under AddressSanitizer, and a short fuzz pass
# (SACRAL_SKIP_FUZZ=1 skips it).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/bootstrap.sh lua-check lua5.4

echo "== swift format lint (configuration: .swift-format)"
swift format lint --strict --recursive Sources Tests

echo "== build"
# One build; progress lines dropped. pipefail carries a failed build through the filter.
swift build --build-tests 2>&1 | { grep -vE '^\[[0-9]+/[0-9]+\]' || true; }

echo "== sacral check (static checks of Rules/, validation of Cases/)"
.build/debug/sacral check Cases

echo "== luacheck Rules/ and the runtime"
luacheck --no-color --quiet --config Rules/.luacheckrc Rules
luacheck --no-color --quiet --config Sources/SacralEngine/Runtime/.luacheckrc Sources/SacralEngine/Runtime

echo "== the P19 combiner on synthetic results (no clinical rules)"
lua5.4 Tests/lua/combine_test.lua

echo "== sacral test Cases (JUnit: .build/sacral-junit.xml)"
.build/debug/sacral test Cases --coverage --threshold 100 --junit .build/sacral-junit.xml | tail -n 25

echo "== FHIR: Questionnaire and exported Bundles validated by fhir.resources and fhirpathpy"; scripts/test-fhir.sh .build/debug/sacral

echo "== swift test under AddressSanitizer (build in .build-asan)"
# lld: gold aborts on ASan-instrumented Swift objects here. detect_leaks=0: see scripts/fuzz.sh.
swift build --build-tests --sanitize=address --scratch-path .build-asan -Xswiftc -use-ld=lld 2>&1 \
    | { grep -E 'error|warning: |Build complete' || true; }
ASAN_OPTIONS=detect_leaks=0 swift test --skip-build --sanitize=address --scratch-path .build-asan -Xswiftc -use-ld=lld 2>&1 \
    | awk '!/^◇ / && !(/^✔ Test / && !/^✔ Test run/)'

if [ "${SACRAL_SKIP_FUZZ:-0}" != 1 ]; then
    echo "== short fuzz pass (60 s; scripts/fuzz.sh)"
    scripts/fuzz.sh 60
fi

echo "== rule fuzz pass (scripts/fuzz-rules.sh)"
scripts/fuzz-rules.sh 40

echo "== swift test"
# Last, so that its closing "Test run" line closes the log. Passing and started lines are dropped;
# failures, suites and the closing line stay.
swift test --skip-build 2>&1 | awk '!/^◇ / && !(/^✔ Test / && !/^✔ Test run/)'
