"""The super admin's back office (/django-admin/) in Chromium: role grants with verbs as
checkboxes and the module's own check, an api user's request approved with the action
dropdown, an edited api-user grant waiting for approval again, and a revoked key whose
access tokens stop working. The same behaviours through Django's test client are in
tests/acl/test_admin_back_office.py."""

from django.conf import settings
from playwright.sync_api import expect

from accounts.models import ApiUser, PermissionStatus, Role, TokenKind
from accounts.services import access_token_issue, api_user_key_generate
from acl.models import AclModule, ApiUserGrant, RoleGrant
from acl.selectors import may
from acl.services import RequestedGrant, api_user_permission_request

LOGS = "CERTIFICATE_LOG_MANAGEMENT_CRUDL"  # offers Read only
DEVICES = "DEVICE_MANAGEMENT_CRUDL"


def sign_in(page) -> None:
    """The super admin signs in on Django admin's own login page."""
    page.goto("/django-admin/login/?next=/django-admin/")
    page.locator("input[name=username]").fill(settings.DREC_ADMIN_EMAIL)
    page.locator("input[name=password]").fill(settings.DREC_ADMIN_PASSWORD)
    page.locator("input[type=submit]").click()
    expect(page.locator("#site-name")).to_contain_text("D-REC back office")
    expect(page.locator("#user-tools")).to_be_visible()


def run_action(page, pk: int, label: str) -> None:
    """Tick record ``pk`` on a changelist, choose the action ``label`` and press Go."""
    page.locator(f"input[name=_selected_action][value='{pk}']").check()
    page.locator("select[name=action]").select_option(label=label)
    page.locator("button[name=index]").click()


def me_status(browser, live_server, token: str) -> int:
    """GET /api/user/me with the bearer token only, from a context of its own: the page's
    cookies would send the admin's session, which the API also accepts."""
    context = browser.new_context(base_url=live_server.url)
    try:
        return context.request.get("/api/user/me", headers={"Authorization": f"Bearer {token}"}).status
    finally:
        context.close()


def grant_form(page, role: str, module: str, verbs: tuple[str, ...]) -> None:
    page.goto("/django-admin/acl/rolegrant/add/")
    page.locator("select[name=role]").select_option(label=role)
    page.locator("select[name=module]").select_option(label=module)
    expect(page.get_by_label("Is active")).to_be_checked()  # a new role grant is active, as by the API
    for verb in verbs:
        page.locator(f"input[name=permissions][value={verb}]").check()
    page.locator("input[name=_save]").click()


def test_a_role_is_granted_a_modules_verbs_with_checkboxes(page, buyer):
    RoleGrant.objects.filter(role__name=Role.BUYER, module__name=LOGS).delete()
    assert not may(buyer, LOGS, "Read")
    sign_in(page)

    grant_form(page, Role.BUYER, LOGS, ("Read",))

    expect(page.locator("ul.messagelist li.success")).to_contain_text("was added successfully")
    grant = RoleGrant.objects.get(role__name=Role.BUYER, module__name=LOGS)
    assert (grant.permissions, grant.is_active) == (["Read"], True)
    assert may(buyer, LOGS, "Read")


def test_a_verb_the_module_does_not_offer_is_refused_on_the_field(page, live_server):
    RoleGrant.objects.filter(role__name=Role.BUYER, module__name=LOGS).delete()
    sign_in(page)

    grant_form(page, Role.BUYER, LOGS, ("Read", "Delete"))

    expect(page.locator(".field-permissions ul.errorlist")).to_have_text(f"Not offered by {LOGS}: Delete.")
    expect(page).to_have_url(f"{live_server.url}/django-admin/acl/rolegrant/add/")
    assert not RoleGrant.objects.filter(role__name=Role.BUYER, module__name=LOGS).exists()


def test_an_api_users_request_is_approved_with_the_action(page, api_user):
    devices = AclModule.objects.get(name=DEVICES)
    (requested,) = api_user_permission_request(user=api_user, items=[RequestedGrant(devices.pk, ["Read"])])
    record = ApiUser.objects.get(user=api_user)
    assert (record.permission_status, requested.is_active) == (PermissionStatus.REQUEST, False)
    sign_in(page)
    page.goto("/django-admin/accounts/apiuser/")

    run_action(page, record.pk, "Approve their permission requests (Active)")

    expect(page.locator("ul.messagelist")).to_contain_text("1 api user(s) set to Active.")
    record.refresh_from_db()
    requested.refresh_from_db()
    assert (record.permission_status, requested.is_active) == (PermissionStatus.ACTIVE, True)
    assert may(api_user, DEVICES, "Read")


def test_an_edited_api_user_grant_goes_inactive_until_approved(page, api_user, grant):
    ApiUser.objects.filter(user=api_user).update(permission_status=PermissionStatus.ACTIVE)
    own = grant(api_user, DEVICES, "Read")
    sign_in(page)
    page.goto("/django-admin/acl/apiusergrant/")

    row = page.locator("#result_list tbody tr", has_text=api_user.email)
    row.locator("th a").click()
    page.locator("input[name=permissions][value=Write]").check()
    page.locator("input[name=_save]").click()

    expect(page.locator("ul.messagelist li.success")).to_contain_text("was changed successfully")
    own.refresh_from_db()
    assert (own.permissions, own.is_active) == (["Read", "Write"], False)
    assert ApiUser.objects.get(user=api_user).permission_status == PermissionStatus.REQUEST
    assert ApiUserGrant.objects.filter(user=api_user).count() == 1
    row = page.locator("#result_list tbody tr", has_text=api_user.email)
    expect(row.locator("td.field-verbs")).to_have_text("Read, Write")
    expect(row.locator("td.field-is_active img")).to_have_attribute("alt", "False")
    expect(row.locator("td.field-request_status")).to_have_text(PermissionStatus.REQUEST)


def test_revoking_a_key_stops_its_access_tokens(page, browser, live_server, api_user):
    key, _private = api_user_key_generate(api_user=ApiUser.objects.get(user=api_user))
    token, _lifetime = access_token_issue(user=api_user, kind=TokenKind.CLIENT, key=key)
    assert me_status(browser, live_server, token) == 200
    sign_in(page)
    page.goto("/django-admin/accounts/apiuserkey/")

    run_action(page, key.pk, "Revoke the keys and every access token minted with them")

    expect(page.locator("ul.messagelist")).to_contain_text("1 key(s) revoked, with their access tokens.")
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert me_status(browser, live_server, token) == 401
