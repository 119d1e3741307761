"""Fixtures of the account API tests (plain helpers are in tests/accounts/apihelpers.py)."""

import pytest
from django.db import connection

from tests.accounts.apihelpers import KEYS_URL, public_pem, rsa_key


@pytest.fixture
def row_counts(db):
    """``row_counts()``: the number of rows of every table (but the cache, where throttles
    count requests); compare before and after a refused request to see nothing was stored."""

    def count() -> dict[str, int]:
        quote = connection.ops.quote_name
        counts = {}
        with connection.cursor() as cursor:
            for table in connection.introspection.table_names(cursor):
                if table != "drec_cache":
                    cursor.execute(f"SELECT count(*) FROM {quote(table)}")  # noqa: S608
                    counts[table] = cursor.fetchone()[0]
        assert counts.get("accounts_user"), "the users table must be among the counted ones"
        return counts

    return count


@pytest.fixture
def register_key(client_for):
    """``register_key(api_user_account, private_key)``: POST its public half to /api/auth/keys."""

    def register(user, private_key):
        response = client_for(user).post(KEYS_URL, {"publicKey": public_pem(private_key)}, format="json")
        assert response.status_code == 201, response.content
        return response.json()

    return register


@pytest.fixture
def api_user_rsa(api_user, register_key):
    """The api user with a registered RSA-2048 key; returns the private key."""
    key = rsa_key("a")
    register_key(api_user, key)
    return key
