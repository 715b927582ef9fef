"""Score the sentiment of every interaction already stored, from where the last run stopped.

    python manage.py sentiment_backfill              # here, with a progress line
    python manage.py sentiment_backfill --in-worker  # hand it to Celery and return
    python manage.py sentiment_backfill --restart    # score everything again

The checkpoint (customers.SentimentBackfill, one row per model, shown in the admin) moves with
each committed chunk, so Ctrl-C or a crash loses at most one chunk's work and a second run
carries on. Interactions written while it runs are scored by their writers.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from frontline.customers.models import SentimentBackfill
from frontline.customers.sentiment import (
    BACKFILL_CHUNK,
    sentiment_backfill_run,
    sentiment_backfill_start,
)
from frontline.customers.tasks import backfill_sentiment_task


class Command(BaseCommand):
    help = "Score the sentiment of the interactions' history in resumable chunks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chunk", type=int, default=BACKFILL_CHUNK)
        parser.add_argument("--restart", action="store_true", help="Start again from the first")
        parser.add_argument("--in-worker", action="store_true", help="Queue a Celery task")

    def handle(self, *args: Any, **options: Any) -> None:
        backfill = sentiment_backfill_start(restart=options["restart"])
        if backfill.finished_at:
            self.stdout.write(f"{self._line(backfill)}: already done (--restart to redo it).")
            return
        if options["in_worker"]:
            backfill_sentiment_task.delay(backfill.pk)
            self.stdout.write(f"{self._line(backfill)}: queued; progress in the admin.")
            return
        backfill = sentiment_backfill_run(
            backfill_id=backfill.pk, size=options["chunk"], on_chunk=self._progress
        )
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"{self._line(backfill)}: done."))

    def _progress(self, backfill: SentimentBackfill) -> None:
        # One line rewritten in place on a terminal; a line per chunk in a log file.
        ending = "\r" if self.stdout.isatty() else "\n"
        self.stdout.write(self._line(backfill), ending=ending)
        self.stdout.flush()

    @staticmethod
    def _line(backfill: SentimentBackfill) -> str:
        return (
            f"Sentiment backfill {backfill.model}: {backfill.percent_done}% "
            f"({backfill.scored + backfill.unknown} of {backfill.total} interactions, "
            f"up to id {backfill.last_interaction_id}), "
            f"{backfill.scored} scored, {backfill.unknown} unknown"
        )
