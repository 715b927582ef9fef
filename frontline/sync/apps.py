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


def _write_back_note(*, note_id: int, **_: Any) -> None:
    """A note saved on the profile goes to the CRM as a Task (through the outbox)."""
    from frontline.sync.services import writeback_customer_note

    writeback_customer_note(note_id=note_id)
