"""WSGI entry point (gunicorn drec.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "drec.settings")

application = get_wsgi_application()
