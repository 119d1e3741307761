"""API views of the platform itself."""

from django.db import connection
from django_q.brokers import get_broker
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from certificates.status import issuance_last_run
from drec.errors import DATABASE_RETRY_AFTER_SECONDS, error_body
from drec.formats import iso
from drec.permissions import PUBLIC


class HealthView(APIView):
    """Liveness and readiness: the database answers and the task queue's broker is reachable;
    and when the worker last ran the scheduled issuance (null if never), for a monitor to alert
    on when it falls behind."""

    acl = PUBLIC
    authentication_classes: list[type[BaseAuthentication]] = []

    @extend_schema(
        tags=["Platform"],
        summary="Health of the database and the task queue",
        responses={
            200: inline_serializer(
                "Health",
                {
                    "status": serializers.CharField(),
                    "database": serializers.CharField(),
                    "taskQueue": serializers.CharField(),
                    "queuedTasks": serializers.IntegerField(),
                    "lastIssuanceRunAt": serializers.DateTimeField(
                        allow_null=True, help_text="When the scheduled issuance run last ran; null if it never did"
                    ),
                },
            )
        },
    )
    def get(self, request: Request) -> Response:
        checks = {"database": "ok", "taskQueue": "ok"}
        queued = None
        last_run = None
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            last_run = issuance_last_run()
        except Exception:
            checks["database"] = "unreachable"
        try:
            broker = get_broker()
            if not broker.ping():
                raise ConnectionError
            queued = broker.queue_size()
        except Exception:
            checks["taskQueue"] = "unreachable"
        failing = [name for name, state in checks.items() if state != "ok"]
        if failing:
            body = error_body(503, f"Unavailable: {', '.join(failing)}", **checks)
            return Response(body, status=503, headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)})
        return Response(
            {
                "status": "ok",
                **checks,
                "queuedTasks": queued,
                "lastIssuanceRunAt": iso(last_run.started_at) if last_run else None,
            }
        )
