"""The default model on real sentences: English read, other languages and wordless text unknown."""

from __future__ import annotations

import time

import pytest

from frontline.sentiment.scoring import (
    NEGATIVE,
    NEUTRAL,
    POSITIVE,
    SCORED_CHARACTERS,
    UNKNOWN,
    text_clean,
    text_score,
    texts_score,
)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("The dress was lovely, thank you so much for your help!", POSITIVE),
        ("Great service!", POSITIVE),
        ("The zip broke after a week and nobody called me back. Terrible.", NEGATIVE),
        ("The shoes were not comfortable at all", NEGATIVE),
        ("I would not recommend this store", NEGATIVE),
        ("Not bad at all, I will come back", POSITIVE),
        ("Asked about the delivery date for order 1042", NEUTRAL),
        ("ok", POSITIVE),
    ],
)
def test_english_is_read_with_negation(text, label):
    score = text_score(text=text)
    assert (score.label, score.language) == (label, "en")
    assert score.score is not None
    sign = {POSITIVE: 1, NEUTRAL: 0, NEGATIVE: -1}[label]
    assert (score.score > 0) - (score.score < 0) == sign


@pytest.mark.parametrize(
    "text",
    [
        "La robe était magnifique, merci beaucoup pour votre aide",
        "Das Kleid war nicht gut, der Reißverschluss ist kaputt",
        "Muy mal servicio, no vuelvo",
        "素晴らしいサービスでした",
        "Vielen Dank",
    ],
)
def test_a_language_the_lexicon_does_not_read_is_unknown_not_neutral(text):
    score = text_score(text=text)
    assert score.label == UNKNOWN and score.score is None
    assert score.language not in {"", "en"}


def test_german_that_the_english_lexicon_would_misread_is_not_scored():
    # VADER alone scores this strongly negative ("nicht gut" shares no sense with English);
    # the language check is what keeps it out.
    assert text_score(text="Das Kleid war nicht gut").label == UNKNOWN


def test_mixed_languages_are_scored_when_english_leads():
    score = text_score(text="Merci beaucoup! The fitting was perfect and the staff were so kind.")
    assert (score.label, score.language) == (POSITIVE, "en")


@pytest.mark.parametrize("text", ["", "   \n\t", None, "123 456", "🛍️", "<p></p>", "\x00\x00"])
def test_no_words_is_unknown(text):
    score = text_score(text=text)
    assert (score.label, score.score) == (UNKNOWN, None)


def test_emoji_the_lexicon_knows_are_scored_whatever_the_language():
    assert text_score(text="😍😍").label == POSITIVE


def test_html_is_read_as_its_words():
    score = text_score(text="<p>I <b>love</b> the new coat &amp; the scarf</p>")
    assert score.label == POSITIVE
    assert text_clean("<p>I <b>love</b> it&nbsp;&amp; more</p>") == "I love it & more"
    assert text_score(text="<script>alert('terrible')</script>") == text_score(
        text="alert('terrible')"
    )


def test_a_megabyte_is_scored_from_its_opening_quickly():
    text = "I hate waiting in the queue. " + "x" * 1_000_000
    started = time.perf_counter()
    score = text_score(text=text)
    # Generous: a bound on pathological cost (scoring all of it takes seconds), not a speed goal.
    assert time.perf_counter() - started < 0.5
    assert score.label == NEGATIVE
    assert len(text_clean(text)) == SCORED_CHARACTERS


def test_a_megabyte_of_markup_is_unknown():
    assert text_score(text="<div>" * 200_000).label == UNKNOWN


def test_a_batch_scores_each_text_as_alone():
    texts = ["Love it", "", "Hate it", "Danke schön, alles super gemacht"]
    assert texts_score(texts=texts) == [text_score(text=text) for text in texts]
    assert [score.label for score in texts_score(texts=texts)] == [
        POSITIVE,
        UNKNOWN,
        NEGATIVE,
        UNKNOWN,
    ]
