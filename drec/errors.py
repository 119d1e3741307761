"""One error shape for every API error (SPEC §9).

``{"success": false, "statusCode": <n>, "error": "<reason>", "message": "<text>"}`` plus
``"errors"`` (per field or per item) for validation failures. Services raise the domain
exceptions below with a message a user can act on; DRF views get the body from
:func:`api_exception_handler`; plain Django views (404 for unknown paths, CSRF failures,
500s) use :func:`error_response`.
"""

import logging
from http import HTTPStatus
from typing import Any, TypeGuard

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from psycopg import errors as pg_errors
from rest_framework import exceptions as drf
from rest_framework.response import Response

logger = logging.getLogger("drec.api")


class DomainError(Exception):
    """A business rule refused the request. ``status_code`` says how (409 unless overridden)."""

    status_code: int = HTTPStatus.CONFLICT

    def __init__(self, message: str, *, errors: Any = None, status_code: int | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors
        self.extra = extra
        if status_code is not None:
            self.status_code = status_code


class InvalidInput(DomainError):
    """400: ``errors`` maps each bad field (or item index) to its reasons."""

    status_code = HTTPStatus.BAD_REQUEST


class Unauthorized(DomainError):
    status_code = HTTPStatus.UNAUTHORIZED


class Forbidden(DomainError):
    status_code = HTTPStatus.FORBIDDEN


class NotFound(DomainError):
    """404: also what an object outside the caller's tenant answers."""

    status_code = HTTPStatus.NOT_FOUND


class Conflict(DomainError):
    status_code = HTTPStatus.CONFLICT


class Gone(DomainError):
    status_code = HTTPStatus.GONE


class PayloadTooLarge(DomainError):
    status_code = HTTPStatus.REQUEST_ENTITY_TOO_LARGE


class TooManyRequests(DomainError):
    """429 with a ``Retry-After`` header."""

    status_code = HTTPStatus.TOO_MANY_REQUESTS

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


# How long a client is told to wait when the database cannot answer (SPEC §9): a restart or a
# failover takes seconds.
DATABASE_RETRY_AFTER_SECONDS = 5


def database_unavailable(exc: BaseException | None) -> TypeGuard[OperationalError | InterfaceError]:
    """Whether ``exc`` says the database could not answer, rather than that the request was
    wrong: the server refused or dropped the connection, is shutting down, or cancelled a
    statement that ran past the request's ``statement_timeout`` (drec.middleware). Django wraps
    psycopg's errors in its own ``OperationalError`` and ``InterfaceError``; a deadlock or a
    serialization failure is an ``OperationalError`` too, and retrying is right for it as well."""
    return isinstance(exc, OperationalError | InterfaceError)


def database_unavailable_message(exc: BaseException) -> str:
    if isinstance(exc.__cause__, pg_errors.QueryCanceled):
        return "The database took too long to answer this request. Try again later."
    return f"The database is unavailable. Try again in {DATABASE_RETRY_AFTER_SECONDS} seconds."


def error_body(status: int, message: str, *, errors: Any = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "success": False,
        "statusCode": int(status),
        "error": HTTPStatus(status).phrase,
        "message": message,
    }
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    return body


def error_response(status: int, message: str, **kwargs: Any) -> JsonResponse:
    """The SPEC §9 body as a plain Django response (for views outside DRF)."""
    return JsonResponse(error_body(status, message, **kwargs), status=status)


def database_unavailable_response(exc: BaseException) -> JsonResponse:
    """503 with the SPEC §9 body and ``Retry-After``: the API's answer while the database is
    down, restarting or too slow (drec.views.server_error, for errors outside DRF)."""
    response = error_response(503, database_unavailable_message(exc))
    response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response


def _plain(detail: Any) -> Any:
    """DRF ``ErrorDetail`` trees as plain JSON (strings, lists, dicts)."""
    if isinstance(detail, dict):
        return {str(key): _plain(value) for key, value in detail.items()}
    if isinstance(detail, list | tuple):
        return [_plain(item) for item in detail]
    return str(detail)


def _first_messages(errors: Any, prefix: str = "") -> list[str]:
    """Flatten an error tree into ``"field: reason"`` lines, in order."""
    if isinstance(errors, dict):
        lines: list[str] = []
        for key, value in errors.items():
            label = key if key != "non_field_errors" else ""
            lines += _first_messages(value, f"{prefix}.{label}" if prefix and label else (label or prefix))
        return lines
    if isinstance(errors, list):
        if all(not isinstance(item, dict | list) for item in errors):
            return [f"{prefix}: {item}" if prefix else str(item) for item in errors]
        lines = []
        for index, item in enumerate(errors):
            if item:
                lines += _first_messages(item, f"{prefix}[{index}]" if prefix else f"[{index}]")
        return lines
    return [f"{prefix}: {errors}" if prefix else str(errors)]


def validation_message(errors: Any) -> str:
    lines = _first_messages(errors)
    if not lines:
        return "Invalid input."
    shown = "; ".join(lines[:3])
    return shown if len(lines) <= 3 else f"{shown}; and {len(lines) - 3} more"


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF exception handler: every exception becomes the SPEC §9 body, never a traceback."""
    # Imported here: DRF's views module loads the authentication classes, which import this.
    from rest_framework.views import set_rollback

    headers: dict[str, str] = {}
    errors = None
    extra: dict[str, Any] = {}

    if isinstance(exc, DomainError):
        status, message, errors, extra = int(exc.status_code), exc.message, exc.errors, exc.extra
        if isinstance(exc, TooManyRequests):
            headers["Retry-After"] = str(exc.retry_after)
        elif isinstance(exc, Unauthorized):
            headers["WWW-Authenticate"] = 'Bearer realm="api"'
    elif isinstance(exc, drf.ValidationError):
        errors = _plain(exc.detail)
        if not isinstance(errors, dict | list):
            errors = [errors]
        status, message = 400, validation_message(errors)
    elif isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed):
        # DRF answers 403 when no authenticator names a scheme; SPEC §9 says 401.
        status, message = 401, str(exc.detail) if isinstance(exc, drf.AuthenticationFailed) else "Unauthorized"
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
    elif isinstance(exc, Http404 | drf.NotFound):
        status, message = 404, str(exc) if isinstance(exc, drf.NotFound) else "Not Found"
    elif isinstance(exc, RequestDataTooBig):
        status, message = 413, "The request body is too large."
    elif isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        # Django refuses such bodies while DRF parses them.
        status, message = 400, "The request has too many fields or files."
    elif isinstance(exc, SuspiciousOperation):
        status, message = 400, "The request could not be understood."
    elif isinstance(exc, DjangoPermissionDenied):
        status, message = 403, str(exc) or "Forbidden resource"
    elif isinstance(exc, drf.Throttled):
        status = 429
        # Throttled sets ``wait`` (seconds, or None) in its __init__; the stubs do not declare it.
        seconds: float | None = getattr(exc, "wait", None)
        wait = int(seconds) if seconds is not None else None
        message = "Too many requests." + (f" Try again in {wait} seconds." if wait is not None else "")
        if wait is not None:
            headers["Retry-After"] = str(wait)
    elif database_unavailable(exc):
        request = context.get("request")
        logger.warning(
            "Database unavailable in %s %s: %s",
            getattr(request, "method", "?"),
            getattr(request, "path", "?"),
            exc.__cause__ or exc,
        )
        status, message = 503, database_unavailable_message(exc)
        headers["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    elif isinstance(exc, drf.APIException):
        status, message = exc.status_code, str(exc.detail) if not isinstance(exc.detail, dict | list) else ""
        if not message:
            errors = _plain(exc.detail)
            message = validation_message(errors)
    else:
        request = context.get("request")
        logger.exception("Unhandled error in %s %s", getattr(request, "method", "?"), getattr(request, "path", "?"))
        status, message = 500, "Internal server error"

    set_rollback()
    return Response(error_body(status, message, errors=errors, **extra), status=status, headers=headers)
