"""The back office's pages answer, show what a person looks for, and stay fast on big tables:
every registered changelist opens; one record of each kind opens on a page naming it as users
know it; the meter reads are found by device and by recent period; the big changelists never
count a whole table and walk an index with a LIMIT."""

from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext

from certificates.models import Carry, Certificate, Claim, Contribution, LedgerEntry
from devices.models import CsvJob, CsvJobStatus, CsvRowError, UploadedFile
from organizations.models import Invitation
from reads.models import MeterRead
from reads.services import yield_config_save
from reservations.models import ReservationDevice
from tests.certificates.helpers import device_reading
from tests.devices.helpers import device_make
from tests.drec.test_admin_readonly import issued, superuser_client, url  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

BIG_TABLES = ("reads_meterread", "certificates_certificate")


@pytest.fixture
def data(issued, developer_admin, admin_user):  # noqa: F811
    """The issued world, with a bulk upload that had a row error, an uploaded file, a yield and
    an invitation."""
    organization = developer_admin.organization
    job = CsvJob.objects.create(
        organization=organization,
        created_by=developer_admin,
        file_name="fleet.csv",
        data=b"externalId,capacity\nBAD-ROW,-1\n",
        status=CsvJobStatus.COMPLETED,
        rows_total=1,
        rows_processed=1,
        rows_failed=1,
    )
    row_error = CsvRowError.objects.create(
        job=job,
        row_number=1,
        external_id="BAD-ROW",
        field="capacity",
        message="Capacity should be greater than 0",
        value="-1",
    )
    uploaded = UploadedFile.objects.create(
        key="uploads/fleet-photo.png",
        original_name="fleet-photo.png",
        content_type="image/png",
        data=b"SECRET-BYTES-OF-THE-FILE",
        size=24,
        organization=organization,
        uploaded_by=developer_admin,
    )
    config = yield_config_save(acting_user=admin_user, country_code="KEN", yield_value=1600, status="Y")
    invitation = Invitation.objects.create(
        organization=organization, email="newcomer@example.com", role="User", sender="Dev Admin"
    )
    return SimpleNamespace(
        **vars(issued),
        job=job,
        row_error=row_error,
        uploaded=uploaded,
        config=config,
        invitation=invitation,
        membership=ReservationDevice.objects.get(reservation=issued.reservation, device=issued.device),
        carry=Carry.objects.filter(reservation=issued.reservation).first(),
        developer_admin=developer_admin,
    )


def test_every_registered_changelist_opens(data, superuser_client):  # noqa: F811
    failures = []
    for model in admin.site._registry:
        response = superuser_client.get(url(model, "changelist"))
        if response.status_code != 200:
            failures.append(f"{model._meta.label}: {response.status_code}")
    assert failures == []


def pages(data) -> list[tuple[object, list[str], list[str]]]:
    """(record, what its page shows, what it must not show)."""
    device, certificate = data.device, data.certificate
    buyer_organization = data.reservation.organization.name
    return [
        (device.organization, [device.organization.name, data.developer_admin.email, "newcomer@example.com"], []),
        (data.invitation, ["newcomer@example.com", device.organization.name], []),
        (device, ["ADMIN-SUN", device.organization.name, "reads of this device", "Admin schools"], []),
        (data.read, ["ADMIN-SUN", "500 Wh"], []),
        (data.reservation, ["Admin schools", buyer_organization, "24,000 Wh issued", "ADMIN-SUN"], []),
        (data.membership, ["Admin schools", "ADMIN-SUN"], []),
        (certificate, [buyer_organization, "Admin schools", "12,000 Wh", "1,000 Wh", "Village school"], []),
        (data.contribution, ["ADMIN-SUN", "12,000 Wh"], []),
        (data.claim, ["Village school", "1,000 Wh"], []),
        (data.entry, [data.entry.hash, "all entries of this certificate"], []),
        (data.job, ["fleet.csv", "BAD-ROW", "Capacity should be greater than 0"], ["externalId,capacity"]),
        (data.row_error, ["BAD-ROW", "Capacity should be greater than 0"], []),
        (data.uploaded, ["fleet-photo.png", "24 bytes"], ["SECRET-BYTES"]),
        (data.config, ["Kenya", "1600"], []),
        (data.carry, ["Admin schools", " Wh"], []),
    ]


def test_each_record_page_shows_what_people_look_for(data, superuser_client):  # noqa: F811
    assert data.carry is not None
    for record, shown, hidden in pages(data):
        response = superuser_client.get(url(record, "change", record.pk))
        assert response.status_code == 200, record
        text = response.content.decode()
        for value in shown:
            assert value in text, (record, value)
        for value in hidden:
            assert value not in text, (record, value)


def test_the_changelists_name_organizations_and_units(data, superuser_client):  # noqa: F811
    buyer_organization = data.reservation.organization.name
    certificates = superuser_client.get(url(Certificate, "changelist")).content.decode()
    assert buyer_organization in certificates
    assert "12,000 Wh" in certificates
    reads = superuser_client.get(url(MeterRead, "changelist")).content.decode()
    assert f"ADMIN-SUN ({data.device.organization.name})" in reads
    assert "500 Wh" in reads
    reservations = superuser_client.get(url(data.reservation, "changelist")).content.decode()
    assert "Admin schools" in reservations
    assert "0.0% (24,000 Wh issued)" in reservations


def listed(response) -> list:
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def test_the_reads_of_one_device(data, superuser_client):  # noqa: F811
    other = device_reading(data.device.organization, "OTHER-SUN", count=3, value=100)
    changelist = url(MeterRead, "changelist")

    response = superuser_client.get(changelist, {"device__id__exact": other.pk})
    reads = listed(response)
    assert {read.device_id for read in reads} == {other.pk}
    assert len(reads) == MeterRead.objects.filter(device=other).count() == 4
    assert "OTHER-SUN" in response.content.decode()  # the filter names the device

    assert {read.device_id for read in listed(superuser_client.get(changelist, {"q": "other-sun"}))} == {other.pk}
    assert listed(superuser_client.get(changelist, {"q": "nothing-like-it"})) == []
    assert listed(superuser_client.get(changelist, {"device__id__exact": other.pk + 1000})) == []
    assert superuser_client.get(changelist, {"device__id__exact": "x"})["Location"].endswith("?e=1")


def test_the_reads_of_a_recent_period(data, superuser_client):  # noqa: F811
    changelist = url(MeterRead, "changelist")
    for period in ("24h", "7d", "30d"):
        assert superuser_client.get(changelist, {"ended": period}).status_code == 200
    assert listed(superuser_client.get(changelist, {"ended": "24h"})) == []  # the reads are of March 2026
    assert superuser_client.get(changelist, {"ended": "1y"})["Location"].endswith("?e=1")


def test_certificates_are_found_by_id_or_uid_exactly(data, superuser_client):  # noqa: F811
    changelist = url(Certificate, "changelist")
    certificate = data.certificate
    assert listed(superuser_client.get(changelist, {"q": str(certificate.pk)})) == [certificate]
    assert listed(superuser_client.get(changelist, {"q": str(certificate.uid)})) == [certificate]
    assert listed(superuser_client.get(changelist, {"q": "Admin schools"})) == []


def test_the_big_changelists_never_count_a_whole_table(data, superuser_client):  # noqa: F811
    visits = [
        (MeterRead, {}),
        (MeterRead, {"device__id__exact": data.device.pk}),
        (MeterRead, {"ended": "30d"}),
        (MeterRead, {"q": "ADMIN-SUN"}),
        (Certificate, {}),
        (Certificate, {"source": "ongoing"}),
        (Certificate, {"q": str(data.certificate.pk)}),
        (Contribution, {}),
        (Claim, {}),
        (LedgerEntry, {}),
    ]
    with CaptureQueriesContext(connection) as captured:
        for model, query in visits:
            assert superuser_client.get(url(model, "changelist"), query).status_code == 200
    counts = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts, "the paginator counts"
    for sql in counts:
        if any(f'"{table}"' in sql for table in BIG_TABLES):
            assert "LIMIT" in sql.upper(), sql


# --- The plans of the meter reads' pages ------------------------------------------------------


def reads_insert(device_ids: list[int], per_device: int) -> None:
    """History reads, an hour each, back to back: a table big enough for the planner to
    prefer an index over reading it whole."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO reads_meterread (device_id, read_type, start, "end", value_wh, is_baseline, created_at)
            SELECT d, 'History', TIMESTAMPTZ '2020-01-01' + n * INTERVAL '1 hour',
                   TIMESTAMPTZ '2020-01-01' + (n + 1) * INTERVAL '1 hour', 100, false, now()
            FROM unnest(%s::bigint[]) AS d, generate_series(0, %s - 1) AS n
            """,
            [device_ids, per_device],
        )
        cursor.execute("ANALYZE reads_meterread")


def page_query(client, query: dict) -> str:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url(MeterRead, "changelist"), query).status_code == 200
    pages = [
        q["sql"] for q in captured.captured_queries if 'FROM "reads_meterread"' in q["sql"] and "LIMIT 50" in q["sql"]
    ]
    assert len(pages) == 1, [q["sql"] for q in captured.captured_queries]
    return pages[0]


def plan(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_reads_pages_walk_the_device_end_index(developer_admin, superuser_client):  # noqa: F811
    devices = [device_make(developer_admin.organization, f"BIG-{n}") for n in range(4)]
    reads_insert([device.pk for device in devices], 5000)

    for query in ({}, {"device__id__exact": devices[2].pk}):
        explained = plan(page_query(superuser_client, query))
        assert explained.lstrip().startswith("Limit"), explained
        assert "one_read_per_device_and_end" in explained, explained
        assert "Seq Scan on reads_meterread" not in explained, explained
        assert "Sort" not in explained, explained
