"""GET /api/user/me is written out by accounts.api.me_json, not by DRF's MeOut: it must answer
what MeOut answers, key for key and in the same order, and take one statement (the token
lookup, which brings the user, organization, api users and e-mail confirmation along)."""

import json

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from accounts.api import MeOut, me_json
from accounts.models import User
from accounts.selectors import user_get
from tests.accounts.apihelpers import ME_URL

pytestmark = pytest.mark.django_db


def as_drf_would(user: User) -> dict:
    """MeOut's answer for ``user``, as JSON text read back (what a client gets)."""
    return json.loads(json.dumps(MeOut(user_get(user_id=user.pk)).data))


def test_me_json_is_meouts_answer_for_every_persona(persona):
    fresh = user_get(user_id=persona.pk)

    assert json.dumps(me_json(fresh)) == json.dumps(as_drf_would(persona))  # keys in the same order too


def test_the_answer_over_the_api_is_meouts(persona, client_for):
    response = client_for(persona).get(ME_URL)

    assert response.status_code == 200
    assert list(response.json().items()) == list(as_drf_would(persona).items())


def test_me_shows_a_confirmed_address_whatever_its_case(client_for, developer_admin):
    client = client_for(developer_admin)
    assert client.get(ME_URL).json()["emailConfirmed"] is False
    EmailAddress.objects.create(user=developer_admin, email=developer_admin.email.upper(), verified=False)
    assert client.get(ME_URL).json()["emailConfirmed"] is False
    EmailAddress.objects.filter(user=developer_admin).update(verified=True)

    assert client.get(ME_URL).json()["emailConfirmed"] is True
    assert as_drf_would(developer_admin)["emailConfirmed"] is True


def test_me_takes_one_statement(persona, client_for, django_assert_num_queries):
    client = client_for(persona)
    client.get(ME_URL)  # process-wide caches warm, as in a running server
    with django_assert_num_queries(1):
        assert client.get(ME_URL).status_code == 200


def test_me_in_a_signed_in_browser_answers_the_same(developer_admin):
    browser = Client()
    browser.force_login(developer_admin)

    assert browser.get(ME_URL).json() == as_drf_would(developer_admin)
