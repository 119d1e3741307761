#!/usr/bin/env bash
# `make bench`: the performance benchmarks on a throwaway PostgreSQL, with production
# settings (DEBUG off), printing a table of figures. Extra arguments go to `manage.py bench`.
set -euo pipefail
cd "$(dirname "$0")/.."

# The load benchmarks drive a real server with wrk, and the scale-out benchmark starts its own
# Redis broker (Debian's packages wrk and redis-server).
for package in wrk redis-server; do  # each package's command has its name
  if ! command -v "$package" >/dev/null; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
      echo "Installing Debian package: $package"
      if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; export APT_UPDATED=1; fi
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
    else
      echo "Missing: $package. Install it (e.g. 'sudo apt-get install $package') and run make bench again." >&2
      exit 1
    fi
  fi
done

export DJANGO_SETTINGS_MODULE=drec.settings
export DJANGO_DEBUG=0
export DJANGO_SECRET_KEY="bench-$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
export DJANGO_SECURE_SSL_REDIRECT=0
export DJANGO_ALLOWED_HOSTS="testserver,localhost,127.0.0.1"
export DREC_ADMIN_PASSWORD="Bench-Admin-2026"
export DREC_Q_SYNC=1
export DJANGO_LOG_LEVEL=WARNING
export DJANGO_STATIC_ROOT="$(mktemp -d)"  # empty: nothing to collect, nothing to scan
exec scripts/with-postgres.sh sh -c '.venv/bin/python manage.py migrate -v 0 && .venv/bin/python manage.py createcachetable && .venv/bin/python manage.py bench "$@"' bench "$@"
