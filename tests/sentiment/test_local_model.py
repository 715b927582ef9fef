"""A local ONNX model configured by SENTIMENT_ONNX_DIR: read with onnxruntime and the tokenizer
found beside it, in place of the lexicon and under the learned model's test; when a file or the
runtime is missing, said by the system check and the log while the lexicon reads the texts.

The model is a real one made here from the shipped reviews (tests/sentiment/local_onnx.py): a
word tokenizer and a logistic regression written as an ONNX graph with a transformer's inputs.
"""

from __future__ import annotations

import json
import logging
import sys

import numpy
import pytest

from frontline.customers.models import Interaction
from frontline.customers.sentiment import interaction_sentiment_fields
from frontline.sentiment.apps import local_model_check
from frontline.sentiment.learning import NEGATIVE, POSITIVE, evaluate, model_train
from frontline.sentiment.local_model import LocalModel
from frontline.sentiment.scoring import default_model, lexicon_model, text_score
from frontline.sentiment.selectors import model_in_use, model_in_use_forget
from tests.factories import InteractionFactory
from tests.sentiment.local_onnx import MadeModel, onnx_model_make, reviews


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> MadeModel:
    return onnx_model_make(tmp_path_factory.mktemp("onnx") / "reviews-bow")


@pytest.fixture
def configured(settings, made):
    """The app configured with the made model's directory, loaded afresh for each test."""
    settings.SENTIMENT_ONNX_DIR = str(made.directory)
    default_model.cache_clear()
    model_in_use_forget()
    yield made
    default_model.cache_clear()
    model_in_use_forget()


@pytest.fixture
def broken(settings, tmp_path, made):
    """A copy of the made model's directory for a test to break."""
    directory = tmp_path / "broken-model"
    directory.mkdir()
    for name in ("model.onnx", "tokenizer.json", "config.json"):
        (directory / name).write_bytes((made.directory / name).read_bytes())
    settings.SENTIMENT_ONNX_DIR = str(directory)
    default_model.cache_clear()
    yield directory
    default_model.cache_clear()


def test_the_configured_model_reads_texts_as_its_weights_say(configured):
    model = default_model()

    assert isinstance(model, LocalModel) and model.name.startswith("onnx-reviews-bow-")
    for item in configured.held_out[:25]:
        expected = configured.classifier.decision_function(configured.counts(item.text))[0]
        numpy.testing.assert_allclose(model.logits(item.text), expected, rtol=1e-4, atol=1e-4)
    unhappy = text_score(text="The fabric is cheap and it ripped, very disappointed. Returned.")
    happy = text_score(text="Gorgeous dress, fits perfectly and the colour is lovely.")
    assert (unhappy.label, unhappy.model) == (NEGATIVE, model.name)
    assert unhappy.score is not None and unhappy.score < 0
    assert (happy.label, happy.model) == (POSITIVE, model.name)
    # Emoji alone: the lexicon still reads them, as it does beside the learned model.
    assert text_score(text="😡😡").model == lexicon_model().name


def test_on_held_out_reviews_it_beats_the_lexicon(configured):
    local = evaluate(default_model(), configured.held_out)
    lexicon = evaluate(lexicon_model(), configured.held_out)

    assert local.texts == lexicon.texts == len(configured.held_out) > 500
    assert local.macro_f1 > lexicon.macro_f1
    assert local.negative_f1 > lexicon.negative_f1


@pytest.mark.django_db
def test_interactions_are_scored_by_it_and_the_learned_model_is_measured_against_it(configured):
    model = model_in_use()
    assert isinstance(model, LocalModel)
    entry = InteractionFactory(summary="Awful quality, the seams came apart after one wash.")
    fields = interaction_sentiment_fields(summary=entry.summary)
    Interaction.objects.filter(pk=entry.pk).update(**fields)
    assert Interaction.objects.get(pk=entry.pk).sentiment == NEGATIVE

    # Both sides of the fixed split, so both models are measured on the held-out fifth.
    training, testing = reviews()
    trained = model_train(rated=training[:800] + testing[:200], name="learned-against-onnx")
    assert trained.default_evaluation is not None
    assert trained.default_evaluation.model == model.name


def test_a_missing_directory_is_reported_and_the_lexicon_reads(settings, tmp_path, caplog):
    settings.SENTIMENT_ONNX_DIR = str(tmp_path / "not-there")
    default_model.cache_clear()
    try:
        with caplog.at_level(logging.ERROR, logger="frontline.sentiment"):
            model = default_model()
        assert model.name == lexicon_model().name
        assert "not-there is not a directory" in caplog.text
        assert text_score(text="Lovely service, thank you!").label == POSITIVE
        [warning] = local_model_check()
        assert warning.id == "sentiment.W001" and "is not a directory" in warning.msg
    finally:
        default_model.cache_clear()


def test_a_missing_tokenizer_is_named(broken):
    (broken / "tokenizer.json").unlink()

    [warning] = local_model_check()
    assert warning.msg.endswith("broken-model has no tokenizer.json")
    assert default_model().name == lexicon_model().name


def test_labels_it_cannot_map_are_refused(broken):
    (broken / "config.json").write_text(json.dumps({"id2label": {"0": "LABEL_0", "1": "LABEL_1"}}))

    [warning] = local_model_check()
    assert "must name negative and positive" in warning.msg
    assert default_model().name == lexicon_model().name


def test_a_corrupt_model_file_is_refused(broken):
    (broken / "model.onnx").write_bytes(b"not a protobuf at all")

    assert local_model_check() == []  # the check does not load the weights; loading says it
    assert default_model().name == lexicon_model().name


def test_without_the_runtime_installed_it_says_which_extra_to_install(configured, monkeypatch):
    # What Python does for a package that is not installed: the import fails.
    monkeypatch.setitem(sys.modules, "onnxruntime", None)

    [warning] = local_model_check()
    assert "onnxruntime is not installed: pip install 'frontline[onnx]'" in warning.msg
    assert default_model().name == lexicon_model().name


def test_without_a_directory_configured_nothing_is_loaded(settings):
    settings.SENTIMENT_ONNX_DIR = ""
    default_model.cache_clear()

    assert local_model_check() == []
    assert default_model() is lexicon_model()
