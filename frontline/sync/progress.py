"""Live progress of sync runs, pushed to the managers' open run pages.

After each page (and when the run ends) the run's figures go to every staff member who may see
sync runs, over their notifications socket, as a ``sync.run_progress`` live event. Nothing is
stored: the run row is the record, and the page reads it again whenever its socket (re)opens.

A fast run lands many pages a second; pushes are throttled per run to one every
``SYNC_PROGRESS_PUSH_SECONDS``. The last figures held back are sent when the window ends (so the
page never stays a page behind during a slow page), and a run's final state is always sent at
once.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from frontline.notifications.audiences import Audience, to_staff
from frontline.notifications.services import live_event_send
from frontline.sync import selectors
from frontline.sync.models import Run

logger = logging.getLogger("frontline.sync")

EVENT_TYPE = "sync.run_progress"


def run_progress_event(run: Run) -> dict[str, Any]:
    return {
        "type": EVENT_TYPE,
        "run": {
            "id": run.pk,
            "source": run.source.name,
            "entity": run.entity,
            "status": run.status,
            "status_display": run.get_status_display(),
            "pages": run.pages,
            "created": run.created,
            "updated": run.updated,
            "unchanged": run.unchanged,
            "quarantined": run.quarantined,
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        },
    }


@dataclass
class _Held:
    recipients: Audience
    event: dict[str, Any]
    timer: threading.Timer


class ProgressThrottle:
    """At most one push per run and window: leading edge at once, trailing edge by a timer."""

    # Runs whose last push is remembered; a killed run leaves its entry, so keep this bounded.
    REMEMBERED_RUNS = 256

    def __init__(self) -> None:
        # Held while sending too, so that a timer's held-back figures can never overtake the
        # final state of the same run on the way out.
        self._lock = threading.Lock()
        self._last_sent: dict[int, float] = {}
        self._held: dict[int, _Held] = {}

    def submit(
        self, run_id: int, recipients: Audience, event: dict[str, Any], *, final: bool
    ) -> None:
        interval = float(settings.SYNC_PROGRESS_PUSH_SECONDS)
        with self._lock:
            held = self._held.pop(run_id, None)
            if held is not None:
                held.timer.cancel()  # these figures are newer than the ones it held
            if final:
                self._last_sent.pop(run_id, None)
                _send(recipients, event)
                return
            wait = self._last_sent.get(run_id, float("-inf")) + interval - time.monotonic()
            if wait <= 0:
                self._remember(run_id)
                _send(recipients, event)
                return
            timer = threading.Timer(wait, self._send_held, args=(run_id,))
            timer.daemon = True
            self._held[run_id] = _Held(recipients, event, timer)
            timer.start()

    def _send_held(self, run_id: int) -> None:
        with self._lock:
            held = self._held.pop(run_id, None)
            if held is None:
                return  # overtaken by newer figures or the final state
            self._remember(run_id)
            _send(held.recipients, held.event)

    def _remember(self, run_id: int) -> None:
        self._last_sent[run_id] = time.monotonic()
        if len(self._last_sent) > self.REMEMBERED_RUNS:
            del self._last_sent[next(iter(self._last_sent))]


def _send(recipients: Audience, event: dict[str, Any]) -> None:
    try:
        live_event_send(recipients=recipients, event=event)
    except Exception:
        # Progress is a convenience: a channel layer that is down must not fail a sync page,
        # and the page reads the run again when its socket comes back.
        logger.warning(
            "could not push the progress of sync run %s", event["run"]["id"], exc_info=True
        )


_throttle = ProgressThrottle()


def run_progress_push(*, run: Run) -> None:
    """Tell the open run pages how the run is doing, once the page's transaction commits."""
    recipients = to_staff(*selectors.sync_viewers())
    if not recipients:
        return
    event = run_progress_event(run)
    final = run.status != Run.Status.RUNNING
    transaction.on_commit(
        lambda: _throttle.submit(run.pk, recipients, event, final=final), robust=True
    )
