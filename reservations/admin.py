"""The back office's reservations: read-only (their buyers make and change them with
reservations.services' rules); ending one early is the action that calls reservation_end, as
``DELETE /api/buyer-reservation/{id}`` does."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from certificates.models import Certificate
from drec.admin import FirstRowsFormSet, ReadOnlyAdmin, ReadOnlyTabularInline, changelist_link, service_call, wh
from reservations import services
from reservations.models import Reservation, ReservationDevice


class MemberFormSet(FirstRowsFormSet):
    limit = 200


class MemberInline(ReadOnlyTabularInline):
    model = ReservationDevice
    formset = MemberFormSet
    fields = ("device", "is_active", "covers_from", "covers_until", "added_at", "released_at")
    readonly_fields = fields
    verbose_name = "device"
    verbose_name_plural = f"devices (the first {MemberFormSet.limit}; see all from the summary)"

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReservationDevice]:
        return super().get_queryset(request).select_related("device")


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    list_display = ("name", "buyer_organization", "period", "frequency", "target", "progress", "is_active")
    list_filter = ("is_active", "frequency")
    search_fields = ("name", "=uid")
    list_select_related = ("organization",)
    fields = (
        "name",
        "uid",
        "organization",
        "buyer",
        "period",
        "expiry",
        "frequency",
        "target",
        "progress",
        "authority_to_exceed",
        "continue_if_devices_unavailable",
        "continue_if_target_unreachable",
        "is_active",
        "ended_at",
        "records",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    inlines = (MemberInline,)
    actions = ("end",)

    @admin.display(description="Buyer organization", ordering="organization__name")
    def buyer_organization(self, reservation: Reservation) -> str:
        return reservation.organization.name

    @admin.display(description="Period", ordering="start")
    def period(self, reservation: Reservation) -> str:
        return f"{reservation.start:%Y-%m-%d %H:%M} to {reservation.end:%Y-%m-%d %H:%M} UTC"

    @admin.display(description="Target", ordering="target_wh")
    def target(self, reservation: Reservation) -> str:
        return wh(reservation.target_wh)

    @admin.display(description="Progress")
    def progress(self, reservation: Reservation) -> str:
        share = 100 * reservation.requested_wh / reservation.target_wh if reservation.target_wh else 0
        return f"{share:.1f}% ({wh(reservation.requested_wh)} issued)"

    @admin.display(description="Its records")
    def records(self, reservation: Reservation) -> str:
        return format_html(
            "{} · {}",
            changelist_link(ReservationDevice, "all its devices", reservation__id__exact=reservation.pk),
            changelist_link(Certificate, "its certificates", reservation__id__exact=reservation.pk),
        )

    @admin.action(description="End the reservations now (release their devices)")
    def end(self, request: HttpRequest, queryset: QuerySet[Reservation]) -> None:
        done = 0
        for reservation in queryset:
            done += service_call(
                self,
                request,
                reservation,
                lambda reservation=reservation: services.reservation_end(reservation=reservation),
                done="Ended by the super admin.",
            )
        self.message_user(request, f"{done} reservation(s) ended.")


@admin.register(ReservationDevice)
class ReservationDeviceAdmin(ReadOnlyAdmin):
    """Which device is or was in which reservation, over which span of its reads."""

    list_display = ("device", "reservation", "is_active", "covers_from", "covers_until")
    list_filter = ("is_active",)
    search_fields = ("device__external_id", "reservation__name")
    list_select_related = ("device", "reservation")
    fields = ("reservation", "device", "is_active", "added_at", "released_at", "covers_from", "covers_until")
    readonly_fields = fields
