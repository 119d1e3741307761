"""The portal's own 404 and 500 pages under DEBUG too (issue 16): a mistyped address must not
show Django's technical page listing every route; the API keeps its JSON errors."""

import pytest
from django.http import Http404
from django.test import override_settings
from django.urls import path

from drec.urls import urlpatterns as project_urls


def crash(request):
    raise RuntimeError("secret connection string postgres://user:pw@db")


def missing(request):
    raise Http404("No such device")


urlpatterns = [path("probe/crash", crash), path("probe/missing", missing), *project_urls]

pytestmark = [pytest.mark.urls("tests.drec.test_error_pages_debug"), pytest.mark.django_db]


@override_settings(DEBUG=True)
def test_mistyped_address_shows_the_portal_404_page_not_the_route_list(client, buyer):
    for signed_in in (False, True):
        if signed_in:
            client.force_login(buyer)
        response = client.get("/dashbord")
        html = response.content.decode()
        assert response.status_code == 404
        assert "404 · Page not found" in html
        assert "Using the URLconf" not in html
        assert "django-admin/" not in html
        assert ("Main menu" in html) is signed_in  # in the layout of the signed-in user


@override_settings(DEBUG=True)
def test_a_view_raising_404_shows_the_portal_404_page(client, buyer):
    client.force_login(buyer)
    response = client.get("/probe/missing")
    assert response.status_code == 404
    assert "404 · Page not found" in response.content.decode()
    assert "Technical" not in response.content.decode()


@override_settings(DEBUG=True)
def test_a_crash_shows_the_portal_500_page_without_the_traceback(client, caplog):
    client.raise_request_exception = False
    response = client.get("/probe/crash")
    html = response.content.decode()
    assert response.status_code == 500
    assert "500 · Something went wrong" in html
    assert "postgres://" not in html
    assert "Traceback" not in html
    assert "Internal Server Error: /probe/crash" in caplog.text  # still logged


@override_settings(DEBUG=True)
def test_api_paths_keep_their_json_404(client):
    response = client.get("/api/does-not-exist")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["statusCode"] == 404


@override_settings(DEBUG=True)
def test_a_missing_slash_still_redirects(client, admin_user):
    response = client.get("/django-admin")
    assert response.status_code == 301
    assert response["Location"] == "/django-admin/"
