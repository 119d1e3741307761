"""backend.md §15.4 (robustness and correctness), items 28-33: each weakness of the original,
tried against our product, must stay absent. (Items 34-43: test_15_4_correctness.py.)

The concurrency tests commit for real (``transaction=True``) and race two threads, each with
its own database connection, against the real PostgreSQL."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from certificates.models import Carry, Certificate, Contribution
from certificates.services import certificates_issue_due, issuance
from certificates.services.issuance import reservation_issue
from devices import bulk
from devices.models import CsvJob, CsvJobStatus, Device
from reads.models import MeterRead
from reservations.models import Reservation
from tests.certificates.helpers import (
    DAY,
    HOUR,
    T0,
    assert_issuance_consistent,
    carry,
    certificates,
    device_at,
    device_reading,
    issue,
    ongoing,
    reservation_make,
)
from tests.devices.helpers import job_url
from tests.devices.test_bulk_processing import queued_job
from tests.reads.expect import assert_refused, assert_stored, period, rows, send
from tests.reads.helpers import ONBOARDED, batch, device_onboarded, hourly, iso, reads_url
from tests.reads.test_database import _post_together
from tests.reservations.helpers import RESERVATIONS_URL, reservation_url

pytestmark = [pytest.mark.django_db]

COMMITS = pytest.mark.django_db(transaction=True, serialized_rollback=True)
CERTIFICATES_URL = "/api/certificate-log/issuer/certifiedlogOfdevices"


def together(*calls) -> list:
    """Run the callables at the same moment, each in its own thread and connection; their results."""
    results: list = [None] * len(calls)
    failures: list = []
    start = threading.Barrier(len(calls))

    def run(number: int) -> None:
        try:
            start.wait(timeout=30)
            results[number] = calls[number]()
        except Exception as error:
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(number,)) for number in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    return results


# --- 28 -----------------------------------------------------------------------------------


@COMMITS
def test_15_28_concurrent_issuance_and_bulk_jobs_process_once_and_jobs_never_stay_running(
    client_for, world, monkeypatch
):
    """The original's issuance and CSV crons ran every 30 s in every replica without a lock
    (double processing, overlapping runs) and left a CSV job ``Running`` on any exception.
    Ours: a reservation is issued by one run at a time (an advisory lock per reservation plus
    its row lock), a job is claimed by one worker, and a job that breaks ends ``Failed``."""
    now = T0 + 3 * DAY
    first = device_reading(world.developer_org, "RACE-A", count=48, value=1000)
    second = device_reading(world.developer_org, "RACE-B", count=48, value=500)
    one = reservation_make(world.buyer, [first], frequency="daily", name="Race one")
    two = reservation_make(world.buyer, [second], frequency="hourly", name="Race two")

    # While another run holds the reservation (its lock, or its row), a run issues nothing.
    assert issuance._issuing_lock(one.pk, take=True)
    try:
        assert together(lambda: reservation_issue(reservation_id=one.pk, now=now)) == [[]]
    finally:
        issuance._issuing_lock(one.pk, take=False)
    with transaction.atomic():
        Reservation.objects.select_for_update().get(pk=one.pk)
        assert together(lambda: reservation_issue(reservation_id=one.pk, now=now)) == [[]]
    assert not Certificate.objects.exists()

    # Two whole runs at once issue each certificate once: 2 daily + 48 half-unit hours = 24.
    issued = together(lambda: certificates_issue_due(now=now), lambda: certificates_issue_due(now=now))
    assert sum(issued) == 2 + 24, issued
    assert [c.energy_wh for c in certificates(one)] == [24_000, 24_000]
    assert sum(c.energy_wh for c in certificates(two)) == 24_000
    assert_issuance_consistent()
    assert certificates_issue_due(now=now) == 0

    # Bulk jobs: two workers on one job create its devices once.
    monkeypatch.setattr(bulk, "enqueue", lambda *args, **kwargs: None)  # the workers below take it
    job = queued_job(world.managed, world.api_user, 40)
    together(lambda: bulk.csv_job_process(job.pk), lambda: bulk.csv_job_process(job.pk))
    job.refresh_from_db()
    assert (job.status, job.rows_total, job.rows_processed, job.rows_created, job.rows_failed) == (
        "Completed",
        40,
        40,
        40,
        0,
    )
    assert Device.objects.filter(organization=world.managed, external_id__startswith="BULK-").count() == 40

    # A job that breaks half-way ends Failed (with a message), not Running; so does one whose worker vanished.
    api = client_for(world.api_user)
    broken = queued_job(world.managed, world.api_user, 3)
    monkeypatch.setattr(bulk, "_insert", lambda *args: (_ for _ in ()).throw(RuntimeError("disk on fire")))
    bulk.csv_job_process(broken.pk)
    status = api.get(job_url(broken.pk), {"orgId": broken.organization_id}).json()
    assert status["status"] == "Failed"
    assert status["error"]
    assert "disk on fire" not in status["error"]
    CsvJob.objects.filter(pk=broken.pk).update(status=CsvJobStatus.RUNNING, error="", finished_at=None)
    silent = timezone.now() - timedelta(hours=10)
    CsvJob.objects.filter(pk=broken.pk).update(updated_at=silent)
    bulk.csv_jobs_watch()
    assert api.get(job_url(broken.pk), {"orgId": broken.organization_id}).json()["status"] == "Failed"
    assert not CsvJob.objects.filter(status=CsvJobStatus.RUNNING).exists()


# --- 29 -----------------------------------------------------------------------------------


@COMMITS
def test_15_29_certificate_ids_come_from_a_sequence_counters_are_kept_and_skipped_issuance_leaves_nothing(
    client_for, world
):
    """The original numbered certificates ``count + 1`` (two issuances at once collide), never
    moved a certificate log past ``Requested``, never kept the Succeeded/Failed counters, and
    saved the leftover kWh even when it then skipped issuing. Ours: ids are a database
    identity, concurrent issuances get distinct ids; each reservation's requested and
    succeeded volumes are the certificates' sum; a window too small to issue stores nothing."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT is_identity, column_default FROM information_schema.columns "
            "WHERE table_name = 'certificates_certificate' AND column_name = 'id'"
        )
        is_identity, default = cursor.fetchone()
    assert is_identity == "YES" or (default or "").startswith("nextval("), (is_identity, default)

    now = T0 + 2 * DAY
    devices = [device_reading(world.developer_org, f"SEQ-{n}", count=48, value=1000) for n in range(2)]
    reservations = [
        reservation_make(world.buyer, [device], frequency="hourly", name=f"Sequence {n}")
        for n, device in enumerate(devices)
    ]
    issued = together(*[lambda r=r: reservation_issue(reservation_id=r.pk, now=now) for r in reservations])
    ids = [certificate.pk for run in issued for certificate in run]
    assert len(ids) == 96
    assert len(set(ids)) == 96
    assert Certificate.objects.count() == 96
    assert_issuance_consistent()

    # The counters the buyer sees, and the status of each device's share.
    buyer = client_for(world.buyer)
    for reservation in reservations:
        reservation.refresh_from_db()
        total = sum(reservation.certificates.values_list("energy_wh", flat=True))
        assert (reservation.requested_wh, reservation.succeeded_wh, reservation.failed_wh) == (total, total, 0)
        answer = buyer.get(reservation_url(reservation.pk)).json()
        assert answer["targetVolumeCertificateGenerationRequestedInMegaWattHour"] == 0.048
        assert answer["targetVolumeCertificateGenerationSucceededInMegaWattHour"] == 0.048
        assert answer["targetVolumeCertificateGenerationFailedInMegaWattHour"] == 0
    log = buyer.get(CERTIFICATES_URL, {"limit": 200}).json()
    assert log["totalCount"] == 96
    assert {row["status"] for item in log["certificatelog"] for row in item["perDeviceCertificateLog"]} == {"Succeeded"}

    # A window below one unit is skipped with nothing stored; the next certifies its reads.
    device = device_at(world.developer_org, "SKIP", onboarded=T0 - HOUR)
    ongoing(device, [(T0, 50_000), (T0 + HOUR, 500)])
    skipping = reservation_make(world.buyer, [device], frequency="daily", name="Skipping")
    assert issue(skipping, T0 + DAY + HOUR) == []
    assert not Carry.objects.filter(reservation=skipping).exists()
    assert not Contribution.objects.filter(membership__reservation=skipping).exists()
    assert skipping.requested_wh == 0
    ongoing(device, [(T0 + DAY + 2 * HOUR, 700)])
    assert issue(skipping, T0 + 2 * DAY) == [1000]
    [share] = Contribution.objects.filter(membership__reservation=skipping)
    assert (share.energy_wh, share.reads) == (1200, 2)
    assert carry(skipping) == 200

    # A certificate capped at the target keeps no leftover.
    capped_device = device_reading(world.developer_org, "CAP", count=3 * 24, value=300)  # 7,200 Wh a day
    capped = reservation_make(world.buyer, [capped_device], frequency="daily", target_wh=17_500, name="Capped")
    assert issue(capped, T0 + 3 * DAY) == [7000, 7000, 3000]  # the last one capped: 1,200 Wh unused
    assert carry(capped) == 0
    assert (capped.requested_wh, capped.is_active) == (17_000, False)
    assert_issuance_consistent(exact_carry=False)


# --- 30 -----------------------------------------------------------------------------------


def test_15_30_issuance_caps_the_target_reads_every_read_and_keeps_countries_apart(world):
    """The original's issuance removed the wrong devices from a list (index-based splice),
    let the last certificate overshoot the target without authorityToExceed, read at most
    5,000 reads per device window, and let per-country certificates share one window row.
    Ours: every device with reads contributes; the target is a ceiling unless
    authorityToExceed; a window of 6,000 reads is certified whole; each country has its own
    certificate and carry."""
    developer = world.developer_org

    # Target 17,500 Wh, 7,200 Wh a day: without authority the last certificate is capped.
    capped = reservation_make(
        world.buyer, [device_reading(developer, "TGT-1", count=5 * 24, value=300)], frequency="daily", target_wh=17_500
    )
    assert issue(capped, T0 + 5 * DAY) == [7000, 7000, 3000]
    assert capped.requested_wh == 17_000 <= capped.target_wh
    assert not capped.is_active
    exceeding = reservation_make(
        world.buyer,
        [device_reading(developer, "TGT-2", count=5 * 24, value=300)],
        frequency="daily",
        target_wh=17_500,
        authority_to_exceed=True,
    )
    assert issue(exceeding, T0 + 5 * DAY) == [7000, 7000, 7000, 7000, 8000]
    assert exceeding.requested_wh == 36_000

    # 6,000 one-minute reads in one weekly window: all certified in one certificate.
    many = device_reading(developer, "MANY", count=6000, value=10, step=timedelta(minutes=1))
    weekly = reservation_make(world.buyer, [many], frequency="weekly")
    assert issue(weekly, T0 + 8 * DAY) == [60_000]
    [share] = certificates(weekly)[0].contributions.all()
    assert (share.reads, share.energy_wh) == (6000, 60_000)

    # A device without reads between two with reads: both others contribute, each its own reads.
    first = device_reading(developer, "MIX-A", count=24, value=400)
    idle = device_at(developer, "MIX-B", onboarded=T0 - HOUR)
    last = device_reading(developer, "MIX-C", count=24, value=600)
    mixed = reservation_make(world.buyer, [first, idle, last], frequency="daily")
    assert issue(mixed, T0 + DAY) == [24_000]
    shares = {c.device.external_id: c.energy_wh for c in certificates(mixed)[0].contributions.all()}
    assert shares == {"MIX-A": 9600, "MIX-C": 14_400}

    # Two countries in one reservation: a certificate and a carry each, for the same window.
    india = device_reading(developer, "C-IND", count=24, value=1300, country="IND")
    kenya = device_reading(developer, "C-KEN", count=24, value=700, country="KEN")
    countries = reservation_make(world.buyer, [india, kenya], frequency="daily")
    assert sorted(issue(countries, T0 + DAY)) == [16_000, 31_000]
    by_country = {c.country_id: c for c in certificates(countries)}
    assert {code: c.energy_wh for code, c in by_country.items()} == {"IND": 31_000, "KEN": 16_000}
    assert by_country["IND"].pk != by_country["KEN"].pk
    for code, certificate in by_country.items():
        assert (certificate.window_start, certificate.window_end) == (T0, T0 + DAY)
        assert {c.device.country_id for c in certificate.contributions.all()} == {code}
    assert (carry(countries, "IND"), carry(countries, "KEN")) == (200, 800)
    assert_issuance_consistent(exact_carry=False)


# --- 31 -----------------------------------------------------------------------------------


@pytest.mark.parametrize("read_type", ["Delta", "Aggregate"])
def test_15_31_a_read_ending_at_the_last_reads_end_is_refused_and_overwrites_nothing(client_for, world, read_type):
    """The original accepted a Delta read whose end equalled the last read's (``>=``) and
    Influx overwrote the stored point: silent data loss. Ours requires strictly increasing
    ends: 400 naming the read, the stored read unchanged (and the database refuses a second
    read with the same end whatever the code does)."""
    device = device_onboarded(world.developer_org, "SAME-END")
    developer = client_for(world.developer_admin)
    first, second = ONBOARDED + HOUR, ONBOARDED + 2 * HOUR
    values = (1000, 1200) if read_type == "Delta" else (1000, 2200)
    reads = [{"endtimestamp": iso(first), "value": values[0]}, {"endtimestamp": iso(second), "value": values[1]}]
    assert_stored(send(developer, device, read_type, reads), 2)
    before = rows(device)

    again = {"endtimestamp": iso(second), "value": 900 if read_type == "Delta" else 2600}
    errors = assert_refused(send(developer, device, read_type, [again]), (0, "endtimestamp"))
    assert "never overwritten" in errors[0]["message"]
    # Also with a new read after it in the same batch, and a duplicate end inside one batch.
    later = {"endtimestamp": iso(second + HOUR), "value": 1000 if read_type == "Delta" else 3000}
    assert_refused(send(developer, device, read_type, [again, later]), (0, "endtimestamp"))
    assert_refused(send(developer, device, read_type, [later, dict(later)]), (1, "endtimestamp"))
    assert rows(device) == before
    listed = developer.get(reads_url("SAME-END"), {"readType": "meterReads"}).json()
    assert [(read["enddate"], read["value"]) for read in listed["ongoing"]] == [
        (iso(first), before[0][3]),
        (iso(second), before[1][3]),
    ]

    with pytest.raises(IntegrityError), transaction.atomic():
        MeterRead.objects.create(device=device, read_type=read_type, start=first, end=second, value_wh=1)
    assert rows(device) == before


# --- 32 -----------------------------------------------------------------------------------


@COMMITS
def test_15_32_a_request_stores_its_whole_batch_or_nothing_and_concurrent_overlaps_cannot_both_land(
    client_for, developer_admin
):
    """The original took one read per request (the payload's array notwithstanding), wrote with
    an async ``forEach`` (partial writes, unhandled rejections), saved History rows without
    awaiting them, checked History overlaps before inserting (a race), and validated an
    Aggregate baseline's absolute counter against the maximum energy. Ours stores a batch of
    up to 10,000 reads in one transaction, all or nothing, visible when the 201 arrives; of two
    overlapping History batches sent at once exactly one lands; a baseline counter is not energy."""
    developer = client_for(developer_admin)
    organization = developer_admin.organization
    device = device_onboarded(organization, "BATCH")

    assert_stored(send(developer, device, "Delta", hourly(ONBOARDED, 500)), 500)
    assert MeterRead.objects.filter(device=device).count() == 500
    assert developer.get(reads_url("BATCH"), {"readType": "meterReads"}).json()["numberOfReads"] == 500

    # One bad read anywhere refuses the whole batch, and names it.
    more = hourly(ONBOARDED + 500 * HOUR, 100)
    more[57]["value"] = -1
    assert_refused(send(developer, device, "Delta", more), (57, "value"))
    history = [period(datetime(2023, 6, 1, tzinfo=UTC) + n * HOUR) for n in range(50)]
    history[49]["starttimestamp"] = "not a date"
    assert_refused(send(developer, device, "History", history), (49, "starttimestamp"))
    assert MeterRead.objects.filter(device=device).count() == 500
    more[57]["value"] = 1000
    assert_stored(send(developer, device, "Delta", more), 100)

    # An Aggregate baseline is a counter, not energy: a large one is accepted; energy is the difference.
    meter = device_onboarded(organization, "METER")
    counters = [{"endtimestamp": iso(ONBOARDED + HOUR), "value": 10**9}]
    counters.append({"endtimestamp": iso(ONBOARDED + 2 * HOUR), "value": 10**9 + 1000})
    assert_stored(send(developer, meter, "Aggregate", counters), 2)
    assert [(row[3], row[4], row[5]) for row in rows(meter)] == [(0, 10**9, True), (1000, 10**9 + 1000, False)]

    # Two History batches overlapping by half, sent at once: one is stored whole, the other refused whole.
    june = datetime(2023, 6, 1, tzinfo=UTC)
    early = [period(june + n * HOUR) for n in range(200)]
    late = [period(june + (n + 100) * HOUR) for n in range(200)]
    responses = _post_together(developer_admin, device, [batch("History", early), batch("History", late)])
    assert sorted(response.status_code for response in responses) == [201, 400], [r.content[:300] for r in responses]
    winner = early if responses[0].status_code == 201 else late
    stored = [row[1] for row in rows(device, "History")]
    assert stored == [datetime.fromisoformat(read["starttimestamp"]) for read in winner]


# --- 33 -----------------------------------------------------------------------------------

TIMESTAMP_COLUMNS = {
    "devices_device": ["commissioning_date", "created_at"],
    "reservations_reservation": ["start", "end", "expiry", "ended_at"],
    "reservations_reservationdevice": ["covers_from", "covers_until", "released_at"],
    "reads_meterread": ["start", "end"],
    "certificates_certificate": ["generation_start", "generation_end", "window_start", "window_end"],
    "certificates_contribution": ["start", "end", "previous_end"],
    "certificates_claim": ["period_start", "period_end"],
}
PROJECT_TABLES = ("accounts_", "acl_", "organizations_", "devices_", "reads_", "reservations_", "certificates_")
# Words of a column name that say it holds a moment.
DATE_LIKE = {"date", "at", "time", "timestamp", "start", "end", "expiry", "until", "from", "on"}


def test_15_33_dates_are_timestamptz_and_compare_as_instants(client_for, world):
    """The original stored commissioning dates, window start/end dates and late-cycle dates as
    varchar and compared them as strings. Ours stores every moment as ``timestamptz`` and
    compares instants: a bound or a value given with another offset means the same moment."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema()"
        )
        columns = {(table, column): kind for table, column, kind in cursor.fetchall()}
    for table, names in TIMESTAMP_COLUMNS.items():
        for name in names:
            assert columns[(table, name)] == "timestamp with time zone", (table, name, columns.get((table, name)))
    as_text = [
        (table, column)
        for (table, column), kind in columns.items()
        if table.startswith(PROJECT_TABLES)
        and kind in ("character varying", "text", "character")
        and (DATE_LIKE & set(column.lower().split("_")) or column.lower().endswith(("date", "time", "timestamp")))
    ]
    assert as_text == []

    # Device filters: 12:35+02:00 is before 11:35Z (as text it sorts after), 13:00+02:00 too.
    developer = client_for(world.developer_admin)  # DEV-1, commissioned 2022-10-18T11:35Z

    def commissioned(**bounds) -> list[str]:
        response = developer.get("/api/device/my", bounds)
        assert response.status_code == 200, response.content
        return [device["externalId"] for device in response.json()["devices"]]

    assert commissioned(start_date="2022-10-18T12:35:00+02:00") == ["DEV-1"]
    assert commissioned(end_date="2022-10-18T13:00:00+02:00") == []
    assert commissioned(end_date="2022-10-18T07:00:00-05:00") == ["DEV-1"]

    # A commissioning date with an offset is stored and answered as the instant it names.
    registered = developer.post(
        "/api/device",
        {
            "externalId": "OFFSET-1",
            "address": "1 Offset Road",
            "latitude": "18.52",
            "longitude": "73.85",
            "countryCode": "IND",
            "fuelCode": "ES100",
            "deviceTypeCode": "TC120",
            "capacity": 2.5,
            "commissioningDate": "2022-10-18T23:30:00-05:00",
        },
        format="json",
    )
    assert registered.status_code == 201, registered.content
    assert registered.json()["commissioningDate"].startswith("2022-10-19T04:30:00")
    stored = Device.objects.get(external_id="OFFSET-1").commissioning_date
    assert stored == datetime(2022, 10, 19, 4, 30, tzinfo=UTC)

    # Reservation filters compare instants too: 01:00+02:00 on T0's day is before T0 (00:00Z).
    reservation_make(world.buyer, [world.device], frequency="daily", name="Instant")
    buyer = client_for(world.buyer)

    def reserved(**bounds) -> list[str]:
        response = buyer.get(RESERVATIONS_URL, bounds)
        assert response.status_code == 200, response.content
        return [item["name"] for item in response.json()["groupedData"]]

    assert reserved(start_date=(T0 - HOUR).astimezone(timezone.get_fixed_timezone(120)).isoformat()) == ["Instant"]
    assert reserved(start_date=iso(T0 + HOUR)) == []

    # A History read must end before onboarding (2024-01-01T00:00Z): 05:00+05:30 that day is 23:30Z the day before.
    device = device_onboarded(world.developer_org, "HIST-TZ")
    before = {"starttimestamp": "2024-01-01T04:00:00+05:30", "endtimestamp": "2024-01-01T05:00:00+05:30", "value": 100}
    assert_stored(send(developer, device, "History", [before]), 1)
    # ... and 23:30-02:00 on 31 December is 01:30Z on 1 January: after onboarding (as text, before).
    after = {"starttimestamp": "2023-12-31T22:30:00-02:00", "endtimestamp": "2023-12-31T23:30:00-02:00", "value": 100}
    assert_refused(send(developer, device, "History", [after]), (0, "endtimestamp"))
    assert rows(device) == [
        (
            "History",
            datetime(2023, 12, 31, 22, 30, tzinfo=UTC),
            datetime(2023, 12, 31, 23, 30, tzinfo=UTC),
            100,
            None,
            False,
        )
    ]
