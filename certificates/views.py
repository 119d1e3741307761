"""Portal screens of certificates (ui.md §3.27-3.28, §4.4): all certificates in the buyer's
or the developer's view with a monthly chart (and those received from other Buyer
organizations), one reservation's certificates, a certificate with its contributions, claims
and ledger proof (a received one reduced to what its receiver holds), its claim and transfer
forms and the super admin's withdrawal (SPEC §13), the redemption report, and the public
verification page."""

from dataclasses import dataclass
from datetime import UTC, datetime, time
from types import SimpleNamespace

from django.conf import settings
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.models import Role, User
from certificates import forms, ledger, selectors, services, statements
from certificates.formats import certificate_json, proof_problems, redemption_row
from certificates.forms import Holder
from certificates.models import Certificate, Holding
from certificates.rules import CERTIFICATE_READ, CLAIM, TRANSFER, WITHDRAW
from certificates.templatetags.certificate_text import days_of, days_text
from drec.csvfiles import csv_text
from drec.errors import DomainError, NotFound
from drec.forms import show_error
from drec.http import attachment
from drec.pagination import paginate
from drec.permissions import PUBLIC, Action, page, portal_view
from organizations.models import Organization, OrganizationType
from organizations.selectors import acting_organization_list
from reservations.selectors import reservation_get


def _organizations(user: User, kind: str | None) -> QuerySet[Organization] | None:
    """An api user picks among its Buyer (or, asked, Developer) organizations; the super admin
    among all."""
    return acting_organization_list(
        user=user, organization_type=(kind or OrganizationType.BUYER) if user.role == Role.API_USER else None
    )


def _card(certificate, developer=None) -> dict:
    """What a certificate card shows: the API's item, plus the certificate itself."""
    return {"certificate": certificate, "log": certificate_json(certificate, developer=developer)}


@portal_view({"GET": page(CERTIFICATE_READ, twin="GET api-certificates")})
def certificate_list(request):
    """All Certificate: the buyer's view (its reservations') or the developer's view (those
    its devices contributed to), with filters, cards and energy certified per month."""
    developer_page = request.resolver_match.url_name == "developer-certificate-list"
    kind = OrganizationType.DEVELOPER if request.GET.get("type") == "Developer" else OrganizationType.BUYER
    organizations = _organizations(request.user, kind)
    filters = forms.CertificateFilterForm(
        request.GET or None, organizations=organizations, with_type=request.user.role == Role.API_USER
    )
    page, chart = None, None
    if not filters.is_bound or filters.is_valid():
        data = filters.cleaned_data if filters.is_bound else {}
        try:
            certificates, developer = selectors.certificate_list(
                user=request.user,
                organization_id=data.get("organizationId") or None,
                params=filters.api_params() if data else {},
            )
            page = paginate(
                request,
                certificates,
                key="certificates",
                serialize=lambda rows: [_card(c, developer) for c in rows],
                default_limit=10,
            )
            months = selectors.issued_per_month(certificates)
            chart = {
                "labels": [row["month"].strftime("%Y-%m") for row in months],
                "values": [row["energy_wh"] / 1000 for row in months],
            }
        except DomainError as error:
            filters.add_error(None, error.message)
    context = {
        "filters": filters,
        "page": page,
        "chart": chart,
        "developer_page": developer_page,
        "may_claim": not developer_page and CLAIM.allows(request.user),
        "received": None,
    }
    # What the caller's Buyer organizations received from others (SPEC §13), beside what was
    # issued to them; the super admin holds nothing of its own.
    if not developer_page and kind == OrganizationType.BUYER and request.user.role != Role.ADMIN and page is not None:
        try:
            context["received"] = _received(
                request, filters.cleaned_data.get("organizationId") if filters.is_bound else None
            )
        except DomainError as error:
            filters.add_error(None, error.message)
    return render(request, "certificates/certificate_list.html", context)


def _received(request, organization_id: object) -> dict:
    """A page (``?receivedPage=``, ten at a time) of the certificates the caller's
    organizations received, newest first, with what each holds and has claimed of them."""
    holdings = selectors.holdings_of(user=request.user, organization_id=organization_id or None, received=True)
    query = SimpleNamespace(GET={"pageNumber": request.GET.get("receivedPage") or 1, "limit": 10})
    return paginate(
        query,
        holdings.select_related("certificate__country").prefetch_related("certificate__contributions__device__country"),
        key="holdings",
        serialize=list,
    )


@portal_view({"GET": page(CERTIFICATE_READ, twin="GET api-reservation-certificates")})
def reservation_certificates(request, reservation_id: int):
    """All Certificate of one reservation (from My Reservation List)."""
    reservation = reservation_get(user=request.user, reservation_id=reservation_id)
    _certificates, developer = selectors.certificate_view(user=request.user)
    page = paginate(
        request,
        selectors.reservation_certificates(reservation=reservation),
        key="certificates",
        serialize=lambda rows: [_card(c, developer) for c in rows],
    )
    may_claim = developer is None and CLAIM.allows(request.user)
    context = {"reservation": reservation, "page": page, "may_claim": may_claim}
    return render(request, "certificates/reservation_certificates.html", context)


@dataclass
class Seen:
    """A certificate as the caller sees it, and what the caller may do with it."""

    certificate: Certificate
    # Reached only through what one of the caller's organizations received: the reduced view
    # (nothing of the sender's reservation, devices or claims).
    received: bool
    developer: Organization | None
    # The caller's organizations' holdings of it (the super admin's view: every holder's).
    holdings: list[Holding]
    # Those of them the caller may claim or transfer from: (organization id, name, Wh held).
    holders: list[Holder]

    @property
    def most(self) -> int:
        """The most the caller may claim or transfer at once (of its largest holding)."""
        return max((held for _pk, _name, held in self.holders), default=0)

    def spend_options(self) -> dict:
        """What a claim or transfer form needs to know of the caller's holdings."""
        return {"unclaimed_wh": self.most, "holders": self.holders}


def _seen(request, certificate_id: int) -> Seen:
    """The certificate: whole when the caller may see it (its reservation's buyer, a developer
    whose devices contributed, the super admin), else reduced when one of the caller's Buyer
    organizations received some of it; anyone else's: 404."""
    user = request.user
    try:
        certificate = selectors.certificate_get(user=user, certificate_id=certificate_id)
        received = False
        _certificates, developer = selectors.certificate_view(user=user)
    except NotFound:
        certificate = selectors.certificate_held(user=user, certificate_id=certificate_id)
        received, developer = True, None
    holdings = list(selectors.holdings_of(user=user).filter(certificate_id=certificate.pk))
    holders = [
        (holding.organization_id, holding.organization.name, holding.held_wh)
        for holding in holdings
        if holding.held_wh > 0
    ]
    return Seen(
        certificate=certificate,
        received=received,
        developer=developer,
        holdings=holdings,
        holders=holders if CLAIM.allows(user) or TRANSFER.allows(user) else [],
    )


@portal_view(
    {
        "GET": page(CERTIFICATE_READ, no_twin="one certificate: the API lists it among the certificate logs"),
        "POST": Action(CLAIM, twin="POST api-claim"),
    }
)
def certificate_detail(request, certificate_id: int):
    """A certificate: its volume and period, each device's share, its claims and its ledger
    proof; a holder (its buyer, or a Buyer organization it was transferred to) may claim from
    it here. A claim cannot be undone, so it takes two POSTs: the form's ("Review claim") shows
    what would be claimed, and only the confirmation's ("Claim", ``confirm``) claims it;
    "Change" (``edit``) goes back to the filled form. Transfers and withdrawals post to their
    own pages (certificate_transfer, certificate_withdraw) and come back here."""
    seen = _seen(request, certificate_id)
    certificate = seen.certificate
    form = None
    if request.method == "POST":
        form = forms.ClaimForm(request.POST, **seen.spend_options())
        if "edit" not in request.POST and form.is_valid():
            if "confirm" not in request.POST:
                return _claim_confirmation(request, certificate, form)
            claim = _claim(request, certificate, form)
            if claim is not None:
                messages.success(
                    request,
                    f"Claimed {claim.amount_wh:,} Wh of certificate {certificate.pk} for {claim.beneficiary}.",
                )
                return redirect("certificate-detail", certificate_id=certificate.pk)
    return _detail(request, seen, claim_form=form)


def _detail(
    request,
    seen: Seen,
    *,
    claim_form: forms.ClaimForm | None = None,
    transfer_form: forms.TransferForm | None = None,
    withdraw_form: forms.WithdrawForm | None = None,
) -> HttpResponse:
    """The certificate's page, with the forms the caller may use: those given (bound, with
    their errors), the others empty."""
    user, certificate = request.user, seen.certificate
    if claim_form is None and seen.holders and CLAIM.allows(user):
        claim_form = forms.ClaimForm(initial=_claim_initial(certificate), **seen.spend_options())
    if transfer_form is None and seen.holders and TRANSFER.allows(user):
        transfer_form = forms.TransferForm(auto_id="transfer_%s", **seen.spend_options())
    if withdraw_form is None and certificate.unclaimed_wh > 0 and WITHDRAW.allows(user) and not seen.received:
        withdraw_form = forms.WithdrawForm(auto_id="withdraw_%s", unclaimed_wh=certificate.unclaimed_wh)
    # The caller's own claims (the super admin: all) have a statement; the receiver sees only those.
    own_claims = selectors.claims_of(user=user).filter(certificate=certificate) if seen.developer is None else None
    context = {
        "certificate": certificate,
        "received": seen.received,
        "holdings": seen.holdings,
        "form": claim_form,
        "transfer_form": transfer_form,
        "withdraw_form": withdraw_form,
        "withdrawals": list(certificate.withdrawals.order_by("created_at", "id")),
        "statement_claims": set(own_claims.values_list("pk", flat=True)) if own_claims is not None else set(),
        # Whose claims these are (the buyer's view, its api user, the admin): their statements.
        "claim_statements": seen.developer is None,
    }
    if seen.received:
        context["claims"] = list(own_claims) if own_claims is not None else []
        return render(request, "certificates/certificate_received.html", context)
    context |= {
        "log": certificate_json(certificate, developer=seen.developer),
        "entries": list(certificate.ledger_entries.all()),
        "owner_account": ledger.account_of(certificate.owner_id),
    }
    return render(request, "certificates/certificate_detail.html", context)


def _claim_initial(certificate) -> dict:
    """The certificate's country and the days of its generation."""
    first, last = days_of(certificate)
    return {"countryCode": certificate.country_id, "periodStartDate": first, "periodEndDate": last}


def _claim_confirmation(request, certificate, form: forms.ClaimForm) -> HttpResponse:
    """The second screen of a claim: what would be claimed, then "Claim" or "Change"."""
    data = form.cleaned_data
    context = {
        "certificate": certificate,
        "form": form,
        "claim": data,
        "holder": form.holder_name(),
        "held_wh": form.held_wh(),
        "period": days_text(data["periodStartDate"], data["periodEndDate"]),
        "country": form.country_name(),
    }
    return render(request, "certificates/certificate_claim_confirm.html", context)


def _claim(request, certificate, form: forms.ClaimForm):
    """The confirmed claim, or None with the reasons on the form."""
    data = form.cleaned_data
    try:
        return services.claim_create(
            acting_user=request.user,
            certificate=certificate,
            request=services.ClaimRequest.of(
                data,
                period_start=datetime.combine(data["periodStartDate"], time.min, tzinfo=UTC),
                period_end=datetime.combine(data["periodEndDate"], time.max, tzinfo=UTC),
            ),
            organization_id=data.get("organizationId") or None,
        )
    except DomainError as error:
        show_error(form, error)
        return None


@portal_view({"POST": Action(TRANSFER, twin="POST api-transfer")})
def certificate_transfer(request, certificate_id: int):
    """Transfer from the certificate's page: all or part of what the caller's organization
    holds unclaimed, to another Buyer organization named by its ID. It cannot be undone, so
    it takes two POSTs, as a claim: "Review transfer" shows it, "Transfer" (``confirm``) does
    it, "Change" (``edit``) goes back to the filled form on the certificate's page."""
    seen = _seen(request, certificate_id)
    certificate = seen.certificate
    form = forms.TransferForm(request.POST, auto_id="transfer_%s", **seen.spend_options())
    if "edit" not in request.POST and form.is_valid():
        receiver = _receiver(form)
        if receiver is not None and "confirm" not in request.POST:
            context = {"certificate": certificate, "form": form, "transfer": form.cleaned_data}
            context |= {"holder": form.holder_name(), "held_wh": form.held_wh()}
            return render(request, "certificates/certificate_transfer_confirm.html", context)
        if receiver is not None:
            try:
                transfer = services.transfer_create(
                    acting_user=request.user,
                    certificate=certificate,
                    amount_wh=form.cleaned_data["amount"],
                    receiver=receiver,
                    organization_id=form.cleaned_data.get("organizationId") or None,
                )
            except DomainError as error:
                show_error(form, error)
            else:
                messages.success(
                    request,
                    f"Transferred {transfer.amount_wh:,} Wh of certificate {certificate.pk} "
                    f"to organization {transfer.receiver_id}.",
                )
                return redirect("certificate-detail", certificate_id=certificate.pk)
    return _detail(request, seen, transfer_form=form)


def _receiver(form: forms.TransferForm) -> Organization | None:
    """The organization the form names, if it may receive certificates; else None with the
    reason next to the field. (An unknown organization is the API's 404, but here it is a
    mistyped number: said on the form, not as a missing page.)"""
    try:
        return services.receiver_get(form.cleaned_data["toOrganizationId"])
    except NotFound as error:
        form.add_error("toOrganizationId", error.message)
    except DomainError as error:
        show_error(form, error)
    return None


@portal_view({"POST": Action(WITHDRAW, twin="POST api-withdraw")})
def certificate_withdraw(request, certificate_id: int):
    """The super admin withdraws unclaimed volume of a certificate, with a reason (SPEC §13):
    "Review withdrawal" shows it, "Withdraw" (``confirm``) does it, "Change" (``edit``) goes
    back to the filled form."""
    seen = _seen(request, certificate_id)
    certificate = seen.certificate
    form = forms.WithdrawForm(request.POST, auto_id="withdraw_%s", unclaimed_wh=certificate.unclaimed_wh)
    if "edit" not in request.POST and form.is_valid():
        data = form.cleaned_data
        if "confirm" not in request.POST:
            context = {"certificate": certificate, "form": form, "withdrawal": data}
            return render(request, "certificates/certificate_withdraw_confirm.html", context)
        try:
            withdrawal = services.withdrawal_create(
                acting_user=request.user, certificate=certificate, amount_wh=data["amount"], reason=data["reason"]
            )
        except DomainError as error:
            show_error(form, error)
        else:
            messages.success(
                request, f"Withdrew {withdrawal.amount_wh:,} Wh of certificate {certificate.pk}: {withdrawal.reason}"
            )
            return redirect("certificate-detail", certificate_id=certificate.pk)
    return _detail(request, seen, withdraw_form=form)


@portal_view({"GET": page(CERTIFICATE_READ, twin="GET api-redemption-report")})
def redemption_report(request):
    """Redemption Report: the claims on my reservations' certificates, each with its
    statement (PDF); also as CSV."""
    rows = [{**redemption_row(claim), "claimId": claim.pk} for claim in selectors.claims_of(user=request.user)]
    if request.GET.get("format") == "csv":
        return _report_csv(rows)
    return render(request, "certificates/redemption_report.html", {"rows": rows})


@portal_view({"GET": page(CERTIFICATE_READ, twin="GET api-claim-statement")})
def claim_statement(request, claim_id: int):
    """Statement (PDF) of a claim: the API's redemption statement, for the same callers."""
    claim = selectors.claim_get(user=request.user, claim_id=claim_id)
    return statements.statement_download(request, claim)


REPORT_COLUMNS = [
    ("certificateId", "CertificateId"),
    ("redemptionDate", "Redemption Date"),
    ("certifiedEnergy", "Certified Energy (MWh)"),
    ("compliance", "Compliance"),
    ("country", "Country"),
    ("fuelCode", "Fuel Code"),
    ("beneficiary", "Beneficiary"),
    ("beneficiary_address", "Beneficiary Address"),
    ("claimCoiuntryCode", "Claim CountryCode"),
    ("capacityRange", "Capacity Range"),
    ("purpose", "Purpose"),
    ("offTakers", "Off Takers"),
    ("periodStartDate", "Period Start"),
    ("periodEndDate", "Period End"),
]


def _report_csv(rows: list[dict]) -> HttpResponse:
    cells = (
        [", ".join(row[key]) if isinstance(row[key], list) else row[key] for key, _label in REPORT_COLUMNS]
        for row in rows
    )
    content = csv_text([label for _key, label in REPORT_COLUMNS], cells)
    return attachment(content, f"redemption-report-{timezone.localdate()}.csv", "text/csv; charset=utf-8")


@portal_view({"GET": page(PUBLIC, twin="GET api-certificate-verify")})
def certificate_verify(request, certificate_id: int):
    """The public verification of one certificate against the signed ledger: what was issued,
    claimed and withdrawn (with each withdrawal's reason), and who holds it now."""
    certificate = selectors.certificate_public(certificate_id=certificate_id)
    proof = ledger.certificate_verify(certificate)
    context = {
        "certificate": certificate,
        "proof": proof,
        "problems": proof_problems(certificate, proof),
        "owner": ledger.account_of(certificate.owner_id),
        # Who holds what now (transfers move it), by ledger account: no organization's name.
        "holders": [
            {"account": ledger.account_of(h.organization_id), "held_wh": h.held_wh, "claimed_wh": h.claimed_wh}
            for h in certificate.holdings.all()
            if h.held_wh or h.claimed_wh
        ],
        "withdrawals": list(certificate.withdrawals.order_by("created_at", "id")),
        "issuer": settings.DREC_ISSUER_NAME,
        "public_key": ledger.public_key_pem(),
    }
    return render(request, "certificates/certificate_verify.html", context)
