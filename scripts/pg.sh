# Sourced by the scripts that need a PostgreSQL server of their own: `make test` and
# `make bench` (a throwaway one) and `make run` (the project-local one in var/postgres).
# PostgreSQL refuses to run as root: as root, its commands run as the 'postgres' user.

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

pg_bin() {
  # PG_BIN: the server's binaries, installed (Debian's postgresql) when missing and allowed.
  PG_BIN="$(find_pg_bin || true)"
  if [ -z "$PG_BIN" ]; then
    apt_install postgresql
    PG_BIN="$(find_pg_bin)"
  fi
}

as_pg() { if is_root; then runuser -u postgres -- "$@"; else "$@"; fi; }

# pg_up DIR [OPTIONS]: a cluster in DIR/data (created when missing), listening only on a unix
# socket in DIR, started unless it runs already. Sets PG_STARTED=1 when this call started it.
pg_up() {
  local dir="$1"; shift
  pg_bin
  mkdir -p "$dir"
  if is_root; then
    chown postgres: "$dir"
    if ! runuser -u postgres -- test -w "$dir"; then
      echo "PostgreSQL runs as the 'postgres' user, which cannot reach $dir (a parent folder is private)." >&2
      echo "Set DREC_PG_DIR to a folder it can reach, or DATABASE_URL to another server." >&2
      exit 1
    fi
  fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  PG_STARTED=0
  if ! as_pg "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
      -o "-k $dir -c listen_addresses='' $*" >/dev/null || { tail -20 "$dir/server.log" >&2; exit 1; }
    PG_STARTED=1
  fi
}

pg_down() { as_pg "$PG_BIN/pg_ctl" -D "$1/data" -m "${2:-fast}" stop >/dev/null 2>&1 || true; }

# pg_url DIR DATABASE: the DATABASE_URL of DATABASE on the cluster of DIR (created when missing).
pg_url() {
  as_pg "$PG_BIN/psql" -h "$1" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$2'" \
    | grep -q 1 || as_pg "$PG_BIN/createdb" -h "$1" -U postgres "$2"
  echo "postgresql://postgres@$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1")/$2"
}
