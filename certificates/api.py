"""Certificate-log API (backend.md §10.7, SPEC §8): certificate logs with the original's item
shape plus the ledger fields, claims, the redemption report, the per-device CSV export, the
ledger's public key and public verification, and the admin's issuance trigger."""

import base64
import math

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from certificates import ledger, selectors, services, statements
from certificates.formats import certificate_json, claim_json, entry_json, proof_problems, redemption_row
from certificates.models import LedgerEntry
from certificates.rules import CERTIFICATE_READ, CLAIM, ISSUE_NOW, TRANSFER, WITHDRAW
from drec.csvfiles import csv_text
from drec.errors import InvalidInput, NotFound
from drec.formats import iso
from drec.http import attachment
from drec.inputs import Text, parse, whole_number
from drec.pagination import page_from_query, page_rows
from drec.permissions import PUBLIC

CERTIFICATE_FIELDS: dict[str, serializers.Field] = {
    "internalCertificateId": serializers.IntegerField(),
    "generationStartTime": serializers.IntegerField(help_text="Unix seconds"),
    "generationEndTime": serializers.IntegerField(help_text="Unix seconds"),
    "owners": serializers.DictField(child=serializers.CharField()),
    "metadata": serializers.DictField(),
    "energyWh": serializers.IntegerField(),
    "ledgerIndex": serializers.IntegerField(allow_null=True),
    "hash": serializers.CharField(allow_null=True),
    "signature": serializers.CharField(allow_null=True),
    "perDeviceCertificateLog": serializers.ListField(child=serializers.DictField()),
}
CERTIFICATES_OUT = inline_serializer("CertificateLog", CERTIFICATE_FIELDS, many=True)
FILTERS = [
    OpenApiParameter("pageNumber", int),
    OpenApiParameter("organizationId", int, description="One of your organizations (Developer: the developer view)"),
    OpenApiParameter("country", str, description="Comma-separated alpha-3 codes"),
    OpenApiParameter("fuelCode", str),
    OpenApiParameter("offTaker", str),
    OpenApiParameter("SDGBenefits", str),
    OpenApiParameter("start_date", str, description="Generation from (ISO 8601)"),
    OpenApiParameter("end_date", str, description="Generation until (ISO 8601)"),
    OpenApiParameter("fromAmountread", int, description="At least this many Wh"),
    OpenApiParameter("toAmountread", int, description="At most this many Wh"),
]


def _page(request, queryset, size: int):
    page = page_from_query(request.query_params, default_limit=size)
    rows, total = page_rows(queryset, page)
    return rows, page.number, math.ceil(total / page.limit), total


class CertifiedLogOfDevicesView(APIView):
    acl = CERTIFICATE_READ

    @extend_schema(
        tags=["certificate-log"],
        summary="Certificates of my reservations (buyer view) or of my devices (developer view)",
        parameters=FILTERS,
        responses={
            200: inline_serializer(
                "CertificateLogPage",
                {
                    "certificatelog": CERTIFICATES_OUT,
                    "currentpage": serializers.IntegerField(),
                    "totalPages": serializers.IntegerField(),
                    "totalCount": serializers.IntegerField(),
                    "oldcertificatelog": serializers.BooleanField(),
                },
            )
        },
    )
    def get(self, request):
        certificates, developer = selectors.certificate_list(
            user=request.user,
            organization_id=request.query_params.get("organizationId"),
            params=request.query_params,
        )
        rows, number, pages, total = _page(request, certificates, 10)
        return Response(
            {
                "certificatelog": [certificate_json(c, developer=developer) for c in rows],
                "currentpage": number if total else 0,
                "totalPages": pages,
                "totalCount": total,
                "oldcertificatelog": False,
            }
        )


class ReservationCertificatesView(APIView):
    acl = CERTIFICATE_READ

    @extend_schema(
        tags=["certificate-log"],
        summary="Certificates of one reservation, by its groupUid (newest first)",
        parameters=[OpenApiParameter("pageNumber", int)],
        responses={
            200: inline_serializer(
                "ReservationCertificatePage",
                {
                    "certificatelog": CERTIFICATES_OUT,
                    "totalItems": serializers.IntegerField(),
                    "currentPage": serializers.IntegerField(),
                    "totalPages": serializers.IntegerField(),
                },
            )
        },
    )
    def get(self, request, group_uid: str):
        reservation = selectors.reservation_by_uid(user=request.user, uid=group_uid)
        # A developer sees the reservations holding its devices, other organizations' shares merged.
        _certificates, developer = selectors.certificate_view(user=request.user)
        rows, number, pages, total = _page(request, selectors.reservation_certificates(reservation=reservation), 20)
        return Response(
            {
                "certificatelog": [certificate_json(c, developer=developer) for c in rows],
                "totalItems": total,
                "currentPage": number,
                "totalPages": pages,
            }
        )


class ClaimIn(serializers.Serializer):
    certificateId = serializers.IntegerField(min_value=1)
    amount = serializers.IntegerField(min_value=1, help_text="Wh")
    beneficiary = Text(max_length=255)
    location = Text(max_length=255)
    countryCode = Text(max_length=3)
    periodStartDate = serializers.DateTimeField()
    periodEndDate = serializers.DateTimeField()
    purpose = Text(max_length=500)
    organizationId = serializers.IntegerField(
        min_value=1, required=False, help_text="Which of your organizations claims (when several hold it)"
    )


class ClaimView(APIView):
    acl = CLAIM

    @extend_schema(
        tags=["certificate-log"],
        summary="Claim (retire) all or part of a certificate for a beneficiary",
        request=ClaimIn,
        responses={201: inline_serializer("ClaimMade", {"claim": serializers.DictField()})},
    )
    def post(self, request):
        data = parse(ClaimIn, request.data)
        certificate = selectors.certificate_held(user=request.user, certificate_id=data["certificateId"])
        claim = services.claim_create(
            acting_user=request.user,
            certificate=certificate,
            request=services.ClaimRequest.of(
                data, period_start=data["periodStartDate"], period_end=data["periodEndDate"]
            ),
            organization_id=data.get("organizationId"),
        )
        entry = claim.ledger_entry
        return Response(
            {
                "success": True,
                "claim": claim_json(claim, entry),
                "certificateId": certificate.pk,
                "unclaimedWh": claim.certificate.unclaimed_wh,
                "ledgerEntry": entry_json(entry),
            },
            status=201,
        )


class TransferIn(serializers.Serializer):
    certificateId = serializers.IntegerField(min_value=1)
    amount = serializers.IntegerField(min_value=1, help_text="Wh")
    toOrganizationId = serializers.IntegerField(min_value=1, help_text="Any active Buyer organization")
    organizationId = serializers.IntegerField(
        min_value=1, required=False, help_text="Which of your organizations sends (when several hold it)"
    )


def _transfer_json(transfer) -> dict:
    return {
        "id": transfer.pk,
        "certificateId": transfer.certificate_id,
        "amountWh": transfer.amount_wh,
        "from": ledger.account_of(transfer.sender_id),
        "to": ledger.account_of(transfer.receiver_id),
        "toOrganizationId": transfer.receiver_id,
        "createdAt": iso(transfer.created_at),
    }


class TransferView(APIView):
    acl = TRANSFER

    @extend_schema(
        tags=["certificate-log"],
        summary="Transfer part or all of your unclaimed volume of a certificate to a Buyer organization",
        request=TransferIn,
        responses={
            201: inline_serializer(
                "TransferMade", {"transfer": serializers.DictField(), "ledgerEntry": serializers.DictField()}
            ),
            400: OpenApiResponse(description="The receiver is not an active Buyer organization"),
            404: OpenApiResponse(description="No such certificate held by you, or no such organization"),
            409: OpenApiResponse(description="More than you hold unclaimed"),
        },
    )
    def post(self, request):
        data = parse(TransferIn, request.data)
        certificate = selectors.certificate_held(user=request.user, certificate_id=data["certificateId"])
        transfer = services.transfer_create(
            acting_user=request.user,
            certificate=certificate,
            amount_wh=data["amount"],
            receiver=services.receiver_get(data["toOrganizationId"]),
            organization_id=data.get("organizationId"),
        )
        return Response(
            {"transfer": _transfer_json(transfer), "ledgerEntry": entry_json(transfer.ledger_entry)}, status=201
        )


class WithdrawIn(serializers.Serializer):
    certificateId = serializers.IntegerField(min_value=1)
    amount = serializers.IntegerField(min_value=1, required=False, help_text="Wh; all unclaimed volume if left out")
    reason = Text(max_length=500)


class WithdrawView(APIView):
    acl = WITHDRAW

    @extend_schema(
        tags=["certificate-log"],
        summary="Withdraw unclaimed volume of a certificate (super admin), with a reason",
        request=WithdrawIn,
        responses={
            201: inline_serializer(
                "WithdrawalMade", {"withdrawal": serializers.DictField(), "ledgerEntry": serializers.DictField()}
            ),
            409: OpenApiResponse(description="More than the certificate's unclaimed volume"),
        },
    )
    def post(self, request):
        data = parse(WithdrawIn, request.data)
        certificate = selectors.certificate_public(certificate_id=data["certificateId"])
        withdrawal = services.withdrawal_create(
            acting_user=request.user, certificate=certificate, amount_wh=data.get("amount"), reason=data["reason"]
        )
        return Response(
            {
                "withdrawal": {
                    "id": withdrawal.pk,
                    "certificateId": withdrawal.certificate_id,
                    "amountWh": withdrawal.amount_wh,
                    "reason": withdrawal.reason,
                    "createdAt": iso(withdrawal.created_at),
                },
                "unclaimedWh": withdrawal.certificate.unclaimed_wh,
                "ledgerEntry": entry_json(withdrawal.ledger_entry),
            },
            status=201,
        )


def holding_json(holding) -> dict:
    """What an organization holds of a certificate (no other holder's data: SPEC §13)."""
    certificate = holding.certificate
    return {
        "internalCertificateId": certificate.pk,
        "certificateTransactionUID": str(certificate.uid),
        "organizationId": holding.organization_id,
        "account": ledger.account_of(holding.organization_id),
        "ownedWh": holding.held_wh,
        "claimedWh": holding.claimed_wh,
        "received": holding.organization_id != certificate.owner_id,
        "energyWh": certificate.energy_wh,
        "countryCode": certificate.country_id,
        "source": certificate.source,
        "generationStart": iso(certificate.generation_start),
        "generationEnd": iso(certificate.generation_end),
    }


class OwnedView(APIView):
    acl = CERTIFICATE_READ

    @extend_schema(
        tags=["certificate-log"],
        summary="What my Buyer organizations own or have claimed, received certificates included",
        parameters=[OpenApiParameter("organizationId", int), OpenApiParameter("pageNumber", int)],
        responses={
            200: inline_serializer(
                "OwnedPage",
                {
                    "owned": serializers.ListField(child=serializers.DictField()),
                    "currentPage": serializers.IntegerField(),
                    "totalPages": serializers.IntegerField(),
                    "totalCount": serializers.IntegerField(),
                },
            )
        },
    )
    def get(self, request):
        holdings = selectors.holdings_of(user=request.user, organization_id=request.query_params.get("organizationId"))
        rows, number, pages, total = _page(request, holdings, 20)
        return Response(
            {
                "owned": [holding_json(holding) for holding in rows],
                "currentPage": number if total else 0,
                "totalPages": pages,
                "totalCount": total,
            }
        )


class DownloadNegotiation(BaseContentNegotiation):
    """A download answers in its own type whatever the client accepts (``Accept:
    application/pdf`` included); an error in JSON, the API's only renderer."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ClaimStatementView(APIView):
    """The redemption statement of one claim (SPEC §13), for whoever the redemption report
    shows the claim to; the portal's "Statement (PDF)" serves the same."""

    acl = CERTIFICATE_READ
    content_negotiation_class = DownloadNegotiation

    @extend_schema(
        tags=["certificate-log"],
        summary="Redemption statement of a claim (PDF: certificate, volume, beneficiary, ledger entry, QR)",
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The statement, as an attachment"
            ),
            404: OpenApiResponse(description="No such claim among your redemption report's"),
        },
    )
    def get(self, request, claim_id: int):
        claim = selectors.claim_get(user=request.user, claim_id=claim_id)
        return statements.statement_download(request, claim)


class RedemptionReportView(APIView):
    acl = CERTIFICATE_READ

    @extend_schema(
        tags=["certificate-log"],
        summary="The claims on my reservations' certificates (certifiedEnergy in MWh)",
        responses={
            200: inline_serializer(
                "Redemption",
                {
                    "compliance": serializers.CharField(),
                    "certificateId": serializers.IntegerField(),
                    "redemptionDate": serializers.DateTimeField(),
                    "certifiedEnergy": serializers.FloatField(help_text="MWh"),
                    "beneficiary": serializers.CharField(),
                    "beneficiary_address": serializers.CharField(),
                    "claimCoiuntryCode": serializers.CharField(),
                    "purpose": serializers.CharField(),
                },
                many=True,
            )
        },
    )
    def get(self, request):
        return Response([redemption_row(claim) for claim in selectors.claims_of(user=request.user)])


EXPORT_COLUMNS = [
    "externalId",
    "reservation_name",
    "certificate_issuance_startdate",
    "certificate_issuance_enddate",
    "readvalue_watthour",
    "certificateTransactionUID",
    "blockchainCertificateId",
    "internalCertificateId",
    "ledgerIndex",
]


def _export_rows(reservation, developer=None):
    for certificate in selectors.reservation_certificates(reservation=reservation).order_by("id"):
        entry = selectors.issue_entry(certificate)
        for contribution in certificate.contributions.all():
            if developer is not None and contribution.device.organization_id != developer.pk:
                continue
            yield [
                contribution.device.external_id,
                reservation.name,
                iso(contribution.start),
                iso(contribution.end),
                contribution.energy_wh,
                certificate.uid,
                "",
                certificate.pk,
                entry.index if entry else "",
            ]


def export_csv(reservation, developer=None) -> str:
    """Every device's contributions to the reservation's certificates, oldest first (in a
    developer's view, its own devices' only)."""
    return csv_text(EXPORT_COLUMNS, _export_rows(reservation, developer))


class ExportPerDeviceView(APIView):
    acl = CERTIFICATE_READ

    @extend_schema(
        tags=["certificate-log"],
        summary="CSV of every device's contributions to a reservation's certificates",
        responses={(200, "text/csv"): str},
    )
    def get(self, request, group_uid: str):
        reservation = selectors.reservation_by_uid(user=request.user, uid=group_uid)
        _certificates, developer = selectors.certificate_view(user=request.user)
        name = f"{reservation.name} {timezone.localdate().isoformat()}.csv"
        return attachment(export_csv(reservation, developer), name, "text/csv; charset=utf-8")


class PublicKeyView(APIView):
    acl = PUBLIC
    authentication_classes = []

    @extend_schema(
        tags=["ledger"],
        summary="The issuer's Ed25519 public key (verify entries offline)",
        responses={
            200: inline_serializer(
                "LedgerPublicKey",
                {
                    "algorithm": serializers.CharField(),
                    "keyId": serializers.CharField(),
                    "publicKey": serializers.CharField(help_text="Raw 32 bytes, base64"),
                    "publicKeyPem": serializers.CharField(),
                    "hashing": serializers.CharField(),
                },
            )
        },
    )
    def get(self, request):
        return Response(
            {
                "algorithm": "Ed25519",
                "keyId": ledger.key_id(),
                "publicKey": base64.b64encode(ledger.public_key_raw()).decode(),
                "publicKeyPem": ledger.public_key_pem(),
                "hashing": "hash = SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8) of "
                "{index, kind, certificateId, payload, createdAt, previousHash}; signature = Ed25519 over the "
                "32 hash bytes; the first entry's previousHash is 64 zeros.",
            }
        )


class LedgerHeadView(APIView):
    """The newest entry, to publish outside the database (``verify_ledger --head``)."""

    acl = PUBLIC
    authentication_classes = []

    @extend_schema(
        tags=["ledger"],
        summary="The ledger's head: the newest entry's index, hash, signature and time",
        responses={
            200: inline_serializer(
                "LedgerHead",
                {
                    "index": serializers.IntegerField(),
                    "hash": serializers.CharField(),
                    "signature": serializers.CharField(),
                    "time": serializers.DateTimeField(),
                    "keyId": serializers.CharField(),
                },
            ),
            404: OpenApiResponse(description="The ledger has no entry yet"),
        },
    )
    def get(self, request):
        found = ledger.head()
        if found is None:
            raise NotFound("The ledger has no entry yet.")
        return Response(found)


class LedgerEntriesView(APIView):
    """The ledger itself, in order, for anyone who wants to check the whole chain."""

    acl = PUBLIC
    authentication_classes = []

    @extend_schema(
        tags=["ledger"],
        summary="Ledger entries from fromIndex (at most limit, default 100, max 1000)",
        parameters=[
            OpenApiParameter("fromIndex", {"type": "integer", "minimum": 0}),
            OpenApiParameter("limit", {"type": "integer", "minimum": 0}),
        ],
        responses={200: inline_serializer("LedgerEntries", {"entries": serializers.ListField()})},
    )
    def get(self, request):
        page = page_from_query(request.query_params, default_limit=100)
        start = whole_number(request.query_params.get("fromIndex", "") or "0")
        if start is None:
            raise InvalidInput("fromIndex must be a whole number.", errors={"fromIndex": ["Must be a whole number."]})
        entries = LedgerEntry.objects.filter(index__gte=start).order_by("index")[: page.limit]
        return Response({"entries": [entry_json(entry) for entry in entries]})


class VerifyView(APIView):
    acl = PUBLIC
    authentication_classes = []

    @extend_schema(
        tags=["ledger"],
        summary="Verify one certificate against the signed ledger",
        responses={200: inline_serializer("CertificateProof", {"valid": serializers.BooleanField()})},
    )
    def get(self, request, certificate_id: int):
        certificate = selectors.certificate_public(certificate_id=certificate_id)
        proof = ledger.certificate_verify(certificate)
        return Response(
            {
                "valid": proof["valid"],
                "problems": proof_problems(certificate, proof),
                "keyId": proof["keyId"],
                "certificate": {
                    "internalCertificateId": certificate.pk,
                    "certificateTransactionUID": str(certificate.uid),
                    "buyerReservationId": str(certificate.reservation.uid),
                    "owner": ledger.account_of(certificate.owner_id),
                    "countryCode": certificate.country_id,
                    "energyWh": certificate.energy_wh,
                    "claimedWh": certificate.claimed_wh,
                    "withdrawnWh": certificate.withdrawn_wh,
                    "withdrawals": [
                        {"amountWh": w.amount_wh, "reason": w.reason, "createdAt": iso(w.created_at)}
                        for w in certificate.withdrawals.order_by("id")
                    ],
                    "generationStart": iso(certificate.generation_start),
                    "generationEnd": iso(certificate.generation_end),
                },
                "entries": [
                    {**entry_json(check["entry"]), "valid": check["valid"], "problem": check["problem"]}
                    for check in proof["entries"]
                ],
            }
        )


class IssueNowView(APIView):
    """The admin's trigger of an issuance run (the schedule runs it every minute anyway)."""

    acl = ISSUE_NOW

    @extend_schema(
        tags=["drec-issuer"],
        summary="Issue every due certificate now (super admin)",
        request=None,
        responses={200: inline_serializer("IssuanceRun", {"issued": serializers.IntegerField()})},
    )
    def post(self, request):
        return Response({"success": True, "issued": services.certificates_issue_due()})
