#!/usr/bin/env bash
# The black-box suite of `sacral serve` (Tests/python/test_server*.py): a Python client plays the EHR
# against the real server on loopback (tokens, CORS, bodies, CDS Hooks, schemathesis over
# docs/openapi.yaml, two replicas on a throwaway PostgreSQL cluster). Installs what it needs:
# Debian's postgresql (when missing) and the Python packages of Tests/python/requirements.txt.
#   scripts/test-server.sh [pytest arguments, e.g. -k replay]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
echo "== sacral serve: black-box suite (scripts/test-server.sh)"
scripts/bootstrap.sh postgresql
if [ "${SACRAL_BIN:-}" = "" ]; then
    swift build --product sacral 2>&1 | { grep -vE '^\[[0-9]+/[0-9]+\]' || true; }
    export SACRAL_BIN="$root/.build/debug/sacral"
fi
py="$(scripts/pyenv.sh)/bin/python"
# The servers' configs, keys and logs and the database clusters go to one directory of this run,
# removed at the end (readable by all: PostgreSQL runs as its own user).
tmp="$(mktemp -d "${TMPDIR:-/tmp}/sacral-server-tests.XXXXXX")"
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
TMPDIR="$tmp" "$py" -m pytest -q -p no:cacheprovider Tests/python/test_server*.py "$@"
