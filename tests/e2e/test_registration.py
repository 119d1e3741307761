"""Registration in Chromium (seed Step 3): the three steps, and for an api user the one-time
private key download followed by the permission request form."""

import re

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from playwright.sync_api import expect

from accounts.models import ApiUserKey, Role, User


def fill_registration(page, *, email: str, organization_type: str, organization: str) -> None:
    page.goto("/register")
    expect(page.get_by_role("heading", name="Register new account")).to_be_visible()
    page.get_by_label("First Name").fill("Asha")
    page.get_by_label("Last Name").fill("Rao")
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Organization Type").select_option(organization_type)
    page.get_by_label("Organization Name").fill(organization)
    page.get_by_label("Organization Address").fill("Bangalore")
    page.get_by_role("button", name="Next").click()
    page.get_by_label(re.compile(r"^Password")).fill("Sunlight-2026")
    page.get_by_label("Confirm Password").fill("Sunlight-2026")


def test_api_user_registers_downloads_its_key_and_lands_on_the_permission_request(page, tmp_path):
    fill_registration(page, email="integrator@example.com", organization_type="ApiUser", organization="Integrator X")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Submit").click()
    download = download_info.value
    assert download.suggested_filename == "private_key.pem"
    path = tmp_path / "private_key.pem"
    download.save_as(path)

    pem = path.read_bytes()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS#8, unencrypted
    private_key = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(private_key, rsa.RSAPrivateKey)
    assert private_key.key_size == 2048

    # The page stays until the key is confirmed saved; then on to the permission request.
    expect(page.get_by_role("heading", name="Your private key")).to_be_visible()
    page.get_by_label("I have saved my key").check()
    page.get_by_role("button", name="Continue to the permission request").click()
    page.wait_for_url("**/apiuser/permission/request/form")
    expect(page.get_by_role("heading", name="Module Permission Request Form")).to_be_visible()

    user = User.objects.get(email="integrator@example.com")
    assert user.role == Role.API_USER
    stored = ApiUserKey.objects.get(api_user__user=user)
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert stored.public_key == public_pem.decode()

    # The key is handed out once: asking again gets the "already downloaded" page.
    response = page.request.post("/apiuser/key/private_key.pem", headers={"Referer": page.url})
    assert response.status in (403, 410)
    assert ApiUserKey.objects.filter(api_user__user=user).count() == 1


def test_developer_registers_and_is_signed_in(page):
    fill_registration(page, email="dev@example.com", organization_type="Developer", organization="Sun Devs")
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url("**/dashboard")
    expect(page.get_by_test_id("role")).to_have_text("Developer organization admin")
    expect(page.get_by_test_id("organization")).to_have_text("Sun Devs")


def test_registration_errors_are_shown_next_to_the_fields(page, developer_admin):
    fill_registration(page, email="newcomer@example.com", organization_type="Buyer", organization="Green Leaf")
    page.get_by_label(re.compile(r"^Password")).fill("short1")
    page.get_by_label("Confirm Password").fill("short1")
    page.get_by_role("button", name="Submit").click()
    # The server refuses; the form opens on the step with the error, next to the field.
    expect(page.locator("#id_password ~ .invalid-feedback").first).to_contain_text("too short")
    expect(page.get_by_label("Confirm Password")).to_be_visible()
    assert not User.objects.filter(email="newcomer@example.com").exists()

    fill_registration(page, email=developer_admin.email, organization_type="Buyer", organization="Green Leaf")
    page.get_by_role("button", name="Submit").click()
    expect(page.locator("#id_email ~ .invalid-feedback")).to_have_text("Already registered.")
    expect(page.get_by_label("Email")).to_be_visible()
