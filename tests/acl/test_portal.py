"""Portal screens of access control (seed Step 2 and 3), through the Django test client."""

import pytest
from django.utils.html import escape

from accounts.models import ApiUser, PermissionStatus, Role, UserRole
from acl.models import AclModule, ModulePermission, ModuleStatus
from acl.selectors import may
from tests.factories import UserFactory

# These tests create ACL modules; later tests expect the module ids unchanged.
pytestmark = pytest.mark.usefixtures("restore_id_sequences")

MODULES_PAGE = "/admin/permission/acl_module"
ROLES_PAGE = "/admin/permission/user_role/list"
API_USERS_PAGE = "/admin/All_apiusers"
PICKER_PAGE = "/admin/permission/api_user_role/list"
REQUEST_FORM = "/apiuser/permission/request/form"
MY_PERMISSIONS = "/apiuser/permission/list"


def detail_page(account) -> str:
    return f"/admin/permission/api_user_role/list/{account.id}"


def module(name: str) -> AclModule:
    return AclModule.objects.get(name=name)


def html_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client

    return login


# --- Who may open which page ------------------------------------------------------------------


def admin_pages(api_user) -> list[str]:
    return [MODULES_PAGE, ROLES_PAGE, API_USERS_PAGE, PICKER_PAGE, detail_page(api_user)]


@pytest.mark.parametrize("persona_name", ["api_user", "other_api_user", "developer_admin", "buyer", "sub_buyer"])
def test_admin_pages_answer_403_to_everyone_else(request, client, api_user, persona_name):
    client.force_login(request.getfixturevalue(persona_name))
    for url in admin_pages(api_user):
        assert client.get(url).status_code == 403, url
    # Posting does not get further.
    response = client.post(MODULES_PAGE, {"action": "create", "name": "X_CRUDL", "description": "x"})
    assert response.status_code == 403
    response = client.post(detail_page(api_user), {"status": "Active"})
    assert response.status_code == 403
    assert not AclModule.objects.filter(name="X_CRUDL").exists()
    assert ApiUser.objects.get(user=api_user).permission_status == PermissionStatus.REQUEST


@pytest.mark.parametrize("persona_name", ["admin_user", "developer_admin", "device_owner", "buyer"])
def test_api_user_pages_answer_403_to_other_roles(request, client, persona_name):
    client.force_login(request.getfixturevalue(persona_name))
    assert client.get(REQUEST_FORM).status_code == 403
    assert client.get(MY_PERMISSIONS).status_code == 403
    response = client.post(REQUEST_FORM, {"module": ["4"], "verbs-4": ["Read"]})
    assert response.status_code == 403
    assert not ModulePermission.objects.filter(entity_type="User").exists()


def test_visitors_are_sent_to_the_login_page(client, api_user):
    for url in [*admin_pages(api_user), REQUEST_FORM, MY_PERMISSIONS]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"/login?next={url}")


# --- ACL modules -------------------------------------------------------------------------------


def test_the_module_list_shows_all_fifteen_modules(as_user, admin_user):
    html = html_of(as_user(admin_user).get(MODULES_PAGE))
    for name in AclModule.objects.values_list("name", flat=True):
        assert f"<td>{name}</td>" in html
    assert AclModule.objects.count() == 15
    assert "<td>Read,Write,Update</td>" in html  # PERMISSION_MANAGEMENT_CRUDL's verbs


def test_the_create_form_creates_a_module(as_user, admin_user):
    data = {
        "action": "create",
        "name": "REPORTS_CRUDL",
        "description": "Reports",
        "status": "Enable",
        "permissions": ["Read", "Write"],
    }
    response = as_user(admin_user).post(MODULES_PAGE, data)
    assert response.status_code == 302
    assert response["Location"] == MODULES_PAGE
    created = AclModule.objects.get(name="REPORTS_CRUDL")
    assert (created.description, created.status, created.permissions) == ("Reports", "Enable", ["Read", "Write"])
    assert "<td>REPORTS_CRUDL</td>" in html_of(as_user(admin_user).get(MODULES_PAGE))


def test_the_create_form_shows_why_it_refuses(as_user, admin_user):
    client = as_user(admin_user)
    data = {"action": "create", "name": "DEVICE_MANAGEMENT_CRUDL", "description": "again", "status": "Enable"}
    html = html_of(client.post(MODULES_PAGE, {**data, "permissions": ["Read"]}))
    assert '<div class="invalid-feedback">Already exists.</div>' in html  # next to the name
    html = html_of(client.post(MODULES_PAGE, {**data, "name": "REPORTS_CRUDL"}))  # no verb ticked
    assert "This field is required." in html
    assert AclModule.objects.count() == 15


def test_the_edit_form_changes_a_modules_status(as_user, admin_user, developer_admin):
    device = module("DEVICE_MANAGEMENT_CRUDL")
    client = as_user(admin_user)
    html = html_of(client.get(f"{MODULES_PAGE}?edit={device.id}"))
    assert 'name="action" value="edit"' in html
    data = {"action": "edit", "status": "Disable", "permissions": ["Read", "Write", "Update", "Delete"]}
    response = client.post(f"{MODULES_PAGE}?edit={device.id}", data)
    assert response.status_code == 302
    device.refresh_from_db()
    assert (device.status, device.permissions_value) == (ModuleStatus.DISABLE, 15)
    assert not may(developer_admin, "DEVICE_MANAGEMENT_CRUDL", "Read")


# --- Role permissions --------------------------------------------------------------------------


def test_add_permission_grants_a_role_and_a_second_submit_replaces_it(as_user, admin_user):
    member = UserFactory(role=Role.USER)
    user_role = UserRole.objects.get(name=Role.USER)
    file = module("FILE_MANAGEMENT_CRUDL")
    client = as_user(admin_user)
    html = html_of(client.get(f"{ROLES_PAGE}?role={user_role.id}"))
    assert f'name="verbs-{file.id}"' in html

    data = {"action": "add", "role": str(user_role.id), "module": [str(file.id)], f"verbs-{file.id}": ["Read"]}
    response = client.post(ROLES_PAGE, data)
    assert response.status_code == 302
    assert response["Location"] == f"{ROLES_PAGE}?role={user_role.id}"
    assert may(member, "FILE_MANAGEMENT_CRUDL", "Read")
    assert not may(member, "FILE_MANAGEMENT_CRUDL", "Write")

    response = client.post(ROLES_PAGE, {**data, f"verbs-{file.id}": ["Read", "Update"]})
    assert response.status_code == 302
    grants = ModulePermission.objects.filter(role=user_role, module=file)
    assert [(grant.permissions, grant.is_active) for grant in grants] == [(["Read", "Update"], True)]
    assert may(member, "FILE_MANAGEMENT_CRUDL", "Update")


def test_add_permission_refuses_verbs_a_module_does_not_offer(as_user, admin_user):
    user_role = UserRole.objects.get(name=Role.USER)
    password = module("PASSWORD_MANAGEMENT_CRUDL")
    file = module("FILE_MANAGEMENT_CRUDL")
    data = {
        "action": "add",
        "role": str(user_role.id),
        "module": [str(file.id), str(password.id)],
        f"verbs-{file.id}": ["Read"],
        f"verbs-{password.id}": ["Read", "Write"],
    }
    html = html_of(as_user(admin_user).post(ROLES_PAGE, data))
    assert "PASSWORD_MANAGEMENT_CRUDL does not offer Read" in html
    assert not ModulePermission.objects.filter(role=user_role, module=file).exists()
    assert ModulePermission.objects.get(role=user_role, module=password).permissions == ["Write"]


def test_editing_a_role_grant(as_user, admin_user, developer_admin):
    seeded = ModulePermission.objects.get(role__name=Role.ORGANIZATION_ADMIN, module__name="DEVICE_MANAGEMENT_CRUDL")
    client = as_user(admin_user)
    url = f"{ROLES_PAGE}?role={seeded.role_id}&edit={seeded.id}"
    assert 'name="action" value="edit"' in html_of(client.get(url))

    response = client.post(url, {"action": "edit", "permissions": ["Read", "Write"], "active": "1"})
    assert response.status_code == 302
    seeded.refresh_from_db()
    assert (seeded.permissions, seeded.is_active) == (["Read", "Write"], True)
    assert not may(developer_admin, "DEVICE_MANAGEMENT_CRUDL", "Delete")

    response = client.post(url, {"action": "edit", "permissions": ["Read"]})  # "Active" unticked
    assert response.status_code == 302
    seeded.refresh_from_db()
    assert (seeded.permissions, seeded.is_active) == (["Read"], False)
    assert not may(developer_admin, "DEVICE_MANAGEMENT_CRUDL", "Read")


def test_a_malformed_role_in_the_address_is_not_a_server_error(client, admin_user):
    client.raise_request_exception = False
    client.force_login(admin_user)
    # "None" is where editing a grant that has no role redirects to.
    for role in ("abc", "None"):
        assert client.get(ROLES_PAGE, {"role": role}).status_code in (200, 400, 404), role


# --- Api users (admin) ------------------------------------------------------------------------


def test_all_api_users_lists_them_with_their_permission_status(as_user, admin_user, api_user, other_api_user, buyer):
    ApiUser.objects.filter(user=other_api_user).update(permission_status=PermissionStatus.ACTIVE)
    client = as_user(admin_user)
    html = html_of(client.get(API_USERS_PAGE))
    assert api_user.email in html
    assert other_api_user.email in html
    assert buyer.email not in html
    assert f'href="{detail_page(api_user)}">Permissions Status</a>' in html
    assert f'href="{detail_page(other_api_user)}">Permissions Status</a>' in html
    assert "<td>Active</td>" in html
    assert "<td>Request</td>" in html

    html = html_of(client.get(API_USERS_PAGE, {"organizationName": "integrator two"}))
    assert other_api_user.email in html
    assert api_user.email not in html


@pytest.mark.parametrize("query", [{"pageNumber": "abc"}, {"pageNumber": "0"}, {"limit": "-1"}])
def test_bad_paging_of_all_api_users_is_not_a_server_error(client, admin_user, api_user, query):
    client.raise_request_exception = False
    client.force_login(admin_user)
    assert client.get(API_USERS_PAGE, query).status_code in (200, 400)


def test_the_picker_opens_one_api_users_permissions(as_user, admin_user, api_user):
    client = as_user(admin_user)
    name = escape(api_user.get_full_name())
    option = f'<option value="{api_user.id}">{name} — {api_user.email} — Integrator One</option>'
    assert option in html_of(client.get(PICKER_PAGE))
    response = client.get(PICKER_PAGE, {"user": api_user.id})
    assert response.status_code == 302
    assert response["Location"] == detail_page(api_user)


def test_update_status_active_approves_the_api_users_grants(as_user, admin_user, api_user, other_api_user, grant):
    mine = [grant(api_user, "DEVICE_MANAGEMENT_CRUDL", "Read"), grant(api_user, "READS_MANAGEMENT_CRUDL", "Write")]
    theirs = grant(other_api_user, "DEVICE_MANAGEMENT_CRUDL", "Read")
    ModulePermission.objects.filter(pk__in=[g.pk for g in [*mine, theirs]]).update(is_active=False)
    client = as_user(admin_user)

    html = html_of(client.get(detail_page(api_user)))
    assert 'data-module="DEVICE_MANAGEMENT_CRUDL"' in html
    assert 'data-module="READS_MANAGEMENT_CRUDL"' in html
    assert '<span data-testid="permission-status">Request</span>' in html
    # The dialog names the api user by its email and organization, not by an unexplained UUID.
    dialog = html.split('data-testid="verify-api-user"', 1)[1].split("</dl>", 1)[0]
    assert f'<dd class="col-8 text-break">{api_user.email}</dd>' in dialog
    assert "Integrator One" in dialog
    assert "2 modules" in dialog
    assert str(api_user.api_user.api_user_id) not in html

    response = client.post(detail_page(api_user), {"status": "Active"})
    assert response.status_code == 302
    assert response["Location"] == detail_page(api_user)
    assert set(ModulePermission.objects.filter(user=api_user).values_list("is_active", flat=True)) == {True}
    assert ApiUser.objects.get(user=api_user).permission_status == PermissionStatus.ACTIVE
    assert may(api_user, "READS_MANAGEMENT_CRUDL", "Write")
    theirs.refresh_from_db()
    assert not theirs.is_active
    assert '<span data-testid="permission-status">Active</span>' in html_of(client.get(detail_page(api_user)))


def test_update_status_accepts_only_active_or_deactive(as_user, admin_user, api_user, grant):
    waiting = grant(api_user, "DEVICE_MANAGEMENT_CRUDL", "Read")
    waiting.is_active = False
    waiting.save()
    client = as_user(admin_user)
    for status in ("Request", "Inactive"):
        assert client.post(detail_page(api_user), {"status": status}).status_code == 200
    waiting.refresh_from_db()
    assert not waiting.is_active
    assert ApiUser.objects.get(user=api_user).permission_status == PermissionStatus.REQUEST


def test_the_permissions_page_of_a_non_api_user_is_not_found(as_user, admin_user, buyer):
    assert as_user(admin_user).get(detail_page(buyer)).status_code == 404


# --- The api user's own pages -----------------------------------------------------------------


def test_the_request_form_creates_inactive_grants_and_locks_requested_modules(as_user, api_user):
    device, reads = module("DEVICE_MANAGEMENT_CRUDL"), module("READS_MANAGEMENT_CRUDL")
    client = as_user(api_user)
    html = html_of(client.get(REQUEST_FORM))
    assert f'name="module" value="{device.id}"' in html
    assert f'name="verbs-{device.id}" value="Delete"' in html

    data = {
        "module": [str(device.id), str(reads.id)],
        f"verbs-{device.id}": ["Read", "Write"],
        f"verbs-{reads.id}": ["Read"],
    }
    response = client.post(REQUEST_FORM, data)
    assert response.status_code == 302
    assert response["Location"] == MY_PERMISSIONS
    grants = {g.module.name: (g.permissions, g.is_active) for g in ModulePermission.objects.filter(user=api_user)}
    assert grants == {
        "DEVICE_MANAGEMENT_CRUDL": (["Read", "Write"], False),
        "READS_MANAGEMENT_CRUDL": (["Read"], False),
    }
    assert ApiUser.objects.get(user=api_user).permission_status == PermissionStatus.REQUEST

    html = html_of(client.get(REQUEST_FORM))
    assert f'name="module" value="{device.id}"' not in html
    assert f'name="verbs-{device.id}"' not in html
    assert html.count("Already requested (Inactive)") == 2
    assert f'name="module" value="{module("FILE_MANAGEMENT_CRUDL").id}"' in html

    # Asking again for a requested module (a forged form) changes nothing.
    html = html_of(client.post(REQUEST_FORM, {"module": [str(device.id)], f"verbs-{device.id}": ["Delete"]}))
    assert "DEVICE_MANAGEMENT_CRUDL" in html
    assert ModulePermission.objects.get(user=api_user, module=device).permissions == ["Read", "Write"]


def test_a_verb_ticked_asks_for_its_module_without_the_pages_script(as_user, api_user):
    """The script ticks a row's module with its verb; a verb ticked before the script runs (or
    without it) still asks for the module, not "Choose at least one module permission"."""
    device = module("DEVICE_MANAGEMENT_CRUDL")
    response = as_user(api_user).post(REQUEST_FORM, {f"verbs-{device.id}": ["Read"]})
    assert response.status_code == 302
    grant = ModulePermission.objects.get(user=api_user)
    assert (grant.module, grant.permissions, grant.is_active) == (device, ["Read"], False)


def test_the_request_form_refuses_a_module_without_verbs(as_user, api_user):
    device = module("DEVICE_MANAGEMENT_CRUDL")
    html = html_of(as_user(api_user).post(REQUEST_FORM, {"module": [str(device.id)]}))
    assert "<div>DEVICE_MANAGEMENT_CRUDL: choose at least one permission.</div>" in html
    assert not ModulePermission.objects.filter(user=api_user).exists()


def test_my_permissions_lists_and_edits_own_grants(as_user, api_user, grant):
    ApiUser.objects.filter(user=api_user).update(permission_status=PermissionStatus.ACTIVE)
    own = grant(api_user, "DEVICE_MANAGEMENT_CRUDL", "Read", "Write")
    client = as_user(api_user)
    html = html_of(client.get(MY_PERMISSIONS))
    assert 'data-module="DEVICE_MANAGEMENT_CRUDL"' in html
    assert "<td>Read,Write</td>" in html
    assert f'href="?edit={own.id}"' in html

    html = html_of(client.get(MY_PERMISSIONS, {"edit": own.id}))
    assert 'aria-label="Edit module permission"' in html
    response = client.post(f"{MY_PERMISSIONS}?edit={own.id}", {"permissions": ["Read", "Update"]})
    assert response.status_code == 302
    assert response["Location"] == MY_PERMISSIONS
    own.refresh_from_db()
    assert (own.permissions, own.is_active) == (["Read", "Update"], False)
    assert ApiUser.objects.get(user=api_user).permission_status == PermissionStatus.REQUEST
    html = html_of(client.get(MY_PERMISSIONS))
    assert '<span data-testid="permission-status">Request</span>' in html
    assert "<strong>Inactive</strong>" in html


def test_my_permissions_cannot_edit_another_api_users_grant(as_user, api_user, other_api_user, grant):
    theirs = grant(other_api_user, "DEVICE_MANAGEMENT_CRUDL", "Read")
    client = as_user(api_user)
    html = html_of(client.get(MY_PERMISSIONS, {"edit": theirs.id}))
    assert "DEVICE_MANAGEMENT_CRUDL" not in html
    client.post(f"{MY_PERMISSIONS}?edit={theirs.id}", {"permissions": ["Read", "Write", "Update", "Delete"]})
    theirs.refresh_from_db()
    assert (theirs.permissions, theirs.is_active) == (["Read"], True)
    assert ApiUser.objects.get(user=other_api_user).permission_status == PermissionStatus.REQUEST
