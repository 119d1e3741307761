"""Journey: the seed manual's API part, §1 (user module), §2 (auth) and §3.1 (permission
request) with the super admin's approval, request by request."""

import re
from urllib.parse import parse_qs, urlparse

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

USER_KEYS = {"createdAt", "updatedAt", "id", "firstName", "lastName", "email", "status", "role", "api_user_id"}


def token_from_mail(message) -> str:
    link = re.search(r"http\S+", message.body).group(0)
    return parse_qs(urlparse(link).query)["token"][0]


def test_manual_user_auth_and_permission_modules(django_capture_on_commit_callbacks, mailoutbox, token_for, admin_user):
    api = APIClient()

    # 1.1.1 Register an ApiUser (the manual's payload).
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/user/register",
            {
                "firstName": "test",
                "lastName": "test",
                "email": "ruivzuocaxbhevdfrk@cwmxc.com",
                "organizationType": "ApiUser",
                "password": "Drec@1234",
                "confirmPassword": "Drec@1234",
                "orgName": "ApiUser_0rg",
                "orgAddress": "Bangalore",
            },
            format="json",
        )
    assert response.status_code == 201
    registered = response.json()
    assert USER_KEYS | {"organization"} <= set(registered)
    assert registered["role"] == "ApiUser"
    assert "password" not in registered
    api_user_id = registered["api_user_id"]
    confirmation_mail = mailoutbox[-1]

    # 2.1 Login.
    response = api.post(
        "/api/auth/login", {"username": "ruivzuocaxbhevdfrk@cwmxc.com", "password": "Drec@1234"}, format="json"
    )
    assert response.status_code == 200
    assert set(response.json()) == {"accessToken"}
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['accessToken']}")

    # 1.3 Me.
    me = api.get("/api/user/me").json()
    assert USER_KEYS | {"organization", "emailConfirmed", "permission_status"} <= set(me)
    assert me["permission_status"] == "Request"
    assert me["organization"]["name"] == "ApiUser_0rg"
    assert me["emailConfirmed"] is False

    # 3.1 Request permissions, then the super admin approves them.
    response = api.post(
        "/api/permission/module/apiuser/request",
        [
            {"aclmodulesId": 1, "permissions": ["Read", "Write", "Update", "Delete"]},
            {"aclmodulesId": 2, "permissions": ["Read", "Write", "Update", "Delete"]},
        ],
        format="json",
    )
    assert response.status_code == 201
    assert response.json() == {"statsu": "success", "message": "Your permission request send successfully"}

    admin = APIClient()
    admin.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(admin_user)}")
    response = admin.put(f"/api/permission/module/verify/ByAdmin/{api_user_id}", {"status": "Active"}, format="json")
    assert response.status_code == 200
    assert api.get("/api/user/me").json()["permission_status"] == "Active"

    # 1.1.2 Register a Developer organization under the ApiUser.
    response = api.post(
        "/api/user/register",
        {
            "firstName": "test",
            "lastName": "test",
            "email": "cko52167@ilebi.com",
            "organizationType": "Developer",
            "password": "Drec@1234",
            "confirmPassword": "Drec@1234",
            "orgName": "ApiUser_Dev_0rg",
            "orgAddress": "Bangalore",
            "api_user_id": api_user_id,
        },
        format="json",
    )
    assert response.status_code == 201
    developer = response.json()
    assert developer["role"] == "OrganizationAdmin"
    assert developer["api_user_id"] == api_user_id

    # 2.1 The developer of an api user cannot log in, 1.2 nor reset its password.
    anonymous = APIClient()
    response = anonymous.post(
        "/api/auth/login", {"username": "cko52167@ilebi.com", "password": "Drec@1234"}, format="json"
    )
    assert response.status_code == 401
    assert response.json()["message"] == "Unauthorized"
    response = anonymous.post("/api/user/forget-password", {"email": "cko52167@ilebi.com"}, format="json")
    assert response.status_code == 401

    # 1.4 Resend the confirmation mail, 1.5 confirm the e-mail address.
    with django_capture_on_commit_callbacks(execute=True):
        response = api.put("/api/user/resend-confirm-email")
    assert response.status_code == 200
    assert response.json() == {"success": True}
    assert mailoutbox[-1] is not confirmation_mail
    assert mailoutbox[-1].to == ["ruivzuocaxbhevdfrk@cwmxc.com"]
    response = anonymous.put(f"/api/user/confirm-email/{token_from_mail(mailoutbox[-1])}")
    assert response.status_code == 200
    assert response.json() == {"success": True, "message": "Email confirmed successfully"}
    assert api.get("/api/user/me").json()["emailConfirmed"] is True

    # 1.2 Forget password, 1.6 reset it with the token from the mail.
    with django_capture_on_commit_callbacks(execute=True):
        response = anonymous.post("/api/user/forget-password", {"email": "ruivzuocaxbhevdfrk@cwmxc.com"}, format="json")
    assert response.status_code == 201
    assert response.json()["success"] is True
    reset_token = token_from_mail(mailoutbox[-1])
    response = anonymous.put(
        f"/api/user/reset/password/{reset_token}",
        {"newPassword": "Drec@5678", "confirmPassword": "Drec@5678"},
        format="json",
    )
    assert response.status_code == 200
    assert set(response.json()) >= USER_KEYS

    # The old token and password are gone; the new password works.
    assert api.get("/api/user/me").status_code == 401
    response = anonymous.post(
        "/api/auth/login", {"username": "ruivzuocaxbhevdfrk@cwmxc.com", "password": "Drec@5678"}, format="json"
    )
    assert response.status_code == 200
