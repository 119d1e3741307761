"""Background work of meter reads (django-q2)."""

from reads import bulk


def reads_csv_job_process(job_id: int) -> None:
    """Process a reads upload (a bulk job of kind "reads"); devices.bulk.csv_jobs_watch
    watches it as it watches device uploads."""
    bulk.reads_csv_job_process(job_id)
