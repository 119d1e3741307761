"""E-mail confirmation and password reset through the API (SPEC §3): the e-mails are sent by
the task queue once the request's transaction commits."""

from datetime import timedelta
from unittest import mock

import pytest
from allauth.account.forms import default_token_generator

from tests.accounts.apihelpers import (
    ME_URL,
    OTHER_STRONG_PASSWORD,
    REGISTER_URL,
    STRONG_PASSWORD,
    assert_error,
    bearer,
    confirmation_token,
    login,
    register_body,
    reset_token,
)
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

FORGET_URL = "/api/user/forget-password"
RESEND_URL = "/api/user/resend-confirm-email"


def confirm_url(token: str) -> str:
    return f"/api/user/confirm-email/{token}"


def reset_url(token: str) -> str:
    return f"/api/user/reset/password/{token}"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed(): ...``: run the on-commit callbacks (the queued e-mails) of the block."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def registered(api_client, committed, mailoutbox):
    """A freshly registered developer admin: ``(email, confirmation e-mail)``."""
    with committed():
        response = api_client.post(REGISTER_URL, register_body(), format="json")
    assert response.status_code == 201, response.content
    assert len(mailoutbox) == 1
    return "ada.okafor@example.org", mailoutbox[0]


# --- E-mail confirmation ----------------------------------------------------------------


def test_registration_sends_a_confirmation_email_with_a_link(registered):
    email, message = registered

    assert message.to == [email]
    assert "confirm" in message.subject.lower()
    assert "/confirm-email?token=" in message.body
    assert confirmation_token(message)
    assert STRONG_PASSWORD not in message.body


def test_the_emailed_token_confirms_the_address(api_client, registered):
    email, message = registered
    token = login(api_client, email, STRONG_PASSWORD).json()["accessToken"]
    assert bearer(token).get(ME_URL).json()["emailConfirmed"] is False

    response = api_client.put(confirm_url(confirmation_token(message)))

    assert response.status_code == 200
    assert response.json() == {"success": True, "message": "Email confirmed successfully"}
    assert bearer(token).get(ME_URL).json()["emailConfirmed"] is True


def test_confirming_twice_says_already_confirmed(api_client, registered):
    _email, message = registered
    assert api_client.put(confirm_url(confirmation_token(message))).status_code == 200

    again = api_client.put(confirm_url(confirmation_token(message)))

    assert again.status_code == 200, again.content
    assert again.json() == {"success": True, "message": "Email already confirmed"}


@pytest.mark.parametrize("token", ["garbage", "MQ:1tAbCd:forgedsignature", "0", "-" * 40])
def test_a_garbage_confirmation_token_is_400(api_client, registered, token):
    email, _message = registered

    assert_error(api_client.put(confirm_url(token)), 400)

    access = login(api_client, email, STRONG_PASSWORD).json()["accessToken"]
    assert bearer(access).get(ME_URL).json()["emailConfirmed"] is False


def test_the_token_of_a_replaced_address_no_longer_confirms(api_client, registered, committed, mailoutbox):
    email, first_message = registered
    client = bearer(login(api_client, email, STRONG_PASSWORD).json()["accessToken"])
    with committed():
        changed = client.put(
            "/api/user/profile",
            {"firstName": "Ada", "lastName": "Okafor", "email": "ada@new.example.org", "password": STRONG_PASSWORD},
            format="json",
        )
    assert changed.status_code == 200

    assert_error(api_client.put(confirm_url(confirmation_token(first_message))), 400)
    assert client.get(ME_URL).json()["emailConfirmed"] is False
    assert mailoutbox[-1].to == ["ada@new.example.org"]
    assert api_client.put(confirm_url(confirmation_token(mailoutbox[-1]))).status_code == 200
    assert client.get(ME_URL).json()["emailConfirmed"] is True


def test_resend_sends_a_new_confirmation_email(api_client, registered, committed, mailoutbox):
    email, _message = registered
    client = bearer(login(api_client, email, STRONG_PASSWORD).json()["accessToken"])

    with committed():
        response = client.put(RESEND_URL)

    assert response.status_code == 200
    assert response.json()["success"] is True
    assert len(mailoutbox) == 2
    assert mailoutbox[1].to == [email]
    assert api_client.put(confirm_url(confirmation_token(mailoutbox[1]))).status_code == 200
    assert client.get(ME_URL).json()["emailConfirmed"] is True


def test_resend_works_for_an_account_that_never_had_a_confirmation(
    token_for, developer_admin, committed, mailoutbox, api_client
):
    with committed():
        response = bearer(token_for(developer_admin)).put(RESEND_URL)

    assert response.status_code == 200
    assert [message.to for message in mailoutbox] == [[developer_admin.email]]
    assert api_client.put(confirm_url(confirmation_token(mailoutbox[0]))).status_code == 200


def test_resend_after_confirmation_is_400_and_sends_nothing(api_client, registered, committed, mailoutbox):
    email, message = registered
    api_client.put(confirm_url(confirmation_token(message)))
    client = bearer(login(api_client, email, STRONG_PASSWORD).json()["accessToken"])

    with committed():
        response = client.put(RESEND_URL)

    assert_error(response, 400)
    assert len(mailoutbox) == 1


def test_resend_needs_a_signed_in_caller(api_client):
    assert_error(api_client.put(RESEND_URL), 401)


# --- Forgotten password -----------------------------------------------------------------


def test_forget_password_emails_a_reset_token_and_answers_like_for_an_unknown_email(
    api_client, buyer, committed, mailoutbox
):
    with committed():
        known = api_client.post(FORGET_URL, {"email": "Buyer@Example.com"}, format="json")
        unknown = api_client.post(FORGET_URL, {"email": "nobody@example.org"}, format="json")

    assert known.status_code == 201
    assert known.json()["success"] is True
    assert unknown.status_code == 201
    assert known.json() == unknown.json()
    assert [message.to for message in mailoutbox] == [["buyer@example.com"]]
    assert reset_token(mailoutbox[0])
    assert PASSWORD not in mailoutbox[0].body


@pytest.mark.parametrize("status", ["Suspended", "Deleted", "Pending"])
def test_accounts_that_cannot_sign_in_get_the_same_answer_but_no_email(api_client, committed, mailoutbox, status):
    UserFactory(email="dormant@example.org", status=status)

    with committed():
        response = api_client.post(FORGET_URL, {"email": "dormant@example.org"}, format="json")

    assert response.status_code == 201
    assert mailoutbox == []


@pytest.mark.parametrize("body", [{}, {"email": "not-an-email"}, {"email": 7}, {"email": ""}])
def test_forget_password_needs_a_valid_email(api_client, body):
    assert_error(api_client.post(FORGET_URL, body, format="json"), 400, "email")


@pytest.fixture
def reset(api_client, buyer, committed, mailoutbox):
    """The buyer asked for a reset; the token of the e-mail."""
    with committed():
        assert api_client.post(FORGET_URL, {"email": buyer.email}, format="json").status_code == 201
    return reset_token(mailoutbox[-1])


def _new_password(client, token, password=OTHER_STRONG_PASSWORD, confirm=None):
    body = {"newPassword": password, "confirmPassword": password if confirm is None else confirm}
    return client.put(reset_url(token), body, format="json")


def test_the_reset_token_sets_a_new_password(api_client, buyer, reset):
    response = _new_password(api_client, reset)

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["id"] == buyer.pk
    assert data["email"] == buyer.email
    assert {"firstName", "lastName", "role", "status", "organization", "createdAt", "updatedAt"} <= set(data)
    assert login(api_client, buyer.email, PASSWORD).status_code == 401
    assert login(api_client, buyer.email, OTHER_STRONG_PASSWORD).status_code == 200


def test_a_reset_token_works_once(api_client, buyer, reset):
    assert _new_password(api_client, reset).status_code == 200

    assert_error(_new_password(api_client, reset, "Third-Password-55"), 400)

    assert login(api_client, buyer.email, OTHER_STRONG_PASSWORD).status_code == 200
    assert login(api_client, buyer.email, "Third-Password-55").status_code == 401


def test_a_reset_token_expires(api_client, buyer, reset, settings):
    settings.PASSWORD_RESET_TIMEOUT = 600
    now = default_token_generator._now()

    with mock.patch.object(default_token_generator, "_now", return_value=now + timedelta(seconds=660)):
        late = _new_password(api_client, reset)
    with mock.patch.object(default_token_generator, "_now", return_value=now + timedelta(seconds=540)):
        in_time = _new_password(api_client, reset)

    assert_error(late, 400)
    assert in_time.status_code == 200
    assert login(api_client, buyer.email, OTHER_STRONG_PASSWORD).status_code == 200


@pytest.mark.parametrize(
    ("password", "confirm", "field"),
    [
        ("short1", None, "newPassword"),
        ("password1", None, "newPassword"),
        ("NoDigitsInThisOne", None, "newPassword"),
        ("buyerexample1", None, "newPassword"),
        (OTHER_STRONG_PASSWORD, "Different-Pass-1", "confirmPassword"),
    ],
)
def test_a_refused_new_password_keeps_the_old_one_and_the_token(api_client, buyer, reset, password, confirm, field):
    assert_error(_new_password(api_client, reset, password, confirm), 400, field)

    assert login(api_client, buyer.email, PASSWORD).status_code == 200
    assert _new_password(api_client, reset).status_code == 200


@pytest.mark.parametrize("body", [{}, {"newPassword": OTHER_STRONG_PASSWORD}, {"confirmPassword": "x"}])
def test_reset_bodies_name_missing_fields(api_client, reset, body):
    error = assert_error(api_client.put(reset_url(reset), body, format="json"), 400)
    assert {"newPassword", "confirmPassword"} - set(body) <= set(error["errors"])


def test_access_tokens_issued_before_a_reset_stop_working(api_client, buyer, reset):
    token = login(api_client, buyer.email, PASSWORD).json()["accessToken"]

    assert _new_password(api_client, reset).status_code == 200

    assert_error(bearer(token).get(ME_URL), 401)


def test_a_reset_through_the_email_link_confirms_the_address(api_client, registered, committed, mailoutbox):
    email, _message = registered
    with committed():
        api_client.post(FORGET_URL, {"email": email}, format="json")

    assert _new_password(api_client, reset_token(mailoutbox[-1])).status_code == 200

    token = login(api_client, email, OTHER_STRONG_PASSWORD).json()["accessToken"]
    assert bearer(token).get(ME_URL).json()["emailConfirmed"] is True


def test_a_reset_token_of_one_account_does_not_work_for_another(api_client, buyer, developer_admin, reset):
    from allauth.account.utils import user_pk_to_url_str

    _user_part, _, key = reset.partition("-")

    assert_error(_new_password(api_client, f"{user_pk_to_url_str(developer_admin)}-{key}"), 400)
    assert login(api_client, developer_admin.email, PASSWORD).status_code == 200


@pytest.mark.parametrize(
    "token", ["garbage", "1-abc", "z" * 28 + "-abc", "z" * 13 + "-abc", "-", "!!-cz-123", "1" * 12 + "-x-y"]
)
def test_garbage_reset_tokens_are_400(api_client, buyer, token):
    assert_error(_new_password(api_client, token), 400)
    assert login(api_client, buyer.email, PASSWORD).status_code == 200
