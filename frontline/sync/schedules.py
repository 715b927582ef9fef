"""Celery beat schedules, one PeriodicTask per source and entity, editable in the admin.

The rows are created once with the defaults below; an admin can change the interval, disable
a schedule or add a crontab without a deploy, and ``sync_schedules`` never overwrites that.
"""

from __future__ import annotations

import json
from typing import Any

# Minutes between runs, per entity.
DEFAULT_MINUTES = {
    "customers": 15,
    "orders": 15,
    "stock": 5,
    "products": 60,
    "interactions": 15,
    "reviews": 60,
}
ENTITIES_BY_KIND = {
    "file_drop": ("customers", "products", "stock", "orders", "reviews"),
    "shopify": ("customers", "products", "stock", "orders"),
    "salesforce": ("customers", "interactions"),
}
TASK = "frontline.sync.tasks.run_sync_task"


def schedule_name(source_name: str, entity: str) -> str:
    return f"sync {source_name} {entity}"


def ensure_schedules(source: Any, interval_model: Any, periodic_task_model: Any) -> int:
    """Create the missing schedules of one source; returns how many were created.

    Takes the model classes so that a data migration can pass its historical models.
    """
    created = 0
    for entity in ENTITIES_BY_KIND[source.kind]:
        every, _ = interval_model.objects.get_or_create(
            every=DEFAULT_MINUTES[entity], period="minutes"
        )
        _, was_created = periodic_task_model.objects.get_or_create(
            name=schedule_name(source.name, entity),
            defaults={
                "task": TASK,
                "interval": every,
                "kwargs": json.dumps({"source_id": source.pk, "entity": entity}),
                "enabled": source.is_active,
            },
        )
        created += int(was_created)
    return created


OUTBOX_SWEEP = "sync outbox sweep"


def ensure_outbox_sweep(interval_model: Any, periodic_task_model: Any) -> bool:
    """The minute-by-minute sweep that sends (and re-sends) write-backs to the CRM."""
    every, _ = interval_model.objects.get_or_create(every=1, period="minutes")
    _, created = periodic_task_model.objects.get_or_create(
        name=OUTBOX_SWEEP,
        defaults={"task": "frontline.sync.tasks.deliver_due_outbox_task", "interval": every},
    )
    return bool(created)
