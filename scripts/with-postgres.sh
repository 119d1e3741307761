#!/usr/bin/env bash
# with-postgres.sh COMMAND...: run COMMAND with DATABASE_URL pointing at a throwaway
# PostgreSQL (initdb + pg_ctl in a temporary directory, unix socket only), which is stopped
# and removed however COMMAND ends. Used by `make test` and `make bench`.
set -euo pipefail
cd "$(dirname "$0")/.."

is_root() { [ "$(id -u)" -eq 0 ]; }

apt_install() {
  # Install Debian packages when we may; otherwise say exactly what is missing.
  if is_root && command -v apt-get >/dev/null; then
    echo "Installing Debian package(s): $*"
    if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; export APT_UPDATED=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    echo "Missing: $*. Install it (e.g. 'sudo apt-get install $*') and run again." >&2
    exit 1
  fi
}

find_pg_bin() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return 0; fi
  done
  if command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then dirname "$(command -v pg_ctl)"; return 0; fi
  return 1
}

PG_BIN="$(find_pg_bin || true)"
if [ -z "$PG_BIN" ]; then
  apt_install postgresql
  PG_BIN="$(find_pg_bin)"
fi

# PostgreSQL refuses to run as root: as root, run it as the 'postgres' user.
as_pg() { if is_root; then runuser -u postgres -- "$@"; else "$@"; fi; }

PGTMP="$(mktemp -d)"
is_root && chown postgres: "$PGTMP"
cleanup() {
  as_pg "$PG_BIN/pg_ctl" -D "$PGTMP/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PGTMP"
}
trap cleanup EXIT INT TERM

as_pg "$PG_BIN/initdb" -D "$PGTMP/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$PGTMP/initdb.log" 2>&1 \
  || { cat "$PGTMP/initdb.log" >&2; exit 1; }
# A throwaway database: durability off, sockets only in the temporary directory.
as_pg "$PG_BIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/server.log" -w -t 60 start \
  -o "-k $PGTMP -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  >/dev/null || { cat "$PGTMP/server.log" >&2; exit 1; }
as_pg "$PG_BIN/createdb" -h "$PGTMP" -U postgres drec

export DATABASE_URL="postgresql://postgres@$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$PGTMP")/drec"
echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on $PGTMP"
"$@"
