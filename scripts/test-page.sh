#!/usr/bin/env bash
# The tumour-board page in a real browser: Debian's chromium and chromedriver (installed when
# missing) driven by Selenium against pages written by `sacral report` (file://, no server;
# Tests/python/test_page.py) and against the live page of a real `sacral serve --insecure-local` on a
# free loopback port (Tests/python/test_board.py).
# Screenshots and printed PDFs of each step: .build/page-shots/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/bootstrap.sh chromium chromium-driver poppler-utils
swift build --product sacral 2>&1 | { grep -vE '^\[[0-9]+/[0-9]+\]' || true; }
py="$(scripts/pyenv.sh)/bin/python"
mkdir -p .build/page-shots
"$py" -m pytest -q -p no:cacheprovider Tests/python/test_page.py Tests/python/test_board.py "$@"
