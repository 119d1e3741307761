"""Journey: the seed manual's API §6 (invitations) for an api user's managed organizations."""

import pytest
from rest_framework.test import APIClient

from accounts.services import NewAccount, managed_organization_register

pytestmark = pytest.mark.django_db

INVITATION_KEYS = {"createdAt", "updatedAt", "id", "email", "role", "status", "sender"}


def register_managed(api_user, *, email: str, organization_type: str, name: str):
    account = NewAccount(
        first_name="test", last_name="test", email=email, organization_type=organization_type, org_name=name
    )
    return managed_organization_register(
        acting_user=api_user, api_user_id=api_user.api_user.api_user_id, account=account
    ).organization


def test_manual_invitations(api_user, grant, token_for, django_capture_on_commit_callbacks, mailoutbox):
    grant(api_user, "USER_MANAGEMENT_CRUDL", "Write")
    grant(api_user, "INVITATION_MANAGEMENT_CRUDL", "Read", "Write")
    developer = register_managed(api_user, email="dev@example.com", organization_type="Developer", name="Dev 25")
    buyer = register_managed(api_user, email="buy@example.com", organization_type="Buyer", name="Buyer 26")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(api_user)}")

    # 6.1 Invite into the developer organization (twice) and into the buyer organization.
    for email, organization in [
        ("wpt42974@zslsz.com", developer),
        ("oit30026@zbock.com", developer),
        ("vfgyjnvtlulplgrpbj@cazlv.com", buyer),
    ]:
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(
                f"/api/invitation?organizationId={organization.id}",
                {"firstName": "string", "lastName": "string", "email": email, "role": "User"},
                format="json",
            )
        assert response.status_code == 201
        assert response.json() == {"success": True}
        assert mailoutbox[-1].to == [email]

    # 6.2 All invitations of the api user's organizations, newest first, two per page.
    page = api.get("/api/invitation", {"organizationId": "", "pageNumber": 1, "limit": 2}).json()
    assert page["currentPage"] == 1
    assert page["totalPages"] == 2
    assert page["totalCount"] == 3
    assert [item["email"] for item in page["invitations"]] == ["vfgyjnvtlulplgrpbj@cazlv.com", "oit30026@zbock.com"]
    assert set(page["invitations"][0]) >= INVITATION_KEYS
    assert page["invitations"][0]["status"] == "Pending"
    assert page["invitations"][0]["sender"] == api_user.get_full_name()

    # ... of the developer organization, and of the buyer organization.
    page = api.get("/api/invitation", {"organizationId": developer.id, "pageNumber": 1, "limit": 2}).json()
    assert [item["email"] for item in page["invitations"]] == ["oit30026@zbock.com", "wpt42974@zslsz.com"]
    page = api.get("/api/invitation", {"organizationId": buyer.id, "pageNumber": 1, "limit": 2}).json()
    assert page["totalCount"] == 1
    assert page["invitations"][0]["email"] == "vfgyjnvtlulplgrpbj@cazlv.com"
