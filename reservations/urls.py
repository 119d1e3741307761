from django.urls import path

from reservations import api, views

api_urlpatterns = [
    path("buyer-reservation", api.ReservationsView.as_view(), name="api-reservations"),
    path("buyer-reservation/my", api.MyReservationsView.as_view(), name="api-reservations-my"),
    path("buyer-reservation/<int:reservation_id>", api.ReservationView.as_view(), name="api-reservation"),
    path(
        "buyer-reservation/<int:reservation_id>/issuance-status",
        api.ReservationIssuanceStatusView.as_view(),
        name="api-reservation-issuance-status",
    ),
    path(
        "buyer-reservation/endreservation/<int:reservation_id>",
        api.ReservationEndView.as_view(),
        name="api-reservation-end",
    ),
]

urlpatterns = [
    path("myreservation", views.reservation_list, name="reservation-list"),
    path("add/reservation", views.reservation_add, name="reservation-add"),
    path("reservation/<int:reservation_id>", views.reservation_detail, name="reservation-detail"),
]
