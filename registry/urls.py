from django.urls import path

from registry import api, views

api_urlpatterns = [
    path("public/registry/summary", api.RegistrySummaryView.as_view(), name="api-registry-summary"),
    path("public/registry/certificates", api.RegistryCertificatesView.as_view(), name="api-registry-certificates"),
]

urlpatterns = [
    path("registry", views.registry, name="registry"),
]
