"""Access control in the back office (/django-admin/): modules and grants with verbs as
checkboxes, validated and written by acl.services as the API's endpoints are; approving an api
user is the API's decision; keys and tokens are revoked with the API's services."""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessToken, ApiUser, ApiUserKey, PermissionStatus, Role, TokenKind, UserRole
from accounts.services import access_token_issue, api_user_key_generate
from acl.models import AclModule, ApiUserGrant, ModulePermission, RoleGrant
from acl.selectors import may
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def back_office(client, admin_user):
    client.force_login(admin_user)
    return client


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def module(name: str) -> AclModule:
    return AclModule.objects.get(name=name)


def role(name: str) -> UserRole:
    return UserRole.objects.get(name=name)


def logged(obj, action=None) -> list[str]:
    entries = LogEntry.objects.filter(object_id=str(obj.pk), content_type__model=obj._meta.model_name)
    if action is not None:
        entries = entries.filter(action_flag=action)
    return [entry.get_change_message() for entry in entries]


# --- Modules ------------------------------------------------------------------------------


def test_a_module_is_created_with_verbs_as_checkboxes(back_office):
    page = back_office.get(reverse("admin:acl_aclmodule_add"))
    assert page.status_code == 200
    assert b'type="checkbox" name="permissions" value="Delete"' in page.content
    assert b"permissions_value" not in page.content  # the mask is derived, never typed

    response = back_office.post(
        reverse("admin:acl_aclmodule_add"),
        {
            "name": "REPORTS_CRUDL",
            "description": "Reports",
            "status": "Enable",
            "permissions": ["Read", "Write"],
            **empty_inline("grants"),
        },
    )

    assert response.status_code == 302, response.content[:2000]
    created = module("REPORTS_CRUDL")
    assert (created.permissions, created.permissions_value) == (["Read", "Write"], 3)
    assert LogEntry.objects.filter(object_id=str(created.pk)).exists()


def test_a_module_name_taken_in_another_case_is_refused_on_the_field(back_office):
    response = back_office.post(
        reverse("admin:acl_aclmodule_add"),
        {
            "name": "device_management_crudl",
            "description": "x",
            "status": "Enable",
            "permissions": ["Read"],
            **empty_inline("grants"),
        },
    )
    assert response.status_code == 200
    assert "Already exists." in response.context["adminform"].form.errors["name"]
    assert AclModule.objects.filter(name__iexact="device_management_crudl").count() == 1


def test_a_module_needs_a_verb(back_office):
    response = back_office.post(
        reverse("admin:acl_aclmodule_add"),
        {"name": "EMPTY_CRUDL", "description": "x", "status": "Enable", **empty_inline("grants")},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["permissions"]
    assert not AclModule.objects.filter(name="EMPTY_CRUDL").exists()


def test_editing_a_module_changes_its_verbs_and_status_only_and_modules_are_not_deleted(back_office, developer_admin):
    devices = module("DEVICE_MANAGEMENT_CRUDL")
    url = reverse("admin:acl_aclmodule_change", args=[devices.pk])
    response = back_office.post(
        url, {"name": "HACKED", "status": "Enable", "permissions": ["Read"], **empty_inline("grants")}
    )
    assert response.status_code == 302, response.content[:3000]
    devices.refresh_from_db()
    assert (devices.name, devices.permissions) == ("DEVICE_MANAGEMENT_CRUDL", ["Read"])
    assert may(developer_admin, "DEVICE_MANAGEMENT_CRUDL", "Read")
    assert not may(developer_admin, "DEVICE_MANAGEMENT_CRUDL", "Write")  # the grant is masked by the module
    assert (
        back_office.post(reverse("admin:acl_aclmodule_delete", args=[devices.pk]), {"post": "yes"}).status_code == 403
    )
    assert AclModule.objects.filter(pk=devices.pk).exists()


def empty_inline(prefix: str) -> dict[str, str]:
    return {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}


# --- Role grants --------------------------------------------------------------------------


def test_a_role_is_granted_a_modules_verbs_and_may_use_them(back_office, buyer):
    RoleGrant.objects.filter(role__name=Role.BUYER, module__name="CERTIFICATE_LOG_MANAGEMENT_CRUDL").delete()
    assert not may(buyer, "CERTIFICATE_LOG_MANAGEMENT_CRUDL", "Read")
    response = back_office.post(
        reverse("admin:acl_rolegrant_add"),
        {
            "role": role(Role.BUYER).pk,
            "module": module("CERTIFICATE_LOG_MANAGEMENT_CRUDL").pk,
            "permissions": ["Read"],
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content[:3000]
    grant = RoleGrant.objects.get(role__name=Role.BUYER, module__name="CERTIFICATE_LOG_MANAGEMENT_CRUDL")
    assert (grant.entity_type, grant.permissions, grant.is_active) == ("Role", ["Read"], True)
    assert may(buyer, "CERTIFICATE_LOG_MANAGEMENT_CRUDL", "Read")


def test_a_verb_outside_the_modules_is_refused_with_a_field_error(back_office):
    RoleGrant.objects.filter(role__name=Role.BUYER, module__name="CERTIFICATE_LOG_MANAGEMENT_CRUDL").delete()
    response = back_office.post(
        reverse("admin:acl_rolegrant_add"),
        {
            "role": role(Role.BUYER).pk,
            "module": module("CERTIFICATE_LOG_MANAGEMENT_CRUDL").pk,  # offers Read only
            "permissions": ["Read", "Delete"],
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["permissions"]
    assert errors == ["Not offered by CERTIFICATE_LOG_MANAGEMENT_CRUDL: Delete."]
    assert not RoleGrant.objects.filter(role__name=Role.BUYER, module__name="CERTIFICATE_LOG_MANAGEMENT_CRUDL").exists()


def test_a_second_grant_of_a_module_to_a_role_is_refused(back_office):
    seeded = RoleGrant.objects.select_related("role", "module").first()
    response = back_office.post(
        reverse("admin:acl_rolegrant_add"),
        {"role": seeded.role_id, "module": seeded.module_id, "permissions": ["Read"], "is_active": "on"},
    )
    assert response.status_code == 200
    assert "edit it" in response.context["adminform"].form.errors["module"][0]


def test_editing_a_role_grant_changes_verbs_and_status_not_its_role_or_module(back_office, developer_admin):
    grant = RoleGrant.objects.get(role__name=Role.ORGANIZATION_ADMIN, module__name="DEVICE_MANAGEMENT_CRUDL")
    url = reverse("admin:acl_rolegrant_change", args=[grant.pk])
    response = back_office.post(url, {"role": role(Role.BUYER).pk, "permissions": ["Read"]})  # is_active unticked
    assert response.status_code == 302, response.content[:3000]
    grant.refresh_from_db()
    assert (grant.role.name, grant.permissions, grant.is_active) == (Role.ORGANIZATION_ADMIN, ["Read"], False)
    assert not may(developer_admin, "DEVICE_MANAGEMENT_CRUDL", "Read")
    assert logged(grant, CHANGE)


def test_grants_are_not_deleted_from_the_back_office(back_office):
    grant = RoleGrant.objects.first()
    assert back_office.post(reverse("admin:acl_rolegrant_delete", args=[grant.pk]), {"post": "yes"}).status_code == 403
    assert ModulePermission.objects.filter(pk=grant.pk).exists()


# --- Api users' grants and their approval --------------------------------------------------


def test_editing_an_api_users_grant_sends_it_back_for_approval_which_the_api_users_page_gives(
    back_office, api_user, grant
):
    ApiUser.objects.filter(user=api_user).update(permission_status=PermissionStatus.ACTIVE)
    own = grant(api_user, "DEVICE_MANAGEMENT_CRUDL", "Read")
    assert may(api_user, "DEVICE_MANAGEMENT_CRUDL", "Read")

    page = back_office.get(reverse("admin:acl_apiusergrant_changelist"))
    assert api_user.email.encode() in page.content
    response = back_office.post(
        reverse("admin:acl_apiusergrant_change", args=[own.pk]), {"permissions": ["Read", "Write"], "is_active": "on"}
    )

    assert response.status_code == 302, response.content[:3000]
    own.refresh_from_db()
    assert (own.permissions, own.is_active) == (["Read", "Write"], False)
    record = ApiUser.objects.get(user=api_user)
    assert record.permission_status == PermissionStatus.REQUEST
    assert not may(api_user, "DEVICE_MANAGEMENT_CRUDL", "Read")

    response = back_office.post(
        reverse("admin:accounts_apiuser_changelist"), {"action": "approve", "_selected_action": [record.pk]}
    )

    assert response.status_code == 302
    record.refresh_from_db()
    own.refresh_from_db()
    assert (record.permission_status, own.is_active) == (PermissionStatus.ACTIVE, True)
    assert may(api_user, "DEVICE_MANAGEMENT_CRUDL", "Write")
    assert logged(record, CHANGE) == ["Permission request set to Active."]


def test_a_grant_added_for_an_api_user_waits_for_approval(back_office, api_user):
    response = back_office.post(
        reverse("admin:acl_apiusergrant_add"),
        {"user": api_user.pk, "module": module("READS_MANAGEMENT_CRUDL").pk, "permissions": ["Read"]},
    )
    assert response.status_code == 302, response.content[:3000]
    added = ApiUserGrant.objects.get(user=api_user, module__name="READS_MANAGEMENT_CRUDL")
    assert (added.permissions, added.is_active) == (["Read"], False)
    assert ApiUser.objects.get(user=api_user).permission_status == PermissionStatus.REQUEST


def test_only_api_users_may_be_given_api_user_grants(back_office, buyer):
    response = back_office.post(
        reverse("admin:acl_apiusergrant_add"),
        {"user": buyer.pk, "module": module("READS_MANAGEMENT_CRUDL").pk, "permissions": ["Read"]},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["user"]
    assert not ModulePermission.objects.filter(user=buyer).exists()


def test_withdrawing_deactivates_every_grant_of_the_api_user(back_office, api_user, grant):
    own = grant(api_user, "DEVICE_MANAGEMENT_CRUDL", "Read")
    record = ApiUser.objects.get(user=api_user)
    back_office.post(
        reverse("admin:accounts_apiuser_changelist"), {"action": "withdraw", "_selected_action": [record.pk]}
    )
    own.refresh_from_db()
    record.refresh_from_db()
    assert (record.permission_status, own.is_active) == (PermissionStatus.DEACTIVE, False)


def test_the_api_users_page_shows_its_request_keys_and_organizations(back_office, api_user):
    record = ApiUser.objects.get(user=api_user)
    api_user_key_generate(api_user=record)
    page = back_office.get(reverse("admin:accounts_apiuser_change", args=[record.pk])).content.decode()
    assert api_user.email in page
    assert record.keys.get().kid in page
    assert api_user.organization.name in page
    assert "requested grant" in page


# --- Keys and tokens ---------------------------------------------------------------------


def test_revoking_a_key_revokes_the_tokens_it_minted(back_office, api_user, api_client):
    record = ApiUser.objects.get(user=api_user)
    key, _private = api_user_key_generate(api_user=record)
    token, _ = access_token_issue(user=api_user, kind=TokenKind.CLIENT, key=key)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api_client.get("/api/user/me").status_code == 200

    response = back_office.post(
        reverse("admin:accounts_apiuserkey_changelist"), {"action": "revoke", "_selected_action": [key.pk]}
    )

    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert api_client.get("/api/user/me").status_code == 401
    assert logged(key, CHANGE) == ["Revoked, with its access tokens."]


def test_revoking_an_access_token_logs_it_out(back_office, api_user, api_client):
    token, _ = access_token_issue(user=api_user, kind=TokenKind.PASSWORD)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    record = AccessToken.objects.get(user=api_user)
    active = back_office.get(
        reverse("admin:accounts_accesstoken_changelist") + f"?active=yes&user__id__exact={api_user.pk}"
    )
    assert str(record.jti).encode() in active.content
    assert token.encode() not in active.content  # never the token itself

    back_office.post(
        reverse("admin:accounts_accesstoken_changelist"), {"action": "revoke", "_selected_action": [record.pk]}
    )

    assert api_client.get("/api/user/me").status_code == 401
    record.refresh_from_db()
    assert record.revoked_at is not None
    assert record.revoked_at <= timezone.now()


def test_keys_and_tokens_are_never_added_or_edited_here(back_office, api_user):
    key, _ = api_user_key_generate(api_user=ApiUser.objects.get(user=api_user))
    assert back_office.get(reverse("admin:accounts_apiuserkey_add")).status_code == 403
    change = reverse("admin:accounts_apiuserkey_change", args=[key.pk])
    assert back_office.post(change, {"public_key": "x", "revoked_at": ""}).status_code == 403
    assert ApiUserKey.objects.get(pk=key.pk).public_key == key.public_key


# --- Users ---------------------------------------------------------------------------------


def test_a_user_is_edited_through_the_members_service(back_office, buyer):
    url = reverse("admin:accounts_user_change", args=[buyer.pk])
    response = back_office.post(
        url,
        {"email": "  New.Buyer@Example.com ", "first_name": "New", "last_name": "Buyer", "status": "Suspended"},
    )
    assert response.status_code == 302, response.content[:3000]
    buyer.refresh_from_db()
    assert (buyer.email, buyer.status, buyer.is_active, buyer.role) == (
        "new.buyer@example.com",
        "Suspended",
        False,
        Role.BUYER,
    )
    assert buyer.emailaddress_set.get().verified is False  # a new address is confirmed again


def test_a_taken_email_in_another_case_is_refused_on_the_field(back_office, buyer, developer_admin):
    url = reverse("admin:accounts_user_change", args=[buyer.pk])
    response = back_office.post(
        url, {"email": developer_admin.email.upper(), "first_name": "", "last_name": "", "status": "Active"}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == ["Already registered."]


def test_accounts_are_not_added_here_and_role_and_superuser_flags_cannot_be_set(back_office, buyer):
    assert back_office.get(reverse("admin:accounts_user_add")).status_code == 403
    url = reverse("admin:accounts_user_change", args=[buyer.pk])
    back_office.post(
        url,
        {
            "email": buyer.email,
            "status": "Active",
            "role": Role.ADMIN,
            "is_staff": "on",
            "is_superuser": "on",
            "password": "x",
        },
    )
    buyer.refresh_from_db()
    assert (buyer.role, buyer.is_staff, buyer.is_superuser) == (Role.BUYER, False, False)
    assert buyer.check_password(PASSWORD)


def test_the_super_admin_and_api_users_are_not_deleted_here(back_office, admin_user, api_user):
    for account in (admin_user, api_user):
        response = back_office.post(reverse("admin:accounts_user_delete", args=[account.pk]), {"post": "yes"})
        assert response.status_code == 403
        account.refresh_from_db()
