#!/usr/bin/env bash
# The tumour-board page in a real browser: Debian's chromium and chromedriver (installed when
# missing) driven by Selenium against pages written by `sacral report` (file://, no server).
# Screenshots and printed PDFs of each step: .build/page-shots/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
command -v pdftoppm >/dev/null || missing+=(poppler-utils)
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
[ -x .build/debug/sacral ] || swift build --product sacral 2>&1 | { grep -vE '^\[[0-9]+/[0-9]+\]' || true; }
py="$(scripts/pyenv.sh)/bin/python"
mkdir -p .build/page-shots
"$py" -m pytest -q -p no:cacheprovider Tests/python/test_page.py "$@"
