"""Create the default Celery beat schedules of every active source (never overwrites edits)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from frontline.sync.models import Source
from frontline.sync.schedules import ensure_outbox_sweep, ensure_schedules


class Command(BaseCommand):
    help = "Create missing sync schedules (customers/orders every 15 min, stock every 5 min)."

    def handle(self, *args: Any, **options: Any) -> None:
        created = sum(
            ensure_schedules(source, IntervalSchedule, PeriodicTask)
            for source in Source.objects.filter(is_active=True)
        )
        created += ensure_outbox_sweep(IntervalSchedule, PeriodicTask)
        self.stdout.write(f"{created} schedule(s) created.")
