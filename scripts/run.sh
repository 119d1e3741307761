#!/usr/bin/env bash
# `make run`: migrate, seed, and serve the portal with its task cluster on $HOST:$PORT
# (127.0.0.1 unless HOST says otherwise, e.g. HOST=0.0.0.0 to open it to the network).
# The database is $DATABASE_URL, or else the project-local PostgreSQL in var/postgres
# ($DREC_PG_DIR), created on the first run and started and stopped with the portal.
# Idempotent: a second run finds everything in place and starts again.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/pg.sh

PY=.venv/bin/python
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-3040}"
mkdir -p var

STOP_PG=""
QCLUSTER_PID=""
stop() {
  # One TERM for the task cluster (a second one, while it stops, deadlocks django-q2), then
  # at most 20 s before it is killed; then the local PostgreSQL, if this run started it.
  if [ -n "$QCLUSTER_PID" ]; then
    kill "$QCLUSTER_PID" 2>/dev/null || true
    for _ in $(seq 40); do kill -0 "$QCLUSTER_PID" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$QCLUSTER_PID" 2>/dev/null || true
    QCLUSTER_PID=""
  fi
  if [ -n "$STOP_PG" ]; then pg_down "$STOP_PG"; STOP_PG=""; fi
}
trap stop EXIT INT TERM

if [ -z "${DATABASE_URL:-}" ]; then
  PG_DIR="${DREC_PG_DIR:-$PWD/var/postgres}"
  pg_up "$PG_DIR"
  if [ "$PG_STARTED" = 1 ]; then STOP_PG="$PG_DIR"; fi
  export DREC_PG_DIR="$PG_DIR"
  export DATABASE_URL="$(pg_url "$PG_DIR" drec)"
  echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') in $PG_DIR"
fi

"$PY" manage.py migrate --noinput
"$PY" manage.py createcachetable
"$PY" manage.py seed
"$PY" manage.py collectstatic --noinput -v 0

# The django-q2 cluster (ORM broker: no extra server) runs beside the web server and stops
# with it, in a session of its own: Ctrl-C reaches it once, through stop(), not twice.
setsid "$PY" manage.py qcluster &
QCLUSTER_PID=$!

echo "D-REC portal on http://${HOST}:${PORT}/  (API docs: /swagger/, health: /api/health)"
.venv/bin/gunicorn drec.wsgi:application \
  --bind "${HOST}:${PORT}" \
  --workers "${WEB_CONCURRENCY:-2}" \
  --threads "${GUNICORN_THREADS:-4}" \
  --access-logfile - \
  --graceful-timeout 10
