"""The metrics' arithmetic on cases worked out by hand."""

from __future__ import annotations

import math

import pytest

from frontline.recommendations.metrics import one_customer, quality


def test_one_hit_at_rank_two_of_two_held_out():
    hit, precision, recall, ndcg = one_customer([1, 2, 3], {2, 9}, k=3)
    assert (hit, precision, recall) == (1, pytest.approx(1 / 3), 0.5)
    # DCG = 1/log2(3); the ideal list has both held-out products on top: 1 + 1/log2(3).
    assert ndcg == pytest.approx((1 / math.log2(3)) / (1 + 1 / math.log2(3)))
    assert ndcg == pytest.approx(0.3869, abs=1e-4)


def test_a_short_list_is_not_rewarded_for_being_short():
    hit, precision, recall, ndcg = one_customer([5, 6], {5}, k=10)
    assert (hit, precision, recall, ndcg) == (1, 0.1, 1.0, 1.0)


def test_the_ideal_list_is_capped_at_k():
    # 12 held out, all of the first 10 found: a perfect list at k=10.
    held_out = set(range(12))
    assert one_customer(list(range(10)), held_out, k=10) == (1, 1.0, 10 / 12, 1.0)


def test_no_hit_scores_zero_everywhere():
    assert one_customer([1, 2], {3}, k=10) == (0, 0.0, 0.0, 0.0)


def test_products_past_k_do_not_count():
    assert one_customer([1, 2, 3], {3}, k=2) == (0, 0.0, 0.0, 0.0)


def test_quality_averages_over_customers():
    result = quality([([1, 2], {1}), ([3, 4], {9, 8})], k=2)
    assert result.customers == 2
    assert result.hit_rate == 0.5
    assert result.precision == 0.25  # (1/2 + 0) / 2
    assert result.recall == 0.5  # (1/1 + 0) / 2
    assert result.ndcg == 0.5  # (1 + 0) / 2
    assert result.as_results("als_")["als_hit_rate_at_10"] == 0.5


def test_quality_of_nobody_is_zero():
    assert quality([], k=10).customers == 0
