"""``manage.py routes [--api]``: every route with the access rule it declares (portal pages:
per method and form action, with the API operation that does the same thing)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from drec.routes import routes


class Command(BaseCommand):
    help = "List the routes of the project and the access rule each declares."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--api", action="store_true", help="only the API under /api/")

    def handle(self, *args: Any, **options: Any) -> None:
        for route in routes():
            if options["api"] and not route.is_api:
                continue
            if not route.is_ours:
                continue
            rule = route.rule.describe() if route.rule else "NO RULE"
            twin = f"  = {route.declared.twin}" if route.declared is not None and route.declared.twin else ""
            self.stdout.write(f"{route.key:18} /{route.path:60} {rule}{twin}")
