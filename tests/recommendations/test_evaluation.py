"""The evaluation's time split and the peers measured on it."""

from __future__ import annotations

import random

import pytest

from frontline.recommendations import evaluation
from frontline.recommendations.model import SECONDS_PER_DAY, Purchases

CUTOFF = 100 * SECONDS_PER_DAY


def lines(rows: list[tuple[int, int, float]]) -> Purchases:
    return Purchases.from_rows([(c, p, day * SECONDS_PER_DAY) for c, p, day in rows])


def test_the_split_trains_before_the_cutoff_and_holds_out_from_it_on():
    split = evaluation.time_split(
        lines(
            [
                (1, 10, 99.9),  # train
                (1, 10, 100.0),  # at the cut-off: held out (a rebuy counts)
                (1, 11, 120.0),
                (2, 12, 150.0),  # no history before: not evaluated
                (3, 13, 50.0),  # nothing after: not evaluated
            ]
        ),
        CUTOFF,
    )
    assert split.held_out == {1: {10, 11}}
    assert sorted(split.train.customers.tolist()) == [1, 3]
    assert (split.train.seconds < CUTOFF).all()


def test_new_only_leaves_out_what_was_bought_before():
    rows = [(1, 10, 10.0), (1, 10, 110.0), (1, 11, 110.0), (2, 12, 10.0), (2, 12, 110.0)]
    split = evaluation.time_split(lines(rows), CUTOFF, new_only=True)
    assert split.held_out == {1: {11}}


def shop(seed: int = 5) -> Purchases:
    """Two taste groups who restock their favourites; group B is larger."""
    rng = random.Random(seed)
    rows = []
    for customer in range(120):
        catalogue = range(100, 112) if customer < 50 else range(200, 212)
        favourites = rng.sample(list(catalogue), 4)
        for day in range(0, 200, 25):
            rows += [(customer, product, day + rng.random()) for product in favourites[:3]]
            if rng.random() < 0.5:
                rows.append((customer, rng.choice(list(catalogue)), day + rng.random()))
    return lines(rows)


def test_the_app_beats_popularity_and_the_peers_are_measured_on_the_same_customers():
    result = evaluation.evaluate(shop(), CUTOFF)
    assert result.customers_evaluated == 120
    assert set(result.peers) == {"popularity", "item_item", "als", "als_repeats"}
    assert all(peer.customers == 120 for peer in result.peers.values())
    assert result.app.hit_rate > result.peers["popularity"].hit_rate
    assert result.app.ndcg > result.peers["popularity"].ndcg


@pytest.mark.parametrize("new_only", [False, True])
def test_every_figure_is_a_fraction(new_only):
    result = evaluation.evaluate(shop(), CUTOFF, new_only=new_only)
    for quality in (result.app, *result.peers.values()):
        assert 0 <= quality.precision <= quality.hit_rate <= 1
        assert 0 <= quality.ndcg <= 1 and 0 <= quality.recall <= 1
