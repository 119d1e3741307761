"""The benchmarks of `make bench` keep working (run small here; `make bench` runs them full size)."""

import pytest

from devices.benchmarks import bulk_vs_copy
from drec.bench import table


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_bulk_upload_benchmark_runs_and_reports():
    results = bulk_vs_copy(scale=0.01)
    assert [result.name for result in results] == [
        "PostgreSQL COPY of 100 device rows",
        "Bulk CSV upload of 100 devices, upload to Completed",
    ]
    assert results[0].met is None  # the reference figure
    assert results[1].met in (True, False)  # compared with its goal
    printed = table(results)
    assert "rows/s" in printed
    assert "≤ 20 s for 10,000" in printed
