"""The benchmark harness of `make bench`: each app lists its benchmarks in
``<app>/benchmarks.py: BENCHMARKS`` and ``manage.py bench`` runs them and prints one table.

A benchmark builds its own data in the throwaway database of scripts/bench.sh and returns
``Result`` rows; figures are compared with a goal where SPEC §12 sets one.
"""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class Result:
    name: str
    figure: str
    goal: str = ""
    met: bool | None = None  # None: a reference figure, no goal


@dataclass(frozen=True)
class Benchmark:
    name: str
    run: Callable[..., list[Result]]


@contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    """``with stopwatch() as elapsed: ...; elapsed()`` in seconds."""
    start = time.perf_counter()
    end: list[float] = []
    yield lambda: (end[0] if end else time.perf_counter()) - start
    end.append(time.perf_counter())


def table(results: list[Result]) -> str:
    rows = [("Benchmark", "Result", "Goal", "")]
    for result in results:
        verdict = "" if result.met is None else ("met" if result.met else "MISSED")
        rows.append((result.name, result.figure, result.goal or "reference", verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return "\n".join(lines)
