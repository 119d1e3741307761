"""URL map: the REST API under /api/, its documentation, Django admin and the portal."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerSplitView

from accounts.urls import api_urlpatterns as accounts_api
from acl.urls import api_urlpatterns as acl_api
from certificates.urls import api_urlpatterns as certificates_api
from devices.urls import api_urlpatterns as devices_api
from drec import api, views
from organizations.urls import api_urlpatterns as organizations_api
from reads.urls import api_urlpatterns as reads_api
from registry.urls import api_urlpatterns as registry_api
from reservations.urls import api_urlpatterns as reservations_api
from webhooks.urls import api_urlpatterns as webhooks_api

api_urlpatterns = [
    path("health", api.HealthView.as_view(), name="api-health"),
    *accounts_api,
    *acl_api,
    *organizations_api,
    *devices_api,
    *reads_api,
    *reservations_api,
    *certificates_api,
    *registry_api,
    *webhooks_api,
    # Last: every other /api/ path answers the API's 404 body.
    re_path(r"^.*$", views.api_not_found),
]

urlpatterns = [
    path("api/", include(api_urlpatterns)),
    re_path(r"^api$", views.api_not_found),
    path("swagger-json", SpectacularJSONAPIView.as_view(), name="openapi-schema"),
    # The split view serves its initialiser as a script file (no inline script: the CSP allows none).
    path("swagger/", SpectacularSwaggerSplitView.as_view(url_name="openapi-schema"), name="swagger-ui"),
    path("django-admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("", include("acl.urls")),
    path("", include("organizations.urls")),
    path("", include("devices.urls")),
    path("", include("reads.urls")),
    path("", include("reservations.urls")),
    path("", include("certificates.urls")),
    path("", include("registry.urls")),
    path("", include("webhooks.urls")),
    path("", views.home, name="home"),
    path("dashboard", views.dashboard, name="dashboard"),
]

handler400 = "drec.views.bad_request"
handler403 = "drec.views.permission_denied"
handler404 = "drec.views.page_not_found"
handler500 = "drec.views.server_error"
