#!/usr/bin/env bash
# `make run`: migrate, seed, and serve the portal with its task cluster on $HOST:$PORT
# (127.0.0.1 unless HOST says otherwise, e.g. HOST=0.0.0.0 to open it to the network).
# Idempotent: a second run finds everything in place and starts again.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-3040}"
mkdir -p var

"$PY" manage.py migrate --noinput
"$PY" manage.py createcachetable
"$PY" manage.py seed
"$PY" manage.py collectstatic --noinput -v 0

# The django-q2 cluster (ORM broker: no extra server) runs beside the web server and
# stops with it.
"$PY" manage.py qcluster &
QCLUSTER_PID=$!
trap 'kill "$QCLUSTER_PID" 2>/dev/null; wait "$QCLUSTER_PID" 2>/dev/null || true' EXIT INT TERM

echo "D-REC portal on http://${HOST}:${PORT}/  (API docs: /swagger/, health: /api/health)"
.venv/bin/gunicorn drec.wsgi:application \
  --bind "${HOST}:${PORT}" \
  --workers "${WEB_CONCURRENCY:-2}" \
  --threads "${GUNICORN_THREADS:-4}" \
  --access-logfile - \
  --graceful-timeout 10
