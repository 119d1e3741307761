"""Queueing background work (django-q2)."""

from typing import Any

from django.db import transaction
from django_q.tasks import async_task


def enqueue(func: str, *args: Any, **kwargs: Any) -> None:
    """Queue ``func`` once the current transaction commits, so the task sees the rows it is
    about to read and nothing is sent for work that was rolled back."""
    transaction.on_commit(lambda: async_task(func, *args, **kwargs))
