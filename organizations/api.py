"""Organization, member and invitation API with the original's paths (backend.md §5, §6)."""

from collections.abc import Callable
from typing import Any, cast

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services as account_services
from accounts.fields import new_account
from accounts.models import User, UserStatus
from devices.models import Country
from drec.errors import InvalidInput, NotFound
from drec.inputs import Email, Text, parse
from drec.pagination import PAGE_PARAMETERS, paginate, paginated_schema
from organizations import selectors, services
from organizations.models import InvitationStatus
from organizations.rules import (
    ADMIN_DELETE,
    ADMIN_ORGANIZATION_REGISTER,
    ADMIN_READ,
    ADMIN_UPDATE,
    INVITATION_READ,
    INVITATION_RESPOND,
    INVITATION_SEND,
    MEMBER_REMOVE,
    MEMBER_UPDATE,
    ORGANIZATION_READ,
    TENANT_MEMBERS_READ,
)

SUCCESS = inline_serializer("OrganizationSuccess", {"success": serializers.BooleanField()})


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


class OrganizationRefOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    organizationType = serializers.CharField(source="organization_type")


class MemberOut(serializers.Serializer):
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
    id = serializers.IntegerField()
    firstName = serializers.CharField(source="first_name")
    lastName = serializers.CharField(source="last_name")
    email = serializers.EmailField()
    status = serializers.CharField()
    role = serializers.CharField()
    organization = OrganizationRefOut(allow_null=True)


class InvitationOut(serializers.Serializer):
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
    id = serializers.IntegerField()
    email = serializers.EmailField()
    firstName = serializers.CharField(source="first_name")
    lastName = serializers.CharField(source="last_name")
    role = serializers.CharField()
    status = serializers.CharField()
    sender = serializers.CharField()
    organizationId = serializers.IntegerField(source="organization_id")


class OrganizationWithUsersOut(OrganizationOut):
    users = MemberOut(many=True)


class OrganizationDetailOut(OrganizationWithUsersOut):
    invitations = InvitationOut(many=True)


def _many(serializer: type[serializers.Serializer[Any]]) -> Callable[[list[Any]], list[dict[str, Any]]]:
    """What :func:`drec.pagination.paginate` serializes a page's rows with."""

    def serialize(rows: list[Any]) -> list[dict[str, Any]]:
        return cast(list[dict[str, Any]], serializer(rows, many=True).data)  # a list serializer's data is a list

    return serialize


def _with_members(organizations):
    return organizations.prefetch_related(Prefetch("users", queryset=User.objects.select_related("organization")))


def _detail(organization) -> dict:
    organization = _with_members(type(organization).objects.filter(pk=organization.pk)).prefetch_related(
        "invitations__organization"
    )[0]
    return OrganizationDetailOut(organization).data


# --- Organizations ----------------------------------------------------------------------


class OrganizationMeView(APIView):
    acl = ORGANIZATION_READ

    @extend_schema(tags=["Organization"], summary="Your organization", responses={200: OrganizationDetailOut})
    def get(self, request):
        if request.user.organization_id is None:
            raise NotFound("You do not belong to an organization.")
        return Response(_detail(request.user.organization))


class OrganizationDetailView(APIView):
    acl = ORGANIZATION_READ

    @extend_schema(
        tags=["Organization"], summary="One organization you may see", responses={200: OrganizationDetailOut}
    )
    def get(self, request, organization_id: int):
        return Response(_detail(selectors.organization_get(user=request.user, organization_id=organization_id)))


class OrganizationUsersView(APIView):
    acl = ORGANIZATION_READ

    @extend_schema(
        tags=["Organization"],
        summary="Users of your organization (an api user: of the organizations it manages)",
        parameters=PAGE_PARAMETERS,
        responses={200: paginated_schema("MemberPage", "users", MemberOut)},
    )
    def get(self, request):
        members = selectors.member_list(user=request.user)
        return Response(paginate(request, members, key="users", serialize=_many(MemberOut)))


class ApiUserOrganizationsView(APIView):
    acl = ORGANIZATION_READ

    @extend_schema(
        tags=["Organization"],
        summary="Developer and Buyer organizations you manage (an api user) or belong to",
        parameters=[OpenApiParameter("organizationName", str), *PAGE_PARAMETERS],
        responses={200: paginated_schema("OrganizationPage", "organizations", OrganizationWithUsersOut)},
    )
    def get(self, request):
        organizations = _with_members(
            selectors.managed_organization_list(
                user=request.user, name=request.query_params.get("organizationName", "").strip()
            )
        )
        return Response(
            paginate(
                request,
                organizations,
                key="organizations",
                serialize=_many(OrganizationWithUsersOut),
            )
        )


class OrganizationMemberRemoveView(APIView):
    acl = MEMBER_REMOVE

    @extend_schema(tags=["Organization"], summary="Remove a member of your organization", responses={200: SUCCESS})
    def delete(self, request, user_id: int):
        services.member_remove(acting_user=request.user, member_id=user_id)
        return Response({"success": True})


# --- Super admin ------------------------------------------------------------------------


class AdminOrganizationsView(APIView):
    acl = ADMIN_READ

    @extend_schema(
        operation_id="admin_organizations_list",
        tags=["admin"],
        summary="All organizations",
        parameters=[
            OpenApiParameter("organizationName", str),
            OpenApiParameter("organizationType", str),
            *PAGE_PARAMETERS,
        ],
        responses={200: paginated_schema("AdminOrganizationPage", "organizations", OrganizationWithUsersOut)},
    )
    def get(self, request):
        organizations = _with_members(
            selectors.organization_list(
                user=request.user,
                name=request.query_params.get("organizationName", "").strip(),
                organization_type=request.query_params.get("organizationType") or None,
            )
        )
        return Response(
            paginate(
                request,
                organizations,
                key="organizations",
                serialize=_many(OrganizationWithUsersOut),
            )
        )


class OrganizationPatchIn(serializers.Serializer):
    name = Text(max_length=255, required=False)
    address = Text(max_length=500, required=False, allow_blank=True)
    zipCode = Text(max_length=32, required=False, allow_blank=True)
    city = Text(max_length=255, required=False, allow_blank=True)
    country = Text(max_length=2, min_length=2, required=False, allow_blank=True, help_text="ISO 3166 alpha-2")
    status = serializers.ChoiceField(choices=["Submitted", "Denied", "Active"], required=False)

    def validate_country(self, value: str) -> str:
        value = value.upper()
        if value and not Country.objects.filter(alpha2=value).exists():
            raise serializers.ValidationError("Not an ISO 3166 alpha-2 country code.")
        return value


class AdminOrganizationDetailView(APIView):
    acl = {
        "get": ADMIN_READ,
        "patch": ADMIN_UPDATE,
        "delete": ADMIN_DELETE,
    }

    @extend_schema(tags=["admin"], summary="One organization", responses={200: OrganizationDetailOut})
    def get(self, request, organization_id: int):
        return Response(_detail(selectors.organization_get(user=request.user, organization_id=organization_id)))

    @extend_schema(
        tags=["admin"], summary="Correct an organization", request=OrganizationPatchIn, responses={200: OrganizationOut}
    )
    def patch(self, request, organization_id: int):
        organization = selectors.organization_get(user=request.user, organization_id=organization_id)
        data = parse(OrganizationPatchIn, request.data, partial=True)
        organization = services.organization_update(
            organization=organization,
            name=data.get("name"),
            address=data.get("address"),
            zip_code=data.get("zipCode"),
            city=data.get("city"),
            country=data.get("country"),
            status=data.get("status"),
        )
        return Response(OrganizationOut(organization).data)

    @extend_schema(tags=["admin"], summary="Delete an organization and its members", responses={200: SUCCESS})
    def delete(self, request, organization_id: int):
        organization = selectors.organization_get(user=request.user, organization_id=organization_id)
        services.organization_delete(organization=organization)
        return Response({"success": True})


class AdminUserIn(serializers.Serializer):
    firstName = Text(max_length=150)
    lastName = Text(max_length=150)
    email = Email(max_length=254)
    organizationType = Text(max_length=20)
    orgName = Text(max_length=255)
    orgAddress = Text(max_length=500, required=False, allow_blank=True, default="")
    password = Text(max_length=128, required=False, trim_whitespace=False)
    confirmPassword = Text(max_length=128, required=False, trim_whitespace=False)


class AdminUsersView(APIView):
    acl = {"get": ADMIN_READ, "post": ADMIN_ORGANIZATION_REGISTER}

    @extend_schema(
        tags=["admin"],
        summary="All users except api users",
        parameters=[OpenApiParameter("organizationName", str), OpenApiParameter("status", str), *PAGE_PARAMETERS],
        responses={200: paginated_schema("AdminUserPage", "users", MemberOut)},
    )
    def get(self, request):
        status = request.query_params.get("status", "")
        if status and status not in UserStatus.values:
            raise InvalidInput(
                f"status must be one of {', '.join(UserStatus.values)}.", errors={"status": ["Unknown."]}
            )
        members = selectors.member_list(user=request.user, status=status)
        name = request.query_params.get("organizationName", "").strip()
        if name:
            members = members.filter(organization__name__icontains=name)
        return Response(paginate(request, members, key="users", serialize=_many(MemberOut)))

    @extend_schema(
        tags=["admin"],
        summary="Create an organization and its first user (who chooses a password from an e-mailed link)",
        request=AdminUserIn,
        responses={201: MemberOut},
    )
    def post(self, request):
        data = parse(AdminUserIn, request.data)
        user = account_services.organization_register_for(acting_user=request.user, account=new_account(data))
        return Response(MemberOut(user).data, status=201)


class AdminOrganizationUsersView(APIView):
    acl = TENANT_MEMBERS_READ

    @extend_schema(
        tags=["admin"],
        summary="Users of one organization you may see",
        parameters=PAGE_PARAMETERS,
        responses={200: paginated_schema("OrganizationUserPage", "users", MemberOut)},
    )
    def get(self, request, organization_id: int):
        organization = selectors.organization_get(user=request.user, organization_id=organization_id)
        members = selectors.member_list(user=request.user, organization=organization)
        return Response(paginate(request, members, key="users", serialize=_many(MemberOut)))


class MemberIn(serializers.Serializer):
    firstName = Text(max_length=150)
    lastName = Text(max_length=150, allow_blank=True)
    email = Email(max_length=254)
    status = serializers.ChoiceField(choices=UserStatus.values)


class AdminUserDetailView(APIView):
    acl = {"put": MEMBER_UPDATE}

    @extend_schema(
        tags=["admin"],
        summary="Edit a user of an organization you may see",
        request=MemberIn,
        responses={200: MemberOut},
    )
    def put(self, request, user_id: int):
        data = parse(MemberIn, request.data)
        member = services.member_update(
            acting_user=request.user,
            member_id=user_id,
            first_name=data["firstName"],
            last_name=data["lastName"],
            email=data["email"],
            status=data["status"],
        )
        return Response(MemberOut(member).data)


class AdminUserDeleteView(APIView):
    acl = ADMIN_DELETE

    @extend_schema(
        tags=["admin"],
        summary="Delete a user (and its organization when it was the last member)",
        responses={200: SUCCESS},
    )
    def delete(self, request, user_id: int):
        services.member_remove(acting_user=request.user, member_id=user_id, delete_empty_organization=True)
        return Response({"success": True})


# --- Invitations ------------------------------------------------------------------------


class InviteIn(serializers.Serializer):
    email = Email(max_length=254)
    role = Text(max_length=20, help_text="Developer organization: DeviceOwner or User; Buyer: SubBuyer or User")
    firstName = Text(max_length=150, required=False, allow_blank=True, default="")
    lastName = Text(max_length=150, required=False, allow_blank=True, default="")


class RespondIn(serializers.Serializer):
    token = Text(help_text="The token of the invitation link")
    status = serializers.ChoiceField(choices=[InvitationStatus.ACCEPTED, InvitationStatus.REJECTED])
    password = Text(max_length=128, required=False, trim_whitespace=False)
    confirmPassword = Text(max_length=128, required=False, trim_whitespace=False)
    firstName = Text(max_length=150, required=False)
    lastName = Text(max_length=150, required=False)


class InvitationsView(APIView):
    acl = {"get": INVITATION_READ, "post": INVITATION_SEND}

    @extend_schema(
        tags=["invitation"],
        summary="Invitations of the organizations you may see",
        parameters=[OpenApiParameter("organizationId", int), *PAGE_PARAMETERS],
        responses={200: paginated_schema("InvitationPage", "invitations", InvitationOut)},
    )
    def get(self, request):
        organization_id = request.query_params.get("organizationId")
        organization = (
            selectors.organization_get(user=request.user, organization_id=_int_or_404(organization_id))
            if organization_id
            else None
        )
        invitations = selectors.invitation_list(user=request.user, organization=organization)
        return Response(paginate(request, invitations, key="invitations", serialize=_many(InvitationOut)))

    @extend_schema(
        tags=["invitation"],
        summary="Invite someone by e-mail into an organization",
        parameters=[OpenApiParameter("organizationId", int, description="Required for the super admin and api users")],
        request=InviteIn,
        responses={201: SUCCESS},
    )
    def post(self, request):
        data = parse(InviteIn, request.data)
        organization_id = request.query_params.get("organizationId")
        services.invitation_create(
            acting_user=request.user,
            organization_id=_int_or_404(organization_id) if organization_id else None,
            email=data["email"],
            role=data["role"],
            first_name=data["firstName"],
            last_name=data["lastName"],
        )
        return Response({"success": True}, status=201)


class InvitationRespondView(APIView):
    """The invitee answers with the token of the e-mailed link (no account exists yet)."""

    acl = INVITATION_RESPOND
    authentication_classes: list = []

    @extend_schema(
        tags=["invitation"],
        summary="Accept (choosing a password) or reject an invitation",
        request=RespondIn,
        responses={200: SUCCESS},
    )
    def put(self, request, invitation_id: int):
        data = parse(RespondIn, request.data)
        services.invitation_respond(
            invitation_id=invitation_id,
            token=data["token"],
            status=data["status"],
            password=data.get("password"),
            confirm_password=data.get("confirmPassword"),
            first_name=data.get("firstName"),
            last_name=data.get("lastName"),
        )
        return Response({"success": True})


def _int_or_404(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound(f"No organization found with id {value}") from None
