"""Code lists that devices refer to (seeded by migrations).

Devices (a later model in this app) point at these rows by code, so the database refuses a
fuel code, device type or country that is not in the list.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from drec.models import TimestampedModel


class CodeListItem(models.Model):
    code = models.CharField(max_length=64, primary_key=True)
    name = models.CharField(max_length=128)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class FuelType(CodeListItem):
    class Meta(CodeListItem.Meta):
        verbose_name = "fuel type"


class DeviceType(CodeListItem):
    class Meta(CodeListItem.Meta):
        verbose_name = "device type"


class OffTaker(CodeListItem):
    class Meta(CodeListItem.Meta):
        verbose_name = "off-taker"


class DeviceDescription(CodeListItem):
    class Meta(CodeListItem.Meta):
        verbose_name = "device description"


class SdgBenefit(CodeListItem):
    """Sustainable Development Goal: ``code`` SDG1..SDG17, ``name`` the goal's title."""

    class Meta(CodeListItem.Meta):
        verbose_name = "SDG benefit"


class Country(models.Model):
    """ISO 3166 country with its IANA time zones (from pycountry and tzdata)."""

    alpha3 = models.CharField(max_length=3, primary_key=True)
    alpha2 = models.CharField(max_length=2, unique=True)
    numeric = models.CharField(max_length=3)
    name = models.CharField(max_length=128)
    timezones = models.JSONField(default=list, help_text="IANA zone names, e.g. Asia/Kolkata")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "countries"

    def __str__(self) -> str:
        return f"{self.name} ({self.alpha3})"


EXTERNAL_ID_PATTERN = r"^[a-zA-Z\d\-_\s]+$"


class MeterReadType(models.TextChoices):
    DELTA = "Delta"
    AGGREGATE = "Aggregate"


class Device(models.Model):
    """A generating device (solar home system, mini-grid, rooftop…) of a Developer organization.

    ``external_id`` is the developer's own id (unique within its organization, any case);
    ``uid`` is the platform's. ``created_at`` is the onboarding date: set by the server when the
    device is registered, never taken from input, it separates history reads from ongoing ones.
    """

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    external_id = models.CharField(max_length=255)
    organization = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="devices")
    project_name = models.CharField(max_length=255, blank=True)
    address = models.CharField(max_length=500)
    latitude = models.DecimalField(max_digits=11, decimal_places=9)
    longitude = models.DecimalField(max_digits=12, decimal_places=9)
    country = models.ForeignKey(Country, on_delete=models.PROTECT, db_column="country_code")
    fuel_code = models.ForeignKey(FuelType, on_delete=models.PROTECT, db_column="fuel_code")
    device_type_code = models.ForeignKey(DeviceType, on_delete=models.PROTECT, db_column="device_type_code")
    capacity = models.DecimalField(max_digits=14, decimal_places=3, help_text="kW")
    commissioning_date = models.DateTimeField()
    grid_interconnection = models.BooleanField(default=False)
    off_taker = models.ForeignKey(OffTaker, on_delete=models.PROTECT, null=True, blank=True, db_column="off_taker")
    yield_value = models.PositiveIntegerField(default=2000, help_text="kWh per kWp per year")
    impact_story = models.TextField(blank=True)
    images = models.JSONField(default=list, blank=True)
    device_description = models.ForeignKey(
        DeviceDescription, on_delete=models.PROTECT, null=True, blank=True, db_column="device_description"
    )
    energy_storage = models.BooleanField(default=False)
    energy_storage_capacity = models.DecimalField(max_digits=14, decimal_places=3, null=True, blank=True)
    quality_labels = models.CharField(max_length=255, blank=True)
    sdg_benefits = models.ManyToManyField(SdgBenefit, blank=True, related_name="devices")
    version = models.CharField(max_length=32, default="1.0")
    timezone = models.CharField(max_length=64, blank=True, help_text="IANA zone, set by the first read giving one")
    meter_read_type = models.CharField(max_length=10, choices=MeterReadType.choices, blank=True)
    irec_status = models.CharField(max_length=32, default="NotRegistered")
    irec_id = models.CharField(max_length=64, blank=True)
    bulk_job = models.ForeignKey(
        "devices.CsvJob", on_delete=models.SET_NULL, null=True, blank=True, related_name="devices"
    )
    bulk_row = models.PositiveIntegerField(null=True, blank=True, help_text="Row of the upload that created it")
    created_at = models.DateTimeField(auto_now_add=True, help_text="Onboarding date")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                "organization", Lower("external_id"), name="device_external_id_unique_in_organization"
            ),
            models.CheckConstraint(condition=models.Q(capacity__gt=0), name="device_capacity_positive"),
            models.CheckConstraint(
                condition=models.Q(energy_storage_capacity__isnull=True) | models.Q(energy_storage_capacity__gte=0),
                name="device_storage_capacity_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(latitude__gte=-90, latitude__lte=90), name="device_latitude_in_range"
            ),
            models.CheckConstraint(
                condition=models.Q(longitude__gte=-180, longitude__lte=180), name="device_longitude_in_range"
            ),
        ]
        indexes = [models.Index(fields=["organization", "-created_at", "-id"], name="device_org_newest")]

    def __str__(self) -> str:
        return f"{self.external_id} ({self.organization_id})"


class CsvJobStatus(models.TextChoices):
    ADDED = "Added"
    RUNNING = "Running"
    COMPLETED = "Completed"
    FAILED = "Failed"


class CsvJobKind(models.TextChoices):
    """What the rows of a bulk upload are: devices to register, or meter reads of devices."""

    DEVICES = "devices"
    READS = "reads"


class UploadedFile(models.Model):
    """A file uploaded with POST /api/file, kept in the database (no shared disk needed)."""

    key = models.CharField(max_length=300, unique=True, help_text="The fileName clients refer to")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    data = models.BinaryField()
    size = models.PositiveIntegerField()
    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE, related_name="+")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key


class CsvJob(TimestampedModel):
    """A bulk upload (devices, or meter reads of the organization's devices): the CSV, its
    progress and its outcome. For a reads job ``rows_created`` counts the reads stored."""

    kind = models.CharField(max_length=10, choices=CsvJobKind.choices, default=CsvJobKind.DEVICES)
    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE, related_name="csv_jobs")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    file_name = models.CharField(max_length=300)
    data = models.BinaryField(help_text="The uploaded CSV")
    status = models.CharField(max_length=10, choices=CsvJobStatus.choices, default=CsvJobStatus.ADDED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_processed = models.PositiveIntegerField(default=0)
    rows_created = models.PositiveIntegerField(default=0)
    rows_failed = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, help_text="Why the job failed as a whole")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=CsvJobStatus.values), name="csvjob_status_valid"),
            models.CheckConstraint(condition=models.Q(kind__in=CsvJobKind.values), name="csvjob_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"CSV job {self.pk} ({self.status})"

    @property
    def progress_percent(self) -> int:
        return 100 if not self.rows_total else round(100 * self.rows_processed / self.rows_total)

    @property
    def rows_not_stored(self) -> int:
        """Rows processed and not stored: those with errors and, in a reads job, the other rows
        of their devices (a device's reads are stored all together or not at all)."""
        return self.rows_processed - self.rows_created


class CsvRowError(models.Model):
    """One problem of one row of a bulk upload."""

    job = models.ForeignKey(CsvJob, on_delete=models.CASCADE, related_name="row_errors")
    row_number = models.PositiveIntegerField(help_text="1 = the first data row after the header")
    external_id = models.CharField(max_length=255, blank=True)
    field = models.CharField(max_length=64)
    message = models.CharField(max_length=500)
    value = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["row_number", "id"]
        indexes = [models.Index(fields=["job", "row_number"])]

    def __str__(self) -> str:
        return f"row {self.row_number} {self.field}: {self.message}"


class CsvDeviceReads(models.Model):
    """The rows of one device (one externalId) in a reads upload and what became of them:
    all stored, or none (``stored`` 0) when one of them was refused or the device is unknown."""

    job = models.ForeignKey(CsvJob, on_delete=models.CASCADE, related_name="device_reads")
    external_id = models.CharField(max_length=255, help_text="As the file's first row of the device gives it")
    device = models.ForeignKey(Device, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    first_row = models.PositiveIntegerField()
    row_ranges = models.JSONField(default=list, help_text="The device's rows as [first, last] ranges")
    rows = models.PositiveIntegerField()
    stored = models.PositiveIntegerField(default=0, help_text="Reads stored: all the rows, or 0")

    class Meta:
        ordering = ["first_row", "id"]
        constraints = [
            models.UniqueConstraint(fields=["job", "external_id"], name="csv_device_reads_once_per_job"),
            models.CheckConstraint(
                condition=models.Q(stored=0) | models.Q(stored=models.F("rows")), name="csv_device_reads_all_or_none"
            ),
        ]
        verbose_name_plural = "CSV device reads"

    def __str__(self) -> str:
        return f"{self.external_id}: {self.stored} of {self.rows} reads stored"

    @property
    def row_numbers(self) -> list[int]:
        return [number for first, last in self.row_ranges for number in range(first, last + 1)]
