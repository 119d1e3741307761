"""Review findings on signing in (issue "One door"): Django admin's login had no failure limit,
the per-address throttles trusted a client's X-Forwarded-For, and the limit on wrong
passwords counted them read-then-write, so concurrent failures were lost."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import Role
from tests.accounts.apihelpers import login
from tests.factories import PASSWORD, UserFactory

ADMIN_LOGIN = "/django-admin/login/"
WRONG = "Not-The-Password-1"


@pytest.fixture
def member(db):
    return UserFactory(email="member@example.com", role=Role.ORGANIZATION_ADMIN)


def admin_login(client, email: str, password: str):
    return client.post(ADMIN_LOGIN, {"username": email, "password": password, "next": "/django-admin/"})


def test_django_admin_login_is_behind_the_same_failure_limit_as_the_other_logins(client, admin_user, settings):
    """40 wrong passwords, then the right one, used to sign the attacker in as super admin."""
    settings.AXES_FAILURE_LIMIT = 10
    for _ in range(9):
        assert admin_login(client, admin_user.email, WRONG).status_code == 200  # the form again
    assert admin_login(client, admin_user.email, WRONG).status_code == 429

    response = admin_login(client, admin_user.email, settings.DREC_ADMIN_PASSWORD)

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session
    assert client.get("/django-admin/").status_code == 302  # still signed out


def test_the_failure_limit_is_one_count_across_the_api_the_portal_and_django_admin(client, member, settings):
    settings.AXES_FAILURE_LIMIT = 6
    for _ in range(2):
        assert login(APIClient(), member.email, WRONG).status_code == 401
        assert client.post("/login", {"login": member.email, "password": WRONG}).status_code == 200
    assert admin_login(client, member.email, WRONG).status_code == 200
    assert admin_login(client, member.email, WRONG).status_code == 429  # the sixth

    assert login(APIClient(), member.email, PASSWORD).status_code == 429
    portal = client.post("/login", {"login": member.email, "password": PASSWORD})
    assert portal.status_code == 429
    assert "Too many failed logins" in portal.content.decode()


# --- X-Forwarded-For ------------------------------------------------------------------------

THROTTLED = [
    ("login", "/api/auth/login", lambda n: {"username": f"guess{n}@example.org", "password": WRONG}, "30/min"),
    ("register", "/api/user/register", lambda n: {"firstName": "A"}, "30/min"),
    ("password", "/api/user/forget-password", lambda n: {"email": f"nobody{n}@example.org"}, "10/min"),
    ("token", "/api/auth/token", lambda n: {"grant_type": "client_credentials"}, "60/min"),
]


@pytest.mark.parametrize(("scope", "url", "body", "rate"), THROTTLED, ids=[row[0] for row in THROTTLED])
def test_per_ip_throttles_ignore_a_rotated_x_forwarded_for(db, settings, scope, url, body, rate):
    """Each request named another client address; none was ever throttled."""
    limit = int(rate.split("/")[0])
    client = APIClient()
    answers = [
        client.post(url, body(n), format="json", HTTP_X_FORWARDED_FOR=f"198.51.100.{n % 250}").status_code
        for n in range(limit + 1)
    ]
    assert 429 not in answers[:limit]
    assert answers[limit] == 429


def test_behind_a_trusted_proxy_the_address_it_saw_counts_not_what_the_client_wrote(db, settings):
    settings.DREC_TRUSTED_PROXIES = 1
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    client = APIClient()
    # The proxy appends the address it saw (203.0.113.7); the client wrote the rest.
    for n in range(10):
        forwarded = f"10.0.0.{n}, 203.0.113.7"
        assert client.post("/api/user/forget-password", {"email": "x@example.org"}, HTTP_X_FORWARDED_FOR=forwarded)
    blocked = client.post(
        "/api/user/forget-password", {"email": "x@example.org"}, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7"
    )
    other = client.post("/api/user/forget-password", {"email": "x@example.org"}, HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert blocked.status_code == 429
    assert other.status_code != 429


def test_client_ip_reads_only_the_trusted_hops(rf, settings):
    from drec.http import client_ip

    request = rf.get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.4")
    settings.DREC_TRUSTED_PROXIES = 0
    assert client_ip(request) == "192.0.2.1"
    settings.DREC_TRUSTED_PROXIES = 1
    assert client_ip(request) == "198.51.100.4"
    settings.DREC_TRUSTED_PROXIES = 2
    assert client_ip(request) == "6.6.6.6"


# --- Concurrent failures --------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_wrong_passwords_are_all_counted(settings):
    """Twelve wrong passwords at once, the limit ten: the right password must then be refused.
    Counting them read-then-write in the cache lost some, and the account stayed open."""
    settings.AXES_FAILURE_LIMIT = 10
    member = UserFactory(email="raced@example.com", role=Role.ORGANIZATION_ADMIN)
    start = threading.Barrier(12)
    answers: list[int] = []

    def guess():
        try:
            start.wait()
            answers.append(login(APIClient(), member.email, WRONG).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(set(answers)) in ([401, 429], [429])
    assert login(APIClient(), member.email, PASSWORD).status_code == 429
