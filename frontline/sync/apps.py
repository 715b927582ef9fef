from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "frontline.sync"
    label = "sync"
    verbose_name = "Sync with CRM and ERP"

    def ready(self) -> None:
        from frontline.customers.signals import note_saved

        note_saved.connect(_write_back_note, dispatch_uid="sync-write-back-note")

        from frontline.followups.signals import followup_completed

        followup_completed.connect(_write_back_followup, dispatch_uid="sync-write-back-followup")


def _write_back_note(*, note_id: int, **_: Any) -> None:
    """A note saved on the profile goes to the CRM as a Task (through the outbox)."""
    from frontline.sync.services import writeback_customer_note

    writeback_customer_note(note_id=note_id)


def _write_back_followup(
    *,
    followup_id: int,
    customer_id: int,
    outcome: str,
    summary: str,
    occurred_at: Any,
    **_: Any,
) -> None:
    """A completed follow-up goes to the CRM as a Task (through the outbox)."""
    from frontline.sync.services import writeback_followup_outcome

    writeback_followup_outcome(
        followup_id=followup_id,
        customer_id=customer_id,
        outcome=outcome,
        summary=summary,
        occurred_at=occurred_at,
    )
