import pytest
from django.db import connection

SEQUENCED_TABLES = ("acl_aclmodule", "accounts_user")


@pytest.fixture
def restore_id_sequences(db):
    """Put the id sequences of ACL modules and users back as they were after the test.

    A rolled-back insert still consumes a sequence value; tests that create modules (or move
    the user sequence) would otherwise change the ids later tests see (tests/acl/test_seed.py
    expects the first new module to get id 15).
    """
    saved = {}
    with connection.cursor() as cursor:
        for table in SEQUENCED_TABLES:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = cursor.fetchone()[0]
            cursor.execute("SELECT pg_sequence_last_value(%s::regclass)", [sequence])
            saved[sequence] = cursor.fetchone()[0]
    yield
    with connection.cursor() as cursor:
        for sequence, last_value in saved.items():
            if last_value is None:
                cursor.execute("SELECT setval(%s, 1, false)", [sequence])
            else:
                cursor.execute("SELECT setval(%s, %s, true)", [sequence, last_value])
