"""Meter-read ingestion: a batch of up to 10,000 reads is checked as a whole against the rules
of backend.md §8.3-8.4 and stored in one transaction, or nothing is stored and every bad read
is named by its index.

Batches for one device are serialised by a row lock on the device, so two concurrent batches
cannot interleave into an invalid sequence; on PostgreSQL the database also keeps the ongoing
reads a single contiguous chain and History reads from overlapping (reads.models).
"""

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from typing import Any, TypedDict
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from devices.models import Country, Device, MeterReadType
from drec.errors import Conflict, InvalidInput
from drec.formats import people_moment
from reads.models import MeterRead, ReadType, YieldConfig, YieldStatus

UNIT_WH = {"Wh": 1, "kWh": 1_000, "MWh": 1_000_000, "GWh": 1_000_000_000}
LOCAL_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,3})?$")
HISTORY_YEARS = 3
DEGRADATION = 0.005
MARGIN = 1.2
CLOCK_SKEW = timedelta(seconds=60)
DEFAULT_YIELD = 2000
MAX_WH = 2**63 - 1  # the BIGINT columns of a read
COPY_COLUMNS = ("device_id", "read_type", "start", '"end"', "value_wh", "meter_wh", "is_baseline", "created_at")


@dataclass
class Row:
    start: datetime
    end: datetime
    value_wh: int
    meter_wh: int | None = None
    is_baseline: bool = False


class Problem(TypedDict):
    index: int
    field: str
    message: str


# What a read may be capped at (Wh) over a number of hours (:func:`max_energy_wh`).
Cap = Callable[[float], float]


class Problems:
    """The reasons a batch is refused, read by read."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, index: int, field: str, message: str) -> None:
        self.items.append({"index": index, "field": field, "message": message})

    def raise_if_any(self, total: int) -> None:
        if not self.items:
            return
        first = self.items[0]
        bad = len({item["index"] for item in self.items})
        raise InvalidInput(
            f"{bad} of {total} reads are invalid; nothing was stored. "
            f"First: reads[{first['index']}].{first['field']}: {first['message']}",
            errors=self.items,
        )


@cache
def _zone_names() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def zone_names(*, search: str = "") -> list[str]:
    """The IANA zone names a batch may give as its ``timezone``, sorted; with ``search``, those
    containing it (any case)."""
    needle = search.strip().lower()
    return sorted(name for key, name in _zone_names().items() if needle in key)


def zone_get(name: str) -> ZoneInfo:
    """The IANA zone ``name`` (any case, as the original matched it)."""
    key = _zone_names().get(name.strip().lower())
    if key is None:
        raise InvalidInput(f"Invalid time zone: {name}", errors={"timezone": ["Not an IANA time zone name."]})
    return ZoneInfo(key)


def parse_time(value: object, zone: ZoneInfo | None) -> datetime:
    """ISO 8601 with ``Z`` or an offset, or (with a time zone) a local wall time
    ``YYYY-MM-DD hh:mm:ss[.SSS]`` in that zone."""
    if not isinstance(value, str):
        raise ValueError("must be a date-time string")
    if zone is not None and LOCAL_TIME.match(value):
        return datetime.fromisoformat(value).replace(tzinfo=zone)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"Invalid date {value!r}: use ISO 8601 with Z or an offset (2022-10-18T11:35:27.640Z), or with a "
            "timezone the local time YYYY-MM-DD hh:mm:ss[.SSS]"
        ) from None
    if parsed.tzinfo is None:
        if zone is None:
            raise ValueError(f"Date {value!r} has no time zone: add Z or an offset, or give a timezone")
        parsed = parsed.replace(tzinfo=zone)
    return parsed


def to_wh(value: object, multiplier: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("must be a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError("must be a number") from None
    if not number.is_finite():
        raise ValueError("must be a number")
    # Compared before any arithmetic: a huge exponent would overflow Decimal or take seconds to convert.
    if number.copy_abs() >= Decimal(MAX_WH) / multiplier:
        raise ValueError(f"is too large: at most {MAX_WH} Wh")
    return int((number * multiplier).to_integral_value(rounding=ROUND_HALF_UP))


def device_yield(device: Device) -> int:
    """kWh per kWp per year: the country's configured yield if active, else the device's."""
    configured = (
        YieldConfig.objects.filter(country_id=device.country_id, status=YieldStatus.ACTIVE)
        .values_list("yield_value", flat=True)
        .first()
    )
    return configured or device.yield_value or DEFAULT_YIELD


def max_energy_wh(device: Device, hours: float, yield_value: int, now: datetime) -> float:
    """The plausibility cap of backend.md §8.4: what the device could produce in ``hours``,
    degraded 0.5 %/year since commissioning, with a 20 % margin."""
    age_years = (now - device.commissioning_date).total_seconds() / (365.25 * 86400)
    if age_years <= 0:
        age_years = 1
    capacity_kw = float(device.capacity)
    degraded: float = (1 - DEGRADATION) ** (age_years - 1)
    return capacity_kw * 1000 * hours * (yield_value / 8760) * degraded * MARGIN


def years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


def _hours(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600


def _allowed_wh(limit: float) -> int:
    """The most Wh a read may bring under the cap ``limit`` (a read reaching the cap is refused)."""
    return max(math.ceil(limit) - 1, 0)


def _too_much(energy: int, limit: float, *, since: str) -> str:
    """The plausibility cap's refusal in words (what the read brings, what the device allows)."""
    return (
        f"This read adds {energy:,} Wh {since}, more than the device's capacity could produce in that time "
        f"(at most {_allowed_wh(limit):,} Wh)."
    )


def _history_rows(
    device: Device, reads: list[Any], multiplier: int, zone: ZoneInfo | None, problems: Problems, cap: Cap
) -> list[Row]:
    onboarding, commissioning = device.created_at, device.commissioning_date
    earliest = years_before(onboarding, HISTORY_YEARS)
    rows: list[tuple[int, Row]] = []
    for index, read in enumerate(reads):
        start, end, value = _fields(read, index, multiplier, zone, problems, need_start=True)
        if start is None or end is None or value is None:
            continue
        before = len(problems.items)
        zone_of_read = end.tzinfo  # the device's dates are told in the zone the read was given in
        if start >= end:
            problems.add(index, "starttimestamp", "The start time must be before the end time.")
        if end > onboarding:
            problems.add(
                index,
                "endtimestamp",
                f"A History read must end by the device's onboarding date ({people_moment(onboarding, zone_of_read)}); "
                f"this one ends {people_moment(end)}.",
            )
        if start <= earliest:
            problems.add(
                index,
                "starttimestamp",
                f"A History read must start within {HISTORY_YEARS} years before the device's onboarding date "
                f"({people_moment(onboarding, zone_of_read)}), so after {people_moment(earliest, zone_of_read)}.",
            )
        if start <= commissioning:
            problems.add(
                index,
                "starttimestamp",
                f"The start time ({people_moment(start)}) must be after the device's commissioning date "
                f"({people_moment(commissioning, zone_of_read)}).",
            )
        if end <= commissioning:
            problems.add(
                index,
                "endtimestamp",
                f"The end time ({people_moment(end)}) must be after the device's commissioning date "
                f"({people_moment(commissioning, zone_of_read)}).",
            )
        if value <= 0:
            problems.add(index, "value", "The value must be greater than 0.")
        if len(problems.items) == before:
            limit = cap(_hours(start, end))
            if value >= limit:
                problems.add(index, "value", _too_much(value, limit, since="over its period"))
            rows.append((index, Row(start=start, end=end, value_wh=value)))
    # No two History periods of the device may overlap: within the batch, or with stored ones.
    ordered = sorted(rows, key=lambda item: item[1].start)
    latest_end = None  # of the periods starting earlier: a later one may overlap any of them, not just the last
    for index, row in ordered:
        if latest_end is not None and row.start < latest_end:
            problems.add(index, "starttimestamp", "This period overlaps another History read of the batch")
        latest_end = row.end if latest_end is None else max(latest_end, row.end)
    if ordered:
        stored = MeterRead.objects.filter(
            device=device,
            read_type=ReadType.HISTORY,
            start__lt=max(row.end for _, row in ordered),
            end__gt=min(row.start for _, row in ordered),
        ).values_list("start", "end")
        for stored_start, stored_end in stored:
            for index, row in ordered:
                if row.start < stored_end and stored_start < row.end:
                    problems.add(
                        index,
                        "starttimestamp",
                        "There are already one or more historical entries for this device which are conflicting "
                        "current reading start date and/or end date",
                    )
    return [row for _, row in rows]


def _ongoing_rows(
    device: Device,
    read_type: str,
    reads: list[Any],
    multiplier: int,
    zone: ZoneInfo | None,
    problems: Problems,
    cap: Cap,
    now: datetime,
) -> list[Row]:
    onboarding, commissioning = device.created_at, device.commissioning_date
    last = (
        MeterRead.objects.filter(device=device)
        .exclude(read_type=ReadType.HISTORY)
        .order_by("-end")
        .values("end", "meter_wh")
        .first()
    )
    previous_end: datetime | None = last["end"] if last else None
    previous_counter: int | None = last["meter_wh"] if last else None
    rows: list[Row] = []
    for index, read in enumerate(reads):
        _start, end, value = _fields(read, index, multiplier, zone, problems, need_start=False)
        if end is None or value is None:
            continue
        before = len(problems.items)
        zone_of_read = end.tzinfo  # the device's dates are told in the zone the read was given in
        if end <= onboarding:
            problems.add(
                index,
                "endtimestamp",
                f"The read's end time ({people_moment(end)}) must be after the device's onboarding date "
                f"({people_moment(onboarding, zone_of_read)}).",
            )
        if end <= commissioning:
            problems.add(
                index,
                "endtimestamp",
                f"The read's end time ({people_moment(end)}) must be after the device's commissioning date "
                f"({people_moment(commissioning, zone_of_read)}).",
            )
        if end > now + CLOCK_SKEW:
            problems.add(index, "endtimestamp", f"The read's end time ({people_moment(end)}) is in the future.")
        if previous_end is not None and end <= previous_end:
            problems.add(
                index,
                "endtimestamp",
                f"The read's end time ({people_moment(end)}) must be after the previous read's end "
                f"({people_moment(previous_end, zone_of_read)}): reads are never overwritten.",
            )
        if read_type == ReadType.DELTA and value <= 0:
            problems.add(index, "value", "The value must be greater than 0.")
        if read_type == ReadType.AGGREGATE:
            if value < 0:
                problems.add(index, "value", "A meter counter cannot be negative")
            elif previous_counter is not None and value < previous_counter:
                problems.add(
                    index, "value", f"The meter counter {value} Wh is below the previous one, {previous_counter} Wh"
                )
        if len(problems.items) > before:
            continue
        baseline = previous_end is None
        start = onboarding if previous_end is None else previous_end
        if read_type == ReadType.AGGREGATE:
            # No counter before (the device's earlier reads not Aggregate): none to count from.
            energy = 0 if baseline or previous_counter is None else value - previous_counter
            row = Row(start=start, end=end, value_wh=energy, meter_wh=value, is_baseline=baseline)
            previous_counter = value
        else:
            row = Row(start=start, end=end, value_wh=value, is_baseline=baseline)
        if not baseline:
            limit = cap(_hours(start, end))
            if row.value_wh >= limit:
                since = f"since the previous read ({people_moment(start, zone_of_read)})"
                problems.add(index, "value", _too_much(row.value_wh, limit, since=since))
                continue
        rows.append(row)
        previous_end = end
    return rows


def _fields(
    read: object, index: int, multiplier: int, zone: ZoneInfo | None, problems: Problems, *, need_start: bool
) -> tuple[datetime | None, datetime | None, int | None]:
    if not isinstance(read, dict):
        problems.add(index, "read", "Each read must be an object with endtimestamp and value")
        return None, None, None
    start = end = value = None
    if need_start:
        if not read.get("starttimestamp"):
            problems.add(index, "starttimestamp", "A History read needs a start time.")
        else:
            try:
                start = parse_time(read["starttimestamp"], zone)
            except ValueError as error:
                problems.add(index, "starttimestamp", str(error))
    if not read.get("endtimestamp"):
        problems.add(index, "endtimestamp", "The end time is required.")
    else:
        try:
            end = parse_time(read["endtimestamp"], zone)
        except ValueError as error:
            problems.add(index, "endtimestamp", str(error))
    if "value" not in read or read["value"] is None:
        problems.add(index, "value", "The value is required.")
    else:
        try:
            value = to_wh(read["value"], multiplier)
        except ValueError as error:
            problems.add(index, "value", str(error))
    return start, end, value


def _insert(device: Device, read_type: str, rows: list[Row]) -> None:
    """Store the batch with PostgreSQL's COPY (the fast path: SPEC §12's ingestion goal)."""
    now = timezone.now()
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY reads_meterread ({', '.join(COPY_COLUMNS)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row((device.pk, read_type, row.start, row.end, row.value_wh, row.meter_wh, row.is_baseline, now))


@transaction.atomic
def reads_ingest(*, device: Device, read_type: str, unit: str, timezone_name: str | None, reads: list[Any]) -> int:
    """Check and store a batch of reads of one device (all or nothing). Returns how many."""
    if read_type not in ReadType.values:
        raise InvalidInput("type must be History, Delta or Aggregate.", errors={"type": ["Unknown read type."]})
    if unit not in UNIT_WH:
        raise InvalidInput("unit must be Wh, kWh, MWh or GWh.", errors={"unit": ["Unknown unit."]})
    zone = zone_get(timezone_name) if timezone_name else None
    if not isinstance(reads, list) or not reads:
        raise InvalidInput("reads must list at least one read.", errors={"reads": ["At least one read."]})
    if len(reads) > settings.DREC_MAX_READS_PER_REQUEST:
        raise InvalidInput(
            f"At most {settings.DREC_MAX_READS_PER_REQUEST} reads per request; this one has {len(reads)}.",
            errors={"reads": [f"More than {settings.DREC_MAX_READS_PER_REQUEST} reads."]},
        )
    # One batch at a time per device: the next one sees this one's reads.
    device = Device.objects.select_for_update().get(pk=device.pk)
    if read_type != ReadType.HISTORY and device.meter_read_type and device.meter_read_type != read_type:
        raise Conflict(
            f"In this device you can add read for {device.meter_read_type} type but you are sending {read_type}",
            errors={"type": [f"This device takes {device.meter_read_type} reads."]},
        )
    now = timezone.now()
    yield_value = device_yield(device)

    def cap(hours: float) -> float:
        return max_energy_wh(device, hours, yield_value, now)

    problems = Problems()
    multiplier = UNIT_WH[unit]
    if read_type == ReadType.HISTORY:
        rows = _history_rows(device, reads, multiplier, zone, problems, cap)
    else:
        rows = _ongoing_rows(device, read_type, reads, multiplier, zone, problems, cap, now)
    problems.raise_if_any(len(reads))

    _insert(device, read_type, rows)
    changed = []
    if read_type != ReadType.HISTORY and not device.meter_read_type:
        device.meter_read_type = MeterReadType(read_type)
        changed.append("meter_read_type")
    if zone is not None and not device.timezone:
        device.timezone = zone.key
        changed.append("timezone")
    if changed:
        device.save(update_fields=[*changed, "updated_at"])
    return len(rows)


def yield_config_save(
    *, acting_user: User, country_code: str, yield_value: int, status: str, config: YieldConfig | None = None
) -> YieldConfig:
    """Create or change a country's yield (one per country)."""
    country = Country.objects.filter(alpha3=country_code.strip().upper()).first()
    if country is None:
        raise InvalidInput(
            f"countryCode: unknown country {country_code!r}; use ISO 3166 alpha-3.",
            errors={"countryCode": ["Unknown."]},
        )
    if yield_value <= 0:
        raise InvalidInput("yieldValue must be greater than 0.", errors={"yieldValue": ["Must be greater than 0."]})
    if status not in YieldStatus.values:
        raise InvalidInput("status must be Y or N.", errors={"status": ["Must be Y or N."]})
    taken = YieldConfig.objects.filter(country=country)
    if config is not None:
        taken = taken.exclude(pk=config.pk)
    if taken.exists():
        raise Conflict(f"A yield is already configured for {country.name}; change it instead.")
    if config is None:
        config = YieldConfig(country=country, created_by=acting_user)
    config.country, config.yield_value, config.status, config.updated_by = country, yield_value, status, acting_user
    config.save()
    return config
