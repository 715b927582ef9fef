from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "frontline.sync"
    label = "sync"
    verbose_name = "Sync with CRM and ERP"

    def ready(self) -> None:
        from frontline.privacy.registry import personal_data_source_register
        from frontline.sync.services import sync_personal_data_erase, sync_personal_data_export

        personal_data_source_register(
            "sync",
            export=sync_personal_data_export,
            erase=sync_personal_data_erase,
            relations=["sync.OutboxMessage.customer", "sync.UncertainMatch.customer"],
        )
        from frontline.customers.signals import note_saved

        note_saved.connect(_write_back_note, dispatch_uid="sync-write-back-note")
        from frontline.privacy.signals import customer_erased

        customer_erased.connect(_write_back_erasure, dispatch_uid="sync-write-back-erasure")

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


def _write_back_erasure(
    *, erasure_id: int, customer_id: int, systems: list[str], **_: Any
) -> dict[str, str]:
    """An erased customer known to the CRM: the CRM is asked to erase its contact too."""
    from django.utils import timezone

    from frontline.sync.services import writeback_erasure

    message = writeback_erasure(
        erasure_id=erasure_id, customer_id=customer_id, occurred_at=timezone.now()
    )
    if message is None or message.source.record_source not in systems:
        return {}
    return {
        message.source.record_source: (
            f"Asked the CRM to erase its contact (outbox message {message.pk}); confirmed "
            "when the CRM reports the contact deleted."
        )
    }
