"""API authentication: ``Authorization: Bearer <access token>``."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from accounts.models import AccessToken, User
from accounts.selectors import access_token_user
from drec.errors import Unauthorized


class BearerTokenAuthentication(BaseAuthentication):
    """Access tokens from /api/auth/login or /api/auth/token; revoked tokens are refused."""

    def authenticate(self, request: Request) -> tuple[User, AccessToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != b"bearer":
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Unauthorized")
        try:
            user, token = access_token_user(parts[1].decode("latin-1"))
        except Unauthorized as error:
            raise AuthenticationFailed(error.message) from None
        return user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "drec.authentication.BearerTokenAuthentication"
    name = "access-token"

    def get_security_definition(self, auto_schema: object) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
