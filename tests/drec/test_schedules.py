"""`manage.py seed` creates the recurring task of every app that declares one, webhooks'
retries included (they were left out while the app was missing from drec.routes.OUR_APPS)."""

import importlib
from pathlib import Path

import pytest
from django.conf import settings
from django_q.models import Schedule

from drec.management.commands.seed import schedules_ensure
from drec.routes import OUR_APPS

pytestmark = pytest.mark.django_db


def test_every_app_of_the_project_is_one_of_ours():
    apps = {path.parent.name for path in Path(settings.BASE_DIR).glob("*/apps.py")}
    assert apps == set(OUR_APPS)


def test_seed_schedules_every_declared_task_with_its_period():
    declared = {
        func: minutes
        for app in OUR_APPS
        if importlib.util.find_spec(f"{app}.tasks")
        for _name, func, minutes in getattr(importlib.import_module(f"{app}.tasks"), "SCHEDULES", [])
    }
    schedules_ensure()
    assert dict(Schedule.objects.values_list("func", "minutes")) == declared
    assert declared["webhooks.tasks.deliveries_sweep"] == 1
