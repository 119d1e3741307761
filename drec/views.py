"""Portal shell views: landing, dashboard, and the error pages of both front doors."""

import sys
from http import HTTPStatus
from typing import Any, cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, HttpResponseServerError, JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt, requires_csrf_token

from accounts.models import User
from drec.errors import (
    DATABASE_RETRY_AFTER_SECONDS,
    database_unavailable,
    database_unavailable_message,
    database_unavailable_response,
    error_response,
)
from drec.menu import landing_url
from drec.permissions import AUTHENTICATED, PUBLIC, RuledView, page, portal_view
from drec.selectors import dashboard_summary


def next_url(request: HttpRequest, default: str) -> str:
    """Where to go after a form: the ``next`` it carried, if it stays on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return resolve_url(default)


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or request.path == "/api"


@portal_view({"GET": page(PUBLIC, no_twin="a redirect to the login or landing page")})
def home(request: HttpRequest) -> HttpResponseRedirect:
    """``/``: the login page for visitors, the role's landing page for users."""
    if not request.user.is_authenticated:
        return redirect("account_login")
    return redirect(landing_url(request.user))


@portal_view({"GET": page(AUTHENTICATED, no_twin="a summary of the caller's lists")})
def dashboard(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)  # signed in: portal_view sends visitors to the login page
    return render(request, "drec/dashboard.html", {"summary": dashboard_summary(user=user)})


@csrf_exempt
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Unknown paths under /api/ answer the API's 404 body, in DEBUG too (whatever the method:
    no CSRF refusal first, as the API's own views are exempt too)."""
    return error_response(404, f"Cannot {request.method} {request.path}")


# Its rule, read off the view by the route registry (drec.routes).
cast(RuledView, api_not_found).acl = PUBLIC


ERROR_TEMPLATES = {400: "400.html", 403: "403.html", 404: "404.html"}


def error_page(request: HttpRequest, status: int, message: str) -> HttpResponse:
    """The error answer of either front door: the API's JSON body, or a page in the layout."""
    if is_api_request(request):
        return error_response(status, message)
    template = ERROR_TEMPLATES.get(status, "400.html")
    context = {"message": message, "status": status, "title": HTTPStatus(status).phrase}
    return render(request, template, context, status=status)


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 400, "The request could not be understood.")


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception) if exception and str(exception) else "Forbidden resource"
    return error_page(request, 403, message)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 404, "Not Found")


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: Django calls it while handling the exception, which ``sys.exc_info()``
    gives. One that says the database could not answer (down, restarting, a statement past its
    timeout) is a 503 with ``Retry-After``: try again soon, nothing was stored."""
    exception = sys.exc_info()[1]
    if database_unavailable(exception):
        if is_api_request(request):
            return database_unavailable_response(exception)
        # No request context (menu, user, session): nothing here may need the database.
        page = loader.get_template("503.html").render({"message": database_unavailable_message(exception)})
        response = HttpResponse(page, status=503)
        response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        return response
    if is_api_request(request):
        return error_response(500, "Internal server error")
    # No request context (menu, user): the page must render even when the database is down.
    return HttpResponseServerError(loader.get_template("500.html").render())


def login_locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """django-axes' answer to a sign-in while the account is locked out after too many wrong
    passwords, in every door (API, portal, Django admin): 429 with ``Retry-After``."""
    wait = int(settings.AXES_COOLOFF_TIME.total_seconds())
    message = f"Too many failed logins for this account. Try again in {wait} seconds."
    response: HttpResponse
    if is_api_request(request):
        response = error_response(429, message)
    else:
        context = {"message": message, "status": 429, "title": HTTPStatus(429).phrase}
        response = render(request, "400.html", context, status=429)
    response["Retry-After"] = str(wait)
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    message = "The form expired or did not come from this site. Reload the page and try again."
    return error_page(request, 403, message)
