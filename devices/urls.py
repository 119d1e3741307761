from django.urls import path

from devices import api

api_urlpatterns = [
    path("countrycode/list", api.CountryListView.as_view(), name="api-country-list"),
    path("device/fuel-type", api.FuelTypeListView.as_view(), name="api-fuel-type-list"),
    path("device/device-type", api.DeviceTypeListView.as_view(), name="api-device-type-list"),
    path("sdgbenefit/code", api.SdgBenefitCodeListView.as_view(), name="api-sdg-benefit-codes"),
]
