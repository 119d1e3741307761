"""Reading requests and writing response headers safely: the client's address (behind the
configured number of trusted proxies only), and headers built from text a user chose."""

import unicodedata

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header

# Control characters (C0, DEL, C1: line feed, carriage return, tab...) and the Unicode line and
# paragraph separators.
UNSAFE_CATEGORIES = {"Cc", "Zl", "Zp"}


def content_disposition(filename: str) -> str:
    """The ``Content-Disposition`` of a download saved as ``filename`` (RFC 6266, by Django).

    Control characters become spaces first: a header holding a line break is refused by Django
    (``BadHeaderError``, a 500), so a name stored before names were checked would otherwise
    make its every download fail; a file name has no use for them anyway."""
    cleaned = "".join(" " if unicodedata.category(char) in UNSAFE_CATEGORIES else char for char in filename)
    return content_disposition_header(True, " ".join(cleaned.split())) or "attachment"


def client_ip(request: HttpRequest) -> str:
    """The client's address: the connection's own, or behind DREC_TRUSTED_PROXIES proxies the
    address the outermost of them saw (that many entries from the right of X-Forwarded-For;
    whatever the client wrote to the left of them is ignored). DRF's throttles (NUM_PROXIES),
    allauth's and django-axes read it the same way."""
    address: str = request.META.get("REMOTE_ADDR", "")
    proxies = settings.DREC_TRUSTED_PROXIES
    forwarded: str = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            address = hops[-min(proxies, len(hops))]
    return address


def attachment(content: str | bytes, filename: str, content_type: str, *, once: bool = False) -> HttpResponse:
    """A download saved as ``filename``; ``once``: a secret handed over a single time (a
    generated private key), which no cache may keep."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename)
    if once:
        response["Cache-Control"] = "no-store"
    return response
