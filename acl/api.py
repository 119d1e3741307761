"""ACL API with the original's paths and shapes (backend.md §3.5-3.7)."""

from typing import Any, cast

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors as account_selectors
from accounts.models import User
from acl import selectors, services
from acl.models import EntityType, ModuleStatus
from acl.rules import (
    API_USER_VERIFY,
    API_USERS_READ,
    GRANT_CREATE,
    GRANT_UPDATE,
    GRANTS_READ,
    MODULE_CREATE,
    MODULE_UPDATE,
    MODULES_READ,
    OWN_GRANTS_READ,
    PERMISSION_REQUEST,
)
from drec.inputs import Text, parse
from drec.pagination import PAGE_PARAMETERS, paginate, paginated_schema
from organizations.api import OrganizationOut

GRANT_STATUS = [(0, "inactive"), (1, "active")]


def verbs_field() -> serializers.ListField:
    return serializers.ListField(child=serializers.ChoiceField(choices=["Read", "Write", "Update", "Delete"]))


class ModuleOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    status = serializers.CharField()
    permissions = serializers.ListField(child=serializers.CharField())
    permissionsValue = serializers.IntegerField(source="permissions_value")
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")


class PermissionOut(serializers.Serializer):
    id = serializers.IntegerField()
    aclmodulesId = serializers.IntegerField(source="module_id")
    entityType = serializers.CharField(source="entity_type")
    entityId = serializers.IntegerField(source="entity_id")
    permissions = serializers.ListField(child=serializers.CharField())
    permissionValue = serializers.IntegerField(source="permissions_value")
    status = serializers.SerializerMethodField(help_text="1 active, 0 inactive (waiting for approval)")
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
    aclmodules = ModuleOut(source="module")

    def get_status(self, grant) -> int:
        return 1 if grant.is_active else 0


# --- Modules ----------------------------------------------------------------------------


class ModuleIn(serializers.Serializer):
    name = Text(max_length=100)
    description = Text(max_length=255)
    status = serializers.ChoiceField(choices=ModuleStatus.choices, default="Enable")
    permissions = verbs_field()


class ModuleUpdateIn(serializers.Serializer):
    permissions = verbs_field()
    status = serializers.ChoiceField(choices=ModuleStatus.choices, required=False)


class ModuleListView(APIView):
    acl = {"get": MODULES_READ, "post": MODULE_CREATE}

    @extend_schema(tags=["ACL modules"], summary="All ACL modules", responses={200: ModuleOut(many=True)})
    def get(self, request):
        return Response(ModuleOut(selectors.module_list(), many=True).data)

    @extend_schema(tags=["ACL modules"], summary="Create an ACL module", request=ModuleIn, responses={201: ModuleOut})
    def post(self, request):
        data = parse(ModuleIn, request.data)
        module = services.module_create(
            name=data["name"], description=data["description"], status=data["status"], permissions=data["permissions"]
        )
        return Response(ModuleOut(module).data, status=201)


class ModuleUpdateView(APIView):
    acl = MODULE_UPDATE

    @extend_schema(
        tags=["ACL modules"],
        summary="Change a module's verbs or status",
        request=ModuleUpdateIn,
        responses={200: ModuleOut},
    )
    def put(self, request, module_id: int):
        data = parse(ModuleUpdateIn, request.data)
        module = services.module_update(module_id=module_id, permissions=data["permissions"], status=data.get("status"))
        return Response(ModuleOut(module).data)


# --- Grants -----------------------------------------------------------------------------


class PermissionListView(APIView):
    acl = GRANTS_READ

    @extend_schema(tags=["permission"], summary="All grants, newest first", responses={200: PermissionOut(many=True)})
    def get(self, request):
        return Response(PermissionOut(selectors.permission_list(user=request.user), many=True).data)


class RolePermissionView(APIView):
    acl = GRANTS_READ

    @extend_schema(tags=["permission"], summary="Grants of one role", responses={200: PermissionOut(many=True)})
    def get(self, request, role_id: int):
        return Response(PermissionOut(selectors.role_permission_list(role_id=role_id), many=True).data)


class UserPermissionView(APIView):
    """An api user's own grants (the admin may read anyone's)."""

    acl = OWN_GRANTS_READ

    @extend_schema(tags=["permission"], summary="Grants of one api user", responses={200: PermissionOut(many=True)})
    def get(self, request, user_id: int):
        grants = selectors.user_permission_list(user=request.user, user_id=user_id)
        return Response(PermissionOut(grants, many=True).data)


class PermissionIn(serializers.Serializer):
    aclmodulesId = serializers.IntegerField()
    entityType = serializers.ChoiceField(choices=EntityType.values)
    entityId = serializers.IntegerField()
    permissions = verbs_field()
    status = serializers.ChoiceField(choices=GRANT_STATUS, default=1, help_text="1 active (default), 0 inactive")


class PermissionCreateView(APIView):
    acl = GRANT_CREATE

    @extend_schema(
        tags=["permission"],
        summary="Grant verbs of a module to a role or an api user",
        request=PermissionIn,
        responses={201: PermissionOut},
    )
    def post(self, request):
        data = parse(PermissionIn, request.data)
        grant = services.permission_create(
            module_id=data["aclmodulesId"],
            entity_type=data["entityType"],
            entity_id=data["entityId"],
            permissions=data["permissions"],
            active=data["status"] == 1,
        )
        return Response(PermissionOut(grant).data, status=201)


class PermissionUpdateIn(serializers.Serializer):
    permissions = verbs_field()
    status = serializers.ChoiceField(choices=GRANT_STATUS, required=False, help_text="Admin only")


class PermissionUpdateView(APIView):
    acl = GRANT_UPDATE

    @extend_schema(
        tags=["permission"],
        summary="Change a grant (an api user's own grant then waits for approval again)",
        request=PermissionUpdateIn,
        responses={200: PermissionOut},
    )
    def put(self, request, permission_id: int):
        data = parse(PermissionUpdateIn, request.data)
        status = data.get("status")
        grant = services.permission_update(
            acting_user=request.user,
            permission_id=permission_id,
            permissions=data["permissions"],
            active=None if status is None else status == 1,
        )
        return Response(PermissionOut(grant).data)


class RequestItemIn(serializers.Serializer):
    aclmodulesId = serializers.IntegerField()
    permissions = verbs_field()


class ApiUserRequestView(APIView):
    acl = PERMISSION_REQUEST

    @extend_schema(
        tags=["permission"],
        summary="Request verbs on modules (waits for the admin)",
        request=RequestItemIn(many=True),
        responses={
            201: inline_serializer(
                "PermissionRequestSent", {"statsu": serializers.CharField(), "message": serializers.CharField()}
            )
        },
    )
    def post(self, request):
        items = parse(RequestItemIn, request.data, many=True)
        services.api_user_permission_request(
            user=request.user,
            items=[
                services.RequestedGrant(module_id=item["aclmodulesId"], verbs=item["permissions"]) for item in items
            ],
        )
        # The original's key is misspelt; clients read it, so it stays.
        return Response({"statsu": "success", "message": "Your permission request send successfully"}, status=201)


class VerifyIn(serializers.Serializer):
    status = Text(help_text="Active or Deactive")


class ApiUserVerifyView(APIView):
    acl = API_USER_VERIFY

    @extend_schema(
        tags=["permission"],
        summary="Approve (Active) or withdraw (Deactive) an api user's permissions",
        request=VerifyIn,
        responses={200: inline_serializer("Verified", {"statsu": serializers.CharField()})},
    )
    def put(self, request, api_user_id):
        data = parse(VerifyIn, request.data)
        services.api_user_permission_verify(api_user_id=api_user_id, status=data["status"])
        return Response({"statsu": "success"})


# --- Admin: api users -------------------------------------------------------------------


class ApiUserOut(serializers.Serializer):
    id = serializers.IntegerField()
    firstName = serializers.CharField(source="first_name")
    lastName = serializers.CharField(source="last_name")
    email = serializers.EmailField()
    status = serializers.CharField()
    role = serializers.CharField()
    api_user_id = serializers.UUIDField(source="api_user.api_user_id")
    permission_status = serializers.CharField(source="api_user.permission_status")
    organization = OrganizationOut()
    createdAt = serializers.DateTimeField(source="created_at")


def _api_users(users: list[User]) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], ApiUserOut(users, many=True).data)  # a list serializer's data is a list


class AdminApiUsersView(APIView):
    acl = API_USERS_READ

    @extend_schema(
        tags=["admin"],
        summary="All api users with their permission request state",
        parameters=[OpenApiParameter("organizationName", str), *PAGE_PARAMETERS],
        responses={200: paginated_schema("ApiUserPage", "users", ApiUserOut)},
    )
    def get(self, request):
        users = account_selectors.api_user_list(
            user=request.user, organization_name=request.query_params.get("organizationName", "")
        )
        users = users.select_related("organization__api_user")
        return Response(paginate(request, users, key="users", serialize=_api_users))
