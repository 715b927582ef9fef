"""The model that learns the brand's own voice, and the arithmetic that says whether it may be used.

Trained on the brand's rated feedback (product reviews with stars, survey answers with a comment):
TF-IDF over word 1-2-grams and character 2-5-grams (which catch misspellings, "soooo" and word
endings a word model misses), joined, into a multinomial logistic regression with class weights
balanced, because unhappy customers are few and are the ones that matter. Logistic regression
rather than a linear SVM: it gives probabilities, and the polarity stored with each interaction
is P(positive) - P(negative).

Everything here is pure: rated texts in, a model and its evaluation out. Storing a model and
choosing the one in use are ``services``' and ``selectors``'.
"""

from __future__ import annotations

import hashlib
import math
import pickle
import re
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from frontline.sentiment.scoring import (
    NEGATIVE,
    NEUTRAL,
    POSITIVE,
    UNKNOWN,
    SentimentModel,
    default_model,
    text_clean,
    text_language,
    texts_score,
)

CLASSES = (NEGATIVE, NEUTRAL, POSITIVE)
HELD_OUT_PERCENT = 20
# Fewer rated texts than this and a held-out fifth says too little to choose a model on.
MIN_RATED_TEXTS = 200
# Each class needs this many examples in training, and one in the held-out share, or its F1
# (a third of the macro-F1) means nothing.
MIN_PER_CLASS = 10
# A language is the learned model's when this share of its training texts is written in it; the
# rest of the languages stay "unknown" as they do for the lexicon.
LANGUAGE_SHARE = 0.05
# Words as scikit-learn's vectorizers split them by default.
_TOKEN = re.compile(r"(?u)\b\w\w+\b")


@dataclass(frozen=True)
class RatedText:
    """A text the customer rated themselves; ``key`` places it on its side of the fixed split."""

    key: str
    text: str
    label: str


def stars_label(stars: int) -> str:
    """Stars 1-2 negative, 3 neutral, 4-5 positive."""
    return NEGATIVE if stars <= 2 else NEUTRAL if stars == 3 else POSITIVE


def recommend_label(score: int) -> str:
    """An NPS answer: detractors 0-6 negative, passives 7-8 neutral, promoters 9-10 positive."""
    return NEGATIVE if score <= 6 else NEUTRAL if score <= 8 else POSITIVE


def held_out(key: str | int) -> bool:
    """The fixed split: a hash of the key, so a text keeps its side however the set grows."""
    digest = hashlib.sha256(str(key).encode()).digest()
    return digest[0] * 100 // 256 < HELD_OUT_PERCENT


# --- How well a model reads rated texts -------------------------------------------------


@dataclass
class Evaluation:
    """A model's answers on the held-out share; "unknown" counts as a wrong answer."""

    model: str
    texts: int
    macro_f1: float
    negative_f1: float
    f1: dict[str, float]
    # Rows: the true label (CLASSES); columns: the answer (CLASSES, then "unknown").
    confusion: list[list[int]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def f1_by_class(truth: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    scores = {}
    for label in CLASSES:
        hits = sum(t == p == label for t, p in zip(truth, predicted, strict=True))
        claimed, actual = predicted.count(label), truth.count(label)
        precision = hits / claimed if claimed else 0.0
        recall = hits / actual if actual else 0.0
        scores[label] = 2 * precision * recall / (precision + recall) if hits else 0.0
    return scores


def confusion_matrix(truth: Sequence[str], predicted: Sequence[str]) -> list[list[int]]:
    columns = (*CLASSES, UNKNOWN)
    pairs = Counter(zip(truth, predicted, strict=True))
    return [[pairs[(actual, answer)] for answer in columns] for actual in CLASSES]


def evaluate(model: SentimentModel, rated: Sequence[RatedText]) -> Evaluation:
    """Score the texts as the app would (language check included) and compare with the ratings."""
    truth = [item.label for item in rated]
    predicted = [score.label for score in texts_score(texts=[r.text for r in rated], model=model)]
    f1 = f1_by_class(truth, predicted)
    return Evaluation(
        model=model.name,
        texts=len(rated),
        macro_f1=round(sum(f1.values()) / len(CLASSES), 4),
        negative_f1=round(f1[NEGATIVE], 4),
        f1={label: round(value, 4) for label, value in f1.items()},
        confusion=confusion_matrix(truth, predicted),
    )


# --- The learned model --------------------------------------------------------------------


def pipeline_build() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    # The caps bound the stored model (a few MB) and cost little: measured on the clothing
    # reviews, 50k + 100k features score as well as 200k + 300k.
    words = TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=50_000, sublinear_tf=True)
    characters = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), min_df=2, max_features=100_000, sublinear_tf=True
    )
    return Pipeline(
        [
            ("features", FeatureUnion([("words", words), ("characters", characters)])),
            (
                "classifier",
                LogisticRegression(class_weight="balanced", max_iter=1_000),
            ),
        ]
    )


class LearnedModel:
    """A trained pipeline behind the SentimentModel interface.

    One text at a time (a write) is read without the pipeline: scikit-learn's per-call checks
    and sparse stacking cost about 3 ms a text, while the same arithmetic done here on the few
    hundred n-grams of one text takes a fraction of that. ``tests/sentiment`` checks that both
    ways give the same probabilities.
    """

    def __init__(self, *, name: str, pipeline: Any, languages: frozenset[str]) -> None:
        self.name = name
        self.languages = languages
        self._pipeline = pipeline
        classes = list(pipeline.classes_)
        self._negative, self._positive = classes.index(NEGATIVE), classes.index(POSITIVE)
        self._classes = classes
        vectorizers = [v for _, v in pipeline.named_steps["features"].transformer_list]
        self._vocabulary = vectorizers[0].vocabulary_
        classifier = pipeline.named_steps["classifier"]
        self._coefficients = classifier.coef_
        self._intercepts = classifier.intercept_
        offsets = [0]
        for vectorizer in vectorizers[:-1]:
            offsets.append(offsets[-1] + len(vectorizer.vocabulary_))
        self._parts = [
            (vectorizer.build_analyzer(), vectorizer.vocabulary_, vectorizer.idf_, offset)
            for vectorizer, offset in zip(vectorizers, offsets, strict=True)
        ]

    def read(self, text: str) -> tuple[str, float]:
        probabilities = self.probabilities(text)
        label = self._classes[int(probabilities.argmax())]
        return str(label), float(probabilities[self._positive] - probabilities[self._negative])

    def probabilities(self, text: str) -> Any:
        """P(class) for one text, as ``pipeline.predict_proba`` gives it."""
        import numpy

        columns: list[int] = []
        weights: list[float] = []
        for analyzer, vocabulary, idf, offset in self._parts:
            counts = Counter(
                index for term in analyzer(text) if (index := vocabulary.get(term)) is not None
            )
            # Sublinear TF times IDF, then each vectorizer's vector scaled to unit length.
            part = {index: (1 + math.log(count)) * idf[index] for index, count in counts.items()}
            norm = math.sqrt(sum(value * value for value in part.values())) or 1.0
            columns.extend(offset + index for index in part)
            weights.extend(value / norm for value in part.values())
        scores = self._intercepts + self._coefficients[:, columns] @ numpy.array(weights)
        exponentials = numpy.exp(scores - scores.max())
        return exponentials / exponentials.sum()

    def knows_a_word_of(self, text: str) -> bool:
        return any(word in self._vocabulary for word in _TOKEN.findall(text.lower()))

    def dumps(self) -> bytes:
        # Pickle, because that is how scikit-learn persists a fitted pipeline; it is only ever
        # loaded from the model table this app writes (never from an upload), and compressed
        # because the vocabularies are most of it.
        return zlib.compress(pickle.dumps((self.name, self._pipeline, sorted(self.languages))))

    @classmethod
    def loads(cls, blob: bytes) -> LearnedModel:
        name, pipeline, languages = pickle.loads(zlib.decompress(blob))  # noqa: S301
        return cls(name=name, pipeline=pipeline, languages=frozenset(languages))


@dataclass
class Training:
    """One training run: the model (None when there was too little to learn from) and how both
    models read the held-out share."""

    trained: int
    held_out: int
    learned: LearnedModel | None
    learned_evaluation: Evaluation | None
    default_evaluation: Evaluation | None
    note: str

    @property
    def learned_is_better(self) -> bool:
        return bool(
            self.learned_evaluation
            and self.default_evaluation
            and self.learned_evaluation.macro_f1 > self.default_evaluation.macro_f1
        )


def model_train(
    *, rated: Sequence[RatedText], name: str, default: SentimentModel | None = None
) -> Training:
    """Train on the rated texts outside the held-out share; measure both models on that share."""
    training = [item for item in rated if item.text.strip() and not held_out(item.key)]
    testing = [item for item in rated if item.text.strip() and held_out(item.key)]
    shortfall = _shortfall(training, testing)
    if shortfall:
        return Training(len(training), len(testing), None, None, None, shortfall)
    pipeline = pipeline_build()
    pipeline.fit([text_clean(item.text) for item in training], [item.label for item in training])
    learned = LearnedModel(name=name, pipeline=pipeline, languages=_languages_of(training))
    return Training(
        trained=len(training),
        held_out=len(testing),
        learned=learned,
        learned_evaluation=evaluate(learned, testing),
        default_evaluation=evaluate(default or default_model(), testing),
        note="",
    )


def _shortfall(training: Sequence[RatedText], testing: Sequence[RatedText]) -> str:
    if len(training) + len(testing) < MIN_RATED_TEXTS:
        return (
            f"{len(training) + len(testing)} rated texts with words; "
            f"{MIN_RATED_TEXTS} are needed to learn from"
        )
    in_training, in_testing = Counter(i.label for i in training), Counter(i.label for i in testing)
    for label in CLASSES:
        if in_training[label] < MIN_PER_CLASS or not in_testing[label]:
            return (
                f"too few {label} texts ({in_training[label]} to learn from, "
                f"{in_testing[label]} held out; {MIN_PER_CLASS} and 1 are needed)"
            )
    return ""


def _languages_of(training: Sequence[RatedText]) -> frozenset[str]:
    counts = Counter(text_language(text_clean(item.text)) for item in training)
    counts.pop("", None)
    return frozenset(
        language for language, count in counts.items() if count >= LANGUAGE_SHARE * len(training)
    )
