"""The back office's certificates and what stands behind them: contributions, claims, carries
and the signed ledger.

All of it is written by issuance and claims (certificates.services) and kept exact by the
database and the hash-chained ledger, so nothing here is ever added, changed or deleted, not
even by a superuser: the admin finds and shows. Certificates, contributions and ledger entries
grow without bound: their changelists are BigTableAdmins ordered by an index, searched only by
indexed exact values (a text search would scan the table).
"""

import uuid
from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from certificates.models import (
    Carry,
    Certificate,
    Claim,
    Contribution,
    Holding,
    IssuanceRun,
    LedgerEntry,
    Transfer,
    Withdrawal,
)
from devices.models import Device
from drec.admin import BigTableAdmin, FirstRowsFormSet, ReadOnlyAdmin, ReadOnlyTabularInline, changelist_link, wh
from drec.inputs import whole_number


def period(start: Any, end: Any) -> str:
    return f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC"


# --- Certificates ----------------------------------------------------------------------------


class ContributionFormSet(FirstRowsFormSet):
    limit = 200


class ContributionInline(ReadOnlyTabularInline):
    model = Contribution
    formset = ContributionFormSet
    fields = ("device", "start", "end", "energy", "reads")
    readonly_fields = fields
    verbose_name_plural = f"contributions of devices (the first {ContributionFormSet.limit})"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Contribution]:
        return super().get_queryset(request).select_related("device")

    @admin.display(description="Energy")
    def energy(self, contribution: Contribution) -> str:
        return wh(contribution.energy_wh)


class ClaimInline(ReadOnlyTabularInline):
    model = Claim
    fields = ("amount", "beneficiary", "purpose", "claimed_by", "created_at")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Claim]:
        return super().get_queryset(request).select_related("claimed_by")

    @admin.display(description="Amount")
    def amount(self, claim: Claim) -> str:
        return wh(claim.amount_wh)


class LedgerEntryInline(ReadOnlyTabularInline):
    model = LedgerEntry
    fields = ("index", "kind", "created_at", "key_id", "hash")
    readonly_fields = fields
    verbose_name_plural = "ledger entries"


@admin.register(Certificate)
class CertificateAdmin(BigTableAdmin):
    list_display = (
        "id",
        "owner_name",
        "reservation",
        "country",
        "energy",
        "claimed",
        "generation_period",
        "created_at",
    )
    list_filter = ("source",)
    list_select_related = ("owner", "reservation", "country")
    ordering = ("-id",)
    sortable_by = ()  # another column's order would sort the whole table
    search_fields = ("=id", "=uid")
    search_help_text = "A certificate's id (internalCertificateId) or uid (certificateTransactionUID), exact."
    fields = (
        "id",
        "uid",
        "owner",
        "reservation",
        "country",
        "source",
        "energy",
        "claimed",
        "unclaimed",
        "generation_period",
        "window_start",
        "window_end",
        "created_at",
    )
    readonly_fields = fields
    inlines = (ContributionInline, ClaimInline, LedgerEntryInline)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Certificate], search_term: str
    ) -> tuple[QuerySet[Certificate], bool]:
        # By the primary key or the uid's unique index: Django's own "=id" compares text.
        term = search_term.strip()
        if not term:
            return queryset, False
        number = whole_number(term)
        if number is not None:
            return queryset.filter(pk=number), False
        try:
            return queryset.filter(uid=uuid.UUID(term)), False
        except ValueError:
            return queryset.none(), False

    @admin.display(description="Owner (buyer)", ordering="owner__name")
    def owner_name(self, certificate: Certificate) -> str:
        return certificate.owner.name

    @admin.display(description="Energy")
    def energy(self, certificate: Certificate) -> str:
        return wh(certificate.energy_wh)

    @admin.display(description="Claimed")
    def claimed(self, certificate: Certificate) -> str:
        return wh(certificate.claimed_wh)

    @admin.display(description="Unclaimed")
    def unclaimed(self, certificate: Certificate) -> str:
        return wh(certificate.unclaimed_wh)

    @admin.display(description="Generation period")
    def generation_period(self, certificate: Certificate) -> str:
        return period(certificate.generation_start, certificate.generation_end)


# --- What stands behind them ------------------------------------------------------------------


@admin.register(Contribution)
class ContributionAdmin(BigTableAdmin):
    """A device's share of a certificate: the energy of its reads in [start, end)."""

    list_display = ("certificate", "device", "start", "end", "energy", "reads")
    list_select_related = ("certificate", "device")
    # The (certificate, device) unique constraint's index, read backwards: newest first. By
    # "device" the order would follow Device's own ordering, a join sorted whole.
    ordering = ("-certificate_id", "-device_id")
    sortable_by = ()
    search_fields = ("=certificate__id", "=device__external_id")
    search_help_text = "A certificate's id, or a device's external id (exact, any case)."
    fields = ("certificate", "device", "membership", "start", "end", "energy", "reads", "history_read", "previous_end")
    readonly_fields = fields

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Contribution], search_term: str
    ) -> tuple[QuerySet[Contribution], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        number = whole_number(term)
        devices = list(Device.objects.filter(external_id__iexact=term).values_list("pk", flat=True)[:100])
        match = Q(device_id__in=devices)
        if number is not None:
            match |= Q(certificate_id=number)
        return queryset.filter(match), False

    @admin.display(description="Energy")
    def energy(self, contribution: Contribution) -> str:
        return wh(contribution.energy_wh)


@admin.register(Claim)
class ClaimAdmin(BigTableAdmin):
    """Retirements of certificates (certificates.services.claim_create, with its ledger entry)."""

    list_display = ("id", "certificate", "amount", "beneficiary", "country", "claimed_by", "created_at")
    list_select_related = ("certificate", "country", "claimed_by")
    ordering = ("-id",)
    sortable_by = ()
    search_fields = ("=certificate__id", "beneficiary")
    search_help_text = "A certificate's id (exact), or part of the beneficiary's name."
    fields = (
        "certificate",
        "amount",
        "beneficiary",
        "location",
        "country",
        "claim_period",
        "purpose",
        "claimed_by",
        "created_at",
    )
    readonly_fields = fields

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Claim], search_term: str
    ) -> tuple[QuerySet[Claim], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        number = whole_number(term)
        if number is not None:
            return queryset.filter(certificate_id=number), False
        return queryset.filter(beneficiary__icontains=term), False

    @admin.display(description="Amount")
    def amount(self, claim: Claim) -> str:
        return wh(claim.amount_wh)

    @admin.display(description="Period claimed")
    def claim_period(self, claim: Claim) -> str:
        return period(claim.period_start, claim.period_end)


@admin.register(Carry)
class CarryAdmin(ReadOnlyAdmin):
    """Energy beyond the whole units issued so far, per reservation and country; issuance adds
    it to the next certificate."""

    list_display = ("reservation", "country", "carried")
    list_select_related = ("reservation", "country")
    search_fields = ("reservation__name",)
    fields = ("reservation", "country", "carried")
    readonly_fields = fields

    @admin.display(description="Carried", ordering="carry_wh")
    def carried(self, carry: Carry) -> str:
        return wh(carry.carry_wh)


@admin.register(IssuanceRun)
class IssuanceRunAdmin(ReadOnlyAdmin):
    """When the worker's scheduled issuance last ran (one row, written by each run): the
    dashboard warns when it is older than five minutes."""

    list_display = ("started_at", "finished_at", "issued")
    fields = list_display
    readonly_fields = fields


@admin.register(LedgerEntry)
class LedgerEntryAdmin(BigTableAdmin):
    """The append-only, hash-chained, signed ledger (certificates.ledger): shown, never written
    (``manage.py verify_ledger`` checks it)."""

    list_display = ("index", "kind", "certificate", "claim", "created_at", "key_id", "short_hash")
    list_filter = ("kind",)
    list_select_related = ("certificate", "claim")
    # The unique index of ``index``, newest first.
    ordering = ("-index",)
    sortable_by = ()
    search_fields = ("=index", "=certificate__id", "=hash")
    search_help_text = "An entry's index or hash, or a certificate's id (exact)."
    fields = (
        "index",
        "kind",
        "certificate",
        "claim",
        "created_at",
        "payload",
        "previous_hash",
        "hash",
        "signature",
        "key_id",
        "certificate_entries",
    )
    readonly_fields = fields

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[LedgerEntry], search_term: str
    ) -> tuple[QuerySet[LedgerEntry], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        number = whole_number(term)
        if number is not None:
            return queryset.filter(Q(index=number) | Q(certificate_id=number)), False
        return queryset.filter(hash=term.lower()), False

    @admin.display(description="Hash")
    def short_hash(self, entry: LedgerEntry) -> str:
        return f"{entry.hash[:16]}…"

    @admin.display(description="The certificate's entries")
    def certificate_entries(self, entry: LedgerEntry) -> str:
        return changelist_link(
            LedgerEntry, "all entries of this certificate", certificate__id__exact=entry.certificate_id
        )


@admin.register(Holding)
class HoldingAdmin(BigTableAdmin):
    """What each organization holds and has claimed of each certificate (SPEC §13): written at
    issuance and by claims, transfers and withdrawals; ``verify_ledger`` replays them."""

    list_display = ("certificate", "organization", "held", "claimed")
    list_select_related = ("certificate", "organization")
    ordering = ("-certificate_id", "id")
    sortable_by = ()
    search_fields = ("=certificate__id",)
    search_help_text = "A certificate's id (exact)."
    fields = ("certificate", "organization", "held", "claimed")
    readonly_fields = fields

    @admin.display(description="Held (unclaimed)")
    def held(self, holding: Holding) -> str:
        return wh(holding.held_wh)

    @admin.display(description="Claimed")
    def claimed(self, holding: Holding) -> str:
        return wh(holding.claimed_wh)


@admin.register(Transfer)
class TransferAdmin(BigTableAdmin):
    """Volume moved between Buyer organizations (certificates.services.transfer_create, with its
    ledger entry)."""

    list_display = ("id", "certificate", "sender", "receiver", "amount", "transferred_by", "created_at")
    list_select_related = ("certificate", "sender", "receiver", "transferred_by")
    ordering = ("-id",)
    sortable_by = ()
    search_fields = ("=certificate__id",)
    search_help_text = "A certificate's id (exact)."
    fields = ("certificate", "sender", "receiver", "amount", "transferred_by", "created_at")
    readonly_fields = fields

    @admin.display(description="Amount")
    def amount(self, transfer: Transfer) -> str:
        return wh(transfer.amount_wh)


@admin.register(Withdrawal)
class WithdrawalAdmin(BigTableAdmin):
    """Unclaimed volume the issuer took back, with the reason (certificates.services.
    withdrawal_create; made through the API or the certificate's page, never here)."""

    list_display = ("id", "certificate", "amount", "reason", "withdrawn_by", "created_at")
    list_select_related = ("certificate", "withdrawn_by")
    ordering = ("-id",)
    sortable_by = ()
    search_fields = ("=certificate__id",)
    search_help_text = "A certificate's id (exact)."
    fields = ("certificate", "amount", "reason", "withdrawn_by", "created_at")
    readonly_fields = fields

    @admin.display(description="Amount")
    def amount(self, withdrawal: Withdrawal) -> str:
        return wh(withdrawal.amount_wh)
