"""The sparse recommender: recency, capped basket fan-out, neighbours in bounded blocks."""

from __future__ import annotations

import numpy as np
import pytest

from frontline.recommendations import model
from frontline.recommendations.model import Purchases, Settings

DAY = model.SECONDS_PER_DAY


def purchases(rows: list[tuple[int, int, float]]) -> Purchases:
    return Purchases.from_rows([(c, p, days * DAY) for c, p, days in rows])


def test_a_purchase_one_half_life_old_weighs_half():
    matrices = model.purchase_matrices(
        purchases([(1, 10, 0.0), (1, 10, 60.0), (1, 11, 120.0)]),
        now_seconds=120 * DAY,
        settings=Settings(half_life_days=60),
    )
    row = matrices.recency.toarray()[0]
    assert row == pytest.approx([0.25 + 0.5, 1.0])


def test_a_huge_basket_adds_only_its_most_recent_products_to_the_pair_counts():
    # One wholesale customer with 500 products, day by day; cap 3 keeps the 3 most recent.
    big = [(1, product, float(product)) for product in range(500)]
    matrices = model.purchase_matrices(
        purchases(big), now_seconds=500 * DAY, settings=Settings(half_life_days=30)
    )
    capped = model.capped_fan_out(matrices.recency, cap=3)
    assert capped.nnz == 3
    assert sorted(matrices.product_ids[capped.indices].tolist()) == [497, 498, 499]
    neighbours = model.item_neighbours(capped, Settings(neighbours=50, shrinkage=0))
    # 3 products kept: 3 x 2 ordered pairs, instead of 500 x 499.
    assert neighbours.nnz == 6


def test_fan_out_below_the_cap_is_untouched():
    matrices = model.purchase_matrices(
        purchases([(1, 1, 0.0), (1, 2, 1.0), (2, 2, 0.0)]), now_seconds=DAY, settings=Settings()
    )
    assert model.capped_fan_out(matrices.recency, cap=5).nnz == 3


def co_bought(seed: int = 3) -> Purchases:
    rng = np.random.default_rng(seed)
    rows = []
    for customer in range(300):
        group = customer % 3
        for product in rng.choice(10, size=4, replace=False):
            rows.append((customer, group * 10 + int(product), float(rng.integers(0, 100))))
    return purchases(rows)


def test_products_bought_by_the_same_customers_are_neighbours():
    fitted = model.fit(co_bought(), now_seconds=100 * DAY, settings=Settings(neighbours=5))
    ids = fitted.matrices.product_ids
    for row in range(len(ids)):
        similar = ids[fitted.neighbours[row].indices]
        assert len(similar) <= 5
        assert set((similar // 10).tolist()) == {ids[row] // 10}


def test_blocks_of_products_give_the_same_neighbours_as_one_block():
    whole = model.fit(co_bought(), now_seconds=100 * DAY, settings=Settings(product_block=512))
    blocked = model.fit(co_bought(), now_seconds=100 * DAY, settings=Settings(product_block=7))
    assert (abs(whole.neighbours - blocked.neighbours)).max() < 1e-6


def test_a_customer_is_offered_what_they_rebuy_and_what_goes_with_it():
    rows = [(c, 1, 10.0) for c in range(20)] + [(c, 2, 20.0) for c in range(20)]
    rows += [(99, 1, 50.0), (99, 1, 80.0)]  # customer 99 rebuys product 1
    fitted = model.fit(purchases(rows), now_seconds=100 * DAY)
    (customer, ranked), *_ = model.recommend(fitted, np.array([99]), k=2)
    assert (customer, ranked) == (99, [1, 2])


def test_a_discover_list_leaves_out_what_they_bought():
    rows = [(c, 1, 10.0) for c in range(20)] + [(c, 2, 20.0) for c in range(20)]
    rows += [(99, 1, 50.0)]
    fitted = model.fit(purchases(rows), now_seconds=100 * DAY, settings=model.DISCOVER)
    (_customer, ranked), *_ = model.recommend(fitted, np.array([99]), k=2)
    assert ranked[0] == 2 and 1 not in ranked


def test_an_unknown_customer_gets_the_best_sellers():
    fitted = model.fit(co_bought(), now_seconds=100 * DAY)
    (customer, ranked), *_ = model.recommend(fitted, np.array([12345]), k=3)
    best = fitted.matrices.product_ids[np.argsort(-fitted.popular, kind="stable")[:3]]
    assert customer == 12345 and ranked == best.tolist()


def random_history(customers: int, seed: int = 3) -> Purchases:
    rng = np.random.default_rng(seed)
    lines = customers * 5
    return Purchases(
        rng.integers(1, customers, lines).astype(np.int32),
        rng.integers(1, 60, lines).astype(np.int32),
        rng.uniform(0, 400, lines) * DAY,
    )


def test_the_stored_lists_rank_as_recommend_does_with_each_reasons_facts():
    history = random_history(300)
    fitted = model.fit(history, now_seconds=400 * DAY)
    last_days = model.last_purchase_days(fitted.matrices, history)
    recency, neighbours = fitted.matrices.recency, fitted.neighbours.toarray()
    expected = dict(model.recommend(fitted, fitted.matrices.customer_ids, 10))
    checked = 0
    for block in model.ranked_lists(fitted, last_days, 10, block=64):
        for row, customer in enumerate(block.customer_ids):
            assert block.products[row].tolist() == expected[int(customer)]
            mine = history.customers == customer
            weights = recency[fitted.matrices.rows_of(np.array([customer]))].toarray()[0]
            for product, with_, day in zip(
                block.products[row], block.bought_with[row], block.last_day[row], strict=True
            ):
                bought = mine & (history.products == product)
                assert day == (int(history.seconds[bought].max() // DAY) if bought.any() else 0)
                column = np.searchsorted(fitted.matrices.product_ids, product)
                terms = weights * neighbours[:, column]
                strongest = fitted.matrices.product_ids[terms.argmax()] if terms.max() > 0 else -1
                assert with_ == strongest
            checked += 1
    assert checked == len(fitted.matrices.customer_ids)
