"""Every installed model is in the back office (Django admin) or listed, with the reason, as
deliberately absent (drec.admin.ABSENT): a new model cannot be forgotten."""

from django.apps import apps
from django.contrib import admin

from drec.admin import ABSENT


def label(model) -> str:
    return f"{model._meta.app_label}.{model.__name__}"


def test_every_model_is_registered_or_absent_with_a_reason():
    registered = {label(model) for model in admin.site._registry}
    missing = [
        label(model) for model in apps.get_models() if label(model) not in registered and label(model) not in ABSENT
    ]
    assert missing == [], f"register these in their app's admin.py or list them in drec.admin.ABSENT: {missing}"


def test_absent_models_exist_are_not_registered_and_say_why():
    installed = {label(model) for model in apps.get_models()}
    registered = {label(model) for model in admin.site._registry}
    for name, reason in ABSENT.items():
        assert name in installed, f"{name} is listed as absent but is not an installed model"
        assert name not in registered, f"{name} is both registered and listed as absent"
        assert len(reason) > 20, f"{name}: say why it is absent"


def test_one_accounts_section():
    """allauth's e-mail addresses are shown under this project's Accounts, not a second
    section with the same title."""
    titles = [
        config.verbose_name
        for config in apps.get_app_configs()
        if any(model._meta.app_config is config for model in admin.site._registry)
    ]
    assert titles.count("Accounts") == 1, titles
