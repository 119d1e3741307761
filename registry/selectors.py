"""Reads of the public registry (SPEC §13): totals per country and month from the movements
the database appends (registry.models), and the certificates anyone may look up. Nothing
personal: no organization, user, e-mail or reservation name."""

from collections.abc import Mapping
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Sum

from certificates.models import Certificate, Contribution
from certificates.selectors import generated_within
from devices.models import Country, Device
from drec.errors import InvalidInput
from registry.models import Movement

TOTALS = {
    "issuedWh": Sum("issued_wh"),
    "claimedWh": Sum("claimed_wh"),
    "withdrawnWh": Sum("withdrawn_wh"),
    "certificates": Sum("certificates"),
}
# A certificate's status in the registry: some volume still to claim, or none left (claimed,
# or withdrawn in part or whole).
STATUSES: dict[str, Q] = {
    "active": Q(energy_wh__gt=F("claimed_wh") + F("withdrawn_wh")),
    "claimed": Q(energy_wh=F("claimed_wh")),
    "withdrawn": Q(energy_wh=F("claimed_wh") + F("withdrawn_wh"), withdrawn_wh__gt=0),
}


def _whole(row: Mapping[str, Any]) -> dict[str, int]:
    return {key: int(row[key] or 0) for key in TOTALS}


def registry_summary() -> dict[str, Any]:
    """Totals issued, claimed and withdrawn: overall, per country (largest first) and per month."""
    movements = Movement.objects.all()
    per_country: list[dict[str, Any]] = [
        {"countryCode": row["country_id"], **_whole(row)} for row in movements.values("country_id").annotate(**TOTALS)
    ]
    names = dict(
        Country.objects.filter(alpha3__in=[row["countryCode"] for row in per_country]).values_list("alpha3", "name")
    )
    for row in per_country:
        row["countryName"] = names.get(row["countryCode"], "")
    per_month: list[dict[str, Any]] = [
        {"month": row["month"].strftime("%Y-%m"), **_whole(row)} for row in movements.values("month").annotate(**TOTALS)
    ]
    contributed = Contribution.objects.filter(device=OuterRef("pk"))
    return {
        **_whole(movements.aggregate(**TOTALS)),
        "devices": Device.objects.filter(Exists(contributed)).count(),
        "countries": sorted(
            (row for row in per_country if row["certificates"]), key=lambda row: (-row["issuedWh"], row["countryCode"])
        ),
        "months": sorted((row for row in per_month if row["certificates"]), key=lambda row: row["month"]),
    }


def registry_certificates(params: Mapping[str, Any]) -> QuerySet[Certificate]:
    """Certificates, newest first, by ``countryCode`` (alpha-3), ``from``/``to`` (generation
    within) and ``status`` (active, claimed, withdrawn); a bad value is a 400 naming it."""
    certificates = Certificate.objects.select_related("country").order_by("-id")
    country = str(params.get("countryCode") or "").strip().upper()
    if country:
        certificates = certificates.filter(country_id=country)
    certificates = generated_within(certificates, params, "from", "to")
    status = str(params.get("status") or "").strip().lower()
    if status:
        if status not in STATUSES:
            raise InvalidInput(
                f"status must be one of {', '.join(STATUSES)}.",
                errors={"status": [f"Not one of {', '.join(STATUSES)}."]},
            )
        certificates = certificates.filter(STATUSES[status])
    return certificates
