"""Listing organizations costs a fixed number of SQL queries, however many there are and
whichever page is asked for (no query per organization or per member)."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role, User, UserStatus
from organizations.models import Organization, OrganizationType, OrganizationUserObjectPermission

pytestmark = pytest.mark.django_db

SIZE = 1000
# (pageNumber, limit): first, middle and last pages, small and large, each with rows (a page
# past the end is allowed to skip the row queries).
PAGES = [(1, 5), (1, 20), (7, 20), (50, 20), (3, 300), (1, 1000), (2, 999)]
# The access check, the count, the page of organizations and their members (with slack).
MAX_QUERIES = 6


@pytest.fixture
def thousand_organizations(api_user, grant):
    """1,000 Developer/Buyer organizations managed by the api user, each with one member."""
    grant(api_user, "ORGANIZATION_MANAGEMENT_CRUDL", "Read")
    organizations = Organization.objects.bulk_create(
        Organization(
            name=f"Bulk Solar {number:04d}",
            organization_type=OrganizationType.BUYER if number % 3 == 0 else OrganizationType.DEVELOPER,
            org_email=f"bulk{number}@example.com",
            api_user=api_user.api_user,
        )
        for number in range(SIZE)
    )
    User.objects.bulk_create(
        User(
            email=f"bulk{number}@example.com",
            role=Role.BUYER if organization.organization_type == OrganizationType.BUYER else Role.ORGANIZATION_ADMIN,
            status=UserStatus.ACTIVE,
            organization=organization,
            password="!",  # unusable: members of managed organizations do not sign in
        )
        for number, organization in enumerate(organizations)
    )
    view = Permission.objects.get(codename="view_organization", content_type__app_label="organizations")
    OrganizationUserObjectPermission.objects.bulk_create(
        OrganizationUserObjectPermission(user=api_user, content_object=organization, permission=view)
        for organization in organizations
    )
    return organizations


def query_counts(client, url: str) -> dict[tuple[int, int], int]:
    # One request first: process-wide caches (content types, the URL resolver) are then warm,
    # as they are in a running server.
    assert client.get(url, {"limit": 1}).status_code == 200
    counts = {}
    for number, limit in PAGES:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, {"pageNumber": number, "limit": limit})
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["totalCount"] >= SIZE
        expected_rows = min(limit, body["totalCount"] - (number - 1) * limit)
        assert expected_rows > 0
        assert len(body["organizations"]) == expected_rows
        assert all(len(row["users"]) == 1 for row in body["organizations"] if row["name"].startswith("Bulk"))
        counts[(number, limit)] = len(queries)
    return counts


def test_the_api_users_organization_list_takes_constant_queries(client_for, api_user, thousand_organizations):
    counts = query_counts(client_for(api_user), "/api/Organization/apiuser/all_organization")

    # The same for every page; a last page that is not full knows the total without the count.
    assert max(counts.values()) - min(counts.values()) <= 1, counts
    assert counts[(50, 20)] == counts[(1, 5)], counts
    assert max(counts.values()) <= MAX_QUERIES, counts


def test_the_admins_organization_list_takes_constant_queries(client_for, admin_user, thousand_organizations):
    counts = query_counts(client_for(admin_user), "/api/admin/organizations")

    # The same for every page; a last page that is not full knows the total without the count.
    assert max(counts.values()) - min(counts.values()) <= 1, counts
    assert counts[(50, 20)] == counts[(1, 5)], counts
    assert max(counts.values()) <= MAX_QUERIES, counts


def test_a_whole_page_of_a_thousand_stays_within_the_bound(
    client_for, api_user, thousand_organizations, django_assert_max_num_queries
):
    client = client_for(api_user)
    client.get("/api/Organization/apiuser/all_organization", {"limit": 1})

    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get("/api/Organization/apiuser/all_organization", {"limit": 1000})

    assert response.json()["totalCount"] == SIZE
    assert len(response.json()["organizations"]) == SIZE
