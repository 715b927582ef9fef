"""The quality benchmark's arithmetic: star labels, the fixed split and the F1 it reports."""

from __future__ import annotations

import pytest

from tests.bench.bench_sentiment_quality import f1_by_class, held_out, read_held_out, stars_label


def test_stars_map_to_labels_as_the_issue_fixes_them():
    assert [stars_label(s) for s in range(1, 6)] == [
        "negative", "negative", "neutral", "positive", "positive",
    ]  # fmt: skip


def test_the_split_is_fixed_and_holds_out_about_a_fifth():
    share = sum(held_out(position) for position in range(10_000)) / 10_000
    assert 0.18 < share < 0.22
    assert [held_out(p) for p in range(50)] == [held_out(p) for p in range(50)]


def test_f1_per_class_counts_unknown_as_wrong():
    truth = ["negative", "negative", "neutral", "positive"]
    predicted = ["negative", "unknown", "positive", "positive"]
    f1 = f1_by_class(truth, predicted)
    assert f1["negative"] == pytest.approx(2 / 3)  # precision 1, recall 1/2
    assert f1["neutral"] == 0.0
    assert f1["positive"] == pytest.approx(2 / 3)  # precision 1/2, recall 1


def test_the_held_out_reviews_are_read_with_title_and_text(tmp_path):
    path = tmp_path / "reviews.csv"
    rows = ["Title,Review Text,Rating"] + [f'Fit,"Review {i}, fine",{1 + i % 5}' for i in range(40)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    reviews = read_held_out(path)
    expected = [i for i in range(40) if held_out(i)]
    assert [text for text, _ in reviews] == [f"Fit. Review {i}, fine" for i in expected]
    assert [label for _, label in reviews] == [stars_label(1 + i % 5) for i in expected]
