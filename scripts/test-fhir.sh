#!/usr/bin/env bash
# Independent FHIR validation: the generated Questionnaire and the exported Bundle of every shipped
# case checked with fhir.resources (R4B models) and FHIRPath (fhirpathpy), from PyPI into the
# project's virtual environment (scripts/pyenv.sh).
# Usage: scripts/test-fhir.sh [path/to/sacral]   (default .build/debug/sacral)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
sacral="${1:-.build/debug/sacral}"
[ -x "$sacral" ] || { echo "test-fhir.sh: $sacral is not an executable (build first)" >&2; exit 2; }
py="$(scripts/pyenv.sh)/bin/python"
SACRAL="$(cd "$(dirname "$sacral")" && pwd)/$(basename "$sacral")" "$py" -m pytest -q -p no:cacheprovider Tests/python/test_fhir.py
