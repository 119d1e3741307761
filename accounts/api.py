"""Account API: registration, sign-in tokens, api-user keys, the current user, e-mail flows."""

from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.fields import new_account
from accounts.keys import private_key_download
from accounts.models import AccessToken, Role, User
from accounts.rules import API_USER_KEYS, OWN_ACCOUNT, SIGN_UP
from drec.errors import Gone
from drec.formats import iso
from drec.inputs import Email, Text, parse
from drec.permissions import PUBLIC
from organizations.api import OrganizationOut
from organizations.models import Organization

# --- Output -----------------------------------------------------------------------------


class _AccountOut(serializers.Serializer):
    """The fields of an account that every answer about one has."""

    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
    id = serializers.IntegerField()
    firstName = serializers.CharField(source="first_name")
    lastName = serializers.CharField(source="last_name")
    email = serializers.EmailField()
    status = serializers.CharField()
    role = serializers.CharField()
    api_user_id = serializers.SerializerMethodField()

    def get_api_user_id(self, user) -> str | None:
        value = selectors.user_api_user_id(user)
        return str(value) if value else None


class UserOut(_AccountOut):
    organization = serializers.SerializerMethodField()

    @extend_schema_field(inline_serializer("OrganizationRef", {"id": serializers.IntegerField()}))
    def get_organization(self, user) -> dict | None:
        return {"id": user.organization_id} if user.organization_id else None


class MeOut(_AccountOut):
    organization = OrganizationOut(allow_null=True)
    emailConfirmed = serializers.SerializerMethodField()
    permission_status = serializers.SerializerMethodField()

    def get_emailConfirmed(self, user) -> bool:
        return selectors.email_confirmed(user)

    def get_permission_status(self, user) -> str | None:
        api_user = getattr(user, "api_user", None) if user.role == Role.API_USER else None
        return api_user.permission_status if api_user else None

    def to_representation(self, user):
        data = super().to_representation(user)
        if user.role != Role.API_USER:
            data.pop("permission_status")
        return data


def _organization_json(organization: Organization | None) -> dict[str, Any] | None:
    """OrganizationOut's answer, as :func:`me_json` shows it."""
    if organization is None:
        return None
    api_user = organization.api_user if organization.api_user_id else None
    return {
        "createdAt": iso(organization.created_at),
        "updatedAt": iso(organization.updated_at),
        "id": organization.id,
        "name": organization.name,
        "address": organization.address,
        "zipCode": organization.zip_code or None,  # not given: null, as the original
        "city": organization.city or None,
        "country": organization.country or None,
        "organizationType": organization.organization_type,
        "orgEmail": organization.org_email,
        "status": organization.status,
        "api_user_id": str(api_user.api_user_id) if api_user is not None else None,
    }


def me_json(user: User) -> dict[str, Any]:
    """MeOut's answer, written out: GET /api/user/me runs before most screens of a client, and
    DRF's nested serializers cost more than the rest of the call (2 of 4.6 ms in issue 17's
    profile). MeOut stays its schema; tests/accounts/test_me_json.py holds the two equal."""
    api_user_id = selectors.user_api_user_id(user)
    data: dict[str, Any] = {
        "createdAt": iso(user.created_at),
        "updatedAt": iso(user.updated_at),
        "id": user.id,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "email": user.email,
        "status": user.status,
        "role": user.role,
        "api_user_id": str(api_user_id) if api_user_id else None,
        "organization": _organization_json(user.organization),
        "emailConfirmed": selectors.email_confirmed(user),
    }
    if user.role == Role.API_USER:
        api_user = getattr(user, "api_user", None)  # None: no record (RelatedObjectDoesNotExist)
        data["permission_status"] = api_user.permission_status if api_user is not None else None
    return data


SUCCESS = inline_serializer("Success", {"success": serializers.BooleanField(), "message": serializers.CharField()})
# The original's bare answer (no message), e.g. of resend-confirm-email.
SUCCEEDED = inline_serializer("Succeeded", {"success": serializers.BooleanField()})
TOKEN = inline_serializer("AccessToken", {"accessToken": serializers.CharField()})

# --- Registration and sign-in -----------------------------------------------------------


class RegisterIn(serializers.Serializer):
    firstName = Text(max_length=150)
    lastName = Text(max_length=150)
    email = Email(max_length=254)
    password = Text(max_length=128, trim_whitespace=False)
    confirmPassword = Text(max_length=128, trim_whitespace=False)
    organizationType = Text(max_length=20, help_text="Developer, Buyer or ApiUser")
    orgName = Text(max_length=255)
    orgAddress = Text(max_length=500, required=False, allow_blank=True, default="")
    api_user_id = serializers.UUIDField(
        required=False, allow_null=True, help_text="Register a Developer/Buyer organization under yourself."
    )


class RegisterView(APIView):
    # Public for self-registration; registering under an api_user_id is the managed
    # registration, which the service holds to accounts.rules.MANAGED_ORGANIZATION_REGISTER.
    acl = SIGN_UP
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "register"

    @extend_schema(
        tags=["user"],
        summary="Register an organization and its first user",
        request=RegisterIn,
        responses={201: UserOut},
    )
    def post(self, request):
        data = parse(RegisterIn, request.data)
        api_user_id = data.get("api_user_id")
        if api_user_id:
            user = services.managed_organization_register(
                acting_user=request.user, api_user_id=api_user_id, account=new_account(data)
            )
        else:
            user = services.organization_sign_up(account=new_account(data))
        return Response(UserOut(user).data, status=201)


class LoginIn(serializers.Serializer):
    username = Email(required=False, help_text="Your e-mail address")
    email = Email(required=False, help_text="Alias of username")
    password = Text(max_length=128, trim_whitespace=False)

    def validate(self, attrs):
        if not attrs.get("username") and not attrs.get("email"):
            raise serializers.ValidationError({"username": ["This field is required."]})
        return attrs


class LoginView(APIView):
    acl = PUBLIC
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(tags=["auth"], summary="Log in with e-mail and password", request=LoginIn, responses={200: TOKEN})
    def post(self, request):
        data = parse(LoginIn, request.data)
        token = services.auth_login(
            request=request._request, email=data.get("username") or data["email"], password=data["password"]
        )
        return Response({"accessToken": token})


class LogoutView(APIView):
    acl = OWN_ACCOUNT
    open_before_password_change = True  # a generated password must be changed first

    @extend_schema(
        tags=["auth"],
        summary="Revoke the access token of this request",
        request=None,
        responses={200: inline_serializer("Logout", {"message": serializers.CharField()})},
    )
    def post(self, request):
        if isinstance(request.auth, AccessToken):
            services.access_token_revoke(token=request.auth)
        else:
            logout(request._request)
        return Response({"message": "Logout successful"})


class GetAccessView(APIView):
    acl = PUBLIC
    authentication_classes: list = []

    @extend_schema(tags=["auth"], summary="Removed: use /api/auth/token", request=None, responses={410: None})
    def post(self, request):
        raise Gone(
            "This endpoint took a private key in the URL and is gone. Sign a client assertion with your "
            "private key and exchange it at POST /api/auth/token (grant_type=client_credentials, "
            "client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer). See docs/api-clients.md."
        )


# --- Api users' keys and the token endpoint ---------------------------------------------


class KeyOut(serializers.Serializer):
    kid = serializers.CharField()
    algorithm = serializers.CharField()
    active = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="created_at")
    revokedAt = serializers.DateTimeField(source="revoked_at", allow_null=True)

    def get_active(self, key) -> bool:
        return key.revoked_at is None


class KeyIn(serializers.Serializer):
    publicKey = Text(required=False, help_text="PEM SubjectPublicKeyInfo of an RSA 2048+ or Ed25519 key")


KEY_CREATED = "Key registered (JSON); with an empty body, the generated private_key.pem, once"


class KeyListView(APIView):
    acl = API_USER_KEYS
    # JSON only: a form field left blank would be dropped on the way, and a request meant to
    # register a key would get a generated one instead.
    parser_classes = [JSONParser]

    @extend_schema(tags=["auth"], summary="Your application keys", responses={200: KeyOut(many=True)})
    def get(self, request):
        return Response(KeyOut(selectors.key_list(api_user=request.user.api_user), many=True).data)

    @extend_schema(
        tags=["auth"],
        summary="Register your public key, or (empty body) get a generated private key once",
        request=KeyIn,
        responses={
            (201, "application/json"): OpenApiResponse(KeyOut, description=KEY_CREATED),
            (201, "application/x-pem-file"): OpenApiResponse(OpenApiTypes.BINARY, description=KEY_CREATED),
        },
    )
    def post(self, request):
        data = parse(KeyIn, request.data)  # an empty body is {}; a JSON null is refused
        api_user = request.user.api_user
        if data.get("publicKey"):
            key = services.api_user_key_add(api_user=api_user, public_key_pem=data["publicKey"])
            return Response(KeyOut(key).data, status=201)
        key, private_pem = services.api_user_key_generate(api_user=api_user)
        response = private_key_download(private_pem, key.kid)
        response.status_code = 201
        return response


class KeyDetailView(APIView):
    acl = API_USER_KEYS

    @extend_schema(tags=["auth"], summary="Revoke one of your keys", responses={200: SUCCESS})
    def delete(self, request, kid: str):
        services.api_user_key_revoke(api_user=request.user.api_user, kid=kid)
        return Response({"success": True, "message": "Key revoked"})


class TokenIn(serializers.Serializer):
    grant_type = Text()
    client_assertion_type = Text()
    client_assertion = Text()


class TokenView(APIView):
    """RFC 7523 private_key_jwt client authentication."""

    acl = PUBLIC
    authentication_classes: list = []
    parser_classes = [FormParser, JSONParser]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    @extend_schema(
        tags=["auth"],
        summary="Exchange a client assertion signed with your private key for an access token",
        request=TokenIn,
        responses={
            200: inline_serializer(
                "ClientToken",
                {
                    "accessToken": serializers.CharField(),
                    "access_token": serializers.CharField(),
                    "token_type": serializers.CharField(),
                    "expires_in": serializers.IntegerField(),
                },
            )
        },
    )
    def post(self, request):
        data = parse(TokenIn, request.data)
        # From configuration only, never from the request: its Host header is the client's to choose.
        audiences = list(dict.fromkeys([settings.DREC_PUBLIC_URL + "/api/auth/token", *settings.DREC_TOKEN_AUDIENCES]))
        token, lifetime = services.token_from_client_assertion(
            grant_type=data["grant_type"],
            assertion_type=data["client_assertion_type"],
            assertion=data["client_assertion"],
            audiences=audiences,
        )
        return Response({"accessToken": token, "access_token": token, "token_type": "Bearer", "expires_in": lifetime})


# --- The current user -------------------------------------------------------------------


class MeView(APIView):
    acl = OWN_ACCOUNT
    open_before_password_change = True  # a generated password must be changed first

    @extend_schema(tags=["user"], summary="Your account and organization", responses={200: MeOut})
    def get(self, request):
        # The caller as the token lookup found it, organization and api users with it.
        return Response(me_json(request.user))


class ProfileIn(serializers.Serializer):
    firstName = Text(max_length=150)
    lastName = Text(max_length=150)
    email = Email(max_length=254)
    password = Text(
        max_length=128,
        trim_whitespace=False,
        required=False,
        allow_blank=True,
        help_text="Your current password: required when the e-mail changes",
    )


class ProfileView(APIView):
    acl = OWN_ACCOUNT

    @extend_schema(
        tags=["user"],
        summary="Update your name and e-mail (a new e-mail needs the current password and signs out other tokens)",
        request=ProfileIn,
        responses={200: UserOut},
    )
    def put(self, request):
        data = parse(ProfileIn, request.data)
        user = services.user_profile_update(
            user=request.user,
            first_name=data["firstName"],
            last_name=data["lastName"],
            email=data["email"],
            password=data.get("password") or None,
            current_token=request.auth if isinstance(request.auth, AccessToken) else None,
        )
        return Response(UserOut(user).data)


class PasswordIn(serializers.Serializer):
    oldPassword = Text(max_length=128, trim_whitespace=False)
    newPassword = Text(max_length=128, trim_whitespace=False)
    confirmPassword = Text(max_length=128, trim_whitespace=False, required=False)


class PasswordView(APIView):
    acl = OWN_ACCOUNT
    open_before_password_change = True  # a generated password must be changed first

    @extend_schema(
        tags=["user"], summary="Change your password (current one needed)", request=PasswordIn, responses={200: UserOut}
    )
    def put(self, request):
        data = parse(PasswordIn, request.data)
        user = services.user_password_change(
            user=request.user,
            old_password=data["oldPassword"],
            new_password=data["newPassword"],
            confirm_password=data.get("confirmPassword"),
        )
        return Response(UserOut(user).data)


# --- E-mail confirmation and password reset ---------------------------------------------


class ConfirmEmailView(APIView):
    acl = PUBLIC
    authentication_classes: list = []

    @extend_schema(tags=["user"], summary="Confirm your e-mail address", request=None, responses={200: SUCCESS})
    def put(self, request, token: str):
        _user, newly = services.email_confirm(key=token)
        message = "Email confirmed successfully" if newly else "Email already confirmed"
        return Response({"success": True, "message": message})


class ResendConfirmEmailView(APIView):
    acl = OWN_ACCOUNT

    @extend_schema(
        tags=["user"], summary="Send the confirmation e-mail again", request=None, responses={200: SUCCEEDED}
    )
    def put(self, request):
        services.email_confirmation_resend(user=request.user)
        return Response({"success": True})


class ForgetPasswordIn(serializers.Serializer):
    email = Email(max_length=254)


class ForgetPasswordView(APIView):
    acl = PUBLIC
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "password"

    @extend_schema(
        tags=["user"], summary="E-mail a password reset link", request=ForgetPasswordIn, responses={201: SUCCESS}
    )
    def post(self, request):
        data = parse(ForgetPasswordIn, request.data)
        services.password_reset_request(email=data["email"])
        return Response(
            {
                "success": True,
                "message": "If this email is registered, a password reset link has been sent to it.",
            },
            status=201,
        )


class ResetPasswordIn(serializers.Serializer):
    newPassword = Text(max_length=128, trim_whitespace=False)
    confirmPassword = Text(max_length=128, trim_whitespace=False)


class ResetPasswordView(APIView):
    acl = PUBLIC
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "password"

    @extend_schema(
        tags=["user"],
        summary="Set a new password with the token from the reset e-mail",
        request=ResetPasswordIn,
        responses={200: UserOut},
    )
    def put(self, request, token: str):
        data = parse(ResetPasswordIn, request.data)
        user = services.password_reset(
            token=token, new_password=data["newPassword"], confirm_password=data["confirmPassword"]
        )
        return Response(UserOut(user).data)
