#!/usr/bin/env bash
# The whole test suite, from a fresh clone (CI runs it): installs what it needs, then runs one stage
# after another and prints the time of each at the end. A failing stage stops the run.
#
#   format      swift format lint --strict over Sources/ and Tests/ (configuration: .swift-format)
#   build       one debug build of everything (tests included); every later stage uses it
#   check       sacral check: static checks of Rules/, validation of Cases/
#   luacheck    luacheck over Rules/ and the runtime
#   combiner    the P19 combiner's table-driven tests in plain lua5.4 (no clinical rules)
#   corpus      sacral test Cases, 100 % rule coverage (JUnit XML in .build/sacral-junit.xml)
#   fhir        the Questionnaire and exported Bundles validated by fhir.resources and fhirpathpy
#   swift test  every Swift suite, once, against the debug build; the slow batch and property tests
#               run scaled by SACRAL_TEST_SCALE (0.1 here: 1,000 JSON Lines, 200 generated cases)
#   asan        AddressSanitizer build of the core only (SACRAL_CORE_ONLY=1: no server), running only
#               the suites that exercise C (LuaKitTests, SandboxAttackTests, HostileInputTests,
#               AdversarialTests, RuleIsolationTests, PrecompiledTests)
#   fuzz        a short libFuzzer pass over the core (SACRAL_SKIP_FUZZ=1 skips it)
#   rule fuzz   random benign and hostile rule files over generated cases (scripts/fuzz-rules.sh)
#   server      sacral serve played by real clients over loopback: pytest + httpx + PyJWT, CDS Hooks
#               as an EHR would call them, the decision log on SQLite and on Debian's PostgreSQL
#               (started by the script), replicas, schemathesis (scripts/test-server.sh)
#   page        the tumour-board page in Debian's chromium through Selenium (scripts/test-page.sh;
#               screenshots and PDFs in .build/page-shots/; SACRAL_SKIP_PAGE=1 skips it)
#
# A new area adds one line below: `stage NAME scripts/test-AREA.sh`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

timings=()
current=""
started=$(date +%s%N)

# stage NAME COMMAND...: runs COMMAND under a "== NAME" heading and records its wall time.
stage() {
    local name="$1"
    shift
    echo "== $name"
    current="$name"
    local t0 t1
    t0=$(date +%s%N)
    "$@"
    t1=$(date +%s%N)
    timings+=("$(printf '%-12s %8.1f s' "$name" "$(awk -v n=$((t1 - t0)) 'BEGIN { print n / 1e9 }')")")
    current=""
}

# Every stage's temporary files (the tests' copies of Rules/, the servers' configs and logs, the
# database's data directory) go to one directory of this run: a passing run removes it, a failing
# one keeps it for a look and says where. Readable by all: PostgreSQL runs as its own user.
suite_tmp="$(mktemp -d "${TMPDIR:-/tmp}/sacral-suite.XXXXXX")"
chmod 755 "$suite_tmp"
export TMPDIR="$suite_tmp"

# The timing table, also after a failure (which names the stage that failed).
report() {
    local status=$?
    echo "== stage timings"
    for t in "${timings[@]}"; do echo "  $t"; done
    if [ -n "$current" ]; then printf '  %-12s   failed\n' "$current"; fi
    printf '  %-12s %8.1f s%s\n' total "$(awk -v n=$(($(date +%s%N) - started)) 'BEGIN { print n / 1e9 }')" \
        "$([ "$status" -ne 0 ] && echo " (failed, status $status)")"
    if [ "$status" -eq 0 ]; then rm -rf "$suite_tmp"; else echo "temporary files kept in $suite_tmp"; fi
}
trap report EXIT

# Passing and started lines of swift test are dropped; failures, suites and the closing line stay.
quiet_tests() { awk '!/^◇ / && !(/^✔ Test / && !/^✔ Test run/)'; }

build() {
    # Progress lines dropped; pipefail carries a failed build through the filter.
    swift build --build-tests 2>&1 | { grep -vE '^\[[0-9]+/[0-9]+\]' || true; }
}

corpus() {
    .build/debug/sacral test Cases --coverage --threshold 100 --junit .build/sacral-junit.xml | tail -n 25
}

swift_tests() {
    SACRAL_TEST_SCALE="${SACRAL_TEST_SCALE:-0.1}" swift test --skip-build 2>&1 | quiet_tests
}

asan() {
    # lld: gold aborts on ASan-instrumented Swift objects here. detect_leaks=0: see scripts/fuzz.sh.
    local flags=(--sanitize=address --scratch-path .build-asan -Xswiftc -use-ld=lld)
    SACRAL_CORE_ONLY=1 swift build --build-tests "${flags[@]}" 2>&1 | { grep -E 'error|warning: |Build complete' || true; }
    SACRAL_CORE_ONLY=1 ASAN_OPTIONS=detect_leaks=0 swift test --skip-build "${flags[@]}" \
        --filter 'LuaKitTests|SandboxAttackTests|HostileInputTests|AdversarialTests|RuleIsolationTests|PrecompiledTests' 2>&1 | quiet_tests
}

fuzz() {
    if [ "${SACRAL_SKIP_FUZZ:-0}" = 1 ]; then echo "skipped (SACRAL_SKIP_FUZZ=1)"; return; fi
    SACRAL_CORE_ONLY=1 scripts/fuzz.sh 60
}

page() {
    if [ "${SACRAL_SKIP_PAGE:-0}" = 1 ]; then echo "skipped (SACRAL_SKIP_PAGE=1)"; return; fi
    scripts/test-page.sh
}

luacheck_all() {
    luacheck --no-color --quiet --config Rules/.luacheckrc Rules
    luacheck --no-color --quiet --config Sources/SacralEngine/Runtime/.luacheckrc Sources/SacralEngine/Runtime
}

stage setup scripts/bootstrap.sh lua-check lua5.4
stage format swift format lint --strict --recursive Sources Tests
stage build build
stage check .build/debug/sacral check Cases
stage luacheck luacheck_all
stage combiner lua5.4 Tests/lua/combine_test.lua
stage corpus corpus
stage fhir scripts/test-fhir.sh .build/debug/sacral
stage "swift test" swift_tests
stage asan asan
stage fuzz fuzz
stage "rule fuzz" scripts/fuzz-rules.sh 40
stage server env SACRAL_BIN="$root/.build/debug/sacral" scripts/test-server.sh
stage page page
