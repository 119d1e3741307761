"""Handing an api user the private key generated for it: once, streamed, never kept (both
doors: the end of the portal's registration and POST /api/auth/keys)."""

from django.http import HttpResponse

from drec.http import attachment


def private_key_download(private_pem: bytes, kid: str) -> HttpResponse:
    response = attachment(private_pem, "private_key.pem", "application/x-pem-file", once=True)
    response["X-Key-Id"] = kid
    return response
