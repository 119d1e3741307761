"""The public registry's JSON (SPEC §13): no login, nothing personal."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from drec.pagination import PAGE_PARAMETERS, paginate
from drec.permissions import PUBLIC
from registry import selectors
from registry.formats import registry_certificate_json

TOTAL_FIELDS = {
    "issuedWh": serializers.IntegerField(),
    "claimedWh": serializers.IntegerField(),
    "withdrawnWh": serializers.IntegerField(),
    "certificates": serializers.IntegerField(),
}


class RegistrySummaryView(APIView):
    acl = PUBLIC
    authentication_classes = []

    @extend_schema(
        tags=["registry"],
        summary="Totals issued, claimed and withdrawn: overall, per country and per month of generation",
        responses={
            200: inline_serializer(
                "RegistrySummary",
                {
                    **TOTAL_FIELDS,
                    "devices": serializers.IntegerField(),
                    "countries": inline_serializer(
                        "RegistryCountry",
                        {
                            "countryCode": serializers.CharField(),
                            "countryName": serializers.CharField(),
                            **TOTAL_FIELDS,
                        },
                        many=True,
                    ),
                    "months": inline_serializer(
                        "RegistryMonth",
                        {"month": serializers.CharField(help_text="YYYY-MM"), **TOTAL_FIELDS},
                        many=True,
                    ),
                },
            )
        },
    )
    def get(self, request):
        return Response(selectors.registry_summary())


class RegistryCertificatesView(APIView):
    acl = PUBLIC
    authentication_classes = []

    @extend_schema(
        tags=["registry"],
        summary="Certificates (newest first), each linking to its public verification",
        parameters=[
            *PAGE_PARAMETERS,
            OpenApiParameter("countryCode", str, description="ISO 3166 alpha-3"),
            OpenApiParameter("from", str, description="Generation from (ISO 8601)"),
            OpenApiParameter("to", str, description="Generation until (ISO 8601)"),
            OpenApiParameter(
                "status",
                str,
                enum=["", "active", "claimed", "withdrawn"],
                description='Empty (the registry page\'s "Any"): every status',
            ),
        ],
        responses={200: inline_serializer("RegistryCertificates", {"certificates": serializers.ListField()})},
    )
    def get(self, request):
        certificates = selectors.registry_certificates(request.query_params)
        return Response(
            paginate(
                request,
                certificates,
                key="certificates",
                serialize=lambda rows: [registry_certificate_json(c) for c in rows],
                default_limit=20,
            )
        )
