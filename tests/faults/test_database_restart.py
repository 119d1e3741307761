"""PostgreSQL restarted under concurrent writers (issue 20, must-show 1).

Ten clients post History batches (a day of hourly reads each) to gunicorn, with the production
settings, while the database server is stopped for two seconds and started again. Every answer
is either 201 (the batch is stored, whole) or a JSON 503 with ``Retry-After``; a portal page is
the 503 page meanwhile; afterwards the stored reads are exactly those of the acknowledged
batches, and the health check answers 200 again within seconds, without restarting the web
server.
"""

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Count, Sum

from accounts.models import TokenKind
from accounts.services import access_token_issue
from devices.benchmarks import _organization, bench_device
from devices.models import Device
from reads.models import MeterRead
from tests.faults import postgres
from tests.faults.web import call, production_server, unavailable

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WRITERS = 10
HOURLY_WH = 1_000  # under the cap of the 5 kW bench device (1,369 Wh an hour)
ONBOARDED = datetime(2026, 1, 1, tzinfo=UTC)
DOWN_SECONDS = 2.0


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def history_day(day: int) -> str:
    """The batch of day ``day`` before onboarding: 24 hourly History reads."""
    start = ONBOARDED - timedelta(days=day + 1)
    reads = [
        {"starttimestamp": iso(start + timedelta(hours=h)), "endtimestamp": iso(start + timedelta(hours=h + 1))}
        | {"value": HOURLY_WH}
        for h in range(24)
    ]
    return json.dumps({"type": "History", "unit": "Wh", "reads": reads})


@dataclass
class Writer:
    """One client posting a device's days, one batch after the other, until told to stop."""

    base: str
    token: str
    device: Device
    stop: threading.Event
    acknowledged: list[int] = field(default_factory=list)
    answers: Counter = field(default_factory=Counter)
    wrong: list[str] = field(default_factory=list)

    def run(self) -> None:
        day = 0
        path = f"/api/meter-reads/new/{self.device.external_id}"
        while not self.stop.is_set() and day < 360:
            response, body = call(self.base, "POST", path, token=self.token, body=history_day(day))
            self.answers[response.status] += 1
            if response.status == 201:
                self.acknowledged.append(day)
            elif not unavailable(response, body):
                self.wrong.append(f"day {day}: {response.status} {body[:300]!r}")
            day += 1
            time.sleep(0.02)


def health(base: str) -> tuple[int, dict]:
    response, body = call(base, "GET", "/api/health")
    return response.status, json.loads(body)


def wait_until(condition, seconds: float, what: str, writers: list[Writer] = ()) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, (what, [(w.answers, w.wrong[:3]) for w in writers])
        time.sleep(0.05)


def test_a_database_restart_under_ten_writers_loses_and_duplicates_nothing():
    organization, user = _organization("Restart")
    devices = [
        bench_device(organization, f"RST-{n:02d}", commissioning_date=ONBOARDED - timedelta(days=400))
        for n in range(WRITERS)
    ]
    Device.objects.filter(organization=organization).update(created_at=ONBOARDED)
    token, _lifetime = access_token_issue(user=user, kind=TokenKind.PASSWORD)
    stop = threading.Event()

    with production_server() as base:
        writers = [Writer(base, token, device, stop) for device in devices]
        threads = [threading.Thread(target=writer.run) for writer in writers]
        for thread in threads:
            thread.start()
        try:
            wait_until(
                lambda: all(len(w.acknowledged) >= 3 for w in writers), 60, "the writers did not get going", writers
            )
            before = sum(len(w.acknowledged) for w in writers)

            postgres.stop()
            time.sleep(DOWN_SECONDS)
            # While it is down, the health check names the database; a portal page that needs
            # it is the friendly 503 page.
            down_status, down_body = health(base)
            page, page_body = call(base, "GET", "/registry")
            restarted = time.monotonic()
            postgres.start()

            wait_until(lambda: health(base)[0] == 200, 30, "the health check did not recover")
            recovered = time.monotonic() - restarted
            during = sum(w.answers[503] for w in writers)
            after = {id(w): len(w.acknowledged) for w in writers}
            wait_until(
                lambda: all(len(w.acknowledged) >= after[id(w)] + 3 for w in writers),
                60,
                "the writers did not recover",
                writers,
            )
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=60)

    answers = sum((w.answers for w in writers), Counter())
    acknowledged = sum(len(w.acknowledged) for w in writers)
    stored = MeterRead.objects.filter(device__in=devices).aggregate(count=Count("id"), energy=Sum("value_wh"))
    print(
        f"\n{WRITERS} writers, database down {DOWN_SECONDS:.0f} s: answers {dict(answers)}; "
        f"{acknowledged} batches acknowledged ({before} before the stop), {stored['count']} reads stored; "
        f"health 200 again {recovered:.2f} s after the start began"
    )

    # Every answer was a 201 or a 503 a client can act on; the outage was hit.
    assert [wrong for w in writers for wrong in w.wrong] == []
    assert set(answers) <= {201, 503}
    assert during > 0
    assert down_status == 503
    assert down_body["database"] == "unreachable"
    assert (page.status, page.getheader("Retry-After")) == (503, "5")
    assert "Briefly unavailable" in page_body.decode()
    # Exactly the acknowledged batches are stored, each whole, and nothing else.
    assert stored == {"count": 24 * acknowledged, "energy": 24 * acknowledged * HOURLY_WH}
    for writer in writers:
        ends = MeterRead.objects.filter(device=writer.device).values_list("end", flat=True)
        days = Counter((ONBOARDED - end) // timedelta(days=1) for end in ends)
        assert days == dict.fromkeys(writer.acknowledged, 24)
    # Back within seconds, without restarting the web server.
    assert recovered < 10
