"""Background work of devices (django-q2)."""

from devices import bulk

# Recurring tasks, ensured by `manage.py seed`: (name, function, every N minutes).
SCHEDULES = [
    ("Watch bulk upload jobs", "devices.tasks.csv_jobs_watch", 5),
    ("Remove old uploaded files", "devices.tasks.uploaded_files_purge", 60),
]


def csv_job_process(job_id: int) -> None:
    bulk.csv_job_process(job_id)


def csv_jobs_watch() -> None:
    bulk.csv_jobs_watch()


def uploaded_files_purge() -> int:
    """Delete the files of POST /api/file older than DREC_UPLOAD_RETENTION_HOURS."""
    return bulk.uploaded_files_purge()
