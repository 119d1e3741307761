"""Background work of devices (django-q2)."""

from devices import bulk

# Recurring tasks, ensured by `manage.py seed`: (name, function, every N minutes).
SCHEDULES = [("Watch bulk upload jobs", "devices.tasks.csv_jobs_watch", 5)]


def csv_job_process(job_id: int) -> None:
    bulk.csv_job_process(job_id)


def csv_jobs_watch() -> None:
    bulk.csv_jobs_watch()
