"""The api user's one-time private key page (/apiuser/key, issue 16 item 4), through the Django
test client: it stays until the api user confirms "I have saved my key", then the key is gone.
The download itself is one-time and never stored (tests/accounts/test_api_security.py); the
repeated download is the page's script saving its in-memory copy again (tests/e2e)."""

from pathlib import Path

import pytest
from django.conf import settings

from accounts.models import ApiUserKey
from tests.accounts.apihelpers import register_body

pytestmark = pytest.mark.django_db

KEY_PAGE = "/apiuser/key"
DOWNLOAD = "/apiuser/key/private_key.pem"
REQUEST_FORM = "/apiuser/permission/request/form"


@pytest.fixture
def registered(client, mailoutbox):
    """A browser that just registered an api user in the portal (it is sent to the key page)."""
    form = register_body(organizationType="ApiUser", email="key.page@example.org", orgName="Key Page Integrator")
    response = client.post("/register", form)
    assert response.status_code == 302
    assert response["Location"] == KEY_PAGE
    return client


def test_the_key_page_warns_and_offers_the_download_and_a_confirmation(registered):
    response = registered.get(KEY_PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "You get this key only once." in html
    assert f'action="{DOWNLOAD}"' in html
    assert "I have saved my key" in html
    assert 'name="saved" value="1"' in html
    # No script moves the page on by itself any more: leaving is the user's "Continue".
    assert "window.location" not in (Path(settings.BASE_DIR) / "static/js/key-download.js").read_text()


def test_the_page_stays_after_the_download_until_the_key_is_confirmed_then_the_key_is_gone(registered):
    download = registered.post(DOWNLOAD)
    assert download.status_code == 200
    assert download.getvalue().startswith(b"-----BEGIN PRIVATE KEY-----")
    # Nothing of the key stays in the session (it is held by the page, in the browser).
    assert not any("PRIVATE KEY" in str(value) for value in dict(registered.session).values())

    # Reloaded, the page is still there (not sent on), and says the key was handed out.
    html = registered.get(KEY_PAGE).content.decode()
    assert 'data-testid="key-handed-out"' in html
    assert "I have saved my key" in html
    assert f'action="{DOWNLOAD}"' not in html

    # Continuing without ticking the box keeps the page, with the reason.
    refused = registered.post(KEY_PAGE, {})
    assert refused.status_code == 400
    assert "Tick “I have saved my key” to continue." in refused.content.decode()

    confirmed = registered.post(KEY_PAGE, {"saved": "1"})
    assert confirmed.status_code == 302
    assert confirmed["Location"] == REQUEST_FORM

    # After confirming the page no longer shows or gives the key.
    again = registered.get(KEY_PAGE)
    assert again.status_code == 302
    assert again["Location"] == REQUEST_FORM
    assert registered.post(DOWNLOAD).status_code == 410
    assert ApiUserKey.objects.filter(api_user__user__email="key.page@example.org").count() == 1


def test_continuing_before_the_download_is_refused(registered):
    response = registered.post(KEY_PAGE, {"saved": "1"})
    assert response.status_code == 400
    assert "Download your private key first." in response.content.decode()
    # The key can still be downloaded: nothing was lost.
    assert registered.post(DOWNLOAD).status_code == 200


def test_an_api_user_who_never_had_the_key_page_is_sent_to_the_permission_request(client, api_user):
    client.force_login(api_user)
    response = client.get(KEY_PAGE)
    assert response.status_code == 302
    assert response["Location"] == REQUEST_FORM
    assert client.post(KEY_PAGE, {"saved": "1"})["Location"] == REQUEST_FORM


def test_the_permission_request_form_reminds_about_the_key(client, api_user):
    client.force_login(api_user)
    html = client.get(REQUEST_FORM).content.decode()
    reminder = html.split('data-testid="key-reminder"', 1)[1].split("</div>", 1)[0]
    assert "private key you downloaded when you registered" in reminder
    assert "Lost it? Create a new key with <code>POST /api/auth/keys</code>" in reminder
    assert 'href="/swagger/"' in reminder
