"""Plain helpers of the certificate tests: devices with ongoing and History reads, reservations
made directly (exact targets in Wh), a comparable picture of what was issued, and the
invariants every issuance must keep (each read certified at most once, contributions that
match the reads, whole units, an exact carry, one signed ledger entry per certificate)."""

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise

from django.conf import settings
from django.db import connection
from django.db.models import Sum

from certificates import ledger
from certificates.models import Carry, Certificate, Contribution, EntryKind, LedgerEntry
from certificates.services import ClaimRequest, reservation_issue
from devices.models import Device
from reads.models import MeterRead, ReadType
from reads.services import reads_ingest
from reservations.models import Reservation, ReservationDevice
from tests.devices.helpers import device_make

UNIT = 1000  # DREC_CERTIFICATE_UNIT_WH (default)
T0 = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday, midnight UTC, in the past
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- Devices and reads -------------------------------------------------------------------


def device_at(organization, external_id: str, *, onboarded: datetime, country: str = "IND", capacity="10") -> Device:
    """A device registered through the service, moved back in time to ``onboarded``. 10 kW
    by default: up to ~2.7 kWh an hour passes the plausibility cap."""
    device = device_make(
        organization,
        external_id,
        countryCode=country,
        capacity=Decimal(capacity),
        commissioningDate=datetime(2022, 1, 1, tzinfo=UTC),
    )
    Device.objects.filter(pk=device.pk).update(created_at=onboarded)
    device.refresh_from_db()
    return device


def ongoing(device: Device, reads: list[tuple[datetime, int]]) -> int:
    """Post Delta reads ``(end, Wh)`` (each runs from the device's previous read to its end)."""
    return reads_ingest(
        device=device,
        read_type=ReadType.DELTA,
        unit="Wh",
        timezone_name=None,
        reads=[{"endtimestamp": iso(end), "value": value} for end, value in reads],
    )


def series(first_end: datetime, count: int, value: int, step: timedelta = HOUR) -> list[tuple[datetime, int]]:
    """``count`` reads of ``value`` Wh, the first ending at ``first_end``, one every ``step``."""
    return [(first_end + n * step, value) for n in range(count)]


def history(device: Device, reads: list[tuple[datetime, datetime, int]]) -> int:
    """Post History reads ``(start, end, Wh)``."""
    return reads_ingest(
        device=device,
        read_type=ReadType.HISTORY,
        unit="Wh",
        timezone_name=None,
        reads=[{"starttimestamp": iso(start), "endtimestamp": iso(end), "value": value} for start, end, value in reads],
    )


def device_reading(
    organization,
    external_id: str,
    *,
    start: datetime = T0,
    count: int,
    value: int,
    step: timedelta = HOUR,
    country: str = "IND",
    capacity="10",
) -> Device:
    """A device onboarded an hour before ``start`` whose baseline read ends at ``start``
    (its energy is never certified), then ``count`` reads of ``value`` Wh every ``step``."""
    device = device_at(organization, external_id, onboarded=start - HOUR, country=country, capacity=capacity)
    ongoing(device, [(start, 50_000)])  # the baseline: never certified, whatever its value
    if count:
        ongoing(device, series(start + step, count, value, step))
    return device


# --- Reservations --------------------------------------------------------------------------


def reservation_make(
    buyer,
    devices: list[Device],
    *,
    frequency: str,
    start: datetime = T0,
    end: datetime | None = None,
    expiry: datetime | None = None,
    target_wh: int = 10**12,
    authority_to_exceed: bool = False,
    name: str | None = None,
) -> Reservation:
    """A reservation of ``devices`` covering them from ``start`` (as reservation_create does
    for devices never reserved before), with an exact target in Wh."""
    end = end or start + timedelta(days=30)
    reservation = Reservation.objects.create(
        name=name or f"Reservation {Reservation.objects.count() + 1}",
        organization=buyer.organization,
        buyer=buyer,
        start=start,
        end=end,
        expiry=expiry or end + timedelta(days=60),
        frequency=frequency,
        target_wh=target_wh,
        authority_to_exceed=authority_to_exceed,
    )
    ReservationDevice.objects.bulk_create(
        [ReservationDevice(reservation=reservation, device=device, covers_from=start) for device in devices]
    )
    return reservation


def issue(reservation: Reservation, now: datetime) -> list[int]:
    """Run the issuance of one reservation at ``now``; the volumes (Wh) it issued, in order."""
    issued = reservation_issue(reservation_id=reservation.pk, now=now)
    reservation.refresh_from_db()
    return [certificate.energy_wh for certificate in issued]


def volumes(reservation: Reservation, **filters) -> list[int]:
    return list(reservation.certificates.filter(**filters).order_by("id").values_list("energy_wh", flat=True))


def carry(reservation: Reservation, country: str = "IND") -> int:
    return Carry.objects.filter(reservation=reservation, country_id=country).values_list("carry_wh", flat=True).first()


def certificates(reservation: Reservation, **filters) -> list[Certificate]:
    return list(reservation.certificates.filter(**filters).order_by("id"))


def contribution_of(certificate: Certificate, device: Device) -> Contribution:
    return certificate.contributions.get(device=device)


def claim_request(amount_wh: int, **overrides) -> ClaimRequest:
    fields = {
        "amount_wh": amount_wh,
        "beneficiary": "Village school",
        "location": "Pune",
        "country_code": "IND",
        "period_start": T0,
        "period_end": T0 + DAY,
        "purpose": "Scope 2 claim",
    }
    fields.update(overrides)
    return ClaimRequest(**fields)


# --- What was issued, comparably -------------------------------------------------------------


def snapshot() -> dict:
    """Everything issuance decides, without ids, uids or creation times: equal snapshots mean
    the same certificates (volumes, periods, contributions), carries and reservation states."""
    certs = []
    for certificate in Certificate.objects.select_related("reservation").prefetch_related("contributions__device"):
        contributions = sorted(
            (
                contribution.device.external_id,
                contribution.start,
                contribution.end,
                contribution.energy_wh,
                contribution.reads,
                contribution.previous_end,
                contribution.history_read_id,
            )
            for contribution in certificate.contributions.all()
        )
        certs.append(
            (
                certificate.reservation.name,
                certificate.country_id,
                certificate.source,
                certificate.energy_wh,
                certificate.generation_start,
                certificate.generation_end,
                certificate.window_start,
                certificate.window_end,
                tuple(contributions),
            )
        )
    return {
        "certificates": sorted(certs, key=repr),
        "carries": sorted(Carry.objects.values_list("reservation__name", "country_id", "carry_wh")),
        "reservations": sorted(
            Reservation.objects.values_list("name", "is_active", "ended_at", "requested_wh", "succeeded_wh")
        ),
        "memberships": sorted(
            ReservationDevice.objects.values_list(
                "reservation__name", "device__external_id", "is_active", "covers_from", "covers_until"
            )
        ),
        "ledger": sorted(LedgerEntry.objects.values_list("kind", "payload__energyWh", "payload__country")),
    }


# --- Invariants ------------------------------------------------------------------------------


def assert_issuance_consistent(*, exact_carry: bool = True) -> None:
    """What must hold after any run, whole or killed half-way:

    - every certificate has whole units, at least one contribution and exactly one issue
      entry on a ledger that verifies;
    - each contribution covers exactly the reads it counts (energy, number, first start, last
      end), all inside its membership's coverage, never a baseline or a straddling read;
    - the ongoing contributions of a membership form one chain, and those of a device (in any
      reservation) never overlap: no read is certified twice; no History read twice either;
    - per (reservation, country), the reads' energy is the issued volume plus the carry
      (``exact_carry``: no certificate was capped at the target).
    """
    unit = settings.DREC_CERTIFICATE_UNIT_WH
    for certificate in Certificate.objects.all():
        assert certificate.energy_wh > 0
        assert certificate.energy_wh % unit == 0, certificate
        assert certificate.contributions.exists(), certificate
        kinds = list(certificate.ledger_entries.filter(kind=EntryKind.ISSUE).values_list("index", flat=True))
        assert len(kinds) == 1, (certificate, kinds)
    count, finding = ledger.chain_verify()
    assert finding is None, str(finding)
    assert count == LedgerEntry.objects.count()

    spans: dict[int, list[tuple]] = defaultdict(list)
    for contribution in Contribution.objects.select_related("membership", "certificate"):
        membership = contribution.membership
        assert contribution.device_id == membership.device_id
        assert contribution.certificate.reservation_id == membership.reservation_id
        assert contribution.start >= membership.covers_from, contribution
        if membership.covers_until is not None:
            assert contribution.end <= membership.covers_until, contribution
        if contribution.history_read_id is not None:
            read = contribution.history_read
            assert read.read_type == ReadType.HISTORY
            recorded = (contribution.start, contribution.end, contribution.energy_wh)
            assert (read.start, read.end, read.value_wh) == recorded
            assert contribution.reads == 1
            continue
        reads = MeterRead.objects.filter(device_id=contribution.device_id, end__gt=contribution.start).exclude(
            read_type=ReadType.HISTORY
        )
        inside = reads.filter(start__gte=contribution.start, end__lte=contribution.end)
        assert not inside.filter(is_baseline=True).exists(), contribution
        # No read straddles either edge of the span: it covers whole reads only.
        assert not reads.filter(start__lt=contribution.start, end__gt=contribution.start).exists(), contribution
        assert not reads.filter(start__lt=contribution.end, end__gt=contribution.end).exists(), contribution
        assert inside.count() == contribution.reads, contribution
        assert inside.aggregate(total=Sum("value_wh"))["total"] == contribution.energy_wh, contribution
        assert inside.order_by("start").first().start == contribution.start
        assert inside.order_by("-end").first().end == contribution.end
        spans[contribution.device_id].append((contribution.start, contribution.end, membership.pk, contribution))

    for device_spans in spans.values():
        device_spans.sort(key=lambda span: span[0])
        for before, after in pairwise(device_spans):
            assert after[0] >= before[1], ("a read is certified twice", before[3], after[3])
    for membership in ReservationDevice.objects.all():
        chain = list(membership.contributions.filter(history_read__isnull=True).order_by("end"))
        previous_end = None
        for contribution in chain:
            assert contribution.previous_end == previous_end, contribution
            previous_end = contribution.end

    if exact_carry:
        for reservation in Reservation.objects.all():
            for country in {c.country_id for c in reservation.certificates.all()}:
                read_wh = Contribution.objects.filter(
                    certificate__reservation=reservation, certificate__country_id=country
                ).aggregate(total=Sum("energy_wh"))["total"]
                issued_wh = reservation.certificates.filter(country_id=country).aggregate(total=Sum("energy_wh"))[
                    "total"
                ]
                assert read_wh == issued_wh + (carry(reservation, country) or 0), (reservation, country)
    issued_total = defaultdict(int)
    for reservation_id, energy in Certificate.objects.values_list("reservation_id", "energy_wh"):
        issued_total[reservation_id] += energy
    for reservation in Reservation.objects.all():
        assert reservation.requested_wh == issued_total[reservation.pk], reservation
        if not reservation.authority_to_exceed:
            assert reservation.requested_wh <= reservation.target_wh, reservation


def ledger_trigger(enabled: bool) -> None:
    """Switch the append-only trigger off (a tamperer with database access) or back on."""
    with connection.cursor() as cursor:
        # The test's transaction may hold deferred foreign-key checks, which ALTER TABLE refuses.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            f"ALTER TABLE certificates_ledgerentry {'ENABLE' if enabled else 'DISABLE'} TRIGGER ledger_append_only"
        )
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
