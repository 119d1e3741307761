from django.urls import path

from certificates import api, views

api_urlpatterns = [
    path(
        "certificate-log/issuer/certifiedlogOfdevices",
        api.CertifiedLogOfDevicesView.as_view(),
        name="api-certificates",
    ),
    path(
        "certificate-log/issuer/certified/new/<str:group_uid>",
        api.ReservationCertificatesView.as_view(),
        name="api-reservation-certificates",
    ),
    path("certificate-log/claim", api.ClaimView.as_view(), name="api-claim"),
    path("certificate-log/transfer", api.TransferView.as_view(), name="api-transfer"),
    path("certificate-log/withdraw", api.WithdrawView.as_view(), name="api-withdraw"),
    path("certificate-log/owned", api.OwnedView.as_view(), name="api-owned"),
    path(
        "certificate-log/claim/<int:claim_id>/statement.pdf",
        api.ClaimStatementView.as_view(),
        name="api-claim-statement",
    ),
    path("certificate-log/redemption-report", api.RedemptionReportView.as_view(), name="api-redemption-report"),
    path("certificate-log/expoert_perdevice/<str:group_uid>", api.ExportPerDeviceView.as_view(), name="api-export"),
    path("certificate-log/ledger/public-key", api.PublicKeyView.as_view(), name="api-ledger-public-key"),
    path("certificate-log/ledger/head", api.LedgerHeadView.as_view(), name="api-ledger-head"),
    path("certificate-log/ledger", api.LedgerEntriesView.as_view(), name="api-ledger"),
    path("certificate-log/verify/<int:certificate_id>", api.VerifyView.as_view(), name="api-certificate-verify"),
    path("drec-issuer/run", api.IssueNowView.as_view(), name="api-issue-now"),
]

urlpatterns = [
    path("All_certificate", views.certificate_list, name="certificate-list"),
    path("device/certifiedin_reservation", views.certificate_list, name="developer-certificate-list"),
    path(
        "certificate/reservation/<int:reservation_id>", views.reservation_certificates, name="reservation-certificates"
    ),
    path("certificate/<int:certificate_id>", views.certificate_detail, name="certificate-detail"),
    path("certificate/<int:certificate_id>/transfer", views.certificate_transfer, name="certificate-transfer"),
    path("certificate/<int:certificate_id>/withdraw", views.certificate_withdraw, name="certificate-withdraw"),
    path("certificate/verify/<int:certificate_id>", views.certificate_verify, name="certificate-verify"),
    path("redemption-report", views.redemption_report, name="redemption-report"),
    path("certificate/claim/<int:claim_id>/statement.pdf", views.claim_statement, name="claim-statement"),
]
