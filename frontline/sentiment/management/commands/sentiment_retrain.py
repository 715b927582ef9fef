"""Train the learned sentiment model now, as the nightly task does.

    python manage.py sentiment_retrain                       # on the brand's rated feedback
    python manage.py sentiment_retrain --reviews-csv FILE    # plus an export of past reviews

A reviews file (``Title``, ``Review Text``, ``Rating`` 1-5) lets a brand start from the reviews its
shop collected before Frontline; they join this run's training only (they are not stored).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from frontline.sentiment.feedback import rated_feedback, star_reviews_read
from frontline.sentiment.learning import RatedText
from frontline.sentiment.services import learned_model_retrain


class Command(BaseCommand):
    help = "Train the learned sentiment model and put it in use if it beats the default."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reviews-csv", type=Path, help="Star-rated reviews to learn from")

    def handle(self, *args: Any, **options: Any) -> None:
        rated = list(rated_feedback())
        path: Path | None = options["reviews_csv"]
        if path is not None:
            if not path.is_file():
                raise CommandError(f"No such file: {path}")
            rated += [
                RatedText(key=f"file:{item.key}", text=item.text, label=item.label)
                for item in star_reviews_read(path)
            ]
        self.stdout.write(f"Training on {len(rated)} rated texts…")
        version = learned_model_retrain(rated=rated)
        learned, default = version.learned_evaluation, version.default_evaluation
        if learned and default:
            self.stdout.write(
                f"{version.name}: macro-F1 {learned['macro_f1']} (default {default['macro_f1']}), "
                f"negative F1 {learned['negative_f1']} (default {default['negative_f1']}) "
                f"on {version.held_out_texts} held-out texts."
            )
        self.stdout.write(self.style.SUCCESS(version.get_outcome_display()))
        if version.note:
            self.stdout.write(version.note)
