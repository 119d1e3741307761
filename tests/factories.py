"""factory_boy factories for the suite (cookiecutter-django style)."""

import factory

from accounts.models import ApiUser, Role, User, UserStatus
from organizations.models import Organization, OrganizationType

# Every factory-made user logs in with this password.
PASSWORD = "Solar-Panel-42"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    organization_type = OrganizationType.DEVELOPER
    address = factory.Sequence(lambda n: f"{n} Sun Street")
    org_email = factory.Sequence(lambda n: f"org{n}@example.com")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = Role.USER
    status = UserStatus.ACTIVE
    organization = factory.SubFactory(OrganizationFactory)
    password = factory.django.Password(PASSWORD)


def api_user_create(*, email: str, organization_name: str) -> User:
    """An api user as registration makes it: its ApiUser organization, account and tenant record."""
    organization = OrganizationFactory(name=organization_name, organization_type=OrganizationType.API_USER)
    user = UserFactory(email=email, role=Role.API_USER, organization=organization)
    organization.api_user = ApiUser.objects.create(user=user)
    organization.save(update_fields=["api_user"])
    return user


def managed_organization_create(api_user: User, *, name: str, organization_type: str) -> Organization:
    """A Developer or Buyer organization run by ``api_user``."""
    return OrganizationFactory(name=name, organization_type=organization_type, api_user=api_user.api_user)
