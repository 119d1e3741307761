"""Device API: public code-list lookups."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from devices import selectors
from drec.permissions import PUBLIC


class PublicLookupView(APIView):
    """Code lists are public: no token, no session, no CSRF."""

    acl = PUBLIC
    authentication_classes: list = []


class TimezoneOut(serializers.Serializer):
    name = serializers.CharField()
    offset = serializers.IntegerField(help_text="Minutes, sign as JavaScript getTimezoneOffset (UTC+5:30 = -330).")


class CountryOut(serializers.Serializer):
    country = serializers.CharField(source="name")
    alpha2 = serializers.CharField()
    alpha3 = serializers.CharField()
    numeric = serializers.CharField()
    countryCode = serializers.CharField(source="alpha3")
    timezones = serializers.SerializerMethodField()

    @extend_schema_field(TimezoneOut(many=True))
    def get_timezones(self, country) -> list[dict]:
        now = self.context["now"]
        return [{"name": zone, "offset": selectors.timezone_offset_minutes(zone, at=now)} for zone in country.timezones]


class CodeNameOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class SdgBenefitOut(serializers.Serializer):
    name = serializers.CharField(source="code", help_text="SDG1 .. SDG17")
    value = serializers.CharField(source="name", help_text="The goal's title")


class CountryListView(PublicLookupView):
    @extend_schema(
        tags=["CountryList"],
        summary="ISO 3166 countries with their time zones",
        parameters=[OpenApiParameter("searchKeyWord", str, description="Part of a country name or alpha-3 code.")],
        responses={200: CountryOut(many=True)},
    )
    def get(self, request):
        countries = selectors.country_list(search=request.query_params.get("searchKeyWord", "").strip())
        return Response(CountryOut(countries, many=True, context={"now": timezone.now()}).data)


class FuelTypeListView(PublicLookupView):
    @extend_schema(tags=["device"], summary="Fuel types", responses={200: CodeNameOut(many=True)})
    def get(self, request):
        return Response(CodeNameOut(selectors.fuel_type_list(), many=True).data)


class DeviceTypeListView(PublicLookupView):
    @extend_schema(tags=["device"], summary="Device types", responses={200: CodeNameOut(many=True)})
    def get(self, request):
        return Response(CodeNameOut(selectors.device_type_list(), many=True).data)


class SdgBenefitCodeListView(PublicLookupView):
    @extend_schema(tags=["SdgBenefit"], summary="SDG benefit codes", responses={200: SdgBenefitOut(many=True)})
    def get(self, request):
        return Response(SdgBenefitOut(selectors.sdg_benefit_list(), many=True).data)
