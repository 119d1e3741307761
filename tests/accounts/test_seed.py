import pytest
from django.conf import settings
from django.core.management import call_command

from accounts.models import Role, User, UserRole
from organizations.models import OrganizationType


@pytest.mark.django_db
def test_super_admin_is_seeded_from_settings(client):
    admin = User.objects.get(email=settings.DREC_ADMIN_EMAIL)
    assert admin.role == Role.ADMIN
    assert admin.is_staff
    assert admin.is_superuser
    assert admin.is_active
    assert admin.organization.organization_type == OrganizationType.ADMIN
    assert client.login(email=settings.DREC_ADMIN_EMAIL, password=settings.DREC_ADMIN_PASSWORD)
    # The Django admin is mounted at /django-admin/ (so /admin/... stays the portal's).
    assert client.get("/django-admin/").status_code == 200


@pytest.mark.django_db
def test_roles_keep_the_original_ids():
    assert list(UserRole.objects.values_list("id", "name")) == [
        (1, "Admin"),
        (2, "OrganizationAdmin"),
        (3, "DeviceOwner"),
        (4, "Buyer"),
        (5, "User"),
        (6, "ApiUser"),
        (7, "SubBuyer"),
    ]


@pytest.mark.django_db
def test_seed_command_is_idempotent_and_keeps_the_admin_password(capsys):
    admin = User.objects.get(email=settings.DREC_ADMIN_EMAIL)
    admin.set_password("Changed-by-operator-1")
    admin.save()
    call_command("seed")
    call_command("seed")
    assert User.objects.filter(role=Role.ADMIN).count() == 1
    admin.refresh_from_db()
    assert admin.check_password("Changed-by-operator-1")
    assert "ACL modules: 15, roles: 7, countries: 249." in capsys.readouterr().out


@pytest.mark.django_db
def test_seed_command_creates_a_missing_admin(settings):
    User.objects.filter(email=settings.DREC_ADMIN_EMAIL).delete()
    settings.DREC_ADMIN_EMAIL = "Ops@Example.com"
    call_command("seed")
    assert User.objects.get(email="ops@example.com").role == Role.ADMIN
