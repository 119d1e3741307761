"""Profile API endpoints in-process with cProfile (issue 17's "profile before and after").

Builds, once, a Developer organization with 200 devices (the side-by-side shape of SPEC §12),
then for each URL given: 20 warm-up requests, 300 timed ones (ms per request, no profiler),
and 300 under cProfile (the 45 costliest functions by cumulative time). Run against a
throwaway database with production settings, e.g.:

    createdb -h /tmp/pgdev -U postgres drec_prof
    export DJANGO_SETTINGS_MODULE=drec.settings DJANGO_DEBUG=0 DJANGO_SECRET_KEY=<48+ chars> \\
        DJANGO_SECURE_SSL_REDIRECT=0 DJANGO_ALLOWED_HOSTS=testserver DJANGO_LOG_LEVEL=WARNING \\
        DATABASE_URL=postgresql://postgres@%2Ftmp%2Fpgdev/drec_prof PYTHONPATH=.
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py createcachetable
    .venv/bin/python scripts/profile-api.py "/api/device/my?pagenumber=1" /api/user/me

It does not show PostgreSQL's own time (planning, execution): look at the statements' count
and at pg_stat_statements or EXPLAIN for that.
"""

import cProfile
import csv
import io
import pstats
import sys
import time
from decimal import Decimal

import django

django.setup()

from django.db import connection  # noqa: E402 (after django.setup)
from django.test import Client  # noqa: E402

from accounts.models import TokenKind  # noqa: E402
from accounts.services import access_token_issue  # noqa: E402
from devices.benchmarks import _organization, bench_device, device_csv  # noqa: E402

ROUNDS = 300

organization, user = _organization("Profile")
for row in csv.DictReader(io.StringIO(device_csv(200, prefix="P").decode())):
    capacity = Decimal(row["capacity"])
    bench_device(organization, row["externalId"], address=row["address"], capacity=capacity, sdg_benefits=["SDG7"])
with connection.cursor() as cursor:
    cursor.execute("ANALYZE")
token, _lifetime = access_token_issue(user=user, kind=TokenKind.PASSWORD)
client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
for url in sys.argv[1:]:
    for _ in range(20):
        if client.get(url).status_code != 200:
            sys.exit(f"{url} does not answer 200")
    start = time.perf_counter()
    for _ in range(ROUNDS):
        client.get(url)
    per_request = (time.perf_counter() - start) / ROUNDS * 1000
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(ROUNDS):
        client.get(url)
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(45)
    print(f"=== {url}: {per_request:.2f} ms per request (in-process, no profiler)")
    print(out.getvalue())
