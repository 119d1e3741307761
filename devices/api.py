"""Device API: code-list lookups, devices, bulk CSV upload (backend.md §7)."""

import copy
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any, cast

from django.conf import settings
from django.core.cache import caches
from drf_spectacular.plumbing import build_array_type
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import ApiUser
from devices import bulk, lookups, selectors, services
from devices.code_changes import code_lists_generation
from devices.fields import device_fields, serializer_fields
from devices.models import Country, CsvJob, CsvJobKind, Device, SdgBenefit
from devices.rules import (
    BULK_READ,
    BULK_UPLOAD,
    DEVICE_DELETE,
    DEVICE_READ,
    DEVICE_REGISTER,
    DEVICE_RESERVABLE_READ,
    DEVICE_UPDATE,
    FILE_UPLOAD,
)
from drec import rawsql
from drec.errors import NotFound
from drec.formats import decimal_text, iso
from drec.http import attachment
from drec.inputs import Text, object_id, parse
from drec.pagination import PAGE_PARAMETERS, Page, page_from_query, paginate, paginated_schema
from drec.permissions import PUBLIC
from organizations.models import Organization, OrganizationType
from organizations.selectors import organization_for
from reservations.models import ReservationDevice


class PublicLookupView(APIView):
    """Code lists are public: no token, no session, no CSRF. Each answers the list
    devices.lookups prepared, with ``ETag`` and ``Cache-Control`` (304 to a matching
    ``If-None-Match``); devices.middleware answers the plain GETs before these views."""

    acl = PUBLIC
    authentication_classes: list = []
    code_list: str

    def answer(self, request, *, search: str = ""):
        renderer, media_type = request.accepted_renderer, request.accepted_media_type
        indented = renderer.get_indent(media_type, {}) is not None
        render_with = (lambda items: renderer.render(items, media_type)) if indented else None
        return lookups.code_list_response(request._request, self.code_list, search=search, render_with=render_with)


CODE_LIST_CACHING = [
    OpenApiParameter(
        "ETag", str, OpenApiParameter.HEADER, response=[200, 304], description="A hash of the list's bytes"
    ),
    OpenApiParameter(
        "Cache-Control",
        str,
        OpenApiParameter.HEADER,
        response=[200, 304],
        description=f"{lookups.CACHE_CONTROL} (the country list: less when a time zone's offset changes sooner)",
    ),
]
NOT_MODIFIED = OpenApiResponse(description="Not Modified: the list If-None-Match names is current (no body).")
CODE_LIST_DESCRIPTION = (
    "Public: no token. The answer carries a strong `ETag` and `Cache-Control: public, max-age=3600`: "
    "keep it that long, then ask with `If-None-Match` for a `304 Not Modified` without a body while it is current."
)


def _code_list_schema(summary: str, out: serializers.Serializer, *, tag: str, parameters: Sequence = ()):
    return extend_schema(
        tags=[tag],
        summary=summary,
        description=CODE_LIST_DESCRIPTION,
        responses={200: out, 304: NOT_MODIFIED},
        parameters=[*parameters, *CODE_LIST_CACHING],
    )


class CountryListView(PublicLookupView):
    code_list = lookups.COUNTRIES

    @_code_list_schema(
        "ISO 3166 countries with their time zones",
        lookups.CountryOut(many=True),
        tag="CountryList",
        parameters=[OpenApiParameter("searchKeyWord", str, description="Part of a country name or alpha-3 code.")],
    )
    def get(self, request):
        return self.answer(request, search=request.query_params.get("searchKeyWord", "").strip())


class FuelTypeListView(PublicLookupView):
    code_list = lookups.FUEL_TYPES

    @_code_list_schema("Fuel types", lookups.CodeNameOut(many=True), tag="device")
    def get(self, request):
        return self.answer(request)


class DeviceTypeListView(PublicLookupView):
    code_list = lookups.DEVICE_TYPES

    @_code_list_schema("Device types", lookups.CodeNameOut(many=True), tag="device")
    def get(self, request):
        return self.answer(request)


class SdgBenefitCodeListView(PublicLookupView):
    code_list = lookups.SDG_BENEFITS

    @_code_list_schema("SDG benefit codes", lookups.SdgBenefitOut(many=True), tag="SdgBenefit")
    def get(self, request):
        return self.answer(request)


# --- Devices ----------------------------------------------------------------------------


class DeviceIn(serializers.Serializer):
    """A device's JSON body: its fields declared in devices.fields, and the organization."""

    organizationId = serializers.IntegerField(required=False, allow_null=True, help_text="Admin and api users")

    def get_fields(self) -> dict[str, serializers.Field]:
        return {**serializer_fields(), **super().get_fields()}


@dataclass(frozen=True)
class DeviceKey:
    """One key of a device's JSON answer: its schema field, its value from a device (and the
    listing's context: SDG benefits, reservations), and the same value written in SQL for the
    pages PostgreSQL builds (``d`` the device, ``o``/``oa`` its organization and api user,
    ``c`` its country). tests/devices/test_listing_page.py holds the two equal, key for key."""

    field: serializers.Field
    value: Callable[[Device, Mapping[str, Any]], Any]
    sql: str


def _column(name: str) -> str:
    return f'd."{Device._meta.get_field(name).column}"'  # type: ignore[union-attr]  # a concrete field


def _attribute(name: str, field: serializers.Field) -> DeviceKey:
    """A key that answers a model attribute as it is."""
    return DeviceKey(field, lambda device, _context: getattr(device, name), _column(name))


def _stamp(column: str) -> str:
    """SQL of :func:`drec.formats.iso`: UTC, microseconds only when there are some, "Z"."""
    return (
        f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
        f"date_part('microseconds', {column})::bigint %% 1000000 = 0 THEN '' "
        f"ELSE to_char({column} AT TIME ZONE 'UTC', '.US') END || 'Z'"
    )


def _zone(device: Device) -> str | None:
    zones = device.country.timezones if device.country_id else []
    return device.timezone or (zones[0] if zones else None)


def _api_user_id(device: Device) -> str | None:
    api_user = device.organization.api_user if device.organization.api_user_id else None
    return str(api_user.api_user_id) if api_user else None


def _float(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


@cache
def device_keys() -> dict[str, DeviceKey]:
    """A device as the original answered it (``externalId`` is the developer's id,
    ``internalexternalId`` the platform's), in both spellings."""
    text, number, flag = serializers.CharField, serializers.IntegerField, serializers.BooleanField
    links, sdg = Device.sdg_benefits.through._meta.db_table, SdgBenefit._meta.db_table
    held = ReservationDevice._meta.db_table
    return {
        "createdAt": DeviceKey(
            serializers.DateTimeField(help_text="Onboarding date"),
            lambda device, _context: iso(device.created_at),
            _stamp(_column("created_at")),
        ),
        "updatedAt": DeviceKey(
            serializers.DateTimeField(), lambda device, _context: iso(device.updated_at), _stamp(_column("updated_at"))
        ),
        "id": _attribute("id", number()),
        "externalId": _attribute("external_id", text()),
        "internalexternalId": DeviceKey(
            serializers.UUIDField(), lambda device, _context: str(device.uid), f"{_column('uid')}::text"
        ),
        "organizationId": _attribute("organization_id", number()),
        "projectName": _attribute("project_name", text()),
        "address": _attribute("address", text()),
        "latitude": DeviceKey(
            text(), lambda device, _context: decimal_text(device.latitude), f"trim_scale({_column('latitude')})::text"
        ),
        "longitude": DeviceKey(
            text(), lambda device, _context: decimal_text(device.longitude), f"trim_scale({_column('longitude')})::text"
        ),
        "countryCode": _attribute("country_id", text()),
        "fuelCode": _attribute("fuel_code_id", text()),
        "deviceTypeCode": _attribute("device_type_code_id", text()),
        "capacity": DeviceKey(
            serializers.FloatField(help_text="kW"),
            lambda device, _context: float(device.capacity),
            f"{_column('capacity')}::float8",
        ),
        "SDGBenefits": DeviceKey(
            serializers.ListField(child=text()),
            lambda device, context: [
                context.get("sdg_names", {}).get(code, code) for code in context.get("sdg", {}).get(device.id, [])
            ],
            f'ARRAY(SELECT b."name" FROM "{links}" l JOIN "{sdg}" b ON b."code" = l."sdgbenefit_id" '  # noqa: S608
            f'WHERE l."device_id" = d."id" ORDER BY b."sort_order")',
        ),
        "commissioningDate": DeviceKey(
            serializers.DateTimeField(),
            lambda device, _context: iso(device.commissioning_date),
            _stamp(_column("commissioning_date")),
        ),
        "gridInterconnection": _attribute("grid_interconnection", flag()),
        "offTaker": _attribute("off_taker_id", text(allow_null=True)),
        "yieldValue": _attribute("yield_value", number()),
        "impactStory": _attribute("impact_story", text()),
        "images": _attribute("images", serializers.ListField(child=text())),
        "groupId": DeviceKey(
            number(allow_null=True, help_text="The active reservation holding it"),
            lambda device, context: context.get("groups", {}).get(device.id),
            f'(SELECT m."reservation_id" FROM "{held}" m WHERE m."device_id" = d."id" AND m."is_active" '  # noqa: S608
            "LIMIT 1)",
        ),
        "deviceDescription": _attribute("device_description_id", text(allow_null=True)),
        "energyStorage": _attribute("energy_storage", flag()),
        "energyStorageCapacity": DeviceKey(
            serializers.FloatField(allow_null=True),
            lambda device, _context: _float(device.energy_storage_capacity),
            f"{_column('energy_storage_capacity')}::float8",
        ),
        "qualityLabels": _attribute("quality_labels", text()),
        "meterReadtype": DeviceKey(
            text(allow_null=True),
            lambda device, _context: device.meter_read_type or None,
            f"NULLIF({_column('meter_read_type')}, '')",
        ),
        "timezone": DeviceKey(
            text(allow_null=True),
            lambda device, _context: _zone(device),
            f"COALESCE(NULLIF({_column('timezone')}, ''), c.\"timezones\" ->> 0)",
        ),
        "version": _attribute("version", text()),
        "IREC_Status": _attribute("irec_status", text()),
        "IREC_ID": DeviceKey(
            text(allow_null=True), lambda device, _context: device.irec_id or None, f"NULLIF({_column('irec_id')}, '')"
        ),
        "api_user_id": DeviceKey(
            serializers.UUIDField(allow_null=True),
            lambda device, _context: _api_user_id(device),
            'oa."api_user_id"::text',
        ),
    }


class DeviceOut(serializers.Serializer):
    """A device's answer: the keys of :func:`device_keys`."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {name: copy.deepcopy(key.field) for name, key in device_keys().items()}

    def to_representation(self, instance: Device) -> dict[str, Any]:
        return {name: key.value(instance, self.context) for name, key in device_keys().items()}


def devices_json(devices: Sequence[Device]) -> list[dict[str, Any]]:
    """Devices as JSON with their SDG benefits (one query for the whole list)."""
    ids = [device.id for device in devices]
    sdg: dict[int, list[str]] = {}
    links = Device.sdg_benefits.through.objects.filter(device_id__in=ids).order_by("sdgbenefit__sort_order")
    for device_id, code in links.values_list("device_id", "sdgbenefit_id"):
        sdg.setdefault(device_id, []).append(code)
    context = {"sdg": sdg, "sdg_names": selectors.sdg_names(), "groups": selectors.active_reservations(ids)}
    return [DeviceOut(context=context).to_representation(device) for device in devices]


@cache
def _page_json_sql() -> tuple[str, str]:
    """:func:`device_keys` in SQL around a page of a listing (selectors.device_page_sql goes
    between the two parts): a listing page is chosen and written by PostgreSQL in one statement."""
    organization, api_user, country = Organization._meta.db_table, ApiUser._meta.db_table, Country._meta.db_table
    fields = ", ".join(f"'{name}', {key.sql}" for name, key in device_keys().items())
    # Names from the models' metadata only; the page's values are bound parameters.
    return (
        f'SELECT p."listing_total", json_build_object({fields})::text FROM (',  # noqa: S608
        f') p JOIN "{Device._meta.db_table}" d ON d."id" = p."id" '
        f'JOIN "{organization}" o ON o."id" = d."organization_id" '
        f'LEFT JOIN "{api_user}" oa ON oa."id" = o."api_user_id" '
        f'LEFT JOIN "{country}" c ON c."alpha3" = d."country_code" '
        'ORDER BY p."listing_row"',
    )


def device_page_json(devices, page: Page) -> tuple[list[dict], int]:
    """One page of a device listing as JSON and the number of all its devices, in one
    statement: the filtered queryset chooses the page and counts, PostgreSQL writes the
    devices (the API's busiest answer; tests/devices/test_listing_page.py holds it to
    DeviceOut key for key). Only a page past the end needs a second one, for the count."""
    page_sql, params = selectors.device_page_sql(devices, page)
    before, after = _page_json_sql()
    rows = rawsql.fetch(before + page_sql + after, params)
    if not rows:
        return [], (devices.count() if page.offset else 0)
    return [json.loads(text) for _total, text in rows], rows[0][0]


def device_json(device) -> dict:
    return devices_json([device])[0]


DELETED = inline_serializer(
    "DeviceDeleted", {"success": serializers.BooleanField(), "message": serializers.CharField()}
)
DEVICE_FILTERS = [
    OpenApiParameter("organizationId", int),
    OpenApiParameter("pagenumber", int),
    OpenApiParameter("pageNumber", int),
    OpenApiParameter("limit", int),
    OpenApiParameter("fuelCode", str, description="Comma-separated codes"),
    OpenApiParameter("deviceTypeCode", str, description="Comma-separated codes"),
    OpenApiParameter("offTaker", str, description="Comma-separated"),
    OpenApiParameter("country", str, description="ISO 3166 alpha-3"),
    OpenApiParameter("capacity", float, description="At most this many kW"),
    OpenApiParameter("gridInterconnection", bool),
    OpenApiParameter("start_date", str, description="Commissioned on or after (ISO 8601)"),
    OpenApiParameter("end_date", str, description="Commissioned on or before (ISO 8601)"),
    OpenApiParameter("SDGBenefits", str, description="Comma-separated codes or names"),
]


def _device_page(request, devices) -> dict:
    devices = selectors.device_filter(devices, request.query_params).order_by("-created_at", "-id")
    return paginate(request, devices, key="devices", serialize=list, fetch=device_page_json)


# A page of an organization's own device list, kept by each process (Django's local-memory
# cache): the busiest API read, asked again and again while the list rarely changes. Reusing
# it saves the page's statement and building its ORM query (3.4 against 1.4 ms per request in
# process, issue 17). Only plain pages (no filter) of a modest size; the minute bounds what a
# process keeps of organizations that stopped asking.
MY_DEVICES_PAGE_PARAMETERS = frozenset({"pageNumber", "pagenumber", "limit"})
MY_DEVICES_PAGE_MAX_LIMIT = 100
MY_DEVICES_PAGE_SECONDS = 60


def _my_devices_page_key(request) -> str | None:
    """The cache key of the "My Devices" page asked for, when it may be reused: a plain page of
    one Developer organization's list, at the list's version the token lookup read with the
    caller (any write that can change the list moves it on, in the write's transaction) and
    at the code lists' generation (SDG titles and country time zones are in the page). None
    when the page must be built: filters, another organization's or several organizations'
    devices, a large page, code lists this process cannot follow."""
    if not set(request.query_params) <= MY_DEVICES_PAGE_PARAMETERS:
        return None
    listing = selectors.device_list_version(user=request.user, organization_id=None)
    generation = code_lists_generation()
    if listing is None or generation is None:
        return None
    page = page_from_query(request.query_params)
    if page.limit > MY_DEVICES_PAGE_MAX_LIMIT:
        return None
    organization_id, version = listing
    return f"devices:my:{organization_id}:{version}:{generation}:{page.number}:{page.limit}"


class DeviceCreateView(APIView):
    acl = DEVICE_REGISTER

    @extend_schema(tags=["device"], summary="Register a device", request=DeviceIn, responses={201: DeviceOut})
    def post(self, request):
        data = parse(DeviceIn, request.data)
        organization = organization_for(
            user=request.user,
            organization_id=data.get("organizationId"),
            organization_type=OrganizationType.DEVELOPER,
            purpose="to register devices",
        )
        device = services.device_register(organization=organization, fields=device_fields(data))
        return Response(device_json(selectors.device_get(user=request.user, device_id=device.pk)), status=201)


class MyDevicesView(APIView):
    acl = DEVICE_READ

    @extend_schema(
        tags=["device"],
        summary="Devices of your Developer organization(s), filtered, newest first",
        parameters=DEVICE_FILTERS,
        responses={200: paginated_schema("DevicePage", "devices", DeviceOut)},
    )
    def get(self, request):
        key = _my_devices_page_key(request)
        if key is not None and (page := caches["local"].get(key)) is not None:
            return Response(page)
        devices = selectors.developer_devices(
            user=request.user, organization_id=request.query_params.get("organizationId")
        )
        page = _device_page(request, devices)
        if key is not None:
            caches["local"].set(key, page, MY_DEVICES_PAGE_SECONDS)
        return Response(page)


class UngroupedDevicesView(APIView):
    acl = DEVICE_RESERVABLE_READ

    @extend_schema(
        tags=["device"],
        summary="Devices a Buyer organization can reserve (not in an active reservation)",
        parameters=DEVICE_FILTERS,
        responses={200: paginated_schema("UngroupedDevicePage", "devices", DeviceOut)},
    )
    def get(self, request):
        devices = selectors.devices_for_reservation(
            user=request.user, organization_id=request.query_params.get("organizationId")
        )
        return Response(_device_page(request, devices))


def _device_id(ref: str) -> int:
    device_id = object_id(ref)
    if device_id is None:
        raise NotFound(f"No device found with id {ref}")
    return device_id


class DeviceView(APIView):
    """``/api/device/{id}`` (GET, DELETE) and ``/api/device/{externalId}`` (PATCH), as the original."""

    acl = {
        "get": DEVICE_READ,
        "patch": DEVICE_UPDATE,
        "delete": DEVICE_DELETE,
    }

    @extend_schema(
        tags=["device"],
        summary="One device you may see (by its id)",
        parameters=[OpenApiParameter("organizationId", int), OpenApiParameter("apiUserId", str)],
        responses={200: DeviceOut},
    )
    def get(self, request, ref: str):
        device = selectors.device_get(
            user=request.user, device_id=_device_id(ref), organization_id=request.query_params.get("organizationId")
        )
        return Response(device_json(device))

    @extend_schema(
        tags=["device"],
        summary="Change a device, found by your externalId",
        parameters=[OpenApiParameter("organizationId", int, description="Admin and api users")],
        request=DeviceIn(partial=True),
        responses={200: DeviceOut},
    )
    def patch(self, request, ref: str):
        data = parse(DeviceIn, request.data, partial=True)
        organization = organization_for(
            user=request.user,
            organization_id=data.get("organizationId") or request.query_params.get("organizationId"),
            organization_type=OrganizationType.DEVELOPER,
            purpose="for devices",
        )
        device = selectors.device_by_external_id(organization=organization, external_id=ref)
        services.device_update(device=device, fields=device_fields(data))
        return Response(device_json(selectors.device_get(user=request.user, device_id=device.pk)))

    @extend_schema(
        tags=["device"],
        summary="Delete a device by its id (not once it has reads, a reservation or certificates)",
        responses={200: DELETED},
    )
    def delete(self, request, ref: str):
        device = selectors.device_get_for_change(user=request.user, device_id=_device_id(ref))
        services.device_delete(device=device)
        return Response({"success": True, "message": "device deleted Successfully"})


# --- Bulk upload ------------------------------------------------------------------------


class CsvJobOut(serializers.Serializer):
    jobId = serializers.IntegerField(source="pk")
    kind = serializers.ChoiceField(
        choices=CsvJobKind.values, help_text="devices (a bulk device upload) or reads (POST /api/meter-reads/bulk-csv)"
    )
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
    fileId = serializers.CharField(source="file_name")
    userId = serializers.IntegerField(source="created_by_id", allow_null=True)
    organizationId = serializers.IntegerField(source="organization_id")
    status = serializers.CharField()
    api_user_id = serializers.SerializerMethodField()
    organization = serializers.SerializerMethodField()
    rowsTotal = serializers.IntegerField(source="rows_total")
    rowsProcessed = serializers.IntegerField(source="rows_processed")
    rowsCreated = serializers.IntegerField(source="rows_created")
    rowsFailed = serializers.IntegerField(source="rows_failed")
    error = serializers.CharField()

    def get_api_user_id(self, job) -> str | None:
        api_user = job.organization.api_user
        return str(api_user.api_user_id) if api_user else None

    def get_organization(self, job) -> dict:
        return {"name": job.organization.name}


class CsvUploadIn(serializers.Serializer):
    csvFile = serializers.FileField(required=False, help_text="The CSV (see GET /api/device/bulk-upload/template.csv)")
    fileName = Text(required=False, help_text="Or: a file uploaded before with POST /api/file")


class CsvJobCreateView(APIView):
    acl = BULK_UPLOAD
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        tags=["device"],
        summary="Bulk device upload: queue a CSV for a Developer organization",
        request={"multipart/form-data": CsvUploadIn, "application/json": CsvUploadIn},
        responses={201: CsvJobOut},
    )
    def post(self, request, organization_id: int):
        organization = organization_for(
            user=request.user,
            organization_id=organization_id,
            organization_type=OrganizationType.DEVELOPER,
            purpose="for a bulk device upload",
        )
        upload = request.FILES.get("csvFile")
        job = bulk.csv_job_create(
            acting_user=request.user,
            organization=organization,
            file_name=upload.name if upload else request.data.get("fileName"),
            data=upload.read(settings.DREC_CSV_MAX_BYTES + 1) if upload else None,
        )
        return Response(CsvJobOut(job).data, status=201)


class FileUploadView(APIView):
    acl = FILE_UPLOAD
    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=["file"],
        summary="Upload files (CSV) for a later bulk upload",
        request={
            "multipart/form-data": inline_serializer(
                "FilesIn", {"files": serializers.ListField(child=serializers.FileField())}
            )
        },
        responses={201: build_array_type({"type": "string"})},
    )
    def post(self, request):
        uploaded = bulk.files_upload(
            acting_user=request.user, organization=request.user.organization, files=request.FILES.getlist("files")
        )
        return Response([file.key for file in uploaded], status=201)


def csv_jobs_json(jobs: list[CsvJob]) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], CsvJobOut(jobs, many=True).data)  # a list serializer's data is a list


class CsvJobListView(APIView):
    acl = BULK_READ

    @extend_schema(
        tags=["buyer-reservation"],
        summary="Bulk upload jobs of the organizations you may see, newest first",
        parameters=[
            OpenApiParameter("orgId", int),
            OpenApiParameter("organizationId", int),
            OpenApiParameter("kind", str, enum=CsvJobKind.values, description="Only jobs of this kind"),
            *PAGE_PARAMETERS,
        ],
        responses={200: paginated_schema("CsvJobPage", "csvJobs", CsvJobOut)},
    )
    def get(self, request):
        jobs = selectors.csv_job_list(
            user=request.user, organization_id=_org_param(request), kind=request.query_params.get("kind")
        )
        return Response(paginate(request, jobs, key="csvJobs", serialize=csv_jobs_json))


class CsvJobStatusOut(CsvJobOut):
    errorDetails = serializers.SerializerMethodField()

    def get_errorDetails(self, job) -> dict:
        by_row: dict[int, dict] = {}
        for error in job.row_errors.all():
            row = by_row.setdefault(
                error.row_number,
                {
                    "externalId": error.external_id,
                    "rowNumber": error.row_number,
                    "isError": True,
                    "errorsList": [],
                    "status": "Failed",
                },
            )
            row["errorsList"].append(
                {"value": error.value, "property": error.field, "constraints": {error.field: error.message}}
            )
        if job.kind == CsvJobKind.READS:
            return {"log": {"errorDetails": list(by_row.values()), **_reads_outcome(job)}}
        added = [
            {"rowNumber": row, "externalId": external_id}
            for row, external_id in job.devices.order_by("bulk_row").values_list("bulk_row", "external_id")
        ]
        return {"log": {"errorDetails": list(by_row.values()), "successfullyAddedRowsAndExternalIds": added}}


def _reads_outcome(job: CsvJob) -> dict[str, list[dict[str, Any]]]:
    """A reads job's rows stored (each device's rows are stored all together or not at all),
    and what became of each device of its file."""
    outcomes = list(job.device_reads.all())
    stored = sorted(
        (number, outcome.external_id) for outcome in outcomes if outcome.stored for number in outcome.row_numbers
    )
    added = [{"rowNumber": number, "externalId": external_id} for number, external_id in stored]
    devices = [
        {
            "externalId": outcome.external_id,
            "rows": outcome.rows,
            "storedReads": outcome.stored,
            "status": "Stored" if outcome.stored else "Failed",
        }
        for outcome in outcomes
    ]
    return {"successfullyAddedRowsAndExternalIds": added, "devices": devices}


class CsvJobStatusView(APIView):
    acl = BULK_READ

    @extend_schema(
        tags=["buyer-reservation"],
        summary="One bulk upload job with the error log of its rows",
        parameters=[OpenApiParameter("orgId", int)],
        responses={200: CsvJobStatusOut},
    )
    def get(self, request, job_id: int):
        job = selectors.csv_job_get(user=request.user, job_id=job_id, organization_id=_org_param(request))
        return Response(CsvJobStatusOut(job).data)


def _org_param(request):
    return request.query_params.get("orgId") or request.query_params.get("organizationId")


class CsvTemplateView(APIView):
    acl = BULK_READ

    @extend_schema(tags=["device"], summary="The bulk upload CSV template", responses={(200, "text/csv"): str})
    def get(self, request):
        return attachment(bulk.template_csv(), "devices-template.csv", "text/csv")
