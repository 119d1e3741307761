"""Request middleware of the project: limit how long a request's SQL statements may run,
refuse NUL characters, turn domain errors into pages, send the Content-Security-Policy, hold
an account with a generated password to changing it, and show the portal's own error pages
under DEBUG."""

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse

from drec.errors import DomainError
from drec.views import error_page, is_api_request, page_not_found, server_error

GetResponse = Callable[[HttpRequest], HttpResponseBase]
logger = logging.getLogger("django.request")


def statement_timeout_class(request: HttpRequest) -> str:
    """The key of ``settings.DREC_STATEMENT_TIMEOUT_MS`` for this request."""
    if request.path == "/api/health":
        return "health"
    if is_api_request(request):
        return "api"
    if request.path.startswith("/django-admin/"):
        return "admin"
    return "portal"


class _StatementTimeout:
    """An ``execute_wrapper`` that sets ``statement_timeout`` before the request's first
    statement, when the connection's session has another value.

    Lazily, so a request that never queries (the code lists, static files) costs nothing, and
    once per connection while its class does not change: web processes keep their connections
    (``CONN_MAX_AGE``), so a busy API process sends the ``SET`` once. The value is remembered
    only when set outside a transaction: a ``SET`` inside one is undone if it rolls back."""

    def __init__(self, milliseconds: int) -> None:
        self.milliseconds = milliseconds
        self.checked = False

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        if not self.checked:
            self.checked = True
            wrapper: BaseDatabaseWrapper = context["connection"]
            if getattr(wrapper, "drec_statement_timeout", None) != self.milliseconds:
                with wrapper.wrap_database_errors:
                    # A plain client-side cursor: never prepared, and not through this wrapper.
                    wrapper.connection.execute(f"SET statement_timeout = {int(self.milliseconds)}")
                wrapper.drec_statement_timeout = None if wrapper.in_atomic_block else self.milliseconds  # type: ignore[attr-defined]
        return execute(sql, params, many, context)


def _new_session(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """A new connection starts with the server's default ``statement_timeout``."""
    connection.drec_statement_timeout = None  # type: ignore[attr-defined]


connection_created.connect(_new_session, dispatch_uid="drec.middleware.statement_timeout")


class StatementTimeoutMiddleware:
    """Each web request's statements may run at most ``settings.DREC_STATEMENT_TIMEOUT_MS`` of
    its class (API, portal, Django admin, the health check). Past it PostgreSQL cancels the
    statement, and the request answers 503 with ``Retry-After`` (drec.errors) instead of holding
    a web worker. Task workers and management commands keep the server's default (none)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        milliseconds = settings.DREC_STATEMENT_TIMEOUT_MS[statement_timeout_class(request)]
        with connection.execute_wrapper(_StatementTimeout(milliseconds)):
            return self.get_response(request)


class RefuseNulMiddleware:
    """A NUL character in the path or the query string can match nothing (PostgreSQL text
    cannot hold it): answer 400 at once instead of failing deep in a query."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if "\x00" in unquote(request.META.get("QUERY_STRING", "")) or "\x00" in request.path:
            return error_page(request, 400, "The request contains a NUL character.")
        return self.get_response(request)


class DomainErrorMiddleware:
    """A selector's 404 (not yours), a service's 403 or 409 raised while rendering a portal page
    answers that page in the portal's layout instead of a 500."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DomainError):
            return error_page(request, int(exception.status_code), exception.message)
        return None


class ContentSecurityPolicyMiddleware:
    """Every response gets ``settings.DREC_CSP``: scripts, styles, fonts, images and requests
    only from this site (no inline script, no framing, forms only posting here). Inline
    ``style`` attributes stay allowed (progress bars set their width that way)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if settings.DREC_CSP and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = settings.DREC_CSP
        return response


class PasswordChangeFirstMiddleware:
    """An account whose password was generated for it (the first super admin) uses the portal
    and Django admin only to change it: every other page leads to the profile's password tab.
    The API refuses it the same way (drec.permissions.AclPermission)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.must_change_password
            and not is_api_request(request)
            and request.path not in (reverse("profile"), reverse("account_logout"))
            and not request.path.startswith(settings.STATIC_URL)
        ):
            messages.warning(request, "Your password was generated for you: choose your own to continue.")
            return redirect(f"{reverse('profile')}?tab=password")
        return self.get_response(request)


class DebugErrorPagesMiddleware:
    """With DEBUG, Django answers an unknown address with its technical page (every route of
    the site listed) and an error with a traceback: the portal shows its own 404 and 500 pages
    in DEBUG too. Without DEBUG Django already uses ``handler404``/``handler500``; the API
    (``/api/...``) answers its JSON errors either way (drec.views.api_not_found, DRF).

    It sits inside CommonMiddleware, whose APPEND_SLASH redirect still applies to the 404."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if settings.DEBUG and not is_api_request(request):
            try:
                resolve(request.path_info, getattr(request, "urlconf", None))
            except Resolver404 as exception:
                return page_not_found(request, exception)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not settings.DEBUG or is_api_request(request):
            return None
        if isinstance(exception, Http404):
            return page_not_found(request, exception)
        if isinstance(exception, (PermissionDenied, BadRequest, SuspiciousOperation)):
            return None  # Django answers these with handler403/handler400, in DEBUG too
        logger.error("Internal Server Error: %s", request.path, exc_info=exception, extra={"status_code": 500})
        return server_error(request)
