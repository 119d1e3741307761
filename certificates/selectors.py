"""Reads of certificates: who sees which (buyers their reservations', developers those their
devices contributed to, api users their tenant's), filters, claims and the redemption report."""

import uuid
from collections.abc import Mapping
from typing import Any

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from accounts.models import Role, User
from certificates.models import Certificate, Claim, Contribution, EntryKind, Holding, LedgerEntry
from devices.models import Device
from devices.selectors import device_trait_lookups
from drec.errors import InvalidInput, NotFound
from drec.inputs import comma_list, query_moment, whole_number
from organizations.models import Organization, OrganizationType
from organizations.selectors import organization_get
from reads.models import MeterRead, ReadType
from reservations.models import Reservation
from reservations.selectors import reservation_list

DEVELOPER_ROLES = (Role.ORGANIZATION_ADMIN, Role.DEVICE_OWNER, Role.USER)
BUYER_ROLES = (Role.BUYER, Role.SUB_BUYER)


def _with_details(certificates: QuerySet[Certificate]) -> QuerySet[Certificate]:
    contributions = Contribution.objects.select_related("device__organization", "device__country").order_by(
        "device__external_id", "device_id"
    )
    entries = LedgerEntry.objects.order_by("index").select_related("claim")
    return certificates.select_related("reservation__organization", "owner", "country").prefetch_related(
        Prefetch("contributions", queryset=contributions),
        Prefetch("ledger_entries", queryset=entries),
        Prefetch("claims", queryset=Claim.objects.select_related("country").order_by("created_at", "id")),
        Prefetch("holdings", queryset=Holding.objects.order_by("id")),
    )


def certificate_view(
    *, user: User, organization_id: int | str | None = None
) -> tuple[QuerySet[Certificate], Organization | None]:
    """The certificates the caller may see, and the Developer organization whose devices'
    view it is (None for the buyer's view).

    Buyers: their organization's reservations'. Developers: those their organization's
    devices contributed to. Api users: their Buyer organizations' reservations', or with
    ``organizationId`` one of their organizations' (a Developer one: the developer view).
    The super admin: all, or one organization's the same way."""
    organization = None
    if organization_id not in (None, ""):
        try:
            organization = organization_get(user=user, organization_id=int(organization_id))
        except (TypeError, ValueError):
            raise InvalidInput(
                "organizationId must be a whole number.", errors={"organizationId": ["Not a number."]}
            ) from None
    elif user.role not in (Role.ADMIN, Role.API_USER):
        organization = user.organization
    certificates = Certificate.objects.all()
    if organization is None:
        if user.role == Role.API_USER:
            certificates = certificates.filter(reservation__organization__api_user=user.api_user)
        elif user.role != Role.ADMIN:
            certificates = certificates.none()
        return certificates, None
    if organization.organization_type == OrganizationType.DEVELOPER:
        ours = Contribution.objects.filter(certificate=OuterRef("pk"), device__organization=organization)
        return certificates.filter(Exists(ours)), organization
    if organization.organization_type == OrganizationType.BUYER:
        return certificates.filter(reservation__organization=organization), None
    return certificates.none(), None


def certificate_filter(certificates: QuerySet[Certificate], params: Mapping[str, Any]) -> QuerySet[Certificate]:
    """The original's filters, ANDed: ``country`` (alpha-3, comma list), ``fuelCode``,
    ``offTaker``, ``SDGBenefits`` (a contributing device has one), ``start_date``/``end_date``
    (generation within), ``fromAmountread``/``toAmountread`` (Wh issued)."""
    if countries := comma_list(params.get("country")):
        certificates = certificates.filter(country_id__in=[code.upper() for code in countries])
    contribution = Contribution.objects.filter(certificate=OuterRef("pk"))
    for traits in device_trait_lookups(params, sdg_params=("SDGBenefits", "sdgbenefit"), sdg_error_key="SDGBenefits"):
        certificates = certificates.filter(
            Exists(contribution.filter(**{f"device__{name}": values for name, values in traits.items()}))
        )
    certificates = generated_within(certificates, params, "start_date", "end_date")
    for name, lookup in (("fromAmountread", "energy_wh__gte"), ("toAmountread", "energy_wh__lte")):
        value = str(params.get(name) or "").strip()
        if value:
            wh = whole_number(value)
            if wh is None:
                raise InvalidInput(f"{name} must be a whole number of Wh.", errors={name: ["Not a number."]})
            certificates = certificates.filter(**{lookup: wh})
    return certificates


def generated_within(
    certificates: QuerySet[Certificate], params: Mapping[str, Any], start_name: str, end_name: str
) -> QuerySet[Certificate]:
    """Those generated within the query's ``start_name``/``end_name`` moments (ISO 8601, each
    optional); an end not after the start is a 400 naming it."""
    start, end = query_moment(params, start_name), query_moment(params, end_name)
    if start and end and start >= end:
        raise InvalidInput(f"{end_name} must be after {start_name}.", errors={end_name: [f"Not after {start_name}."]})
    if start:
        certificates = certificates.filter(generation_start__gte=start)
    if end:
        certificates = certificates.filter(generation_end__lte=end)
    return certificates


def certificate_list(
    *, user: User, organization_id: int | str | None = None, params: Mapping[str, Any] | None = None
) -> tuple[QuerySet[Certificate], Organization | None]:
    certificates, developer = certificate_view(user=user, organization_id=organization_id)
    certificates = certificate_filter(certificates, params or {})
    return _with_details(certificates).order_by("-id"), developer


def certificate_get(*, user: User, certificate_id: int | str) -> Certificate:
    """A certificate the caller may see (by its internalCertificateId)."""
    certificates, _developer = certificate_view(user=user)
    certificate = _with_details(certificates).filter(pk=_int(certificate_id)).first()
    if certificate is None:
        raise NotFound(f"No certificate found with id {certificate_id}")
    return certificate


def certificate_public(*, certificate_id: int | str) -> Certificate:
    """Any certificate, for the public verification (what the ledger holds is public)."""
    certificate = _with_details(Certificate.objects.all()).filter(pk=_int(certificate_id)).first()
    if certificate is None:
        raise NotFound(f"No certificate found with id {certificate_id}")
    return certificate


def reservation_by_uid(*, user: User, uid: object) -> Reservation:
    """A reservation the caller may see, by its public UUID (``groupUid``)."""
    try:
        key = uuid.UUID(str(uid))
    except ValueError:
        raise InvalidInput(
            "Please add a valid reservation UID (groupUid): a UUID.", errors={"groupUid": ["Not a UUID."]}
        ) from None
    reservation = reservation_list(user=user).filter(uid=key).first()
    if reservation is None:
        raise NotFound(f"No reservation found with uid {uid}")
    return reservation


def reservation_certificates(*, reservation: Reservation) -> QuerySet[Certificate]:
    return _with_details(reservation.certificates.all()).order_by("-id")


def buyer_organizations(user: User) -> QuerySet[Organization]:
    """The Buyer organizations a user holds certificates for (SPEC §13): its own (a buyer's,
    as ``certificate_view`` takes it), or those it manages (an api user's); none for anyone
    else (the super admin holds nothing)."""
    organizations = Organization.objects.filter(organization_type=OrganizationType.BUYER)
    if user.role == Role.API_USER:
        return organizations.filter(api_user__user=user)
    if user.role in BUYER_ROLES and user.organization_id:
        return organizations.filter(pk=user.organization_id)
    return organizations.none()


def certificate_held(*, user: User, certificate_id: int | str) -> Certificate:
    """A certificate one of the caller's organizations holds (issued to it or received), to
    claim or transfer from; anyone else's, or none: NotFound."""
    held = Holding.objects.filter(certificate=OuterRef("pk"), organization__in=buyer_organizations(user))
    certificate = Certificate.objects.filter(Exists(held), pk=_int(certificate_id)).first()
    if certificate is None:
        raise NotFound(f"No certificate found with id {certificate_id}")
    return certificate


def holdings_of(*, user: User, organization_id: object = None, received: bool = False) -> QuerySet[Holding]:
    """What the caller's organizations hold or have claimed (issued to them or received; with
    ``received``, only what other organizations transferred to them), or with
    ``organizationId`` one of them's (the super admin: anyone's), newest certificate first."""
    if user.role == Role.ADMIN:
        holdings = Holding.objects.all()
    else:
        holdings = Holding.objects.filter(organization__in=buyer_organizations(user))
    if organization_id not in (None, ""):
        holdings = holdings.filter(organization=organization_get(user=user, organization_id=organization_id))
    if received:
        holdings = holdings.exclude(organization_id=F("certificate__owner_id"))
    return (
        holdings.filter(Q(held_wh__gt=0) | Q(claimed_wh__gt=0))
        .select_related("certificate", "organization")
        .order_by("-certificate_id", "id")
    )


def claims_of(*, user: User) -> QuerySet[Claim]:
    """The claims the caller's Buyer organizations made (the redemption report), on their own
    certificates or on received ones; the super admin's: all."""
    claims = Claim.objects.all()
    if user.role != Role.ADMIN:
        claims = claims.filter(organization__in=buyer_organizations(user))
    return (
        claims.select_related("certificate__reservation", "country", "certificate__owner")
        .prefetch_related(
            Prefetch(
                "certificate__contributions",
                queryset=Contribution.objects.select_related("device__country", "device__fuel_code"),
            )
        )
        .order_by("-created_at", "-id")
    )


def claim_get(*, user: User, claim_id: int | str) -> Claim:
    """One claim of the caller's redemption report (``claims_of``: the claimer's Buyer
    organization, its api user, the super admin), with its certificate and ledger entry: the
    redemption statement of both doors. Anyone else's, or none: NotFound."""
    key = _int(claim_id, "claim")
    claim = (
        claims_of(user=user)
        .select_related("ledger_entry", "certificate__country", "certificate__owner", "organization")
        .filter(pk=key)
    ).first()
    if claim is None:
        raise NotFound(f"No claim found with id {claim_id}")
    return claim


def issued_per_month(certificates: QuerySet[Certificate]) -> list[dict[str, Any]]:
    """Energy certified per month of generation end (the certificates chart)."""
    months = (
        certificates.order_by()
        .annotate(month=TruncMonth("generation_end"))
        .values("month")
        .annotate(energy_wh=Sum("energy_wh"))
        .order_by("month")
    )
    return [{"month": row["month"], "energy_wh": row["energy_wh"]} for row in months]


def issue_entry(certificate: Certificate) -> LedgerEntry | None:
    return next((entry for entry in certificate.ledger_entries.all() if entry.kind == EntryKind.ISSUE), None)


def _int(value: int | str, what: str = "certificate") -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound(f"No {what} found with id {value}") from None


def read_certificates(device: Device, reads: list[MeterRead]) -> dict[int, int]:
    """{read id: id of the certificate that certified it} for these reads of one device: a
    History read's own contribution, or the contribution whose span covers an ongoing read.
    (The reads' listings in both doors ask here: reads know nothing of certificates.)"""
    if not reads:
        return {}
    spans = list(
        Contribution.objects.filter(
            device=device, start__lte=max(r.start for r in reads), end__gte=min(r.end for r in reads)
        ).values_list("certificate_id", "start", "end", "history_read_id")
    )
    found = {}
    for read in reads:
        for certificate_id, start, end, history_read_id in spans:
            own = history_read_id == read.pk
            covers = history_read_id is None and read.read_type != ReadType.HISTORY and start <= read.start
            if own or (covers and read.end <= end):
                found[read.pk] = certificate_id
                break
    return found
