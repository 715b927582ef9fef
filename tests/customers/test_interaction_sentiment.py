"""Interactions carry the sentiment of their words: when synced, and for history, by backfill."""

from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from frontline.customers.loading import customers_land, interactions_land
from frontline.customers.models import CustomerNote, Interaction, SentimentBackfill
from frontline.customers.selectors import trend_since
from frontline.customers.sentiment import (
    sentiment_backfill_chunk,
    sentiment_backfill_run,
    sentiment_backfill_start,
)
from frontline.customers.tasks import backfill_sentiment_task
from tests.factories import CustomerFactory, InteractionFactory, customer_record

pytestmark = pytest.mark.django_db

HAPPY = "Loved the fitting, the staff were wonderful"
UNHAPPY = "The zip broke after a week and nobody called me back. Terrible."
FRENCH = "La robe était magnifique, merci beaucoup pour votre aide"


def task(external_id: str, summary: str, *, day: int = 2) -> dict[str, object]:
    return {
        "external_id": external_id,
        "customer_external_id": "003A",
        "kind": "message",
        "channel": "email",
        "summary": summary,
        "occurred_at": datetime(2026, 11, day, 9, 0, tzinfo=UTC),
    }


@pytest.fixture
def contact() -> None:
    customers_land(
        record_source="crm",
        records=[customer_record("003A")],
    )


def labels() -> dict[str, tuple[str, float | None]]:
    return {
        external_id: (label, score)
        for external_id, label, score in Interaction.objects.values_list(
            "external_id", "sentiment", "sentiment_score"
        )
    }


def test_synced_activities_land_with_the_sentiment_of_their_words(contact):
    interactions_land(
        record_source="crm",
        records=[
            task("00T1", HAPPY),
            task("00T2", UNHAPPY),
            task("00T3", FRENCH),
            task("00T4", ""),
            task("00T5", "<p>Thanks, <b>love</b> it!</p>"),
            task("00T6", "😍😍"),
        ],
    )
    landed = labels()
    assert {key: label for key, (label, _) in landed.items()} == {
        "00T1": "positive",
        "00T2": "negative",
        "00T3": "unknown",
        "00T4": "unknown",
        "00T5": "positive",
        "00T6": "positive",
    }
    assert landed["00T3"][1] is None and landed["00T2"][1] < -0.3
    # What is stored is the source's text, markup and all: only the scoring reads it cleaned.
    assert Interaction.objects.get(external_id="00T5").summary == "<p>Thanks, <b>love</b> it!</p>"


def test_a_changed_summary_is_scored_again_and_an_unchanged_one_is_left_alone(contact):
    interactions_land(record_source="crm", records=[task("00T1", HAPPY)])

    again = interactions_land(record_source="crm", records=[task("00T1", HAPPY)])
    assert (again.updated, again.unchanged) == (0, 1)

    changed = interactions_land(record_source="crm", records=[task("00T1", UNHAPPY)])
    assert changed.updated == 1
    assert labels()["00T1"][0] == "negative"


def test_a_check_in_is_frontlines_words_and_not_scored(associate_client, customer, store):
    store.name = "Happy Valley"
    store.save()
    associate_client.post(reverse("customers:check_in", args=[customer.pk]))
    visit = Interaction.objects.get(customer=customer)
    assert (visit.sentiment, visit.sentiment_score) == ("unknown", None)


# --- Backfill -----------------------------------------------------------------------------


@pytest.fixture
def history():
    """Interactions stored before scoring existed: every one a made-up neutral."""
    customer = CustomerFactory()
    texts = [HAPPY, UNHAPPY, FRENCH, "", HAPPY, UNHAPPY, "Asked about the delivery date"]
    return [
        InteractionFactory(
            customer=customer, kind="message", source="crm", summary=text, sentiment="neutral"
        )
        for text in texts
    ] + [
        InteractionFactory(
            customer=customer, kind="visit", summary="Checked in at Happy Valley",
            sentiment="neutral",
        )
    ]  # fmt: skip


def stored(rows: list[Interaction]) -> list[str]:
    by_pk = dict(Interaction.objects.values_list("pk", "sentiment"))
    return [by_pk[row.pk] for row in rows]


EXPECTED = ["positive", "negative", "unknown", "unknown", "positive", "negative", "neutral"]


def test_the_backfill_scores_history_in_chunks_and_resumes_from_its_checkpoint(history):
    backfill = sentiment_backfill_start()
    assert backfill.target_interaction_id == history[-1].pk

    backfill = sentiment_backfill_chunk(backfill_id=backfill.pk, size=3)
    assert backfill.last_interaction_id == history[2].pk and backfill.percent_done < 100
    assert stored(history[:4]) == ["positive", "negative", "unknown", "neutral"]

    # A second start (a new worker, a rerun after a crash) finds the checkpoint as it was.
    assert sentiment_backfill_start().last_interaction_id == history[2].pk
    backfill = sentiment_backfill_run(backfill_id=backfill.pk, size=3)

    assert backfill.finished_at is not None and backfill.percent_done == 100
    assert stored(history) == [*EXPECTED, "unknown"]
    assert (backfill.scored, backfill.unknown) == (5, 3)


def test_the_backfill_is_idempotent(history):
    backfill = sentiment_backfill_start()
    sentiment_backfill_run(backfill_id=backfill.pk)
    first = list(Interaction.objects.order_by("pk").values_list("sentiment", "sentiment_score"))

    again = sentiment_backfill_start(restart=True)
    assert again.finished_at is None and again.last_interaction_id == 0
    sentiment_backfill_run(backfill_id=again.pk, size=2)

    assert list(Interaction.objects.order_by("pk").values_list("sentiment", "sentiment_score")) == (
        first
    )
    assert SentimentBackfill.objects.count() == 1


def test_the_backfill_task_scores_and_a_finished_backfill_does_nothing(history):
    backfill = sentiment_backfill_start()
    # Written after the start: its writer's business, not history's.
    later = InteractionFactory(kind="message", source="crm", summary=HAPPY, sentiment="neutral")
    assert backfill_sentiment_task(backfill.pk) == history[-1].pk
    assert stored([later]) == ["neutral"]
    assert stored(history) == [*EXPECTED, "unknown"]
    Interaction.objects.filter(pk=history[0].pk).update(sentiment="neutral")
    assert backfill_sentiment_task(backfill.pk) == history[-1].pk
    assert stored(history[:1]) == ["neutral"]  # finished: the checkpoint is not rewound


def test_the_command_shows_progress_and_says_when_it_is_done(history):
    out = StringIO()
    call_command("sentiment_backfill", "--chunk", "4", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Sentiment backfill vader-1: 50% (4 of 8 interactions, up to id")
    assert lines[-1].endswith("5 scored, 3 unknown: done.")
    assert stored(history) == [*EXPECTED, "unknown"]

    out = StringIO()
    call_command("sentiment_backfill", stdout=out)
    assert "already done" in out.getvalue()


# --- What the associate sees --------------------------------------------------------------


def test_the_trend_leaves_unknown_out_and_the_timeline_says_unknown(associate_client, customer):
    last_month, this_month = trend_since(months=2), trend_since(months=1)
    for label, score in [("positive", 0.7), ("negative", -0.6), ("unknown", None)]:
        InteractionFactory(
            customer=customer, kind="message", sentiment=label, sentiment_score=score,
            summary=f"a {label} one", occurred_at=last_month.replace(day=3),
        )  # fmt: skip
    # A month with nothing but unknown interactions is no month of the trend.
    InteractionFactory(customer=customer, sentiment="unknown", occurred_at=this_month)

    trend = associate_client.get(f"/api/customers/{customer.pk}/").json()["sentiment_trend"]

    assert [(m["positive"], m["neutral"], m["negative"]) for m in trend] == [(1, 0, 1)]
    assert trend[0]["average_score"] == 0.05
    page = associate_client.get(reverse("customers:profile", args=[customer.pk])).content.decode()
    assert '<span class="sentiment" title="Sentiment">Unknown</span>' in page
    timeline = associate_client.get(f"/api/customers/{customer.pk}/timeline/").json()["results"]
    assert sorted(item["sentiment"] for item in timeline) == [
        "negative", "positive", "unknown", "unknown",
    ]  # fmt: skip


# --- Notes typed in the app ---------------------------------------------------------------


def test_a_typed_note_is_scored_when_written_and_again_when_edited(associate_client, customer):
    add = reverse("customers:note_add", args=[customer.pk])
    associate_client.post(add, {"body": "Very upset: the alterations were wrong twice."})
    associate_client.post(add, {"body": "Kundin war sehr zufrieden mit der Beratung"})
    upset, german = CustomerNote.objects.order_by("pk")
    assert upset.sentiment == "negative" and upset.sentiment_score < 0
    assert (german.sentiment, german.sentiment_score) == ("unknown", None)

    edit = reverse("customers:note_edit", args=[customer.pk, upset.pk])
    associate_client.post(edit, {"body": "Sorted now, she is delighted with the fit."})
    upset.refresh_from_db()
    assert upset.sentiment == "positive"

    notes = associate_client.get(f"/api/customers/{customer.pk}/").json()["notes"]
    assert sorted(note["sentiment"] for note in notes) == ["positive", "unknown"]
    page = associate_client.get(reverse("customers:profile", args=[customer.pk])).content.decode()
    assert page.count('<span class="sentiment" title="Sentiment">Unknown</span>') == 1
