"""The public code lists' fast path (SPEC §12: at least as fast as the original's 1,374 req/s)."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.urls import reverse

from devices.lookups import CODE_LISTS, code_list_response


class CodeListMiddleware:
    """A plain ``GET``/``HEAD`` of a code list (no query string, JSON acceptable, no ``indent``)
    is answered from the list prepared by devices.lookups right here, after the security
    headers, the Content-Security-Policy and WhiteNoise: sessions, CSRF, authentication,
    messages and the rest have nothing to do for a public list that no cookie changes, and
    running them halved the rate. Everything else (a country search, ``?format=``, OPTIONS, a
    POST's 405, an Accept it cannot meet) goes on to the API views of devices.api as before."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.code_lists = {reverse(name): name for name in CODE_LISTS}

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        name = self.code_lists.get(request.path_info)
        if (
            name is None
            or request.method not in ("GET", "HEAD")
            or request.META.get("QUERY_STRING")
            or "indent" in request.META.get("HTTP_ACCEPT", "")
            or not request.accepts("application/json")
        ):
            return self.get_response(request)
        request.get_host()  # refuses a Host not in ALLOWED_HOSTS, as CommonMiddleware would
        return code_list_response(request, name)
