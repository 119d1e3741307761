"""``manage.py bench``: run the benchmarks of every app and print a table (`make bench`)."""

import importlib
from collections.abc import Iterator
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from drec.bench import Benchmark, Result, table
from drec.routes import OUR_APPS


def benchmarks() -> Iterator[Benchmark]:
    for app in OUR_APPS:
        try:
            module = importlib.import_module(f"{app}.benchmarks")
        except ModuleNotFoundError:
            continue
        yield from module.BENCHMARKS


class Command(BaseCommand):
    help = "Run the performance benchmarks (use scripts/bench.sh: it gives them a throwaway database)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--only", help="run only benchmarks whose name contains this text")
        parser.add_argument("--scale", type=float, default=1.0, help="multiply the data sizes (e.g. 0.1 to try it out)")

    def handle(self, *args: Any, only: str | None = None, scale: float = 1.0, **options: Any) -> None:
        results: list[Result] = []
        if scale > 1:
            self.stderr.write(
                f"The scale tier (x{scale:g}): only what grows with the data (listings, issuance, the back office); "
                "at x10 it takes about 20 minutes, most of it copying 7 million reads in."
            )
        for benchmark in benchmarks():
            if only and only.lower() not in benchmark.name.lower():
                continue
            if scale > 1 and not benchmark.tier:
                continue
            self.stderr.write(f"running: {benchmark.name} …")
            results += benchmark.run(scale=scale)
        self.stdout.write(table(results))
