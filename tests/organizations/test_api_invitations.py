"""Invitations (SPEC §2, backend.md §6 without its REF-BUGs): who may invite whom into which
organization, the e-mailed single-use link, and accepting or declining it."""

import time
from unittest import mock

import pytest
from django.conf import settings

from accounts.models import Role, User
from organizations.models import Invitation, OrganizationType
from tests.organizations.helpers import (
    STRONG_PASSWORD,
    assert_error,
    invitation_link,
    login,
    managed_create,
    mentions_a_password,
)

pytestmark = pytest.mark.django_db

INVITEE = "amina.yusuf@example.org"


@pytest.fixture
def invite(client_for, committed):
    """``invite(user, role, organization_id=None, email=INVITEE)``: POST /api/invitation with
    the e-mails of the request sent."""

    def send(user, role, organization_id=None, email=INVITEE):
        url = "/api/invitation" if organization_id is None else f"/api/invitation?organizationId={organization_id}"
        with committed():
            return client_for(user).post(
                url, {"firstName": "Amina", "lastName": "Yusuf", "email": email, "role": role}, format="json"
            )

    return send


@pytest.fixture
def invited(developer_admin, invite, mailoutbox):
    """A DeviceOwner invitation into the developer organization: ``(invitation, link query)``."""
    assert invite(developer_admin, Role.DEVICE_OWNER).status_code == 201
    [message] = mailoutbox
    return Invitation.objects.get(email=INVITEE), invitation_link(message)


def respond(client, invitation_id, token, status="Accepted", password=STRONG_PASSWORD, confirm=STRONG_PASSWORD):
    body = {"token": token, "status": status}
    if password is not None:
        body |= {"password": password, "confirmPassword": confirm}
    return client.put(f"/api/invitation/{invitation_id}", body, format="json")


# --- Who may invite whom -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("inviter", "role", "allowed"),
    [
        ("developer_admin", Role.DEVICE_OWNER, True),
        ("developer_admin", Role.USER, True),
        ("developer_admin", Role.ORGANIZATION_ADMIN, False),
        ("developer_admin", Role.SUB_BUYER, False),
        ("developer_admin", Role.ADMIN, False),
        ("developer_admin", "Overlord", False),
        ("buyer", Role.SUB_BUYER, True),
        ("buyer", Role.USER, True),
        ("buyer", Role.DEVICE_OWNER, False),
        ("buyer", Role.BUYER, False),
        ("device_owner", Role.USER, True),
        ("device_owner", Role.DEVICE_OWNER, False),
        ("sub_buyer", Role.USER, True),
        ("sub_buyer", Role.SUB_BUYER, False),
    ],
)
def test_the_role_must_suit_the_organization_and_the_inviter(request, invite, mailoutbox, inviter, role, allowed):
    user = request.getfixturevalue(inviter)

    response = invite(user, role)

    if allowed:
        assert response.status_code == 201, response.content
        assert response.json() == {"success": True}
        invitation = Invitation.objects.get(email=INVITEE)
        assert (invitation.organization, invitation.role, invitation.status) == (user.organization, role, "Pending")
        assert invitation.sender == user.get_full_name()
        assert [message.to for message in mailoutbox] == [[INVITEE]]
    else:
        assert_error(response, 400, "role")
        assert not Invitation.objects.exists()
        assert mailoutbox == []


@pytest.mark.parametrize(
    ("organization_type", "role", "allowed"),
    [
        (OrganizationType.DEVELOPER, Role.DEVICE_OWNER, True),
        (OrganizationType.DEVELOPER, Role.ORGANIZATION_ADMIN, False),
        (OrganizationType.BUYER, Role.SUB_BUYER, True),
        (OrganizationType.BUYER, Role.DEVICE_OWNER, False),
    ],
)
def test_an_api_user_invites_into_its_managed_organizations(api_user, grant, invite, organization_type, role, allowed):
    grant(api_user, "INVITATION_MANAGEMENT_CRUDL", "Read", "Write")
    organization, _member = managed_create(
        api_user, name="Sunrise Homes", organization_type=organization_type, email="sunrise@example.com"
    )

    response = invite(api_user, role, organization.pk)

    if allowed:
        assert response.status_code == 201, response.content
        assert Invitation.objects.get(email=INVITEE).organization == organization
    else:
        assert_error(response, 400, "role")
        assert not Invitation.objects.exists()


def test_the_admin_invites_into_any_member_organization(admin_user, buyer_org, invite):
    response = invite(admin_user, Role.SUB_BUYER, buyer_org.pk)

    assert response.status_code == 201
    assert Invitation.objects.get(email=INVITEE).organization == buyer_org


def test_nobody_is_invited_into_an_api_users_organization(admin_user, api_user, invite):
    assert_error(invite(admin_user, Role.USER, api_user.organization_id), 403)
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("persona", ["admin_user", "api_user"])
def test_the_admin_and_api_users_must_name_the_organization(request, grant, invite, persona):
    user = request.getfixturevalue(persona)
    grant(request.getfixturevalue("api_user"), "INVITATION_MANAGEMENT_CRUDL", "Read", "Write")

    assert_error(invite(user, Role.USER), 400, "organizationId")
    assert not Invitation.objects.exists()


def test_a_member_invites_into_its_own_organization_only(developer_admin, buyer_org, invite):
    assert_error(invite(developer_admin, Role.USER, buyer_org.pk), 404)
    assert not Invitation.objects.exists()
    # Naming its own organization is fine and invites there (not into another one).
    assert invite(developer_admin, Role.USER, developer_admin.organization_id).status_code == 201
    assert Invitation.objects.get(email=INVITEE).organization_id == developer_admin.organization_id


@pytest.mark.parametrize("email", ["owner@example.com", "OWNER@Example.com", "subbuyer@example.com"])
def test_an_email_that_already_has_an_account_is_409(developer_admin, device_owner, sub_buyer, invite, email):
    assert_error(invite(developer_admin, Role.USER, email=email), 409, "email")
    assert not Invitation.objects.exists()


def test_a_second_pending_invitation_for_the_same_email_is_409(developer_admin, device_owner, invite, mailoutbox):
    assert invite(developer_admin, Role.USER).status_code == 201

    assert_error(invite(device_owner, Role.USER, email=INVITEE.upper()), 409, "email")
    assert Invitation.objects.filter(email=INVITEE).count() == 1
    assert len(mailoutbox) == 1


def test_a_declined_invitation_may_be_sent_again(api_client, invited, developer_admin, invite):
    invitation, link = invited
    assert respond(api_client, invitation.pk, link["token"], status="Rejected", password=None).status_code == 200

    assert invite(developer_admin, Role.USER).status_code == 201
    assert Invitation.objects.filter(email=INVITEE, status="Pending").count() == 1


# --- The e-mail ----------------------------------------------------------------------------


def test_the_email_carries_an_accept_link_and_no_password(invited, mailoutbox):
    invitation, link = invited
    [message] = mailoutbox

    assert message.to == [INVITEE]
    assert "Sunny Developers" in message.subject
    assert f"{settings.DREC_PUBLIC_URL}/user/acceptInvitaion?" in message.body
    assert link["invitaionId"] == str(invitation.pk)
    assert link["email"] == INVITEE
    assert link["token"]
    assert "DeviceOwner" in message.body
    assert not mentions_a_password(message.body)
    # No account (and so no password) exists before the invitee chooses one.
    assert not User.objects.filter(email=INVITEE).exists()


# --- Accepting -----------------------------------------------------------------------------


def test_accepting_creates_an_active_account_with_the_invited_role(api_client, invited):
    invitation, link = invited

    response = respond(api_client, invitation.pk, link["token"])

    assert response.status_code == 200, response.content
    assert response.json() == {"success": True}
    account = User.objects.get(email=INVITEE)
    assert (account.role, account.status, account.organization_id) == (
        "DeviceOwner",
        "Active",
        invitation.organization_id,
    )
    assert (account.first_name, account.last_name) == ("Amina", "Yusuf")
    invitation.refresh_from_db()
    assert invitation.status == "Accepted"

    logged_in = login(api_client, INVITEE, STRONG_PASSWORD)
    assert logged_in.status_code == 200, logged_in.content
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {logged_in.json()['accessToken']}")
    mine = api_client.get("/api/Organization/me")
    assert mine.status_code == 200
    assert mine.json()["id"] == invitation.organization_id
    assert INVITEE in {user["email"] for user in mine.json()["users"]}


def test_the_link_works_once(api_client, invited):
    invitation, link = invited
    assert respond(api_client, invitation.pk, link["token"]).status_code == 200

    again = respond(
        api_client, invitation.pk, link["token"], password="Another-Orbit-5150", confirm="Another-Orbit-5150"
    )

    assert_error(again, 404)
    assert User.objects.filter(email=INVITEE).count() == 1
    assert login(api_client, INVITEE, STRONG_PASSWORD).status_code == 200
    assert_error(respond(api_client, invitation.pk, link["token"], status="Rejected", password=None), 404)
    invitation.refresh_from_db()
    assert invitation.status == "Accepted"


def test_a_wrong_token_is_404(api_client, invited, developer_admin, invite, mailoutbox):
    invitation, link = invited
    assert invite(developer_admin, Role.USER, email="second@example.org").status_code == 201
    second = Invitation.objects.get(email="second@example.org")
    second_token = invitation_link(mailoutbox[-1])["token"]

    for invitation_id, token in [
        (invitation.pk, "not-a-token"),
        (invitation.pk, link["token"][:-2] + ("AA" if not link["token"].endswith("AA") else "BB")),
        (invitation.pk, second_token),  # another invitation's link
        (second.pk, link["token"]),
        (999999, link["token"]),
    ]:
        assert_error(respond(api_client, invitation_id, token), 404)
    assert not User.objects.filter(email__in=[INVITEE, "second@example.org"]).exists()
    assert set(Invitation.objects.values_list("status", flat=True)) == {"Pending"}


def test_an_expired_link_is_404(api_client, invited):
    invitation, link = invited
    later = time.time() + (settings.DREC_INVITATION_DAYS + 1) * 24 * 3600

    with mock.patch("django.core.signing.time.time", return_value=later):
        response = respond(api_client, invitation.pk, link["token"])

    assert_error(response, 404)
    assert not User.objects.filter(email=INVITEE).exists()


@pytest.mark.parametrize(
    ("password", "confirm", "field"),
    [
        ("short1", "short1", "password"),
        ("onlyletters", "onlyletters", "password"),
        ("12345678901", "12345678901", "password"),
        ("password123", "password123", "password"),
        ("amina.yusuf", "amina.yusuf", "password"),
        (STRONG_PASSWORD, "Something-Else-99", "confirmPassword"),
        (None, None, "password"),
    ],
)
def test_a_weak_password_creates_nothing(api_client, invited, password, confirm, field):
    invitation, link = invited
    body = {"token": link["token"], "status": "Accepted"}
    if password is not None:
        body |= {"password": password, "confirmPassword": confirm}

    response = api_client.put(f"/api/invitation/{invitation.pk}", body, format="json")

    assert_error(response, 400, field)
    assert not User.objects.filter(email=INVITEE).exists()
    invitation.refresh_from_db()
    assert invitation.status == "Pending"
    # The link still works with a good password.
    assert respond(api_client, invitation.pk, link["token"]).status_code == 200


def test_an_unknown_status_is_400(api_client, invited):
    invitation, link = invited

    assert_error(respond(api_client, invitation.pk, link["token"], status="Maybe"), 400, "status")
    invitation.refresh_from_db()
    assert invitation.status == "Pending"


def test_accepting_into_a_managed_organization_gives_an_account_that_does_not_sign_in(
    api_client, api_user, grant, invite, mailoutbox
):
    grant(api_user, "INVITATION_MANAGEMENT_CRUDL", "Read", "Write")
    organization, _member = managed_create(api_user, name="Sunrise Homes", email="sunrise@example.com")
    assert invite(api_user, Role.DEVICE_OWNER, organization.pk).status_code == 201
    link = invitation_link(mailoutbox[0])

    assert respond(api_client, link["invitaionId"], link["token"]).status_code == 200

    account = User.objects.get(email=INVITEE)
    assert (account.organization, account.role, account.status) == (organization, "DeviceOwner", "Active")
    assert_error(login(api_client, INVITEE, STRONG_PASSWORD), 401)


def test_accepting_after_the_email_got_an_account_meanwhile_is_409(api_client, invited, buyer_org):
    from tests.organizations.helpers import member_create

    invitation, link = invited
    member_create(buyer_org, email=INVITEE, role=Role.SUB_BUYER)

    assert_error(respond(api_client, invitation.pk, link["token"]), 409)
    assert User.objects.get(email=INVITEE).organization == buyer_org


# --- Declining -----------------------------------------------------------------------------


def test_rejecting_creates_no_account(api_client, invited):
    invitation, link = invited

    response = respond(api_client, invitation.pk, link["token"], status="Rejected", password=None)

    assert response.status_code == 200
    invitation.refresh_from_db()
    assert invitation.status == "Rejected"
    assert not User.objects.filter(email=INVITEE).exists()
    assert_error(respond(api_client, invitation.pk, link["token"]), 404)


# --- Listing -------------------------------------------------------------------------------


def test_the_list_shows_each_invitation_with_its_status(api_client, client_for, developer_admin, invite, mailoutbox):
    for email in ("first@example.org", "second@example.org", "third@example.org"):
        assert invite(developer_admin, Role.USER, email=email).status_code == 201
    links = {message.to[0]: invitation_link(message) for message in mailoutbox}
    first, second = links["first@example.org"], links["second@example.org"]
    assert respond(api_client, first["invitaionId"], first["token"]).status_code == 200
    assert (
        respond(api_client, second["invitaionId"], second["token"], status="Rejected", password=None).status_code == 200
    )

    response = client_for(developer_admin).get("/api/invitation", {"limit": 2})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"invitations", "currentPage", "totalPages", "totalCount"}
    assert (body["currentPage"], body["totalPages"], body["totalCount"]) == (1, 2, 3)
    everything = (
        client_for(developer_admin)
        .get("/api/invitation", {"organizationId": developer_admin.organization_id})
        .json()["invitations"]
    )
    # Newest first.
    assert [(row["email"], row["status"]) for row in everything] == [
        ("third@example.org", "Pending"),
        ("second@example.org", "Rejected"),
        ("first@example.org", "Accepted"),
    ]
    assert all(row["organizationId"] == developer_admin.organization_id for row in everything)
    assert all(row["role"] == "User" for row in everything)
    assert [row["email"] for row in body["invitations"]] == ["third@example.org", "second@example.org"]


def test_a_non_numeric_organization_id_is_404(client_for, admin_user):
    assert_error(client_for(admin_user).get("/api/invitation", {"organizationId": "abc"}), 404)
