"""The public registry's totals (SPEC §13): what was issued, claimed and withdrawn, per
country and month of generation, kept by the database as certificates change.

Every INSERT, UPDATE or DELETE of certificates appends one ``Movement`` per (country, month)
it changed (statement triggers of migration 0001), so issuance, claims and withdrawals keep
the totals exact whatever code path they take, and concurrent issuing workers only append
rows (no shared counter row to wait for). The registry's pages and JSON sum the movements:
a few rows per issuing batch, not a scan of the certificates.
"""

from django.db import models


class Movement(models.Model):
    country = models.ForeignKey("devices.Country", on_delete=models.PROTECT, db_column="country_code")
    month = models.DateField(help_text="First day of the month of generation (UTC)")
    issued_wh = models.BigIntegerField(default=0)
    claimed_wh = models.BigIntegerField(default=0)
    withdrawn_wh = models.BigIntegerField(default=0)
    certificates = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["month", "country"], name="registry_movement_month")]

    def __str__(self) -> str:
        return f"{self.country_id} {self.month:%Y-%m}: {self.issued_wh} Wh issued"
