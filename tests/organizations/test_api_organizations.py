"""Organization endpoints (backend.md §5.1): response shapes, lists and their filters, and
the rules of removing a member (DELETE Organization/user/{id})."""

import pytest

from accounts.models import Role, User
from organizations.models import Invitation, OrganizationType
from tests.factories import OrganizationFactory, UserFactory
from tests.organizations.helpers import (
    ORGANIZATION_KEYS,
    PAGE_KEYS,
    assert_error,
    managed_create,
    member_create,
)

pytestmark = pytest.mark.django_db

MEMBER_KEYS = {"createdAt", "updatedAt", "id", "firstName", "lastName", "email", "status", "role", "organization"}
INVITATION_KEYS = {
    "createdAt",
    "updatedAt",
    "id",
    "email",
    "firstName",
    "lastName",
    "role",
    "status",
    "sender",
    "organizationId",
}


# --- Shapes -----------------------------------------------------------------------------


def test_my_organization_has_the_original_keys_with_members_and_invitations(client_for, developer_admin, device_owner):
    organization = developer_admin.organization
    Invitation.objects.create(organization=organization, email="pending@example.com", role=Role.USER, sender="Dev")

    response = client_for(developer_admin).get("/api/Organization/me")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == ORGANIZATION_KEYS | {"users", "invitations"}
    assert body["id"] == organization.pk
    assert body["name"] == "Sunny Developers"
    assert body["organizationType"] == "Developer"
    assert body["status"] == "Active"
    assert body["orgEmail"] == organization.org_email
    assert body["api_user_id"] is None  # registered directly
    assert body["zipCode"] is None
    assert body["city"] is None
    assert body["country"] is None
    assert {user["email"] for user in body["users"]} == {"devadmin@example.com", "owner@example.com"}
    assert all(set(user) == MEMBER_KEYS for user in body["users"])
    assert body["users"][0]["organization"] == {
        "id": organization.pk,
        "name": "Sunny Developers",
        "organizationType": "Developer",
    }
    [invitation] = body["invitations"]
    assert set(invitation) == INVITATION_KEYS
    assert invitation["email"] == "pending@example.com"
    assert invitation["status"] == "Pending"


def test_a_managed_organization_names_its_api_user(client_for, api_user, grant):
    grant(api_user, "ORGANIZATION_MANAGEMENT_CRUDL", "Read")
    organization, member = managed_create(api_user, name="Sunrise Homes", email="sunrise@example.com")

    response = client_for(api_user).get(f"/api/Organization/{organization.pk}")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == ORGANIZATION_KEYS | {"users", "invitations"}
    assert body["api_user_id"] == str(api_user.api_user.api_user_id)
    assert [user["email"] for user in body["users"]] == [member.email]
    assert body["invitations"] == []


def test_an_unknown_organization_is_404(client_for, admin_user):
    assert_error(client_for(admin_user).get("/api/Organization/999999"), 404)


def test_a_user_without_organization_gets_404_from_me(client_for):
    loner = UserFactory(email="loner@example.com", role=Role.USER, organization=None)

    assert_error(client_for(loner).get("/api/Organization/me"), 404)


# --- The api user's organizations -------------------------------------------------------


@pytest.fixture
def portfolio(api_user, other_api_user, grant):
    """Three organizations managed by the api user, one by another, and a direct one."""
    grant(api_user, "ORGANIZATION_MANAGEMENT_CRUDL", "Read")
    grant(other_api_user, "ORGANIZATION_MANAGEMENT_CRUDL", "Read")
    managed_create(api_user, name="Sunrise Homes", email="a@example.com")
    managed_create(api_user, name="Moonlight Buyers", organization_type=OrganizationType.BUYER, email="b@example.com")
    managed_create(api_user, name="Sunset Grid", email="c@example.com")
    managed_create(other_api_user, name="Sunbelt Power", email="d@example.com")
    OrganizationFactory(name="Sunny Direct", organization_type=OrganizationType.DEVELOPER)
    return api_user


def test_all_organization_lists_only_the_api_users_managed_organizations(client_for, portfolio):
    response = client_for(portfolio).get("/api/Organization/apiuser/all_organization")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"organizations"} | PAGE_KEYS
    # Ordered by name; its own ApiUser organization, other tenants' and direct ones are not there.
    assert [row["name"] for row in body["organizations"]] == ["Moonlight Buyers", "Sunrise Homes", "Sunset Grid"]
    assert (body["currentPage"], body["totalPages"], body["totalCount"]) == (1, 1, 3)
    for row in body["organizations"]:
        assert set(row) == ORGANIZATION_KEYS | {"users"}
        assert row["api_user_id"] == str(portfolio.api_user.api_user_id)
        assert row["organizationType"] in ("Developer", "Buyer")
        assert len(row["users"]) == 1


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("SUN", ["Sunrise Homes", "Sunset Grid"]),
        ("set g", ["Sunset Grid"]),
        ("light", ["Moonlight Buyers"]),
        ("Sunbelt", []),  # another tenant's
        ("Integrator", []),  # its own ApiUser organization
    ],
)
def test_all_organization_filters_by_a_case_insensitive_part_of_the_name(client_for, portfolio, name, expected):
    response = client_for(portfolio).get("/api/Organization/apiuser/all_organization", {"organizationName": name})

    assert [row["name"] for row in response.json()["organizations"]] == expected
    assert response.json()["totalCount"] == len(expected)


def test_all_organization_pages(client_for, portfolio):
    client = client_for(portfolio)

    second = client.get("/api/Organization/apiuser/all_organization", {"pageNumber": 2, "limit": 2}).json()
    alias = client.get("/api/Organization/apiuser/all_organization", {"pagenumber": 2, "limit": 2}).json()

    assert [row["name"] for row in second["organizations"]] == ["Sunset Grid"]
    assert (second["currentPage"], second["totalPages"], second["totalCount"]) == (2, 2, 3)
    assert alias == second


def test_organization_users_is_a_page_of_members(client_for, developer_admin, device_owner):
    for number in range(3):
        member_create(developer_admin.organization, email=f"member{number}@example.com", role=Role.USER)

    response = client_for(developer_admin).get("/api/Organization/users", {"pageNumber": 2, "limit": 2})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"users"} | PAGE_KEYS
    assert (body["currentPage"], body["totalPages"], body["totalCount"]) == (2, 3, 5)
    assert len(body["users"]) == 2
    assert all(set(user) == MEMBER_KEYS for user in body["users"])


def test_admin_organizations_filters_by_name_and_type(client_for, admin_user, portfolio):
    client = client_for(admin_user)

    by_name = client.get("/api/admin/organizations", {"organizationName": "sun"}).json()
    by_type = client.get("/api/admin/organizations", {"organizationName": "sun", "organizationType": "Developer"})

    assert set(by_name) == {"organizations"} | PAGE_KEYS
    assert [row["name"] for row in by_name["organizations"]] == [
        "Sunbelt Power",
        "Sunny Direct",
        "Sunrise Homes",
        "Sunset Grid",
    ]
    assert all(set(row) == ORGANIZATION_KEYS | {"users"} for row in by_name["organizations"])
    assert [row["name"] for row in by_type.json()["organizations"]] == [
        "Sunbelt Power",
        "Sunny Direct",
        "Sunrise Homes",
        "Sunset Grid",
    ]
    buyers = client.get("/api/admin/organizations", {"organizationType": "Buyer"}).json()
    assert [row["name"] for row in buyers["organizations"]] == ["Moonlight Buyers"]


def test_admin_users_filters_by_status_and_rejects_an_unknown_status(client_for, admin_user, device_owner):
    device_owner.status = "Suspended"
    device_owner.save()
    client = client_for(admin_user)

    suspended = client.get("/api/admin/users", {"status": "Suspended"}).json()

    assert [row["email"] for row in suspended["users"]] == ["owner@example.com"]
    assert_error(client.get("/api/admin/users", {"status": "Sleeping"}), 400, "status")


# --- Removing a member ------------------------------------------------------------------


def remove(client, member):
    return client.delete(f"/api/Organization/user/{member.pk}")


def test_an_organization_admin_removes_a_device_owner(client_for, developer_admin, device_owner):
    Invitation.objects.create(
        organization=developer_admin.organization, email=device_owner.email, role=Role.DEVICE_OWNER, status="Accepted"
    )

    response = remove(client_for(developer_admin), device_owner)

    assert response.status_code == 200
    assert response.json() == {"success": True}
    assert not User.objects.filter(pk=device_owner.pk).exists()
    assert not Invitation.objects.filter(email=device_owner.email).exists()
    assert User.objects.filter(pk=developer_admin.pk).exists()


def test_nobody_removes_themselves(client_for, developer_admin):
    assert_error(remove(client_for(developer_admin), developer_admin), 409)
    assert User.objects.filter(pk=developer_admin.pk).exists()


def test_a_member_of_another_organization_is_404(client_for, developer_admin, sub_buyer):
    assert_error(remove(client_for(developer_admin), sub_buyer), 404)
    assert User.objects.filter(pk=sub_buyer.pk).exists()


def test_a_device_owner_may_not_remove_members(client_for, developer_admin, device_owner):
    colleague = member_create(developer_admin.organization, email="colleague@example.com", role=Role.USER)

    response = remove(client_for(device_owner), colleague)

    assert assert_error(response, 403)["message"] == "Forbidden resource"
    assert User.objects.filter(pk=colleague.pk).exists()


@pytest.mark.parametrize(
    ("organization_type", "admin_role"),
    [(OrganizationType.DEVELOPER, Role.ORGANIZATION_ADMIN), (OrganizationType.BUYER, Role.BUYER)],
)
def test_only_the_admin_or_the_api_user_removes_an_organizations_administrator(
    client_for, admin_user, api_user, grant, organization_type, admin_role
):
    grant(api_user, "ORGANIZATION_MANAGEMENT_CRUDL", "Read", "Delete")
    organization, first_admin = managed_create(
        api_user, name="Sunrise Homes", organization_type=organization_type, email="first@example.com"
    )
    second_admin = member_create(organization, email="second@example.com", role=admin_role)
    third_admin = member_create(organization, email="third@example.com", role=admin_role)

    refused = remove(client_for(second_admin), first_admin)

    assert_error(refused, 401)  # a managed organization's members do not use the API (SPEC §2)
    assert User.objects.filter(pk=first_admin.pk).exists()
    assert remove(client_for(api_user), first_admin).status_code == 200
    assert remove(client_for(admin_user), second_admin).status_code == 200
    assert list(organization.users.all()) == [third_admin]


def test_api_users_and_the_admin_cannot_be_removed_this_way(client_for, admin_user, api_user):
    response = remove(client_for(admin_user), api_user)

    assert_error(response, 403)
    assert User.objects.filter(pk=api_user.pk).exists()
