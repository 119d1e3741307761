#!/usr/bin/env bash
# `make bench`: the performance benchmarks on a throwaway PostgreSQL, with production
# settings (DEBUG off), printing a table of figures. Extra arguments go to `manage.py bench`.
set -euo pipefail
cd "$(dirname "$0")/.."

# The load benchmarks drive a real server with wrk (Debian's package).
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian package: wrk"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  else
    echo "Missing: wrk. Install it (e.g. 'sudo apt-get install wrk') and run make bench again." >&2
    exit 1
  fi
fi

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
