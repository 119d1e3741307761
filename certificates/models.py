"""Certificates, what they were issued from, their claims, and the signed ledger.

A certificate is issued to a reservation's buyer for the energy of its devices' reads: one
per (reservation, window of its frequency, country) for ongoing reads, one per History read.
Each device's share is a ``Contribution`` covering a span of its reads. Exactly once is kept
by the database (migration 0002 for what the ORM cannot say):
- the ongoing contributions of one membership (a device in a reservation) form one chain of
  spans, each starting at or after the previous one's end, so no read is in two of them;
- a History read is in at most one contribution (unique);
- the coverages of a device's memberships never overlap (reservations migration 0002), so
  two reservations never certify the same read.
Energy is integer Wh; certificates carry whole units of ``DREC_CERTIFICATE_UNIT_WH``; what a
window's reads hold beyond whole units is carried to the next certificate (``Carry``).
"""

import uuid

from django.db import models
from django.db.models import Case, F, Q, When


class Source(models.TextChoices):
    ONGOING = "ongoing"
    HISTORY = "history"


class Certificate(models.Model):
    id = models.BigAutoField(primary_key=True, help_text="internalCertificateId")
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, help_text="certificateTransactionUID")
    reservation = models.ForeignKey("reservations.Reservation", on_delete=models.PROTECT, related_name="certificates")
    owner = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="certificates", help_text="The buyer"
    )
    country = models.ForeignKey("devices.Country", on_delete=models.PROTECT, db_column="country_code")
    source = models.CharField(max_length=10, choices=Source.choices)
    energy_wh = models.BigIntegerField(help_text="Issued volume, Wh (whole units)")
    claimed_wh = models.BigIntegerField(default=0, help_text="Claimed by any holder")
    withdrawn_wh = models.BigIntegerField(default=0, help_text="Withdrawn by the issuer (SPEC §13)")
    generation_start = models.DateTimeField()
    generation_end = models.DateTimeField()
    window_start = models.DateTimeField(null=True, blank=True, help_text="The first window it covers (ongoing)")
    window_end = models.DateTimeField(null=True, blank=True, help_text="The end of the last window it covers")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(energy_wh__gt=0), name="certificate_energy_positive"),
            models.CheckConstraint(
                condition=Q(claimed_wh__gte=0) & Q(claimed_wh__lte=F("energy_wh")), name="claimed_within_energy"
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_wh__gte=0) & Q(withdrawn_wh__lte=F("energy_wh") - F("claimed_wh")),
                name="withdrawn_within_unclaimed",
            ),
            models.CheckConstraint(
                condition=Q(generation_start__lt=F("generation_end")), name="certificate_period_valid"
            ),
            models.CheckConstraint(condition=Q(source__in=Source.values), name="certificate_source_valid"),
        ]

    def __str__(self) -> str:
        return f"Certificate {self.pk}: {self.energy_wh} Wh"

    @property
    def unclaimed_wh(self) -> int:
        """What its holders may still claim, transfer or lose to a withdrawal."""
        return self.energy_wh - self.claimed_wh - self.withdrawn_wh


class Holding(models.Model):
    """What one organization holds of a certificate (SPEC §13): ``held_wh`` it may claim or
    transfer, ``claimed_wh`` it has claimed. Written at issuance for the reservation's buyer
    (the ``owner``) and by each transfer for the receiver; a certificate's holdings add up to
    its volume less what was withdrawn. Claims, transfers and withdrawals change them under
    the certificate's row lock, so the same Wh is never spent twice."""

    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="holdings", db_index=False)
    organization = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="holdings")
    held_wh = models.BigIntegerField(default=0)
    claimed_wh = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["certificate", "id"]
        constraints = [
            models.UniqueConstraint(fields=["certificate", "organization"], name="one_holding_per_organization"),
            models.CheckConstraint(condition=Q(held_wh__gte=0), name="holding_held_not_negative"),
            models.CheckConstraint(condition=Q(claimed_wh__gte=0), name="holding_claimed_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} holds {self.held_wh} Wh of certificate {self.certificate_id}"


class Transfer(models.Model):
    """Volume of a certificate moved from one holder to another (any active Buyer organization)."""

    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="transfers")
    sender = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="transfers_sent")
    receiver = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="transfers_received"
    )
    amount_wh = models.BigIntegerField()
    transferred_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="transfers")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_wh__gt=0), name="transfer_amount_positive"),
            models.CheckConstraint(condition=~Q(sender=F("receiver")), name="transfer_to_another_organization"),
        ]

    def __str__(self) -> str:
        return f"Transfer of {self.amount_wh} Wh of certificate {self.certificate_id}"


class Withdrawal(models.Model):
    """Unclaimed volume the issuer took back (wrong reads, a fraud): its reads stay certified."""

    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="withdrawals")
    amount_wh = models.BigIntegerField()
    reason = models.CharField(max_length=500)
    withdrawn_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="withdrawals")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount_wh__gt=0), name="withdrawal_amount_positive")]

    def __str__(self) -> str:
        return f"Withdrawal of {self.amount_wh} Wh of certificate {self.certificate_id}"


class Contribution(models.Model):
    """A device's share of a certificate (the original's "per device certificate log"): the
    energy of its reads in ``[start, end)``."""

    # No index of their own: the unique constraints below start with them (a certificate's
    # contributions, a membership's chain), and each index more slows issuance's inserts.
    # The references (and the History read's) are checked once per statement, not by foreign
    # keys (migration 0005): a foreign key is checked row by row, and an issuing batch writes
    # tens of thousands of rows. The device must be its membership's.
    certificate = models.ForeignKey(
        Certificate, on_delete=models.PROTECT, related_name="contributions", db_index=False, db_constraint=False
    )
    membership = models.ForeignKey(
        "reservations.ReservationDevice",
        on_delete=models.PROTECT,
        related_name="contributions",
        db_index=False,
        db_constraint=False,
    )
    device = models.ForeignKey(
        "devices.Device", on_delete=models.PROTECT, related_name="contributions", db_constraint=False
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    energy_wh = models.BigIntegerField()
    reads = models.PositiveIntegerField(help_text="How many reads")
    history_read = models.OneToOneField(
        "reads.MeterRead",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contribution",
        db_constraint=False,
    )
    previous_end = models.DateTimeField(
        null=True, blank=True, help_text="Ongoing: the end of the membership's previous contribution"
    )
    ongoing_end = models.GeneratedField(
        expression=Case(When(history_read__isnull=True, then=F("end"))),
        output_field=models.DateTimeField(null=True),
        db_persist=True,
    )

    class Meta:
        ordering = ["certificate", "device"]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="contribution_period_valid"),
            models.CheckConstraint(condition=Q(energy_wh__gte=0), name="contribution_energy_not_negative"),
            models.CheckConstraint(
                condition=Q(previous_end__isnull=True) | Q(previous_end__lte=F("start")),
                name="contribution_after_previous",
            ),
            models.CheckConstraint(
                condition=Q(history_read__isnull=True) | Q(previous_end__isnull=True), name="history_is_not_chained"
            ),
            models.UniqueConstraint(fields=["certificate", "device"], name="one_contribution_per_device"),
            # The chain of ongoing contributions per membership (the foreign key is in 0002).
            models.UniqueConstraint(fields=["membership", "ongoing_end"], name="ongoing_contribution_ends"),
            models.UniqueConstraint(fields=["membership", "previous_end"], name="one_successor_per_contribution"),
            models.UniqueConstraint(
                fields=["membership"],
                condition=Q(previous_end__isnull=True, history_read__isnull=True),
                name="one_chain_start_per_membership",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.device_id}: {self.energy_wh} Wh in certificate {self.certificate_id}"


class Carry(models.Model):
    """Energy of consumed reads beyond the whole units issued so far, per reservation and
    country: it is added to the next certificate's volume."""

    reservation = models.ForeignKey("reservations.Reservation", on_delete=models.CASCADE, related_name="carries")
    country = models.ForeignKey("devices.Country", on_delete=models.PROTECT, db_column="country_code")
    carry_wh = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reservation", "country"], name="one_carry_per_country"),
            models.CheckConstraint(condition=Q(carry_wh__gte=0), name="carry_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.carry_wh} Wh carried for {self.country_id} in reservation {self.reservation_id}"


class IssuanceRun(models.Model):
    """When the worker's scheduled issuance last ran: one row (``id`` 1), written at the end of
    each scheduled run (certificates.services.certificates_issue_scheduled), read by the health
    check, the super admin's dashboard and the issuance status.

    Our own row rather than django-q2's task results: those are kept only as its ``save_limit``
    allows (the oldest pruned first, whatever their function), not at all for tasks queued with
    ``save=False``, and finding the latest one of a function reads the whole task table; this is
    one primary-key lookup, and says exactly what it means."""

    ROW = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=ROW)
    started_at = models.DateTimeField(help_text="The moment the run issued as of (its start)")
    finished_at = models.DateTimeField(help_text="When it finished")
    issued = models.IntegerField(default=0, help_text="Certificates it issued")

    class Meta:
        verbose_name = "issuance run"
        constraints = [models.CheckConstraint(condition=Q(id=1), name="one_issuance_run_row")]

    def __str__(self) -> str:
        return f"Issuance run of {self.started_at:%Y-%m-%d %H:%M:%S} UTC: {self.issued} certificates"


class Claim(models.Model):
    """A retirement of (part of) a certificate for a beneficiary."""

    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="claims")
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="claims", help_text="The claimer"
    )
    amount_wh = models.BigIntegerField()
    beneficiary = models.CharField(max_length=255)
    location = models.CharField(max_length=255)
    country = models.ForeignKey("devices.Country", on_delete=models.PROTECT, db_column="country_code")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    purpose = models.CharField(max_length=500)
    claimed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="claims")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_wh__gt=0), name="claim_amount_positive"),
            models.CheckConstraint(condition=Q(period_start__lte=F("period_end")), name="claim_period_valid"),
        ]

    def __str__(self) -> str:
        return f"Claim of {self.amount_wh} Wh on certificate {self.certificate_id}"


class EntryKind(models.TextChoices):
    ISSUE = "issue"
    CLAIM = "claim"
    TRANSFER = "transfer"
    WITHDRAWAL = "withdrawal"


class LedgerEntry(models.Model):
    """An append-only, hash-chained, signed record (certificates.ledger)."""

    index = models.BigIntegerField(unique=True, help_text="0, 1, 2, … without gaps")
    kind = models.CharField(max_length=10, choices=EntryKind.choices)
    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="ledger_entries")
    claim = models.OneToOneField(Claim, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_entry")
    transfer = models.OneToOneField(
        Transfer, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_entry"
    )
    withdrawal = models.OneToOneField(
        Withdrawal, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_entry"
    )
    payload = models.JSONField()
    created_at = models.DateTimeField()
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    signature = models.CharField(max_length=128, help_text="Ed25519 over the hash, base64")
    key_id = models.CharField(max_length=64, help_text="Which issuer key signed it")

    class Meta:
        ordering = ["index"]
        verbose_name_plural = "ledger entries"
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=EntryKind.values), name="ledger_kind_valid"),
            models.CheckConstraint(condition=Q(index__gte=0), name="ledger_index_not_negative"),
        ]

    def __str__(self) -> str:
        return f"#{self.index} {self.kind} {self.certificate_id}"
