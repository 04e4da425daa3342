#!/usr/bin/env bash
# Prints the path of the project's Python virtual environment (.build/pyenv), creating it and
# installing Tests/python/requirements.txt into it when the requirements changed since the last run.
# Usage: py="$(scripts/pyenv.sh)/bin/python"
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.build/pyenv"
req="$root/Tests/python/requirements.txt"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    mkdir -p "$root/.build"
    python3 -m venv "$venv" >&2
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req" >&2
    echo "$want" > "$stamp"
fi
echo "$venv"
