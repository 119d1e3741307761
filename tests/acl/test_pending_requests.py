"""The super admin's view of waiting permission requests (issue 16 items 10 and 11), through the
Django test client: listed on the ApiUser Permission page without pressing Filter, counted on
the dashboard and as a badge in the menu (one count query per page), and menu labels that say
what they open."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from acl.models import AclModule
from acl.selectors import pending_request_count

pytestmark = pytest.mark.django_db

PICKER_PAGE = "/admin/permission/api_user_role/list"
REQUEST_FORM = "/apiuser/permission/request/form"
MY_PERMISSIONS = "/apiuser/permission/list"


def detail_page(account) -> str:
    return f"/admin/permission/api_user_role/list/{account.id}"


def html_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.fixture
def request_permission(client):
    """``request_permission(api_user, "DEVICE_MANAGEMENT_CRUDL", "Read", ...)`` through the form."""

    def ask(user, module_name: str, *verbs: str) -> None:
        module_id = AclModule.objects.get(name=module_name).id
        client.force_login(user)
        response = client.post(REQUEST_FORM, {"module": [str(module_id)], f"verbs-{module_id}": list(verbs)})
        assert response.status_code == 302
        client.logout()

    return ask


def badge(html: str) -> str | None:
    menu = html.split('aria-label="Main menu"', 1)[1].split("</nav>", 1)[0]
    found = re.search(r'data-testid="menu-badge"[^>]*>(\d+)<', menu)
    return found.group(1) if found else None


def test_the_apiuser_permission_page_lists_waiting_requests_on_a_plain_get(
    client, admin_user, api_user, other_api_user, request_permission
):
    request_permission(api_user, "DEVICE_MANAGEMENT_CRUDL", "Read", "Write")
    client.force_login(admin_user)
    html = html_of(client, PICKER_PAGE)

    table = html.split('data-testid="pending-requests"', 1)[1].split("</table>", 1)[0]
    row = table.split(f'data-email="{api_user.email}"', 1)[1].split("</tr>", 1)[0]
    assert "Integrator One" in row
    assert "<strong>DEVICE_MANAGEMENT_CRUDL</strong>: Read, Write" in row
    assert f'href="{detail_page(api_user)}"' in row
    # Only who waits is listed; the picker starts on the first waiting api user.
    assert other_api_user.email not in table
    assert f'<option value="{api_user.id}" selected>' in html

    # Decided, the request leaves the list.
    client.post(detail_page(api_user), {"status": "Active"})
    html = html_of(client, PICKER_PAGE)
    assert 'data-testid="pending-requests"' not in html
    assert "No permission requests are waiting." in html


def test_an_edited_approved_grant_waits_again(client, admin_user, api_user, request_permission):
    request_permission(api_user, "DEVICE_MANAGEMENT_CRUDL", "Read", "Write")
    client.force_login(admin_user)
    client.post(detail_page(api_user), {"status": "Active"})
    assert pending_request_count() == 0

    client.force_login(api_user)
    grant = api_user.acl_grants.get()
    client.post(f"{MY_PERMISSIONS}?edit={grant.id}", {"permissions": ["Read"]})
    client.force_login(admin_user)
    assert f'data-email="{api_user.email}"' in html_of(client, PICKER_PAGE)


def test_the_dashboard_and_the_menu_badge_count_waiting_api_users_once_per_page(
    client, admin_user, api_user, other_api_user, request_permission
):
    client.force_login(admin_user)
    html = html_of(client, "/dashboard")
    assert "No permission requests are waiting." in html
    assert badge(html) is None

    request_permission(api_user, "DEVICE_MANAGEMENT_CRUDL", "Read")
    request_permission(api_user, "READS_MANAGEMENT_CRUDL", "Read")
    client.force_login(admin_user)
    html = html_of(client, "/dashboard")
    card = html.split('data-testid="pending-requests"', 1)[1].split("</section>", 1)[0]
    assert "<strong>1</strong> api user is waiting for your approval." in card
    assert f'href="{PICKER_PAGE}"' in card
    assert badge(html) == "1"

    request_permission(other_api_user, "DEVICE_MANAGEMENT_CRUDL", "Read")
    client.force_login(admin_user)
    with CaptureQueriesContext(connection) as queries:
        html = html_of(client, "/dashboard")
    assert "<strong>2</strong> api users are waiting for your approval." in html
    assert badge(html) == "2"
    # The badge sits on the item that leads to the requests, read out with its meaning.
    link = re.search(rf'<a [^>]*href="{PICKER_PAGE}"[^>]*>(.*?)</a>', html, re.S)
    assert link is not None
    assert 'aria-describedby="menu-badge-' in link.group(0)
    assert "2 api users waiting for approval" in link.group(1)
    counted = [q["sql"] for q in queries.captured_queries if "permission_status" in q["sql"] and "COUNT(" in q["sql"]]
    assert len(counted) == 1, counted

    # Other pages carry the badge too.
    assert badge(html_of(client, PICKER_PAGE)) == "2"


@pytest.mark.parametrize("persona_name", ["api_user", "developer_admin", "buyer"])
def test_no_one_else_sees_the_badge_or_the_count(request, client, api_user, request_permission, persona_name):
    request_permission(api_user, "DEVICE_MANAGEMENT_CRUDL", "Read")
    client.force_login(request.getfixturevalue(persona_name))
    with CaptureQueriesContext(connection) as queries:
        html = html_of(client, "/dashboard")
    assert badge(html) is None
    assert 'data-testid="pending-requests"' not in html
    assert not [q for q in queries.captured_queries if "permission_status" in q["sql"] and "COUNT(" in q["sql"]]


# --- Labels that say what they open (item 11) -----------------------------------------------------


def who_role(html: str) -> str:
    return re.search(r'data-testid="who-role">([^<]*)<', html).group(1)


def test_the_who_box_names_roles_in_peoples_words(client, admin_user, api_user, developer_admin, buyer):
    expected = {
        admin_user: "Super admin",
        api_user: "API user",
        developer_admin: "Developer organization admin",
        buyer: "Buyer",
    }
    for user, label in expected.items():
        client.force_login(user)
        html = html_of(client, "/dashboard")
        assert who_role(html) == label
        assert "OrganizationAdmin" not in who_role(html)


def test_the_developers_menu_says_it_is_for_software_developers(client, developer_admin):
    client.force_login(developer_admin)
    menu = html_of(client, "/dashboard").split('aria-label="Main menu"', 1)[1].split("</nav>", 1)[0]
    assert "For software developers</summary>" in menu
    assert ">Developers</summary>" not in menu


@pytest.mark.parametrize(
    ("persona_name", "url"), [("admin_user", "/admin/add_user"), ("api_user", "/apiuser/add_user")]
)
def test_add_organization_opens_a_page_of_the_same_name(request, client, grant, persona_name, url):
    user = request.getfixturevalue(persona_name)
    if persona_name == "api_user":
        grant(user, "ORGANIZATION_MANAGEMENT_CRUDL", "Read")
        grant(user, "USER_MANAGEMENT_CRUDL", "Write")
    client.force_login(user)
    html = html_of(client, url)
    assert re.search(rf'href="{url}"[^>]*>\s*Add Organization<', html)
    assert '<h1 class="h3 mb-1">Add Organization</h1>' in html
    assert "Add New User" not in html
