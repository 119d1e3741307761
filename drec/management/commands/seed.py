"""``manage.py seed``: make sure a fresh install can be used at once.

Migrations already seed the ACL modules, roles and code lists; this command re-checks them
and creates the super admin if the migration could not (no password configured then).
"""

import importlib

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_q.models import Schedule

from accounts.models import UserRole
from accounts.services import admin_ensure
from acl.models import AclModule
from certificates import ledger
from devices.models import Country
from drec.routes import OUR_APPS


class Command(BaseCommand):
    help = "Create the super admin from DREC_ADMIN_EMAIL/DREC_ADMIN_PASSWORD if missing; report seeded data."

    def handle(self, *args, **options):
        user, created = admin_ensure(email=settings.DREC_ADMIN_EMAIL, password=settings.DREC_ADMIN_PASSWORD)
        if user is None:
            raise CommandError("No super admin exists and DREC_ADMIN_PASSWORD is not set.")
        state = "created" if created else "present"
        self.stdout.write(f"Super admin {user.email}: {state}.")
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
