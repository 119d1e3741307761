"""Test-only middleware: no response of the suite may carry a password hash or a private
key, except the one-time private-key downloads (marked by their X-Key-Id header)."""

import re

SECRET = re.compile(rb"(pbkdf2_sha256\$|pbkdf2_sha1\$|argon2\$|bcrypt\$|md5\$|\$2[aby]\$\d\d\$|PRIVATE KEY-----)")


class NoSecretsInResponses:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not getattr(response, "streaming", False) and "X-Key-Id" not in response:
            match = SECRET.search(response.content)
            assert match is None, f"{request.method} {request.path} answered a secret: {match.group(0)!r}"
        return response
