"""Where the brand's rated feedback comes from: each domain that holds some registers a source.

A source is a function returning the rated texts it holds (``RatedText``: a key unique across
sources, the customer's words, the label their own rating gives them). Registered from the
owning app's ``AppConfig.ready()``, as the surveys do with their answers:

    rated_feedback_source_register("surveys", survey_answers_rated)

The nightly training reads them all; sentiment never imports the domains it learns from.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from frontline.sentiment.learning import RatedText, stars_label

FeedbackSource = Callable[[], Iterable[RatedText]]

_SOURCES: dict[str, FeedbackSource] = {}


def rated_feedback_source_register(name: str, source: FeedbackSource) -> None:
    _SOURCES[name] = source


def rated_feedback() -> Iterator[RatedText]:
    """Every rated text of every registered source, keys prefixed by the source's name."""
    for name, source in _SOURCES.items():
        for item in source():
            yield RatedText(key=f"{name}:{item.key}", text=item.text, label=item.label)


def star_reviews_read(path: Path) -> list[RatedText]:
    """Reviews from a CSV with ``Title``, ``Review Text`` and ``Rating`` (1-5) columns.

    A brand's export of its shop's reviews, or the public clothing-review set the quality
    benchmark uses. The key is the row's position in the file, so the split stays fixed.
    Rows with no words or no valid rating are skipped.
    """
    with path.open(newline="", encoding="utf-8") as source:
        return [
            RatedText(key=str(position), text=text, label=stars_label(int(stars)))
            for position, row in enumerate(csv.DictReader(source))
            if (text := _review_text(row))
            and (stars := (row.get("Rating") or "").strip()) in _STARS
        ]


_STARS = frozenset("12345")


def _review_text(row: dict[str, str]) -> str:
    return f"{row.get('Title') or ''}. {row.get('Review Text') or ''}".strip(". ")
