#!/usr/bin/env bash
# with-postgres.sh COMMAND...: run COMMAND with DATABASE_URL pointing at a throwaway
# PostgreSQL (initdb + pg_ctl in a temporary directory, unix socket only), which is stopped
# and removed however COMMAND ends. Used by `make test` and `make bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/pg.sh

PGTMP="$(mktemp -d)"
is_root && chmod 755 "$PGTMP"
cleanup() {
  pg_down "$PGTMP/pg" immediate
  rm -rf "$PGTMP"
}
trap cleanup EXIT INT TERM

# A throwaway database: durability off.
pg_up "$PGTMP/pg" -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200
export DATABASE_URL="$(pg_url "$PGTMP/pg" drec)"
# For the fault suite (tests/faults/), which restarts this server: its folder and binaries.
export DREC_TEST_PG_DIR="$PGTMP/pg" DREC_TEST_PG_BIN="$PG_BIN"
echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on $PGTMP/pg"
"$@"
