"""``manage.py seed``: make sure a fresh install can be used at once.

Migrations already seed the ACL modules, roles and code lists; this command re-checks them
and creates the super admin if the migration could not (no password configured then).
"""

import importlib
import secrets
import string
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_q.models import Schedule

from accounts.models import User, UserRole
from accounts.services import admin_ensure
from acl.models import AclModule
from certificates import ledger
from devices.models import Country
from drec.routes import OUR_APPS


class Command(BaseCommand):
    help = (
        "Create the super admin from DREC_ADMIN_EMAIL/DREC_ADMIN_PASSWORD if missing (without a password: "
        "a generated one, printed once, to be changed at the first sign-in); report seeded data."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        password, generated = settings.DREC_ADMIN_PASSWORD, False
        if not password and not User.objects.filter(email=settings.DREC_ADMIN_EMAIL).exists():
            password, generated = generated_password(), True
        user, created = admin_ensure(email=settings.DREC_ADMIN_EMAIL, password=password, generated=generated)
        if user is None:
            raise CommandError("No super admin exists and none could be created.")
        if created and generated:
            # Shown here once and kept nowhere else; the first sign-in must replace it.
            self.stdout.write(
                self.style.WARNING(
                    f"Super admin {user.email} created with the generated password  {password}  "
                    "(shown only now; you will be asked to change it when you first sign in)."
                )
            )
        else:
            self.stdout.write(f"Super admin {user.email}: {'created' if created else 'present'}.")
        self.stdout.write(
            f"ACL modules: {AclModule.objects.count()}, roles: {UserRole.objects.count()}, "
            f"countries: {Country.objects.count()}."
        )
        for name in schedules_ensure():
            self.stdout.write(f"Scheduled: {name}.")
        # The ledger's issuer key: loaded, or created on this first start (back it up).
        where = "DREC_LEDGER_PRIVATE_KEY" if settings.DREC_LEDGER_PRIVATE_KEY else settings.DREC_LEDGER_KEY_FILE
        self.stdout.write(f"Ledger issuer key: {ledger.key_id()} ({where}).")


def schedules_ensure() -> list[str]:
    """Create or update the recurring tasks each app declares in ``<app>/tasks.py: SCHEDULES``."""
    names = []
    for app in OUR_APPS:
        try:
            tasks = importlib.import_module(f"{app}.tasks")
        except ModuleNotFoundError:
            continue
        for name, func, minutes in getattr(tasks, "SCHEDULES", []):
            Schedule.objects.update_or_create(
                name=name, defaults={"func": func, "schedule_type": Schedule.MINUTES, "minutes": minutes, "repeats": -1}
            )
            names.append(name)
    return names


def generated_password() -> str:
    """A random password that passes the password rules (letters and digits, 20 characters)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(20))
        if any(c.isalpha() for c in password) and any(c.isdigit() for c in password):
            return password
