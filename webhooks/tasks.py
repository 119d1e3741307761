"""Background work of webhooks (django-q2)."""

from datetime import datetime

from webhooks import services

# Recurring tasks, ensured by `manage.py seed`: (name, function, every N minutes).
SCHEDULES = [("Send due webhook deliveries", "webhooks.tasks.deliveries_sweep", 1)]


def delivery_send(delivery_id: int, due_by: datetime | None = None) -> None:
    services.delivery_send(delivery_id, due_by=due_by)


def deliveries_sweep() -> int:
    return services.deliveries_sweep()
