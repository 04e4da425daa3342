#!/usr/bin/env bash
# Fuzzes case decoding, validation and evaluation with libFuzzer (and AddressSanitizer), seeded
# from Cases/, Fuzz/regressions/ and Fuzz/corpus/ (the inputs that reached new coverage in the long
# offline runs, minimised with -merge=1). Crashing inputs are written to Fuzz/crashes/; keep each
# one as a regression case.
#   scripts/fuzz.sh [SECONDS] [extra libFuzzer flags, e.g. -runs=1000000]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/bootstrap.sh
# The fuzzer needs only the core (the code that contains or calls C): the server and its
# dependencies stay out of the sanitizer build (Package.swift reads this).
export SACRAL_CORE_ONLY=1
seconds="${1:-60}"
shift || true
# SwiftPM keeps the build description of the root package (a path dependency of Fuzz/) and does not
# notice a source file added to one of its targets: the build then fails to link or to compile. When
# the list of source files differs from the last build's, or a build exists that recorded none, the
# build products are made anew (the checked-out dependencies stay).
stamp=Fuzz/.build/sacral-sources.list
sources="$(find Sources -type f -name '*.swift' -o -type f -name '*.c' -o -type f -name '*.h' -o -type f -name '*.lua' | sort)"
if [ -d Fuzz/.build/x86_64-unknown-linux-gnu ] && { [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sources" ]; }; then
    echo "fuzz: the source files changed since the last fuzz build; building anew" >&2
    rm -rf Fuzz/.build/x86_64-unknown-linux-gnu Fuzz/.build/release Fuzz/.build/release.yaml Fuzz/.build/build.db
fi
swift build --package-path Fuzz -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld >&2
printf '%s' "$sources" > "$stamp"
bin="$(swift build --package-path Fuzz -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld --show-bin-path)/sacral-fuzz"
corpus="$(mktemp -d)"
trap 'rm -rf "$corpus"' EXIT
find Cases Fuzz/regressions -type f \( -name '*.yaml' -o -name '*.json' -o -name '*.bin' \) -exec cp {} "$corpus"/ \; 2>/dev/null || true
[ -d Fuzz/corpus ] && cp Fuzz/corpus/* "$corpus"/ 2>/dev/null || true
mkdir -p Fuzz/crashes
# Regression inputs first: each must run clean.
regressions=$(find Fuzz/regressions -type f ! -name '.*' | sort)
if [ -n "$regressions" ]; then
    # shellcheck disable=SC2086
    ASAN_OPTIONS=detect_leaks=0 "$bin" -detect_leaks=0 $regressions >&2
fi
# -detect_leaks=0: Swift keeps enum tags in the spare bits of payload pointers, so LeakSanitizer
# cannot follow them and reports reachable indirect-enum boxes (JSONValue) as leaks. AddressSanitizer
# proper (overflows, use-after-free) stays on.
log="$corpus.log"
status=0
ASAN_OPTIONS=detect_leaks=0 "$bin" "$corpus" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=4096 \
    -detect_leaks=0 -artifact_prefix=Fuzz/crashes/ -print_final_stats=1 "$@" >"$log" 2>&1 || status=$?
grep -E '^(#[0-9]+ +(DONE|pulse)|stat::|==[0-9]+==|SUMMARY|artifact|Done )' "$log" | tail -n 20 || true
if [ "$status" -ne 0 ]; then
    echo "fuzz: the fuzzer stopped with status $status; the crashing input is in Fuzz/crashes/" >&2
    tail -n 60 "$log" >&2
fi
rm -f "$log"
exit "$status"
