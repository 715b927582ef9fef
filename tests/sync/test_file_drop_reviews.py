"""Product reviews from a file drop: on the author's timeline, scored, stars kept, never doubled,
malformed rows quarantined with their reason, and the learned sentiment model learns from them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from django.urls import reverse

from frontline.customers.models import Interaction, InteractionKind
from frontline.sentiment.feedback import rated_feedback
from frontline.sentiment.learning import NEGATIVE, NEUTRAL, POSITIVE
from frontline.sentiment.models import Outcome
from frontline.sentiment.services import learned_model_retrain
from frontline.sync import engine
from frontline.sync.connectors.file_drop import inbox_of
from frontline.sync.models import QuarantinedRecord, Run, Source
from tests.factories import UserFactory
from tests.sentiment.brand_voice import brand_feedback

pytestmark = pytest.mark.django_db(transaction=False)

REVIEW_COLUMNS = (
    "review_id",
    "customer_id",
    "product_code",
    "rating",
    "title",
    "text",
    "written_at",
)


@pytest.fixture(autouse=True)
def _run_after_commit_callbacks(django_capture_on_commit_callbacks):
    global _capture
    _capture = django_capture_on_commit_callbacks


def sync(source: Source, entity: str) -> Run:
    with _capture(execute=True):
        return engine.run_sync(source=source, entity=entity)


def write_csv(source: Source, name: str, rows: list[dict[str, object]]) -> Path:
    """A real CSV, quoted as a spreadsheet writes it (review texts hold commas and quotes)."""
    inbox = inbox_of(source.name)
    inbox.mkdir(parents=True, exist_ok=True)
    path = inbox / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def review(number: int, **changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "review_id": f"R{number}",
        "customer_id": "C1",
        "product_code": "JKT-100",
        "rating": 5,
        "title": "Love it",
        "text": "My go-to jacket this winter, warm and light.",
        "written_at": "2026-11-20T10:30:00Z",
    }
    return {**row, **changes}


@pytest.fixture
def shop(db) -> Source:
    """The shop's exports, with two customers already landed from it."""
    source = Source.objects.create(name="shop-files", kind="file_drop", record_source="ecommerce")
    write_csv(
        source,
        "customers-1.csv",
        [
            {"external_id": f"C{n}", "number": f"S{n:05d}", "first_name": f"Ada{n}", "email": ""}
            for n in (1, 2)
        ],
    )
    assert sync(source, "customers").created == 2
    return source


def test_reviews_land_on_the_timeline_scored_with_their_stars(shop, client):
    write_csv(
        shop,
        "reviews-2026-11-20.csv",
        [
            review(1),
            review(
                2,
                customer_id="C2",
                rating=1,
                title="Fell apart",
                text='The seams came apart after one wash, "premium" my foot. Awful, sent it back.',
            ),
        ],
    )

    run = sync(shop, "reviews")

    assert (run.status, run.created, run.quarantined) == ("succeeded", 2, 0)
    happy = Interaction.objects.get(customer__number="S00001")
    assert happy.kind == InteractionKind.REVIEW
    assert (happy.rating, happy.product_code, happy.channel) == (5, "JKT-100", "online")
    assert happy.summary == "Love it — My go-to jacket this winter, warm and light."
    assert happy.sentiment == "positive" and happy.sentiment_score > 0
    assert happy.occurred_at.isoformat() == "2026-11-20T10:30:00+00:00"
    unhappy = Interaction.objects.get(customer__number="S00002")
    assert (unhappy.rating, unhappy.sentiment) == (1, "negative")
    assert '"premium" my foot' in unhappy.summary

    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    page = client.get(reverse("customers:timeline", args=[happy.customer_id])).content.decode()
    assert "5 stars out of 5 · JKT-100" in page
    assert "My go-to jacket this winter" in page


def test_a_review_imported_again_is_updated_not_doubled(shop):
    write_csv(shop, "reviews-1.csv", [review(1), review(2, rating=4)])
    sync(shop, "reviews")
    (shop_inbox := inbox_of(shop.name)).mkdir(parents=True, exist_ok=True)
    # The tool's next export: one review edited (fewer stars, angrier words), one unchanged,
    # as JSON Lines this time.
    (shop_inbox / "reviews-2.jsonl").write_text(
        json.dumps(review(1, rating=2, title="Changed my mind", text="Awful, it pilled badly."))
        + "\n"
        + json.dumps(review(2, rating=4))
        + "\n"
    )

    run = sync(shop, "reviews")

    assert (run.created, run.updated, run.unchanged) == (0, 1, 1)
    assert Interaction.objects.filter(kind=InteractionKind.REVIEW).count() == 2
    edited = Interaction.objects.get(external_id="review:R1")
    assert (edited.rating, edited.sentiment) == (2, "negative")
    assert edited.summary.startswith("Changed my mind")


def test_a_long_review_is_kept_whole_and_folded_on_the_timeline(shop, client):
    # About 3,000 characters over several paragraphs, as a thorough customer writes them;
    # the last sentence is the one a manager most needs to read.
    paragraph = (
        "I wore the wool coat every day for a month of commuting, in rain and in wind. "
        "The fit across the shoulders is generous and the sleeves fall just right. "
    )
    ending = "But the lining tore at the pocket after five weeks and nobody answered my e-mail."
    text = "\n".join([paragraph * 4] * 5) + "\n" + ending
    assert len(text) > 3_000
    write_csv(shop, "reviews-long.csv", [review(1, rating=2, title="Lovely, then not", text=text)])

    run = sync(shop, "reviews")

    assert (run.created, run.quarantined) == (1, 0)
    stored = Interaction.objects.get(external_id="review:R1")
    assert stored.summary == f"Lovely, then not — {text}"
    assert stored.summary.endswith(ending)
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    page = client.get(reverse("customers:timeline", args=[stored.customer_id])).content.decode()
    # Folded to its opening in the list, the whole text one tap away.
    assert '<details class="timeline-summary">' in page
    assert "Read all" in page and "nobody answered my e-mail." in page


def test_a_review_past_the_limit_is_quarantined_not_cut(shop):
    write_csv(shop, "reviews-huge.csv", [review(1, text="Soft. " * 4_000), review(2)])

    run = sync(shop, "reviews")

    assert (run.created, run.quarantined) == (1, 1)
    assert QuarantinedRecord.objects.get(external_id="R1").reason == (
        "text is longer than 20,000 characters"
    )
    assert len(QuarantinedRecord.objects.get(external_id="R1").payload["text"]) == 24_000


def test_malformed_reviews_are_quarantined_with_the_reason_and_the_rest_lands(shop):
    write_csv(
        shop,
        "reviews-bad.csv",
        [
            review(1),
            review(2, rating=6),
            review(3, rating=0),
            review(4, rating="four"),
            review(5, customer_id="NOBODY"),
            review(6, written_at="31/11/2026"),
            review(7, text="Lovely\x00 coat"),
            review(8, rating=3, text="Average fabric, nothing special."),
        ],
    )

    run = sync(shop, "reviews")

    assert (run.status, run.created, run.quarantined) == ("succeeded", 2, 6)
    landed = set(Interaction.objects.values_list("external_id", flat=True))
    assert landed == {"review:R1", "review:R8"}
    reasons = dict(QuarantinedRecord.objects.values_list("external_id", "reason"))
    assert reasons == {
        "R2": "rating 6 is not between 1 and 5",
        "R3": "rating '0' must be at least 1",
        "R4": "rating 'four' is not a whole number",
        "R5": "unknown customer 'NOBODY'",
        "R6": "written_at '31/11/2026' is not a date and time",
        "R7": "NUL byte in text",
    }
    assert QuarantinedRecord.objects.get(external_id="R5").entity == "reviews"
    # Kept for a person to mend, though PostgreSQL's jsonb refuses NUL: shown as U+FFFD.
    assert QuarantinedRecord.objects.get(external_id="R7").payload["text"] == "Lovely\ufffd coat"


def test_synced_reviews_teach_the_learned_model(shop):
    stars = {NEGATIVE: (1, 2), NEUTRAL: (3, 3), POSITIVE: (4, 5)}
    feedback = brand_feedback(300)
    write_csv(
        shop,
        "reviews-history.csv",
        [
            review(
                number,
                customer_id=f"C{1 + number % 2}",
                rating=stars[item.label][number % 2],
                title="",
                text=item.text,
            )
            for number, item in enumerate(feedback)
        ],
    )
    assert sync(shop, "reviews").created == 300

    from_reviews = [item for item in rated_feedback() if item.key.startswith("reviews:")]
    assert len(from_reviews) == 300
    assert {item.key for item in from_reviews} >= {"reviews:ecommerce:review:R0"}
    assert [item.label for item in from_reviews] == [item.label for item in feedback]

    version = learned_model_retrain()

    assert version.outcome == Outcome.IN_USE
    assert version.learned_evaluation["macro_f1"] > version.default_evaluation["macro_f1"]
