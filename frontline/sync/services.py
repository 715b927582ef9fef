"""Sync writes other than runs: quarantine retries and the write-back outbox."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from frontline.sync.connectors import connector_for
from frontline.sync.engine import land_records
from frontline.sync.models import QuarantinedRecord


def quarantine_retry(*, record_ids: Iterable[int]) -> tuple[int, int]:
    """Land quarantined records again (after someone fixed their payload).

    Returns (landed, still quarantined); a record that fails again keeps its row with the new
    reason, so the quarantine never grows from retries.
    """
    landed = failed = 0
    records = QuarantinedRecord.objects.filter(
        pk__in=list(record_ids), status=QuarantinedRecord.Status.OPEN
    ).select_related("source")
    for record in records:
        with transaction.atomic():
            landing = land_records(connector_for(record.source), record.entity, [record.payload])
            record.attempts += 1
            if landing.failures:
                record.reason = landing.failures[0].reason
                failed += 1
            else:
                record.status = QuarantinedRecord.Status.RESOLVED
                record.resolved_at = timezone.now()
                landed += 1
            record.save(update_fields=["attempts", "reason", "status", "resolved_at"])
    return landed, failed
