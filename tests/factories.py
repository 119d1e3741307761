"""factory_boy factories for the suite (cookiecutter-django style)."""

import factory

from accounts.models import Role, User, UserStatus
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
