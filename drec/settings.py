"""Settings of the D-REC portal.

Everything that differs between machines comes from environment variables; the defaults
are safe for development (`make run`). With ``DJANGO_DEBUG=0`` the process refuses to start
without a real secret key, and ``manage.py check --deploy`` is clean.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import overload
from urllib.parse import quote

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
# Files of this checkout that are not code: generated development secrets, e-mails, static files.
VAR_DIR = Path(os.environ.get("DREC_VAR_DIR") or BASE_DIR / "var")


@overload
def env_str(name: str, default: str) -> str: ...
@overload
def env_str(name: str, default: None = None) -> str | None: ...


def env_str(name: str, default: str | None = None) -> str | None:
    """The variable's text; ``default`` when it is unset or empty (so a default given is a str)."""
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}.")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# --- Core -------------------------------------------------------------------------------

DEBUG = env_bool("DJANGO_DEBUG", True)


def development_secret(name: str) -> str:
    """A secret for development, generated once per checkout into ``var/<name>`` (mode 0600,
    never in the repository), so that ``make run`` and the tests need no configuration and no
    two checkouts share a key. Created atomically: concurrent processes all read the first."""
    path = VAR_DIR / name
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        draft = VAR_DIR / f".{name}.{os.getpid()}"
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(64))
        try:
            os.link(draft, path)  # fails if another process made it first: then that one counts
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if SECRET_KEY is None:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. With DJANGO_DEBUG=0 the portal needs a secret key "
            "of at least 50 random characters, e.g. "
            "DJANGO_SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(64))')"
        )
    SECRET_KEY = development_secret("secret_key")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["*"] if DEBUG else ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "guardian",
    "axes",
    "django_q",
    "django_htmx",
    "drec",
    "accounts",
    "acl",
    "organizations",
    "devices",
    "reads",
    "reservations",
    "certificates",
    "registry",
    "webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything that may query: each request's statements get its class's time limit.
    "drec.middleware.StatementTimeoutMiddleware",
    "drec.middleware.ContentSecurityPolicyMiddleware",
    "drec.middleware.RefuseNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The public code lists' plain GETs, answered before sessions and the rest (devices/middleware.py).
    "devices.middleware.CodeListMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "drec.middleware.PasswordChangeFirstMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Under DEBUG too: the portal's own 404 and 500 pages, not Django's technical ones.
    "drec.middleware.DebugErrorPagesMiddleware",
    "drec.middleware.DomainErrorMiddleware",
    # Last: answers a sign-in refused for too many wrong passwords (any door) with 429.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "drec.urls"
WSGI_APPLICATION = "drec.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "drec.context_processors.portal",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------
# PostgreSQL (psycopg 3) everywhere: DATABASE_URL, or the project-local server that `make run`
# starts in var/postgres (DREC_PG_DIR), reached on its unix socket.

DREC_PG_DIR = Path(env_str("DREC_PG_DIR") or VAR_DIR / "postgres")
DATABASE_URL = env_str("DATABASE_URL") or f"postgresql://postgres@{quote(str(DREC_PG_DIR), safe='')}/drec"
if not DATABASE_URL.startswith(("postgres://", "postgresql://")):
    raise ImproperlyConfigured(f"DATABASE_URL must be a PostgreSQL URL (postgresql://...), got {DATABASE_URL!r}.")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# The hand-written statements behind every API call (drec/rawsql.py: the token lookup, device
# listing pages) are prepared once they have run this often on a connection: their planning
# costs PostgreSQL more than running them. The ORM's queries are never prepared (Django binds
# them client-side). Django turns prepared statements off by default for connection poolers in
# transaction mode: DREC_DB_PREPARED_STATEMENTS=0 behind PgBouncer before 1.21.
DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
    5 if env_bool("DREC_DB_PREPARED_STATEMENTS", True) else None
)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The longest one SQL statement of a web request may run, in milliseconds, per class of request
# (drec.middleware.StatementTimeoutMiddleware): past it PostgreSQL cancels the statement and the
# request answers 503 with Retry-After, instead of holding a web worker while the database is
# overloaded or a lock is held. The health check must answer fast; Django admin's changelists
# count whole tables. Task workers and management commands are not limited.
DREC_STATEMENT_TIMEOUT_MS = {
    "health": env_int("DREC_HEALTH_STATEMENT_TIMEOUT_MS", 2_000),
    "api": env_int("DREC_API_STATEMENT_TIMEOUT_MS", 15_000),
    "portal": env_int("DREC_PORTAL_STATEMENT_TIMEOUT_MS", 15_000),
    "admin": env_int("DREC_ADMIN_STATEMENT_TIMEOUT_MS", 60_000),
}

# Shared by every web and worker process: login throttling, DRF throttles, task-queue stats.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "drec_cache",
    },
    # Per process: what every process may keep a minute without asking (the code lists).
    "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "drec-local"},
}

# --- Authentication ---------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"

# One backend for every front door (portal, API, Django admin): e-mail + password, and only
# for accounts that may sign in (active, not a member of an organization run by an api user).
# django-axes first: it refuses an account locked out for too many wrong passwords.
AUTHENTICATION_BACKENDS = [
    "accounts.backends.LoginFailureBackend",
    "accounts.backends.AuthenticationBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# django-guardian: no anonymous user row (visitors never hold object permissions).
ANONYMOUS_USER_NAME = None

# New and changed passwords are hashed with the first: argon2id at OWASP's minimum (m=19 MiB,
# t=2, p=1; accounts/hashers.py says why). The others only verify hashes stored before (Django's
# default list, PBKDF2 first): the next successful sign-in re-hashes them with the first.
PASSWORD_HASHERS = [
    "accounts.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "accounts.validators.LetterAndDigitValidator"},
]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = env_int("DREC_EMAIL_CONFIRMATION_DAYS", 3)
# Password-reset links (allauth's tokens) are single use and expire after this many seconds.
PASSWORD_RESET_TIMEOUT = env_int("DREC_PASSWORD_RESET_TIMEOUT", 3600)
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
# Proxies in front of the portal that append the client's address to X-Forwarded-For. With 0
# (the default) the address is the connection's own: a client cannot pick the address its
# requests are throttled by. Behind one load balancer: 1.
DREC_TRUSTED_PROXIES = env_int("DREC_TRUSTED_PROXIES", 0)
ALLAUTH_TRUSTED_PROXY_COUNT = DREC_TRUSTED_PROXIES

# Wrong passwords for one account, in any door (API login, portal, Django admin), counted by
# django-axes in the database: after DREC_LOGIN_FAILURES of them, that account's sign-ins are
# refused with 429, even with the right password, until DREC_LOGIN_LOCKOUT_SECONDS have passed
# since the last one. Accounts, not addresses: the per-address throttles below cover those.
AXES_FAILURE_LIMIT = env_int("DREC_LOGIN_FAILURES", 10)
AXES_COOLOFF_TIME = timedelta(seconds=env_int("DREC_LOGIN_LOCKOUT_SECONDS", 60))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_CALLABLE = "accounts.backends.login_name"
AXES_CLIENT_IP_CALLABLE = "drec.http.client_ip"
AXES_LOCKOUT_CALLABLE = "drec.views.login_locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # no row per successful sign-in
AXES_VERBOSE = False
# axes.W006 warns that locking out by account alone lets a client rotate User-Agents or cookies;
# its database handler sums an account's failures over every such variant, so here it does not,
# and per-address limits are the throttles' (DREC_THROTTLE_LOGIN, allauth's login_failed).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# allauth's defaults throttle failed logins per IP and per account; keep them explicit.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
}

# Address of the portal in links sent by e-mail (tasks have no request to read it from).
DREC_PUBLIC_URL = env_str("DREC_PUBLIC_URL", "http://localhost:3040").rstrip("/")

# Who issues the certificates (SPEC §8: the platform, signing with its issuer key), as the
# public verification page names it.
DREC_ISSUER_NAME = env_str("DREC_ISSUER_NAME", "D-REC registry")

# Days an invitation link works.
DREC_INVITATION_DAYS = env_int("DREC_INVITATION_DAYS", 7)

# API access tokens (HS256 JWTs, revocable by jti).
# Its own generated secret in development; in production DJANGO_SECRET_KEY unless set.
DREC_JWT_SECRET = env_str("DREC_JWT_SECRET") or (development_secret("jwt_secret") if DEBUG else SECRET_KEY)
DREC_JWT_LIFETIME = env_int("DREC_JWT_LIFETIME", 24 * 3600)
# Api users' keys: at most this many active at once (rotation), assertions valid this long.
DREC_MAX_ACTIVE_KEYS = 2
DREC_CLIENT_ASSERTION_MAX_SECONDS = 300
# Extra accepted "aud" values of client assertions besides the token endpoint's own URL.
DREC_TOKEN_AUDIENCES = env_list("DREC_TOKEN_AUDIENCES", [])

# The super admin seeded by migrations and `manage.py seed`.
DREC_ADMIN_EMAIL = env_str("DREC_ADMIN_EMAIL", "admin@drec.local").lower()
# Without a password, `manage.py seed` generates one, prints it once, and the super admin must
# change it at the first sign-in. No password is ever published with the code.
DREC_ADMIN_PASSWORD = env_str("DREC_ADMIN_PASSWORD")

# --- API --------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "drec.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Every view declares its access rule (drec/permissions.py); none means 403.
    "DEFAULT_PERMISSION_CLASSES": ["drec.permissions.AclPermission"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "drec.errors.api_exception_handler",
    # The throttles' client address (drec.http.client_ip does the same).
    "NUM_PROXIES": DREC_TRUSTED_PROXIES,
    "DEFAULT_THROTTLE_RATES": {
        "login": env_str("DREC_THROTTLE_LOGIN", "30/min"),
        "register": env_str("DREC_THROTTLE_REGISTER", "30/min"),
        "password": env_str("DREC_THROTTLE_PASSWORD", "10/min"),
        "token": env_str("DREC_THROTTLE_TOKEN", "60/min"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "D-REC portal API",
    "DESCRIPTION": (
        "REST API of the D-REC portal: organizations, devices, meter reads, buyer "
        "reservations and certificates. Wire-compatible with the original D-REC API. "
        'Every error answers `{"success": false, "statusCode", "error", "message"}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api",
    "ENUM_NAME_OVERRIDES": {
        "ModuleStatusEnum": "acl.models.ModuleStatus",
        "GrantStatusEnum": "acl.api.GRANT_STATUS",
        "WebhookEventEnum": "webhooks.models.EventType",
    },
    # The shared error answers of every operation (drec/schema.py).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "drec.schema.error_responses"],
}

# Webhooks (SPEC §14): endpoints on loopback, private, link-local or reserved addresses (and
# plain http) are refused unless this is on; on by default only with DEBUG (a developer's own
# machine). An attempt waits this long for the answer.
DREC_WEBHOOK_ALLOW_PRIVATE = env_bool("DREC_WEBHOOK_ALLOW_PRIVATE", DEBUG)
DREC_WEBHOOK_TIMEOUT_SECONDS = env_int("DREC_WEBHOOK_TIMEOUT_SECONDS", 10)

# Bulk device upload limits (SPEC §5); a job without progress for this long is taken over.
DREC_CSV_MAX_BYTES = env_int("DREC_CSV_MAX_BYTES", 10 * 1024 * 1024)
DREC_CSV_MAX_ROWS = env_int("DREC_CSV_MAX_ROWS", 20_000)
# A reads CSV (POST /api/meter-reads/bulk-csv) holds one read a row: more rows in the same bytes.
DREC_READS_CSV_MAX_ROWS = env_int("DREC_READS_CSV_MAX_ROWS", 100_000)
DREC_CSV_JOB_STALE_SECONDS = env_int("DREC_CSV_JOB_STALE_SECONDS", 600)
# Files uploaded with POST /api/file for a later bulk job: how many one request may send, what an
# organization may keep (files and bytes), and how long they are kept (a job copies what it uses).
DREC_UPLOAD_MAX_FILES_PER_REQUEST = env_int("DREC_UPLOAD_MAX_FILES_PER_REQUEST", 10)
DREC_UPLOAD_QUOTA_FILES = env_int("DREC_UPLOAD_QUOTA_FILES", 50)
DREC_UPLOAD_QUOTA_BYTES = env_int("DREC_UPLOAD_QUOTA_BYTES", 50 * 1024 * 1024)
DREC_UPLOAD_RETENTION_HOURS = env_int("DREC_UPLOAD_RETENTION_HOURS", 24)
# Days after a reservation's end during which late certificates may still be issued (the default expiry).
DREC_RESERVATION_EXPIRY_DAYS = env_int("DREC_RESERVATION_EXPIRY_DAYS", 60)

# Certificates (SPEC §8): issued in whole units of this many Wh (the rest is carried over),
# by a scheduled task every DREC_ISSUANCE_MINUTES.
DREC_CERTIFICATE_UNIT_WH = env_int("DREC_CERTIFICATE_UNIT_WH", 1000)
DREC_ISSUANCE_MINUTES = env_int("DREC_ISSUANCE_MINUTES", 1)
# Certificates a run writes per transaction (each under the reservation's lock, one statement
# per table): a killed run leaves whole batches; a window's issuance is never split.
DREC_ISSUANCE_BATCH = env_int("DREC_ISSUANCE_BATCH", 100)
# The ledger's Ed25519 issuer key: PEM text, or a file created on first use (outside the
# repository by default; back it up).
DREC_LEDGER_PRIVATE_KEY = env_str("DREC_LEDGER_PRIVATE_KEY", "")
DREC_LEDGER_KEY_FILE = env_str("DREC_LEDGER_KEY_FILE", str(Path.home() / ".local/share/drec/ledger-issuer-ed25519.pem"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Meter reads per POST (SPEC §6); a full batch of JSON fits well within the body limit.
DREC_MAX_READS_PER_REQUEST = 10_000
DATA_UPLOAD_MAX_MEMORY_SIZE = 8 * 1024 * 1024

# Page size defaults of SPEC §9.
DREC_PAGE_SIZE = 20
DREC_MAX_PAGE_SIZE = 1000

# --- Background work (django-q2: ORM broker, no extra server; or Redis) ----------------

# DREC_Q_REDIS_URL (e.g. redis://127.0.0.1:6379/0) moves the queue to a Redis broker (the
# `redis` package) once polling the ORM broker loads the database; unset, the ORM broker.
DREC_Q_REDIS_URL = env_str("DREC_Q_REDIS_URL", "")
Q_CLUSTER = {
    "name": "drec",
    **({"redis": DREC_Q_REDIS_URL} if DREC_Q_REDIS_URL else {"orm": "default"}),
    "workers": env_int("DREC_Q_WORKERS", 2),
    "timeout": env_int("DREC_Q_TIMEOUT", 600),
    "retry": env_int("DREC_Q_TIMEOUT", 600) + 60,
    "max_attempts": 3,
    "catch_up": False,
    "poll": 1,
    "sync": env_bool("DREC_Q_SYNC", False),
    "label": "Task queue",
}

# --- E-mail -----------------------------------------------------------------------------

_EMAIL_BACKENDS = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
}
_email_backend = env_str("EMAIL_BACKEND", "console" if DEBUG else "smtp")
EMAIL_BACKEND = _EMAIL_BACKENDS.get(_email_backend, _email_backend)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "D-REC <no-reply@drec.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation and time ------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT: str | None = env_str("DJANGO_STATIC_ROOT", str(VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Security ---------------------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "drec.views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content-Security-Policy of every response (drec.middleware); empty turns it off.
DREC_CSP = env_str(
    "DREC_CSP",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'",
)

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    # Load balancers probe the health endpoint over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^api/health$"]
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
    if env_bool("DJANGO_TRUST_X_FORWARDED_PROTO", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Logging ----------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django-q": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # not a line per sign-in; lockouts are warnings
        "fontTools": {"level": "WARNING"},  # subsetting a redemption statement's font: 60 lines each
    },
}
