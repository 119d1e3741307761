"""Portal screens of certificates (ui.md §3.27-3.28, §4.4): all certificates in the buyer's
or the developer's view with a monthly chart, one reservation's certificates, a certificate
with its contributions, claims and ledger proof, the redemption report, and the public
verification page."""

from datetime import UTC, datetime, time

from django.conf import settings
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.models import Role, User
from certificates import forms, ledger, selectors, services, statements
from certificates.formats import certificate_json, proof_problems, redemption_row
from certificates.rules import CERTIFICATE_READ, CLAIM
from certificates.templatetags.certificate_text import days_of, days_text
from drec.csvfiles import csv_text
from drec.errors import DomainError
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
    }
    return render(request, "certificates/certificate_list.html", context)


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


@portal_view(
    {
        "GET": page(CERTIFICATE_READ, no_twin="one certificate: the API lists it among the certificate logs"),
        "POST": Action(CLAIM, twin="POST api-claim"),
    }
)
def certificate_detail(request, certificate_id: int):
    """A certificate: its volume and period, each device's share, its claims and its ledger
    proof; its buyer may claim from it here. A claim cannot be undone, so it takes two POSTs:
    the form's ("Review claim") shows what would be claimed, and only the confirmation's
    ("Claim", ``confirm``) claims it; "Change" (``edit``) goes back to the filled form."""
    certificate = selectors.certificate_get(user=request.user, certificate_id=certificate_id)
    _certificates, developer = selectors.certificate_view(user=request.user)
    may_claim = developer is None and CLAIM.allows(request.user) and certificate.unclaimed_wh > 0
    form = None
    if request.method == "POST":
        form = forms.ClaimForm(request.POST, unclaimed_wh=certificate.unclaimed_wh)
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
    elif may_claim:
        form = forms.ClaimForm(initial=_claim_initial(certificate), unclaimed_wh=certificate.unclaimed_wh)
    context = {
        "certificate": certificate,
        "log": certificate_json(certificate, developer=developer),
        "entries": list(certificate.ledger_entries.all()),
        "owner_account": ledger.account_of(certificate.owner_id),
        "form": form,
        # Whose claims these are (the buyer's view, its api user, the admin): their statements.
        "claim_statements": developer is None,
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
        )
    except DomainError as error:
        show_error(form, error)
        return None


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
    """The public verification of one certificate against the signed ledger."""
    certificate = selectors.certificate_public(certificate_id=certificate_id)
    proof = ledger.certificate_verify(certificate)
    context = {
        "certificate": certificate,
        "proof": proof,
        "problems": proof_problems(certificate, proof),
        "owner": ledger.account_of(certificate.owner_id),
        "issuer": settings.DREC_ISSUER_NAME,
        "public_key": ledger.public_key_pem(),
    }
    return render(request, "certificates/certificate_verify.html", context)
