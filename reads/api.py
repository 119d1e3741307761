"""Meter-read API (backend.md §8) and the per-country yield configuration (§11)."""

import math
from datetime import datetime

from django.conf import settings
from django.utils.dateparse import parse_datetime
from drf_spectacular.plumbing import build_array_type
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from certificates.selectors import read_certificates
from devices.api import CsvJobOut, CsvJobStatusOut, csv_jobs_json
from devices.bulk import csv_job_create
from devices.models import CsvJobKind, Device
from devices.selectors import csv_job_get, csv_job_list
from drec.errors import InvalidInput, NotFound
from drec.formats import iso
from drec.http import attachment
from drec.inputs import Text, parse, whole_number
from drec.pagination import PAGE_PARAMETERS, page_from_query, paginate, paginated_schema
from organizations.models import OrganizationType
from organizations.selectors import organization_for
from reads import bulk, selectors, services
from reads.fields import BATCH, READ, serializer_fields
from reads.models import YieldConfig, YieldStatus
from reads.rules import READS_READ, READS_WRITE, YIELD_ADD, YIELD_CHANGE, YIELD_READ
from reads.services import zone_get

READS_PAGE_SIZE = 5
READS_HELP = "Up to 10,000 reads: {starttimestamp?, endtimestamp, value}"


# The batch's fields are declared in reads.fields, shared with the portal's form. ReadIn and
# ReadBatch document the body; ReadsIn parses it (the service checks the reads, read by read).


class ReadIn(serializers.Serializer):
    """One read of a batch."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return serializer_fields(READ)


class ReadsIn(serializers.Serializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        # Items are checked by the service, read by read (a serializer per item costs too much for 10,000).
        return {**serializer_fields(BATCH), "reads": serializers.ListField(help_text=READS_HELP)}


class ReadBatch(serializers.Serializer):
    """Reads of one device, all in one unit, with local times in one time zone if it is given."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {**serializer_fields(BATCH), "reads": ReadIn(many=True, help_text=READS_HELP)}


def _moment(request, name: str) -> datetime | None:
    value = request.query_params.get(name, "").strip()
    if not value:
        return None
    try:
        parsed = parse_datetime(value.replace(" ", "+")) if "T" in value else None
    except ValueError:  # well formed but impossible, e.g. 2024-02-30
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise InvalidInput(
            f"{name} must be an ISO 8601 date-time with Z or an offset, e.g. 2020-01-01T00:00:00Z.",
            errors={name: ["Not a date-time."]},
        )
    return parsed


def _device_for_reading(request, external_id: str) -> Device:
    """The device of ``/meter-reads/.../{ref}`` whose reads are asked for (by externalId or id)."""
    return selectors.device_for_reading(
        user=request.user, device_ref=external_id, organization_id=request.query_params.get("organizationId")
    )


def _period_json(item: selectors.Energy) -> dict:
    return {"startTime": iso(item["startTime"]), "endTime": iso(item["endTime"]), "value": item["value"]}


def _read_json(read, certified: dict[int, int]) -> dict:
    """A read as the original listed it, plus the certificate that certified it (or null)."""
    return {
        "startdate": iso(read.start),
        "enddate": iso(read.end),
        "value": read.value_wh,
        "certificateId": certified.get(read.pk),
    }


class ReadsView(APIView):
    """``/meter-reads/new/{ref}``: POST a batch by the developer's externalId; GET the reads."""

    acl = {"post": READS_WRITE, "get": READS_READ}

    @extend_schema(
        tags=["meter-reads"],
        summary="Add up to 10,000 reads of one device (all stored, or none)",
        request=ReadBatch,
        responses={
            201: inline_serializer(
                "ReadsStored", {"success": serializers.BooleanField(), "stored": serializers.IntegerField()}
            )
        },
    )
    def post(self, request, external_id: str):
        data = parse(ReadsIn, request.data)
        device = selectors.device_for_writing(
            user=request.user, external_id=external_id, organization_id=data.get("organizationId")
        )
        stored = services.reads_ingest(
            device=device,
            read_type=data["type"],
            unit=data["unit"],
            timezone_name=data.get("timezone") or None,
            reads=data["reads"],
        )
        return Response({"success": True, "stored": stored}, status=201)

    @extend_schema(
        tags=["meter-reads"],
        summary="A device's reads (meterReads) or its energy per day or month (accumulated)",
        parameters=[
            OpenApiParameter("readType", str, required=True, enum=["meterReads", "accumulated"]),
            OpenApiParameter("start", str, description="e.g. 2020-01-01T00:00:00Z"),
            OpenApiParameter("end", str, description="e.g. 2024-01-01T00:00:00Z"),
            OpenApiParameter("pagenumber", int),
            OpenApiParameter("limit", int, description="Reads per page, default 5"),
            OpenApiParameter("organizationId", int),
            OpenApiParameter("accumulationType", str, enum=["Monthly", "Yearly"]),
            OpenApiParameter("Month", int),
            OpenApiParameter("Year", int),
        ],
        responses={
            200: inline_serializer(
                "Reads",
                {
                    "historyread": serializers.ListField(child=serializers.DictField()),
                    "ongoing": serializers.ListField(child=serializers.DictField()),
                    "numberOfReads": serializers.IntegerField(),
                    "numberOfPages": serializers.IntegerField(),
                    "currentPageNumber": serializers.IntegerField(),
                    "timezone": serializers.CharField(),
                },
            )
        },
    )
    def get(self, request, external_id: str):
        device = _device_for_reading(request, external_id)
        read_type = request.query_params.get("readType")
        if read_type == "meterReads":
            return Response(self._reads(request, device))
        if read_type == "accumulated":
            return Response(self._accumulated(request, device))
        raise InvalidInput(
            "readType must be meterReads or accumulated.", errors={"readType": ["Invalid readType parameter"]}
        )

    def _reads(self, request, device) -> dict:
        start, end = _moment(request, "start"), _moment(request, "end")
        if start is not None and end is not None and start >= end:
            raise InvalidInput(
                "start must be before end.",
                errors={"start": ["The given start and end timestamps are the same or reversed"]},
            )
        page = page_from_query(request.query_params, default_limit=READS_PAGE_SIZE)
        history, ongoing = selectors.read_list(device=device, start=start, end=end)
        history_count, ongoing_count = history.count(), ongoing.count()
        window = slice(page.offset, page.offset + page.limit)
        history_page, ongoing_page = list(history[window]), list(ongoing[window])
        certified = read_certificates(device, history_page + ongoing_page)
        return {
            "historyread": [_read_json(read, certified) for read in history_page],
            "ongoing": [_read_json(read, certified) for read in ongoing_page],
            "numberOfReads": history_count + ongoing_count,
            "numberOfPages": math.ceil(max(history_count, ongoing_count) / page.limit),
            "currentPageNumber": page.number,
            "timezone": selectors.device_timezone(device),
        }

    def _accumulated(self, request, device) -> dict:
        kind = request.query_params.get("accumulationType")
        zone = zone_get(selectors.device_timezone(device))
        year = whole_number(request.query_params.get("Year", ""))
        month = whole_number(request.query_params.get("Month", ""))
        # A year whose months (and the next January) exist as dates in any time zone.
        if year is None or not 1900 <= year <= 9998:
            raise InvalidInput("Year is required, 1900 to 9998 (e.g. Year=2024).", errors={"Year": ["Required."]})
        if kind == "Monthly":
            if month is None or not 1 <= month <= 12:
                raise InvalidInput("Month (1-12) is required with Monthly.", errors={"Month": ["Required, 1 to 12."]})
            start = datetime(year, month, 1, tzinfo=zone)
            end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)
            periods = selectors.daily_energy(device=device, start=start, end=end, zone=zone)
        elif kind == "Yearly":
            periods = selectors.monthly_energy(device=device, year=year, zone=zone)
        else:
            raise InvalidInput(
                "accumulationType must be Monthly or Yearly.", errors={"accumulationType": ["Invalid accumulationType"]}
            )
        return {"aggregateType": kind, "accumulatedReads": [_period_json(p) for p in periods], "timezone": zone.key}


class TimeZonesView(APIView):
    """The time zones a batch of reads may name (the original's endpoint always failed)."""

    acl = READS_READ

    @extend_schema(
        tags=["meter-reads"],
        summary="IANA time zone names, optionally those containing timezoneSearchKeyword (any case)",
        parameters=[OpenApiParameter("timezoneSearchKeyword", str, description="Part of a name, e.g. kolkata")],
        responses={200: build_array_type({"type": "string"})},
    )
    def get(self, request):
        return Response(services.zone_names(search=request.query_params.get("timezoneSearchKeyword", "")))


class LatestReadView(APIView):
    """The newest read of a device (what the add-read form shows next to the device)."""

    acl = READS_READ

    @extend_schema(
        tags=["meter-reads"],
        summary="A device's newest read",
        responses={
            200: inline_serializer(
                "LatestRead",
                {
                    "externalId": serializers.CharField(),
                    "enddate": serializers.DateTimeField(),
                    "value": serializers.IntegerField(),
                    "type": serializers.CharField(),
                },
            )
        },
    )
    def get(self, request, external_id: str):
        device = _device_for_reading(request, external_id)
        read = selectors.latest_read(device)
        if read is None:
            raise NotFound(f"Device {device.external_id} has no reads yet")
        return Response(
            {"externalId": device.external_id, "enddate": iso(read.end), "value": read.value_wh, "type": read.read_type}
        )


# --- Reads by file (SPEC §14) -----------------------------------------------------------


class ReadsCsvIn(serializers.Serializer):
    csvFile = serializers.FileField(
        required=False,
        help_text="Columns externalId,type,unit,starttimestamp,endtimestamp,value, one read a row "
        "(see GET /api/meter-reads/bulk-csv/template.csv)",
    )
    fileName = Text(required=False, help_text="Or: a file uploaded before with POST /api/file")


ORGANIZATION_PARAMETER = OpenApiParameter(
    "organizationId", int, description="Admin and api users: the Developer organization whose devices the reads are for"
)


class ReadsCsvView(APIView):
    """``/meter-reads/bulk-csv``: POST a CSV of reads of several devices (a bulk job of kind
    "reads", under the rule of a JSON batch); GET those jobs."""

    acl = {"post": READS_WRITE, "get": READS_READ}
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        tags=["meter-reads"],
        summary="Queue a CSV of reads of your devices: each device's rows stored all together, or none",
        description=(
            "Each device's rows (its externalId, any case) pass the rules of a JSON batch of "
            "POST /api/meter-reads/new/{externalId}, in file order, and are stored all or nothing; every refused "
            "row is listed by the job's status (GET /api/meter-reads/bulk-csv/{jobId}) with its column and reason."
        ),
        parameters=[ORGANIZATION_PARAMETER],
        request={"multipart/form-data": ReadsCsvIn, "application/json": ReadsCsvIn},
        responses={201: CsvJobOut},
    )
    def post(self, request):
        data = parse(ReadsCsvIn, request.data)
        organization = organization_for(
            user=request.user,
            organization_id=request.query_params.get("organizationId"),
            organization_type=OrganizationType.DEVELOPER,
            purpose="for meter reads",
        )
        upload = request.FILES.get("csvFile")
        job = csv_job_create(
            acting_user=request.user,
            organization=organization,
            file_name=upload.name if upload else data.get("fileName"),
            data=upload.read(settings.DREC_CSV_MAX_BYTES + 1) if upload else None,
            kind=CsvJobKind.READS,
        )
        return Response(CsvJobOut(job).data, status=201)

    @extend_schema(
        tags=["meter-reads"],
        summary="Reads uploads of the organizations you may see, newest first",
        operation_id="meter_reads_bulk_csv_list",
        parameters=[ORGANIZATION_PARAMETER, *PAGE_PARAMETERS],
        responses={200: paginated_schema("ReadsCsvJobPage", "csvJobs", CsvJobOut)},
    )
    def get(self, request):
        jobs = csv_job_list(
            user=request.user, organization_id=request.query_params.get("organizationId"), kind=CsvJobKind.READS
        )
        return Response(paginate(request, jobs, key="csvJobs", serialize=csv_jobs_json))


class ReadsCsvJobView(APIView):
    acl = READS_READ

    @extend_schema(
        tags=["meter-reads"],
        summary="One reads upload with its row errors and what became of each device",
        parameters=[ORGANIZATION_PARAMETER],
        responses={200: CsvJobStatusOut},
    )
    def get(self, request, job_id: int):
        job = csv_job_get(
            user=request.user,
            job_id=job_id,
            organization_id=request.query_params.get("organizationId"),
            kind=CsvJobKind.READS,
        )
        return Response(CsvJobStatusOut(job).data)


class ReadsCsvTemplateView(APIView):
    acl = READS_READ

    @extend_schema(tags=["meter-reads"], summary="The reads CSV template", responses={(200, "text/csv"): str})
    def get(self, request):
        return attachment(bulk.template_csv(), "reads-template.csv", "text/csv")


# --- Yield configuration ----------------------------------------------------------------


class YieldOut(serializers.Serializer):
    id = serializers.IntegerField()
    countryName = serializers.CharField(source="country.name")
    countryCode = serializers.CharField(source="country_id")
    yieldValue = serializers.IntegerField(source="yield_value")
    status = serializers.CharField()
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")


class YieldIn(serializers.Serializer):
    countryCode = Text(max_length=3)
    yieldValue = serializers.IntegerField()
    status = serializers.ChoiceField(choices=YieldStatus.values, default=YieldStatus.ACTIVE)


class YieldListView(APIView):
    acl = {"get": YIELD_READ, "post": YIELD_ADD}

    @extend_schema(tags=["yield"], summary="Yield per country", responses={200: YieldOut(many=True)})
    def get(self, request):
        return Response(YieldOut(YieldConfig.objects.select_related("country"), many=True).data)

    @extend_schema(tags=["yield"], summary="Configure a country's yield", request=YieldIn, responses={201: YieldOut})
    def post(self, request):
        data = parse(YieldIn, request.data)
        config = services.yield_config_save(
            acting_user=request.user,
            country_code=data["countryCode"],
            yield_value=data["yieldValue"],
            status=data["status"],
        )
        return Response(YieldOut(config).data, status=201)


class YieldDetailView(APIView):
    acl = {"get": YIELD_READ, "patch": YIELD_CHANGE}

    def _config(self, config_id: int) -> YieldConfig:
        config = YieldConfig.objects.select_related("country").filter(pk=config_id).first()
        if config is None:
            raise NotFound(f"No yield configuration with id {config_id}")
        return config

    @extend_schema(tags=["yield"], summary="One country's yield", responses={200: YieldOut})
    def get(self, request, config_id: int):
        return Response(YieldOut(self._config(config_id)).data)

    @extend_schema(
        tags=["yield"], summary="Change a country's yield", request=YieldIn(partial=True), responses={200: YieldOut}
    )
    def patch(self, request, config_id: int):
        config = self._config(config_id)
        data = parse(YieldIn, request.data, partial=True)
        config = services.yield_config_save(
            acting_user=request.user,
            country_code=data.get("countryCode", config.country_id),
            yield_value=data.get("yieldValue", config.yield_value),
            status=data.get("status", config.status),
            config=config,
        )
        return Response(YieldOut(config).data)
