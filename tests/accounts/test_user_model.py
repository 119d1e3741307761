import pytest
from django.db import IntegrityError, transaction

from accounts.models import Role, User, UserStatus
from tests.factories import PASSWORD, UserFactory


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "active"),
    [
        (UserStatus.ACTIVE, True),
        (UserStatus.PENDING, False),
        (UserStatus.SUSPENDED, False),
        (UserStatus.DELETED, False),
    ],
)
def test_only_active_accounts_can_authenticate(client, status, active):
    user = UserFactory(status=status)
    user.refresh_from_db()
    assert user.is_active is active
    assert client.login(email=user.email, password=PASSWORD) is active


@pytest.mark.django_db
def test_suspending_an_account_stops_logins(client):
    user = UserFactory()
    user.status = UserStatus.SUSPENDED
    user.save()
    assert User.objects.filter(pk=user.pk, is_active=True).exists() is False
    assert client.login(email=user.email, password=PASSWORD) is False


@pytest.mark.django_db
def test_email_is_stored_lower_case_and_unique():
    user = User.objects.create_user("Mixed.Case@Example.COM", PASSWORD, role=Role.BUYER)
    assert user.email == "mixed.case@example.com"
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("MIXED.case@example.com", PASSWORD)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=user.pk).update(email="Upper@Example.com")


@pytest.mark.django_db
def test_database_refuses_unknown_roles_and_statuses():
    user = UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=user.pk).update(role="Root")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=user.pk).update(status="Sleeping")


@pytest.mark.django_db
def test_only_the_admin_role_can_use_django_admin():
    user = UserFactory(role=Role.ORGANIZATION_ADMIN)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_staff=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_superuser=True)
