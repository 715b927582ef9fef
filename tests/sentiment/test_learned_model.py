"""The learned model: trained on rated feedback, measured on the held-out share, used only when
it beats the shipped lexicon there; a nightly task retrains it and rescores the history."""

from __future__ import annotations

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse

from frontline.customers.models import Interaction, SentimentBackfill
from frontline.customers.sentiment import interaction_sentiment_fields
from frontline.sentiment.feedback import rated_feedback_source_register, star_reviews_read
from frontline.sentiment.learning import (
    NEGATIVE,
    POSITIVE,
    UNKNOWN,
    LearnedModel,
    RatedText,
    model_train,
)
from frontline.sentiment.models import LearnedModelVersion, Outcome
from frontline.sentiment.scoring import default_model, text_score
from frontline.sentiment.selectors import model_in_use
from frontline.sentiment.services import learned_model_retrain
from frontline.sentiment.tasks import retrain_sentiment_model_task
from tests.bench.bench_sentiment_quality import EXTRACT
from tests.factories import InteractionFactory, UserFactory
from tests.sentiment.brand_voice import brand_feedback


@pytest.fixture(scope="module")
def trained_on_extract():
    return model_train(rated=star_reviews_read(EXTRACT), name="learned-test")


def test_on_the_shipped_reviews_the_learned_model_beats_the_lexicon(trained_on_extract):
    learned, default = trained_on_extract.learned_evaluation, trained_on_extract.default_evaluation
    # Measured 0.620 / 0.513 against the lexicon's 0.431 / 0.315 (bench sentiment_quality); the
    # goal of 0.60 / 0.55 is for the full set, five times the training texts.
    assert learned.macro_f1 >= 0.58 and learned.negative_f1 >= 0.45
    assert learned.macro_f1 > default.macro_f1 + 0.1
    assert learned.negative_f1 > default.negative_f1 + 0.1
    assert trained_on_extract.learned_is_better
    assert trained_on_extract.held_out == 605 and trained_on_extract.trained == 2_294
    assert sum(map(sum, learned.confusion)) == 605


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        None,
        "😍🔥",
        "<p>The <b>zip</b> broke &amp; the seams split</p><script>alert(1)</script>",
        "Das Kleid war nicht gut, der Reißverschluss ist kaputt",
        "Merci beaucoup! The dress fits perfectly and the fabric is lovely.",
        "The fabric is lovely. " * 50_000,  # a megabyte
        "\x00\ud800 broken surrogate",
    ],
)
def test_bad_input_is_scored_or_unknown_by_the_learned_model(trained_on_extract, text):
    score = text_score(text=text, model=trained_on_extract.learned)
    assert score.label in {NEGATIVE, "neutral", POSITIVE, UNKNOWN}
    assert (score.score is None) == (score.label == UNKNOWN)
    if score.score is not None:
        assert -1 <= score.score <= 1


def test_the_learned_model_survives_being_stored(trained_on_extract):
    model = trained_on_extract.learned
    copy = LearnedModel.loads(model.dumps())
    texts = ["Runs small, sent it back", "Gorgeous, bought two", "It is fine"]
    assert [copy.read(t) for t in texts] == [model.read(t) for t in texts]
    assert copy.name == model.name and copy.languages == model.languages == {"en"}


@pytest.mark.django_db
def test_a_model_that_learns_the_brand_voice_is_put_in_use_and_scores_new_words():
    feedback = brand_feedback()
    version = learned_model_retrain(rated=feedback)
    assert version.outcome == Outcome.IN_USE and version.in_use
    assert version.learned_evaluation["macro_f1"] > version.default_evaluation["macro_f1"]
    assert version.trained_texts + version.held_out_texts == len(feedback)
    assert model_in_use().name == version.name
    # What the lexicon reads as neutral, the brand's own customers rated negative.
    assert text_score(text="Fabric pilled within a week", model=default_model()).label != NEGATIVE
    assert interaction_sentiment_fields(summary="Fabric pilled within a week")["sentiment"] == (
        NEGATIVE
    )


@pytest.mark.django_db
def test_a_model_no_better_than_the_lexicon_stays_out_of_use():
    # Labels that are the lexicon's own answers: no model can read them better than it.
    words = ("Great,", "Awful,", "Collected")
    texts = [f"{word} the parcel for order {n}" for n in range(120) for word in words]
    scores = [text_score(text=t) for t in texts]
    rated = [
        RatedText(str(n), t, s.label) for n, (t, s) in enumerate(zip(texts, scores, strict=True))
    ]
    previous = learned_model_retrain(rated=brand_feedback())
    version = learned_model_retrain(rated=rated)
    assert version.outcome == Outcome.NOT_BETTER and not version.in_use
    assert version.default_evaluation["macro_f1"] == 1.0
    assert model_in_use().name == previous.name
    previous.refresh_from_db()
    assert previous.in_use and previous.blob is not None


@pytest.mark.django_db
def test_too_little_feedback_is_recorded_and_the_default_stays():
    version = learned_model_retrain(rated=brand_feedback(60))
    assert version.outcome == Outcome.TOO_LITTLE and version.blob is None
    assert "200 are needed" in version.note
    assert model_in_use().name == default_model().name


@pytest.mark.django_db
def test_only_the_model_in_use_and_the_newest_keep_their_bytes():
    first = learned_model_retrain(rated=brand_feedback(seed=1))
    second = learned_model_retrain(rated=brand_feedback(seed=2))
    third = learned_model_retrain(rated=brand_feedback(90))
    kept = set(LearnedModelVersion.objects.exclude(blob=None).values_list("name", flat=True))
    assert kept == {second.name}  # the third has none: it learned nothing
    first.refresh_from_db()
    assert first.outcome == Outcome.REPLACED and not first.in_use
    assert third.outcome == Outcome.TOO_LITTLE


@pytest.mark.django_db(transaction=True)
def test_the_nightly_task_learns_from_registered_feedback_and_rescores_history(tasks_run):
    interaction = InteractionFactory(summary="Seams came apart after one wash", source="crm")
    rated_feedback_source_register("test-voice", lambda: brand_feedback())
    try:
        outcome = retrain_sentiment_model_task.delay().get()
    finally:
        from frontline.sentiment import feedback

        feedback._SOURCES.pop("test-voice")
    assert outcome == Outcome.IN_USE
    version = LearnedModelVersion.objects.get(in_use=True)
    assert SentimentBackfill.objects.get(model=version.name).finished_at is not None
    interaction = Interaction.objects.get(pk=interaction.pk)
    assert interaction.sentiment == NEGATIVE
    assert "frontline.customers.tasks.backfill_sentiment_task" in tasks_run


def test_the_retraining_is_scheduled_nightly():
    entry = settings.CELERY_BEAT_SCHEDULE["sentiment-nightly-retrain"]
    assert entry["task"] == retrain_sentiment_model_task.name


@pytest.mark.django_db
def test_the_models_page_shows_both_models_and_the_one_in_use(client):
    version = learned_model_retrain(rated=brand_feedback())
    client.force_login(UserFactory(is_staff=True))
    page = client.get(reverse("sentiment:models")).content.decode()
    assert f"In use now: <strong>{version.name}</strong>" in page
    for evaluation in (version.learned_evaluation, version.default_evaluation):
        assert f"{evaluation['macro_f1']:.3f}" in page
        # The confusion matrix's first row: true negatives answered negative, neutral...
        assert "".join(f'<td class="number">{n}</td>' for n in evaluation["confusion"][0]) in page


@pytest.mark.django_db
def test_the_models_page_before_any_training_says_the_lexicon_is_in_use(client):
    client.force_login(UserFactory(is_staff=True))
    page = client.get(reverse("sentiment:models")).content.decode()
    assert "In use now: <strong>vader-1</strong>" in page
    assert "No training has run yet" in page


@pytest.mark.django_db
def test_store_staff_without_the_staff_flag_may_not_see_the_models_page(client):
    client.force_login(UserFactory(is_staff=False))
    assert client.get(reverse("sentiment:models")).status_code == 403


def test_one_text_is_read_as_the_pipeline_reads_it(trained_on_extract):
    model = trained_on_extract.learned
    texts = [item.text for item in star_reviews_read(EXTRACT)[:200]] + ["", "zzzz qqqq"]
    expected = model._pipeline.predict_proba(texts)
    for text, probabilities in zip(texts, expected, strict=True):
        assert model.probabilities(text) == pytest.approx(probabilities, abs=1e-9)


@pytest.mark.django_db
def test_a_process_that_missed_a_switch_reads_with_the_default_not_a_500():
    first = learned_model_retrain(rated=brand_feedback(seed=1))
    assert model_in_use().name == first.name  # remembered by this process, not yet loaded…
    from frontline.sentiment import selectors

    selectors._in_use.loaded.clear()
    # …then another worker puts a newer model in use, and the first loses its bytes.
    LearnedModelVersion.objects.filter(pk=first.pk).update(in_use=False, blob=None)
    assert model_in_use().name == default_model().name
    assert interaction_sentiment_fields(summary="Lovely")["sentiment"] == POSITIVE


@pytest.mark.django_db
def test_a_brand_starts_from_its_exported_reviews_with_the_command(tmp_path):
    stars = {NEGATIVE: 1, "neutral": 3, POSITIVE: 5}
    path = tmp_path / "reviews.csv"
    rows = [f'"","{item.text}",{stars[item.label]}' for item in brand_feedback()]
    path.write_text("Title,Review Text,Rating\n" + "\n".join(rows) + "\n", encoding="utf-8")
    output = StringIO()
    call_command("sentiment_retrain", "--reviews-csv", str(path), stdout=output)
    assert "Beat the default: in use" in output.getvalue()
    assert LearnedModelVersion.objects.get(in_use=True).trained_texts > 200
    with pytest.raises(CommandError, match="No such file"):
        call_command("sentiment_retrain", "--reviews-csv", str(tmp_path / "missing.csv"))
