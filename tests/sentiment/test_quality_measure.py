"""The quality arithmetic: star labels, the fixed split, the F1 and confusion it reports."""

from __future__ import annotations

import pytest

from frontline.sentiment.feedback import star_reviews_read
from frontline.sentiment.learning import (
    confusion_matrix,
    f1_by_class,
    held_out,
    recommend_label,
    stars_label,
)
from tests.bench.bench_sentiment_quality import EXTRACT


def test_stars_map_to_labels_as_the_issue_fixes_them():
    assert [stars_label(s) for s in range(1, 6)] == [
        "negative", "negative", "neutral", "positive", "positive",
    ]  # fmt: skip


def test_recommend_scores_map_to_detractors_passives_promoters():
    labels = [recommend_label(score) for score in range(11)]
    assert labels == ["negative"] * 7 + ["neutral"] * 2 + ["positive"] * 2


def test_the_split_is_fixed_and_holds_out_about_a_fifth():
    share = sum(held_out(position) for position in range(10_000)) / 10_000
    assert 0.18 < share < 0.22
    assert [held_out(p) for p in range(50)] == [held_out(str(p)) for p in range(50)]


def test_f1_per_class_counts_unknown_as_wrong():
    truth = ["negative", "negative", "neutral", "positive"]
    predicted = ["negative", "unknown", "positive", "positive"]
    f1 = f1_by_class(truth, predicted)
    assert f1["negative"] == pytest.approx(2 / 3)  # precision 1, recall 1/2
    assert f1["neutral"] == 0.0
    assert f1["positive"] == pytest.approx(2 / 3)  # precision 1/2, recall 1
    assert confusion_matrix(truth, predicted) == [[1, 0, 0, 1], [0, 0, 1, 0], [0, 0, 1, 0]]


def test_reviews_are_read_with_title_and_text_keyed_by_position(tmp_path):
    path = tmp_path / "reviews.csv"
    rows = ["Title,Review Text,Rating"] + [f'Fit,"Review {i}, fine",{1 + i % 5}' for i in range(40)]
    rows += [",,5", "Odd,stars,six"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    reviews = star_reviews_read(path)
    assert [item.text for item in reviews] == [f"Fit. Review {i}, fine" for i in range(40)]
    assert [item.label for item in reviews] == [stars_label(1 + i % 5) for i in range(40)]
    assert [item.key for item in reviews] == [str(i) for i in range(40)]


def test_the_shipped_extract_is_the_documented_one():
    reviews = star_reviews_read(EXTRACT)
    # 3,000 rows, 101 without words (README).
    assert len(reviews) == 2_899
    labels = [item.label for item in reviews]
    assert labels.count("negative") > 250 and labels.count("neutral") > 300
