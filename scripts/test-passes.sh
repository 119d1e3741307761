#!/usr/bin/env bash
# The passes of `make test` (see scripts/test.sh), on the database of $DATABASE_URL.
# pytest's exit code 5 ("no tests selected", e.g. ARGS naming only tests of one pass) is fine.
set -uo pipefail
cd "$(dirname "$0")/.."
PYTEST=(.venv/bin/python -m pytest -n "${DREC_TEST_WORKERS:-auto}" --dist loadfile)

run() {
  "${PYTEST[@]}" "$@"
  local code=$?
  if [ "$code" -ne 0 ] && [ "$code" -ne 5 ]; then exit "$code"; fi
}

if [ -n "${FAST:-}" ]; then
  run -m "not commits and not slow and not e2e" "$@"
  exit 0
fi
run -m "not commits" "$@"
run -m "commits" "$@"
