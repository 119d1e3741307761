"""Buyer-reservation API (backend.md §9, SPEC §7), wire-compatible with the original."""

import math
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from certificates import status
from devices.api import devices_json
from devices.formats import capacity_range, commissioning_date_range
from drec.formats import iso
from drec.pagination import PAGE_PARAMETERS, paginate, paginated_schema
from organizations.models import OrganizationType
from organizations.selectors import organization_for
from reservations import fields, selectors, services
from reservations.rules import RESERVATION_CREATE, RESERVATION_END, RESERVATION_READ, RESERVATION_UPDATE

WH_PER_MWH = services.WH_PER_MWH


# The bodies' fields are declared in reservations.fields (no docstrings here: the schema would
# show them).
class ReservationIn(serializers.Serializer):
    blockchainAddress = serializers.CharField(required=False, allow_blank=True, help_text="Ignored")

    def get_fields(self) -> dict[str, serializers.Field]:
        return {**fields.serializer_fields(fields.RESERVATION), **super().get_fields()}

    def request(self) -> services.ReservationRequest:
        return services.ReservationRequest(**fields.service_values(self.validated_data, fields.RESERVATION))


class ReservationChange(serializers.Serializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        return fields.serializer_fields(fields.CHANGE, partial=True)

    def changes(self) -> dict[str, Any]:
        """The changed values, as reservations.services.reservation_update takes them."""
        return fields.service_values(self.validated_data, fields.CHANGE)


def _distinct(values) -> list:
    return sorted({value for value in values if value not in (None, "")})


def reservation_json(reservation, *, with_devices: bool = False) -> dict:
    """A reservation with the original's keys; the device summaries are computed from the
    member devices (never stale)."""
    devices = selectors.member_devices(reservation)
    today = timezone.localdate()
    kw = sum(device.capacity for device in devices)
    api_user = reservation.organization.api_user
    body = {
        "createdAt": iso(reservation.created_at),
        "updatedAt": iso(reservation.updated_at),
        "id": reservation.id,
        "devicegroup_uid": str(reservation.uid),
        "name": reservation.name,
        "organizationId": reservation.organization_id,
        "fuelCode": _distinct(device.fuel_code_id for device in devices),
        "countryCode": _distinct(device.country_id for device in devices),
        "deviceTypeCodes": _distinct(device.device_type_code_id for device in devices),
        "offTakers": _distinct(device.off_taker_id for device in devices),
        "commissioningDateRange": _distinct(commissioning_date_range(d.commissioning_date, today) for d in devices),
        "gridInterconnection": bool(devices) and all(device.grid_interconnection for device in devices),
        "aggregatedCapacity": math.floor(kw),
        "capacityRange": capacity_range(kw),
        "buyerId": reservation.buyer_id,
        "frequency": reservation.frequency,
        "reservationStartDate": iso(reservation.start),
        "reservationEndDate": iso(reservation.end),
        "reservationExpiryDate": iso(reservation.expiry),
        "targetVolumeInMegaWattHour": reservation.target_wh / WH_PER_MWH,
        "targetVolumeCertificateGenerationRequestedInMegaWattHour": reservation.requested_wh / WH_PER_MWH,
        "targetVolumeCertificateGenerationSucceededInMegaWattHour": reservation.succeeded_wh / WH_PER_MWH,
        "targetVolumeCertificateGenerationFailedInMegaWattHour": reservation.failed_wh / WH_PER_MWH,
        "authorityToExceed": reservation.authority_to_exceed,
        "deviceIds": [device.id for device in devices],
        "reservationActive": reservation.is_active,
        "api_user_id": str(api_user.api_user_id) if api_user else None,
        "organization": {"name": reservation.organization.name},
    }
    if with_devices:
        body["devices"] = devices_json(devices)
    return body


def reservations_json(reservations) -> list[dict]:
    return [reservation_json(reservation) for reservation in reservations]


RESERVATION_OUT = inline_serializer(
    "Reservation",
    {
        "id": serializers.IntegerField(),
        "devicegroup_uid": serializers.UUIDField(),
        "name": serializers.CharField(),
        "organizationId": serializers.IntegerField(),
        "deviceIds": serializers.ListField(child=serializers.IntegerField()),
        "reservationStartDate": serializers.DateTimeField(),
        "reservationEndDate": serializers.DateTimeField(),
        "reservationExpiryDate": serializers.DateTimeField(),
        "targetVolumeInMegaWattHour": serializers.FloatField(),
        "reservationActive": serializers.BooleanField(),
        "aggregatedCapacity": serializers.IntegerField(),
        "capacityRange": serializers.CharField(),
    },
)
RESERVATIONS_OUT = RESERVATION_OUT.__class__(many=True)  # the same component
FILTERS = [
    OpenApiParameter("name", str),
    OpenApiParameter("country", str, description="Comma-separated alpha-3 codes (holds devices of each)"),
    OpenApiParameter("fuelCode", str),
    OpenApiParameter("offTaker", str, description="Comma-separated"),
    OpenApiParameter("sdgbenefit", str, description="Comma-separated SDG codes"),
    OpenApiParameter("start_date", str),
    OpenApiParameter("end_date", str),
    OpenApiParameter("reservationActive", str, enum=["All", "Active", "Deactive"]),
]


def _organization_query(request):
    params = request.query_params
    return params.get("organizationId") or params.get("orgId")


class ReservationsView(APIView):
    acl = {"get": RESERVATION_READ, "post": RESERVATION_CREATE}

    @extend_schema(
        tags=["buyer-reservation"],
        operation_id="buyer_reservation_list",
        summary="Reservations the caller may see (an api user: of its Buyer organizations)",
        parameters=[
            OpenApiParameter("apiuserId", str, description="Super admin: one tenant's; an api user: its own"),
            OpenApiParameter("organizationId", int),
            *PAGE_PARAMETERS,
            *FILTERS,
        ],
        responses={200: paginated_schema("ReservationPage", "groupedData", RESERVATIONS_OUT)},
    )
    def get(self, request):
        params = request.query_params
        reservations = selectors.reservation_list(
            user=request.user,
            organization_id=_organization_query(request),
            api_user_id=params.get("apiuserId") or params.get("apiUserId"),
        )
        reservations = selectors.reservation_filter(reservations, params)
        return Response(paginate(request, reservations, key="groupedData", serialize=reservations_json))

    @extend_schema(
        tags=["buyer-reservation"],
        summary="Reserve devices for a Buyer organization (orgId)",
        parameters=[OpenApiParameter("orgId", int, description="The Buyer organization (super admin, api users)")],
        request=ReservationIn,
        responses={201: RESERVATION_OUT},
    )
    def post(self, request):
        body = ReservationIn(data=request.data)
        body.is_valid(raise_exception=True)
        organization = organization_for(
            user=request.user,
            organization_id=_organization_query(request),
            organization_type=OrganizationType.BUYER,
            purpose="to reserve devices",
        )
        reservation, unavailable = services.reservation_create(
            acting_user=request.user, organization=organization, request=body.request()
        )
        reservation = selectors.reservation_get(user=request.user, reservation_id=reservation.pk)
        answer = reservation_json(reservation)
        answer["unavailableDeviceIDsDueToAreIncludedInBuyerReservation"] = " , ".join(map(str, unavailable))
        return Response(answer, status=201)


class MyReservationsView(APIView):
    """The original's ``/my``: the caller's organization's reservations (buyers)."""

    acl = RESERVATION_READ

    @extend_schema(
        tags=["buyer-reservation"],
        operation_id="buyer_reservation_my_list",
        summary="My organization's reservations",
        parameters=[*PAGE_PARAMETERS, *FILTERS],
        responses={200: paginated_schema("MyReservationPage", "groupedData", RESERVATIONS_OUT)},
    )
    def get(self, request):
        reservations = selectors.reservation_filter(selectors.reservation_list(user=request.user), request.query_params)
        return Response(
            paginate(request, reservations, key="groupedData", serialize=reservations_json, default_limit=10)
        )


class ReservationView(APIView):
    acl = {"get": RESERVATION_READ, "patch": RESERVATION_UPDATE}

    @extend_schema(
        tags=["buyer-reservation"],
        summary="One reservation with its devices",
        parameters=[OpenApiParameter("organizationId", int)],
        responses={200: RESERVATION_OUT},
    )
    def get(self, request, reservation_id: int):
        reservation = selectors.reservation_get(
            user=request.user, reservation_id=reservation_id, organization_id=_organization_query(request)
        )
        return Response(reservation_json(reservation, with_devices=True))

    @extend_schema(
        tags=["buyer-reservation"],
        summary="Change a reservation's name, target, end, expiry or authority to exceed",
        request=ReservationChange,
        responses={200: RESERVATION_OUT},
    )
    def patch(self, request, reservation_id: int):
        reservation = selectors.reservation_for_change(
            user=request.user, reservation_id=reservation_id, organization_id=_organization_query(request)
        )
        body = ReservationChange(data=request.data)
        body.is_valid(raise_exception=True)
        services.reservation_update(reservation=reservation, **body.changes())
        reservation = selectors.reservation_get(user=request.user, reservation_id=reservation_id)
        return Response(reservation_json(reservation, with_devices=True))


class ReservationEndView(APIView):
    acl = RESERVATION_END

    @extend_schema(
        tags=["buyer-reservation"],
        summary="End a reservation now and release its devices",
        request=None,
        responses={200: RESERVATION_OUT},
    )
    def delete(self, request, reservation_id: int):
        reservation = selectors.reservation_for_change(
            user=request.user, reservation_id=reservation_id, organization_id=_organization_query(request)
        )
        services.reservation_end(reservation=reservation)
        reservation = selectors.reservation_get(user=request.user, reservation_id=reservation_id)
        return Response(reservation_json(reservation))


# --- Issuance status (SPEC §14) -----------------------------------------------------------------


def issuance_status_json(found: status.IssuanceStatus) -> dict:
    """certificates.status.IssuanceStatus with the API's keys (camelCase, ISO moments in UTC)."""
    return {
        "issuedWh": found.issued_wh,
        "pendingWh": found.pending_wh,
        "carriedWh": found.carried_wh,
        "windowsWaiting": [
            {
                "start": iso(window.start),
                "end": iso(window.end),
                "countryCode": window.country,
                "source": window.source,
                "energyWh": window.energy_wh,
                "reads": window.reads,
                "reason": window.reason,
            }
            for window in found.windows_waiting
        ],
        "nextWindowClosesAt": iso(found.next_window_closes_at),
        "lastRunAt": iso(found.last_run_at),
        "devicesWithoutReads": [
            {"deviceId": device.device_id, "externalId": device.external_id, "reason": device.reason}
            for device in found.devices_without_reads
        ],
        "lateReadsAcceptedUntil": iso(found.late_reads_accepted_until),
    }


ISSUANCE_STATUS_OUT = inline_serializer(
    "IssuanceStatus",
    {
        "issuedWh": serializers.IntegerField(help_text="Energy of the certificates issued to the reservation so far."),
        "pendingWh": serializers.IntegerField(
            help_text="Energy of the uncertified reads within the reservation's coverage: its devices' ongoing reads "
            "(never the first, baseline read) after their certified ones, inside the period each device is in the "
            "reservation, in windows closed or still open; and History reads of at least one unit inside it that no "
            "certificate holds. The sum of windowsWaiting's energyWh."
        ),
        "carriedWh": serializers.IntegerField(
            help_text="The remainder below one certificate unit of reads already consumed, carried exactly to the "
            "next certificate (per country, added up): neither pending nor issued yet."
        ),
        "windowsWaiting": serializers.ListField(
            child=inline_serializer(
                "IssuanceWindowWaiting",
                {
                    "start": serializers.DateTimeField(
                        help_text="The window's start (of the reservation's frequency, clipped to its period), or "
                        "the History read's"
                    ),
                    "end": serializers.DateTimeField(help_text="The window's end (exclusive), or the History read's"),
                    "countryCode": serializers.CharField(help_text="Certificates are issued per country"),
                    "source": serializers.CharField(help_text="ongoing (a window's reads) or history (one read)"),
                    "energyWh": serializers.IntegerField(help_text="Its uncertified energy"),
                    "reads": serializers.IntegerField(help_text="How many reads hold it"),
                    "reason": serializers.ChoiceField(
                        choices=status.WINDOW_REASONS,
                        help_text="Why it waits, the first that applies: late reads no longer accepted (the "
                        "reservation ended and its expiry date has passed: never certified); target reached (no "
                        "more certificates without authority to exceed); window still open (not closed yet: the "
                        "first run after nextWindowClosesAt certifies it); below one unit (closed, but with the "
                        "closed windows before it and carriedWh less than one certificate unit: it waits for the "
                        "next windows' reads); waiting for the next run (the next scheduled run issues it).",
                    ),
                },
            ),
            help_text="The windows (per country) with uncertified energy, and each History read waiting, oldest "
            "first, with why each waits.",
        ),
        "nextWindowClosesAt": serializers.DateTimeField(
            allow_null=True,
            help_text="When the window open now closes (its reads are certified by the first run after it); null "
            "once the reservation's reads stop.",
        ),
        "lastRunAt": serializers.DateTimeField(
            allow_null=True,
            help_text="When the scheduled issuance run last ran (the moment it issued as of); null if it never ran.",
        ),
        "devicesWithoutReads": serializers.ListField(
            child=inline_serializer(
                "IssuanceDeviceWithoutReads",
                {
                    "deviceId": serializers.IntegerField(),
                    "externalId": serializers.CharField(),
                    "reason": serializers.CharField(help_text=f'Always "{status.NO_READS_YET}"'),
                },
            ),
            help_text="The reservation's devices without any read in their coverage (a first, baseline read is "
            "not counted).",
        ),
        "lateReadsAcceptedUntil": serializers.DateTimeField(
            help_text="The reservation's expiry date: reads arriving after their window closed are still certified "
            "by a later run until then."
        ),
    },
)


class ReservationIssuanceStatusView(APIView):
    acl = RESERVATION_READ

    @extend_schema(
        tags=["buyer-reservation"],
        operation_id="buyer_reservation_issuance_status",
        summary="Why the reservation's energy is or is not certified yet",
        description="What was issued, what waits and why (per window), what is carried, which devices have sent "
        "no reads, when the open window closes, when issuance last ran and until when late reads are accepted. "
        "Seen by whoever may see the reservation (404 otherwise).",
        parameters=[OpenApiParameter("organizationId", int)],
        responses={200: ISSUANCE_STATUS_OUT},
    )
    def get(self, request, reservation_id: int):
        reservation = selectors.reservation_get(
            user=request.user, reservation_id=reservation_id, organization_id=_organization_query(request)
        )
        return Response(issuance_status_json(status.issuance_status(reservation=reservation)))
