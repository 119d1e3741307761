"""Settings for the test suite: the real PostgreSQL of `make test`, tasks run inline."""

import os
import secrets
import tempfile

from django.core.exceptions import ImproperlyConfigured

if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
    raise ImproperlyConfigured(
        "The test suite runs against PostgreSQL: use `make test`, which starts a throwaway "
        "server, or set DATABASE_URL=postgresql://... yourself."
    )

from drec.settings import *  # noqa: F403
from drec.settings import DATABASES, DREC_STATEMENT_TIMEOUT_MS, MIDDLEWARE, Q_CLUSTER, STORAGES

# Every test closes its connections, so dropping the test database never finds one open.
DATABASES["default"]["CONN_MAX_AGE"] = 0
# No statement time limit (0): on a loaded CI machine a test's statement must wait rather than
# fail; the tests of the limit set their own (tests/drec/test_database_unavailable.py, and
# tests/faults/, whose servers run with the production settings).
DREC_STATEMENT_TIMEOUT_MS = dict.fromkeys(DREC_STATEMENT_TIMEOUT_MS, 0)
# Fast hashing: tests create many users; the production hasher is Django's default.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# django-q2 runs every task inline, in the caller's transaction and process.
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
WHITENOISE_USE_FINDERS = True
# Find a static file when it is asked for, as under DEBUG, instead of listing every app's
# static files each time a test client builds its middleware (a quarter of the suite's time).
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT = None  # nothing is collected for tests; files come from the finders
# pytest-django puts the test process on locmem anyway; a server process started by a test
# (tests/acceptance/test_manual_journey.py) may ask for files with EMAIL_BACKEND=file.
if not os.environ.get("EMAIL_BACKEND"):
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DREC_ADMIN_EMAIL = "admin@drec.local"
# The super admin the migrations seed into the throwaway database: a password of this run only.
DREC_ADMIN_PASSWORD = f"Test-{secrets.token_hex(8)}-1"
# Every response of the suite is checked for password hashes and private keys.
MIDDLEWARE = ["tests.middleware.NoSecretsInResponses", *MIDDLEWARE]
# One throwaway issuer key per test run (never the developer's own).
DREC_LEDGER_KEY_FILE = os.path.join(tempfile.mkdtemp(prefix="drec-ledger-"), "issuer.pem")
