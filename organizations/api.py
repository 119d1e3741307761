"""Organization API: serializers shared with the account endpoints."""

from rest_framework import serializers


class OrganizationOut(serializers.Serializer):
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
    id = serializers.IntegerField()
    name = serializers.CharField()
    address = serializers.CharField()
    zipCode = serializers.CharField(source="zip_code", allow_null=True)
    city = serializers.CharField(allow_null=True)
    country = serializers.CharField(allow_null=True, help_text="ISO 3166 alpha-2")
    organizationType = serializers.CharField(source="organization_type")
    orgEmail = serializers.CharField(source="org_email")
    status = serializers.CharField()
    api_user_id = serializers.SerializerMethodField()

    def to_representation(self, organization):
        data = super().to_representation(organization)
        for key in ("zipCode", "city", "country"):
            data[key] = data[key] or None  # not given: null, as the original
        return data

    def get_api_user_id(self, organization) -> str | None:
        return str(organization.api_user.api_user_id) if organization.api_user_id else None
