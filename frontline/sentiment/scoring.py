"""How a customer's words felt: a score in [-1, 1] and a label, behind one interface.

Its own domain rather than a corner of ``customers``: scoring is pure (text in, label out),
several domains write text that needs it (timelines, holds, later reviews and survey answers),
and the learned model that comes next brings its own tables, training task and admin page.

The shipped default is VADER, a lexicon model for English whose lexicon ships inside the
``vaderSentiment`` package (no download at run time). The language is detected first with
py3langid, whose model also ships in its package, because VADER reads any text as English:
"Das Kleid war nicht gut" would come out strongly negative for the wrong reason. Text that no
model covers, or that has nothing to score, is labelled "unknown" with no score, never a
made-up neutral.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

logger = logging.getLogger("frontline.sentiment")

# The labels, spelled as the interactions' Sentiment choices spell them.
POSITIVE = "positive"
NEUTRAL = "neutral"
NEGATIVE = "negative"
UNKNOWN = "unknown"

# VADER's documented thresholds on its compound score.
LABEL_THRESHOLD = 0.05
# What is scored of a text: its opening. A long text's sentiment shows early, and the cost of
# scoring grows with length; what is stored is never cut here.
SCORED_CHARACTERS = 1_000
# Taken off a raw text before its markup is stripped, so that 1 MB of HTML costs no more
# than a page of it.
RAW_CHARACTERS = 8 * SCORED_CHARACTERS
# Below this many words the language detector guesses ("ok" comes out as Arabic); a short
# text is read as English when it is plain Latin script and the lexicon knows one of its words.
SHORT_TEXT_WORDS = 4

_TAG = re.compile(r"<[^>]{0,500}>")
_SPACE = re.compile(r"\s+")
# A letter of any script: digits, punctuation and emoji are not words.
_WORD = re.compile(r"[^\W\d_]+")
_LATIN = re.compile(r"[A-Za-z'\-]+")


@dataclass(frozen=True)
class Score:
    label: str
    # None with the "unknown" label: there is nothing to average into a trend.
    score: float | None
    # ISO 639-1 code as detected, "" when there were no words to detect it from.
    language: str
    model: str


class SentimentModel(Protocol):
    """One way of scoring texts; ``languages`` are those it may be trusted with."""

    name: str
    languages: frozenset[str]

    def read(self, text: str) -> tuple[str, float]:
        """The text's label and its polarity from -1 to 1 (0 where nothing goes either way)."""
        ...

    def knows_a_word_of(self, text: str) -> bool: ...


class LexiconModel:
    """VADER: a rule-aware English lexicon (negation, boosters, "but", emoji, emoticons)."""

    # Named with a version: a change to how it scores is a new model, and the backfill (one
    # checkpoint per model name) then scores the history again.
    name = "vader-1"
    languages = frozenset({"en"})

    def __init__(self) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._analyzer: Any = SentimentIntensityAnalyzer()

    def polarity(self, text: str) -> float:
        return float(self._analyzer.polarity_scores(text)["compound"])

    def read(self, text: str) -> tuple[str, float]:
        polarity = self.polarity(text)
        return _label(polarity), polarity

    def knows_a_word_of(self, text: str) -> bool:
        lexicon = self._analyzer.lexicon
        return any(word.lower() in lexicon for word in _LATIN.findall(text))


@cache
def lexicon_model() -> SentimentModel:
    return LexiconModel()


@cache
def default_model() -> SentimentModel:
    """The model used until a learned one beats it: a local ONNX model where one is configured
    (``SENTIMENT_ONNX_DIR``) and can be loaded, else the shipped lexicon.

    A configured model that cannot be loaded is logged as an error (and reported by the system
    check) rather than raised: the texts are then read by the lexicon, never left unscored.
    """
    from django.conf import settings

    directory = settings.SENTIMENT_ONNX_DIR
    if not directory:
        return lexicon_model()
    from frontline.sentiment.local_model import LocalModel, LocalModelUnavailable

    try:
        return LocalModel(Path(directory))
    except LocalModelUnavailable as error:
        logger.error("The local sentiment model is not used, the lexicon reads instead: %s", error)
        return lexicon_model()


@cache
def _language_identifier() -> Any:
    # Loading the detector's model takes about a second, so once per process, on first use.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)


def models_warm() -> None:
    """Load the default model (a local ONNX model included) and the language detector now
    rather than on the first text."""
    text_score(text="Thank you, that was lovely.")


def text_clean(text: str) -> str:
    """The words of ``text`` as a reader sees them: markup and entities gone, spaces single."""
    text = text[:RAW_CHARACTERS].replace("\x00", "")
    text = html.unescape(_TAG.sub(" ", text))
    return _SPACE.sub(" ", text).strip()[:SCORED_CHARACTERS]


def text_language(text: str) -> str:
    """The language of cleaned text, ISO 639-1; "" when it has no words."""
    if not _WORD.search(text):
        return ""
    return str(_language_identifier().classify(text)[0])


def text_score(*, text: str | None, model: SentimentModel | None = None) -> Score:
    """Score one text. Never raises on its content: anything unreadable is "unknown"."""
    model = model or default_model()
    cleaned = text_clean(text or "")
    detected = text_language(cleaned)
    if not detected:
        # No words: only the lexicon knows what emoji and emoticons say; a learned model's
        # character n-grams (or a transformer's sub-words) would read noise into them.
        model = lexicon_model()
    language = _read_as(cleaned, detected, model)
    if language is None:
        return Score(label=UNKNOWN, score=None, language=detected, model=model.name)
    label, polarity = model.read(cleaned)
    polarity = max(-1.0, min(1.0, round(polarity, 4)))
    return Score(label=label, score=polarity, language=language, model=model.name)


def texts_score(*, texts: Iterable[str | None], model: SentimentModel | None = None) -> list[Score]:
    """Score a batch (a sync page, a backfill chunk) with the model loaded once."""
    model = model or default_model()
    return [text_score(text=text, model=model) for text in texts]


def _read_as(cleaned: str, detected: str, model: SentimentModel) -> str | None:
    """The language the model reads the text in, or None where it cannot read it."""
    if not cleaned:
        return None
    if not detected:
        # No words, only emoji or emoticons: those the lexicon knows carry the same feeling in
        # every language ("😍", ":)"); a text the model finds nothing in stays unknown.
        return "" if model.read(cleaned)[1] != 0 else None
    if detected in model.languages:
        return detected
    words: Sequence[str] = _WORD.findall(cleaned)
    short_english = (
        len(words) < SHORT_TEXT_WORDS
        and "en" in model.languages
        and all(_LATIN.fullmatch(word) for word in words)
        and model.knows_a_word_of(cleaned)
    )
    return "en" if short_english else None


def _label(polarity: float) -> str:
    if polarity >= LABEL_THRESHOLD:
        return POSITIVE
    if polarity <= -LABEL_THRESHOLD:
        return NEGATIVE
    return NEUTRAL
