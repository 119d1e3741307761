from django.urls import path

from devices import api, views

api_urlpatterns = [
    path("countrycode/list", api.CountryListView.as_view(), name="api-country-list"),
    path("device/fuel-type", api.FuelTypeListView.as_view(), name="api-fuel-type-list"),
    path("device/device-type", api.DeviceTypeListView.as_view(), name="api-device-type-list"),
    path("sdgbenefit/code", api.SdgBenefitCodeListView.as_view(), name="api-sdg-benefit-codes"),
    path("device", api.DeviceCreateView.as_view(), name="api-device-create"),
    path("device/my", api.MyDevicesView.as_view(), name="api-devices-my"),
    path("device/ungrouped/buyerreservation", api.UngroupedDevicesView.as_view(), name="api-devices-ungrouped"),
    path("device/bulk-upload/template.csv", api.CsvTemplateView.as_view(), name="api-device-csv-template"),
    path(
        "device/addByAdmin/process-creation-bulk-devices-csv/<int:organization_id>",
        api.CsvJobCreateView.as_view(),
        name="api-device-bulk-upload",
    ),
    # GET and DELETE take the device id, PATCH the developer's externalId (which may be all digits).
    path("device/<str:ref>", api.DeviceView.as_view(), name="api-device"),
    path("file", api.FileUploadView.as_view(), name="api-file-upload"),
    path(
        "buyer-reservation/bulk-upload/get-all-csv-jobs-of-organization",
        api.CsvJobListView.as_view(),
        name="api-csv-jobs",
    ),
    path("buyer-reservation/bulk-upload-status/<int:job_id>", api.CsvJobStatusView.as_view(), name="api-csv-job"),
]

urlpatterns = [
    path("device/AllList", views.device_list, name="device-list"),
    path("apiuser/All_devices", views.device_list, name="apiuser-device-list"),
    path("admin/All_devices", views.device_list, name="admin-device-list"),
    path("device/add", views.device_add, name="device-add"),
    path("device/view/<int:device_id>", views.device_detail, name="device-detail"),
    path("device/edit/<int:device_id>", views.device_edit, name="device-edit"),
    path("device/bulk_upload", views.bulk_upload, name="device-bulk-upload"),
    path("device/bulk_upload/<int:job_id>", views.bulk_upload_job, name="device-bulk-upload-job"),
]
