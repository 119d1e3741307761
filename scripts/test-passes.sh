#!/usr/bin/env bash
# The passes of `make test` (see scripts/test.sh), on the database of $DATABASE_URL.
# pytest's exit code 5 ("no tests selected", e.g. ARGS naming only tests of one pass) is fine.
set -uo pipefail
cd "$(dirname "$0")/.."
PYTEST=(.venv/bin/python -m pytest -n "${DREC_TEST_WORKERS:-auto}" --dist loadfile)
# Python's default: bytecode kept in __pycache__ (git-ignored), which is also where pytest keeps
# the test modules it rewrites for its assertions. With PYTHONDONTWRITEBYTECODE set, every
# xdist worker parses and rewrites all the test modules again on each run (seconds apiece).
unset PYTHONDONTWRITEBYTECODE

run() {
  "${PYTEST[@]}" "$@"
  local code=$?
  if [ "$code" -ne 0 ] && [ "$code" -ne 5 ]; then exit "$code"; fi
}

if [ -n "${FAST:-}" ]; then
  run -m "not commits and not slow and not e2e" "$@"
  exit 0
fi
# The fault suite restarts the PostgreSQL every other test uses: alone, one test at a time.
SERIAL=(.venv/bin/python -m pytest -p no:xdist)
if [ -n "${FAULTS_ONLY:-}" ]; then
  PYTEST=("${SERIAL[@]}")
  run -m "faults" "$@"
  exit 0
fi
run -m "not commits and not faults" "$@"
run -m "commits and not faults" "$@"
PYTEST=("${SERIAL[@]}")
run -m "faults" "$@"
