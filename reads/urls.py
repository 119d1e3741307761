from django.urls import path

from reads import api, views

api_urlpatterns = [
    path("meter-reads/time-zones", api.TimeZonesView.as_view(), name="api-time-zones"),
    path("meter-reads/new/<str:external_id>", api.ReadsView.as_view(), name="api-reads"),
    path("meter-reads/latestread/<str:external_id>", api.LatestReadView.as_view(), name="api-latest-read"),
    path("meter-reads/bulk-csv", api.ReadsCsvView.as_view(), name="api-reads-bulk-csv"),
    path("meter-reads/bulk-csv/template.csv", api.ReadsCsvTemplateView.as_view(), name="api-reads-csv-template"),
    path("meter-reads/bulk-csv/<int:job_id>", api.ReadsCsvJobView.as_view(), name="api-reads-csv-job"),
    path("yield/config", api.YieldListView.as_view(), name="api-yield-configs"),
    path("yield/config/<int:config_id>", api.YieldDetailView.as_view(), name="api-yield-config"),
    path("yield/config/update/<int:config_id>", api.YieldDetailView.as_view(), name="api-yield-config-update"),
]

urlpatterns = [
    path("reads/All", views.read_list, name="read-list"),
    path("reads/add", views.read_add, name="read-add"),
    path("reads/upload", views.read_upload, name="read-bulk-upload"),
    path("reads/upload/<int:job_id>", views.read_upload_job, name="read-bulk-upload-job"),
    path("device/view/<int:device_id>/generation", views.device_generation, name="device-generation"),
    path("admin/yield/list", views.yield_list, name="yield-list"),
    path("admin/yield/add", views.yield_add, name="yield-add"),
    path("admin/yield/edit/<int:config_id>", views.yield_edit, name="yield-edit"),
]
