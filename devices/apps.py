from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save

from devices.code_changes import CODE_LIST_MODELS, code_lists_changed


class DevicesConfig(AppConfig):
    name = "devices"
    verbose_name = "Devices"

    def ready(self) -> None:
        # Only a cache to forget (no rule lives here): a code-list row saved or deleted in this
        # process is seen by its very next answer, before the commit's notice reaches the others.
        for model in CODE_LIST_MODELS:
            for signal in (post_save, post_delete):
                signal.connect(code_lists_changed, sender=f"devices.{model}", dispatch_uid=f"code-lists-{model}")
