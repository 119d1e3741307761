"""Every API error has the SPEC §9 body, whatever produced it."""

import pytest
from django.core.cache import cache
from django.urls import path
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from drec.errors import Conflict, InvalidInput, NotFound
from drec.urls import urlpatterns as project_urls


class EchoIn(serializers.Serializer):
    name = serializers.CharField(max_length=5)
    reads = serializers.ListField(child=serializers.IntegerField(min_value=0))


class ProbeView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def post(self, request, kind):
        if kind == "validate":
            EchoIn(data=request.data).is_valid(raise_exception=True)
        if kind == "conflict":
            raise Conflict("Device externalId D1 already exists in this organization.")
        if kind == "not-found":
            raise NotFound("No device found with id 7")
        if kind == "invalid":
            raise InvalidInput("reads[2]: end is before start", errors=[{"index": 2, "message": "end is before start"}])
        if kind == "crash":
            raise RuntimeError("secret connection string postgres://user:pw@db")
        return Response({"ok": True}, status=201)


class TwoPerMinute(AnonRateThrottle):
    rate = "2/min"


class ThrottledView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [TwoPerMinute]

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [
    path("api/probe/<str:kind>", ProbeView.as_view()),
    path("api/throttled", ThrottledView.as_view()),
    *project_urls,
]

pytestmark = pytest.mark.urls("tests.drec.test_errors")


def assert_error_body(response, status: int, reason: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["success"] is False
    assert body["statusCode"] == status
    assert body["error"] == reason
    assert isinstance(body["message"], str)
    assert body["message"]
    return body


def test_unknown_api_path_is_a_json_404(client):
    body = assert_error_body(client.get("/api/does-not-exist"), 404, "Not Found")
    assert "/api/does-not-exist" in body["message"]


def test_unknown_api_path_is_a_json_404_for_every_method(client):
    assert_error_body(client.delete("/api/no/such/thing"), 404, "Not Found")
    assert_error_body(client.post("/api", {}), 404, "Not Found")


def test_wrong_method_is_405(client):
    body = assert_error_body(client.get("/api/probe/validate"), 405, "Method Not Allowed")
    assert "GET" in body["message"]


def test_validation_error_names_each_field(client):
    response = client.post("/api/probe/validate", {"name": "far too long", "reads": [1, -1]}, "application/json")
    body = assert_error_body(response, 400, "Bad Request")
    assert set(body["errors"]) == {"name", "reads"}
    assert "name:" in body["message"]


def test_missing_fields_are_400_not_500(client):
    body = assert_error_body(client.post("/api/probe/validate", {}, "application/json"), 400, "Bad Request")
    assert body["errors"]["name"] == ["This field is required."]


def test_malformed_json_is_400(client):
    body = assert_error_body(client.post("/api/probe/validate", "{not json", "application/json"), 400, "Bad Request")
    assert "JSON" in body["message"]


def test_domain_errors_keep_their_status_and_message(client):
    body = assert_error_body(client.post("/api/probe/conflict"), 409, "Conflict")
    assert body["message"] == "Device externalId D1 already exists in this organization."
    body = assert_error_body(client.post("/api/probe/not-found"), 404, "Not Found")
    assert body["message"] == "No device found with id 7"
    body = assert_error_body(client.post("/api/probe/invalid"), 400, "Bad Request")
    assert body["errors"] == [{"index": 2, "message": "end is before start"}]


def test_unhandled_error_is_a_500_without_details(client, caplog):
    response = client.post("/api/probe/crash")
    body = assert_error_body(response, 500, "Internal Server Error")
    assert body["message"] == "Internal server error"
    assert "postgres://" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert "Unhandled error in POST /api/probe/crash" in caplog.text


def test_throttled_is_429_with_retry_after(client, db):
    cache.clear()
    client.get("/api/throttled")
    client.get("/api/throttled")
    response = client.get("/api/throttled")
    body = assert_error_body(response, 429, "Too Many Requests")
    assert int(response["Retry-After"]) > 0
    assert "Try again in" in body["message"]


def test_portal_404_is_a_page_in_the_layout(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert b"404" in response.content
    assert b"Page not found" in response.content
    assert b"vendor/bootstrap/css/bootstrap.min.css" in response.content
