#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what it needs, builds, runs the Swift tests,
# the rule checks, luacheck over Rules/, and the case corpus (JUnit XML kept in .build/).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/bootstrap.sh lua-check

echo "== build"
swift build --build-tests 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' || true
swift build --build-tests >/dev/null

echo "== sacral check (static checks of Rules/, validation of Cases/)"
.build/debug/sacral check Cases

echo "== luacheck Rules/"
luacheck --no-color --quiet --config Rules/.luacheckrc Rules

echo "== sacral test Cases (JUnit: .build/sacral-junit.xml)"
.build/debug/sacral test Cases --coverage --threshold 100 --junit .build/sacral-junit.xml | tail -n 25

echo "== swift test"
# Passing and started lines are dropped; failures, suites and the closing "Test run" line stay.
swift test --skip-build 2>&1 | awk '!/^◇ / && !(/^✔ Test / && !/^✔ Test run/)' 
