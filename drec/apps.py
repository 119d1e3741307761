from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# HS256 keys shorter than the hash (32 bytes) can be guessed offline from any token.
MIN_JWT_SECRET_LENGTH = 32


class DrecConfig(AppConfig):
    name = "drec"
    verbose_name = "D-REC portal"

    def ready(self) -> None:
        # Every process (gunicorn, the task cluster, manage.py) refuses a guessable token key in
        # production: whoever knows it can sign access tokens (the original's "thisisnotsecret").
        if not settings.DEBUG and len(settings.DREC_JWT_SECRET or "") < MIN_JWT_SECRET_LENGTH:
            raise ImproperlyConfigured(
                f"DREC_JWT_SECRET (default: DJANGO_SECRET_KEY) must have at least {MIN_JWT_SECRET_LENGTH} "
                "random characters when DJANGO_DEBUG=0."
            )
