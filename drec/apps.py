from django.apps import AppConfig


class DrecConfig(AppConfig):
    name = "drec"
    verbose_name = "D-REC portal"
