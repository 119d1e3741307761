"""Who may use which organization, member and invitation endpoint (SPEC §2, §4; backend.md
§15.2 item 17): ACL module grants decide the verb, tenancy decides the objects, and an
object outside the caller's tenant answers 404 as if it did not exist."""

import pytest

from accounts.models import User
from acl.models import ModulePermission
from organizations.models import Invitation, Organization
from tests.organizations.helpers import assert_error

pytestmark = pytest.mark.django_db

MEMBER_BODY = {"firstName": "Changed", "lastName": "Name", "email": "changed@example.com", "status": "Active"}
NEW_ORGANIZATION_BODY = {
    "firstName": "Nia",
    "lastName": "Mwangi",
    "email": "nia@example.com",
    "organizationType": "Developer",
    "orgName": "Mwangi Solar",
}


def invite_body(email: str = "newcomer@example.com") -> dict:
    return {"firstName": "New", "lastName": "Comer", "email": email, "role": "User"}


# Every endpoint of organizations, members and invitations, aimed at the api user's
# managed organization and its administrator.
ENDPOINTS = [
    pytest.param("get", "/api/Organization/me", None, id="GET Organization/me"),
    pytest.param("get", "/api/Organization/users", None, id="GET Organization/users"),
    pytest.param("get", "/api/Organization/apiuser/all_organization", None, id="GET all_organization"),
    pytest.param("get", "/api/Organization/{managed}", None, id="GET Organization/{id}"),
    pytest.param("delete", "/api/Organization/user/{managed_admin}", None, id="DELETE Organization/user/{id}"),
    pytest.param("get", "/api/admin/organizations", None, id="GET admin/organizations"),
    pytest.param("get", "/api/admin/users", None, id="GET admin/users"),
    pytest.param("get", "/api/admin/organizations/user/{managed}", None, id="GET admin/organizations/user/{id}"),
    pytest.param("get", "/api/admin/organizations/{managed}", None, id="GET admin/organizations/{id}"),
    pytest.param("patch", "/api/admin/organizations/{managed}", {"city": "Mombasa"}, id="PATCH admin/organizations"),
    pytest.param("delete", "/api/admin/organizations/{managed}", None, id="DELETE admin/organizations/{id}"),
    pytest.param("post", "/api/admin/users", NEW_ORGANIZATION_BODY, id="POST admin/users"),
    pytest.param("put", "/api/admin/users/{managed_admin}", MEMBER_BODY, id="PUT admin/users/{id}"),
    pytest.param("delete", "/api/admin/user/{managed_admin}", None, id="DELETE admin/user/{id}"),
    pytest.param("get", "/api/invitation?organizationId={managed}", None, id="GET invitation"),
    pytest.param("post", "/api/invitation?organizationId={managed}", invite_body(), id="POST invitation"),
]


def call(client, method: str, url: str, body: dict | None):
    return getattr(client, method)(url, body, format="json") if body is not None else getattr(client, method)(url)


def snapshot() -> dict:
    """What a refused request must leave untouched."""
    return {
        "users": sorted(User.objects.values_list("id", "email", "first_name", "status")),
        "organizations": sorted(Organization.objects.values_list("id", "name", "city")),
        "invitations": sorted(Invitation.objects.values_list("id", "email", "status")),
    }


# --- Anonymous and callers without the module grant -------------------------------------


@pytest.mark.parametrize(("method", "url", "body"), ENDPOINTS)
def test_anonymous_gets_401(api_client, tenants, method, url, body):
    before = snapshot()

    response = call(api_client, method, url.format(**tenants.ids()), body)

    assert_error(response, 401)
    assert snapshot() == before


@pytest.mark.parametrize(("method", "url", "body"), ENDPOINTS)
def test_an_api_user_whose_grants_are_not_approved_gets_403(client_for, tenants, method, url, body):
    ModulePermission.objects.filter(user=tenants.api_user).update(is_active=False)
    before = snapshot()

    response = call(client_for(tenants.api_user), method, url.format(**tenants.ids()), body)

    assert assert_error(response, 403)["message"] == "Forbidden resource"
    assert snapshot() == before


# (persona, method, url, body): the persona's role (and for api users its approved grants)
# lacks the module verb the endpoint declares.
WITHOUT_GRANT = [
    ("developer_admin", "get", "/api/admin/organizations", None),
    ("developer_admin", "get", "/api/admin/users", None),
    ("developer_admin", "post", "/api/admin/users", NEW_ORGANIZATION_BODY),
    ("developer_admin", "get", "/api/admin/organizations/{developer_org}", None),
    ("developer_admin", "patch", "/api/admin/organizations/{developer_org}", {"city": "Kisumu"}),
    ("developer_admin", "delete", "/api/admin/organizations/{developer_org}", None),
    ("developer_admin", "delete", "/api/admin/user/{device_owner}", None),
    ("developer_admin", "get", "/api/admin/organizations/user/{developer_org}", None),
    ("developer_admin", "put", "/api/admin/users/{device_owner}", MEMBER_BODY),
    ("buyer", "get", "/api/admin/organizations/user/{buyer_org}", None),
    ("buyer", "put", "/api/admin/users/{sub_buyer}", MEMBER_BODY),
    ("device_owner", "delete", "/api/Organization/user/{reader}", None),
    ("sub_buyer", "delete", "/api/Organization/user/{buyer_reader}", None),
    ("reader", "delete", "/api/Organization/user/{device_owner}", None),
    ("reader", "get", "/api/invitation", None),
    ("reader", "post", "/api/invitation", invite_body()),
    ("buyer_reader", "post", "/api/invitation", invite_body()),
    ("api_user", "get", "/api/admin/organizations", None),
    ("api_user", "get", "/api/admin/users", None),
    ("api_user", "get", "/api/admin/organizations/{managed}", None),
    ("api_user", "patch", "/api/admin/organizations/{managed}", {"city": "Kisumu"}),
    ("api_user", "delete", "/api/admin/organizations/{managed}", None),
    ("api_user", "post", "/api/admin/users", NEW_ORGANIZATION_BODY),
    ("api_user", "delete", "/api/admin/user/{managed_admin}", None),
]


@pytest.mark.parametrize(("persona", "method", "url", "body"), WITHOUT_GRANT)
def test_a_role_without_the_module_grant_gets_403(client_for, tenants, persona, method, url, body):
    before = snapshot()

    response = call(client_for(getattr(tenants, persona)), method, url.format(**tenants.ids()), body)

    assert assert_error(response, 403)["message"] == "Forbidden resource"
    assert snapshot() == before


# --- Tenancy: outsiders get 404, owners get through --------------------------------------

# (method, url, body, status the owner gets); {org} and {member} are the target's.
TENANT_SCOPED = [
    pytest.param("get", "/api/Organization/{org}", None, 200, id="GET Organization/{id}"),
    pytest.param("get", "/api/admin/organizations/user/{org}", None, 200, id="GET admin/organizations/user/{id}"),
    pytest.param("put", "/api/admin/users/{member}", MEMBER_BODY, 200, id="PUT admin/users/{id}"),
    pytest.param("delete", "/api/Organization/user/{member}", None, 200, id="DELETE Organization/user/{id}"),
    pytest.param("get", "/api/invitation?organizationId={org}", None, 200, id="GET invitation"),
    pytest.param("post", "/api/invitation?organizationId={org}", invite_body(), 201, id="POST invitation"),
]
# (outsider, owner, target organization, target member). Each persona holds the grants
# of every endpoint above, so only tenancy can stop the outsider.
TARGETS = [
    pytest.param("other_api_user", "api_user", "managed", "managed_admin", id="other-tenant-api-user"),
    pytest.param("api_user", "other_api_user", "other_managed", "other_managed_admin", id="api-user-vs-other"),
    pytest.param("developer_admin", "api_user", "managed", "managed_admin", id="developer-admin-vs-managed"),
    pytest.param("developer_admin", "buyer", "buyer_org", "buyer_reader", id="developer-admin-vs-buyer-org"),
    pytest.param("buyer", "developer_admin", "developer_org", "device_owner", id="buyer-vs-developer-org"),
]


@pytest.mark.parametrize(("outsider", "owner", "org", "member"), TARGETS)
@pytest.mark.parametrize(("method", "url", "body", "owner_status"), TENANT_SCOPED)
def test_objects_of_another_tenant_answer_404(
    client_for, grant, tenants, outsider, owner, org, member, method, url, body, owner_status
):
    for direct in (tenants.developer_admin, tenants.buyer):
        grant(direct, "ADMIN_APIUSER_ORGANIZATION_CRUDL", "Read", "Write")
    url = url.format(org=getattr(tenants, org).pk, member=getattr(tenants, member).pk)
    before = snapshot()

    refused = call(client_for(getattr(tenants, outsider)), method, url, body)

    assert_error(refused, 404)
    assert snapshot() == before
    # The same request by the organization's own side goes through: the 404 was tenancy.
    allowed = call(client_for(getattr(tenants, owner)), method, url, body)
    assert allowed.status_code == owner_status, allowed.content


def test_an_outsider_cannot_tell_a_foreign_organization_from_a_missing_one(client_for, tenants):
    client = client_for(tenants.other_api_user)
    missing = Organization.objects.order_by("-id").first().pk + 1000

    foreign = client.get(f"/api/Organization/{tenants.managed.pk}")
    absent = client.get(f"/api/Organization/{missing}")

    assert foreign.status_code == absent.status_code == 404
    assert foreign.json()["message"].replace(str(tenants.managed.pk), "") == absent.json()["message"].replace(
        str(missing), ""
    )


# --- What each side sees in the lists ---------------------------------------------------


def emails(response, key: str = "users") -> set[str]:
    assert response.status_code == 200, response.content
    return {row["email"] for row in response.json()[key]}


def names(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["name"] for row in response.json()["organizations"]}


def test_the_admin_sees_every_organization_member_and_invitation(client_for, admin_user, tenants):
    client = client_for(admin_user)
    organizations = client.get("/api/admin/organizations", {"limit": 1000})
    assert names(organizations) == set(Organization.objects.values_list("name", flat=True))
    assert organizations.json()["totalCount"] == Organization.objects.count()

    for organization in (tenants.managed, tenants.other_managed, tenants.developer_org, tenants.buyer_org):
        assert client.get(f"/api/Organization/{organization.pk}").json()["id"] == organization.pk
        members = client.get(f"/api/admin/organizations/user/{organization.pk}")
        assert emails(members) == set(organization.users.values_list("email", flat=True))
    assert tenants.invitation.email in emails(client.get("/api/invitation"), "invitations")
    everyone_but_api_users = set(User.objects.exclude(role="ApiUser").values_list("email", flat=True))
    assert emails(client.get("/api/admin/users", {"limit": 1000})) == everyone_but_api_users


def test_a_developer_admin_sees_only_its_own_organization_and_members(client_for, tenants):
    Invitation.objects.create(organization=tenants.developer_org, email="mine@example.com", role="User")
    client = client_for(tenants.developer_admin)

    assert emails(client.get("/api/Organization/users")) == {
        "devadmin@example.com",
        "owner@example.com",
        "reader@example.com",
    }
    assert names(client.get("/api/Organization/apiuser/all_organization")) == {"Sunny Developers"}
    assert emails(client.get("/api/invitation"), "invitations") == {"mine@example.com"}
    assert client.get("/api/Organization/me").json()["id"] == tenants.developer_org.pk


def test_an_api_user_sees_only_the_members_and_invitations_of_its_tenant(client_for, tenants):
    Invitation.objects.create(organization=tenants.other_managed, email="theirs@example.com", role="User")
    client = client_for(tenants.api_user)

    assert emails(client.get("/api/Organization/users")) == {"sunrise@example.com", "moonlight@example.com"}
    assert names(client.get("/api/Organization/apiuser/all_organization")) == {"Sunrise Homes", "Moonlight Buyers"}
    assert emails(client.get("/api/invitation"), "invitations") == {"invitee@example.com"}
    other = client_for(tenants.other_api_user)
    assert emails(other.get("/api/Organization/users")) == {"far@example.com"}
    assert emails(other.get("/api/invitation"), "invitations") == {"theirs@example.com"}
