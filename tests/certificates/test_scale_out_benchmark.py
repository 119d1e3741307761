"""The scale-out benchmark (certificates/scale_out.py) keeps working: run small here, with its own
redis-server, two gunicorn processes and qcluster workers on the Redis broker (`make bench ARGS="--only
scale-out"` runs it full size). Its figure is a machine's; what is checked here is that it runs, issues
every certificate exactly once through the workers, and leaves no process behind."""

import os
import shutil
from pathlib import Path

import pytest

from certificates.benchmarks import BENCHMARKS
from certificates.models import Certificate

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="Debian's redis-server is not installed"),
]


def _children() -> set[int]:
    """This process's child processes."""
    children = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            if parent == os.getpid():
                children.add(int(entry.name))
    return children


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_on_redis_issue_every_certificate_exactly_once():
    (benchmark,) = [benchmark for benchmark in BENCHMARKS if "scale-out" in benchmark.name]
    before = _children()
    results = benchmark.run(scale=0.01)  # 40 reservations x 5 devices x 4 days
    figure, one_worker, two_workers, rerun = results
    assert "40 reservations x 5 devices x 4 days" in figure.name
    assert "160 certificates each, exactly once" in figure.figure
    assert figure.met in (True, False)  # a machine's figure, compared with its goal
    assert figure.goal == "≥ 1.6x, exactly once"
    assert "PostgreSQL" in one_worker.figure
    assert "PostgreSQL" in two_workers.figure
    assert rerun.figure.endswith("issued 0 and 0")
    assert Certificate.objects.count() == 2 * 160 + 40  # and a warm-up of 40 reservations x 1 day
    assert _children() <= before  # redis-server, gunicorn and qcluster all stopped
