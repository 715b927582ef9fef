"""Offline evaluation with a time-based hold-out: the app's recommender next to its peers.

Every purchase before the cut-off trains; each customer who bought before it and again after it
is evaluated on the set of products they bought after it — products they had bought before
included, since restocking is most of what a shop sells (``new_only=True`` leaves them out).
Nothing else about the customer is used: no preferences, no brand affinities, nothing a data
generator could have used to create the held-out purchases.

Peers, all trained on the same purchases and scored on the same customers in the same run:

- ``popularity``: the products most customers bought before the cut-off;
- ``item_item``: plain item-to-item cosine over customers, summed over the customer's products,
  products already bought left out (the classic formulation);
- ``als``: the ``implicit`` library's ALS on the customer x product matrix, with the library's
  default of leaving out products already bought; ``als_repeats`` the same model allowed to
  recommend them, so that the repeat signal is not the app's alone.

Stock: the in-stock filter of the live list is not applied here; stock at the time of the
held-out purchases is not recorded (and a public data set has none).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from frontline.recommendations import model as recommender
from frontline.recommendations.metrics import Quality, quality

K = 10
Recommender = Callable[[np.ndarray], Iterable[tuple[int, list[int]]]]


@dataclass(frozen=True)
class Split:
    train: recommender.Purchases
    held_out: dict[int, set[int]]
    cutoff_seconds: float


def time_split(
    purchases: recommender.Purchases, cutoff_seconds: float, *, new_only: bool = False
) -> Split:
    """Train strictly before the cut-off; hold out what each train customer bought after."""
    train = purchases.before(cutoff_seconds)
    later = purchases.seconds >= cutoff_seconds
    known = set(np.unique(train.customers).tolist())
    held_out: dict[int, set[int]] = {}
    for customer, product in zip(
        purchases.customers[later].tolist(), purchases.products[later].tolist(), strict=True
    ):
        if customer in known:
            held_out.setdefault(customer, set()).add(product)
    if new_only:
        owned = _owned(train)
        held_out = {
            customer: products - owned.get(customer, set())
            for customer, products in held_out.items()
            if products - owned.get(customer, set())
        }
    return Split(train, held_out, cutoff_seconds)


def _owned(purchases: recommender.Purchases) -> dict[int, set[int]]:
    owned: dict[int, set[int]] = {}
    for customer, product in zip(
        purchases.customers.tolist(), purchases.products.tolist(), strict=True
    ):
        owned.setdefault(customer, set()).add(product)
    return owned


@dataclass
class Evaluation:
    k: int
    customers_evaluated: int
    train_lines: int
    products: int
    app: Quality
    peers: dict[str, Quality] = field(default_factory=dict)
    fit_seconds: float = 0.0


def score(split: Split, recommend: Recommender, k: int = K) -> Quality:
    customers = np.fromiter(sorted(split.held_out), dtype=np.int64)
    return quality(
        ((ranked, split.held_out[customer]) for customer, ranked in recommend(customers)), k
    )


def app_recommender(split: Split, settings: recommender.Settings, k: int = K) -> Recommender:
    fitted = recommender.fit(split.train, now_seconds=split.cutoff_seconds, settings=settings)
    return lambda customers: recommender.recommend(fitted, customers, k)


def popularity_recommender(split: Split, k: int = K) -> Recommender:
    matrices = _binary_matrices(split)
    buyers = np.asarray(matrices.recency.sum(axis=0)).ravel()
    best = [int(p) for p in matrices.product_ids[np.argsort(-buyers, kind="stable")[:k]]]
    return lambda customers: ((int(c), best) for c in customers)


def _binary_matrices(split: Split) -> recommender.Matrices:
    # An infinite half-life: every purchase weighs 1, whatever its age.
    matrices = recommender.purchase_matrices(
        split.train,
        now_seconds=split.cutoff_seconds,
        settings=recommender.Settings(half_life_days=float("inf")),
    )
    return recommender.Matrices(matrices.customer_ids, matrices.product_ids, matrices.binary())


def item_item_recommender(split: Split, k: int = K) -> Recommender:
    """Plain cosine (no shrinkage, no cap, every neighbour), products already bought left out."""
    matrices = _binary_matrices(split)
    binary = matrices.recency
    buyers = np.asarray(binary.sum(axis=0)).ravel()
    together = (binary.T @ binary).tocsr().astype(np.float32)
    together.setdiag(0)
    together.eliminate_zeros()
    norms = 1 / np.sqrt(np.maximum(buyers, 1)).astype(np.float32)
    cosine = sp.diags(norms) @ together @ sp.diags(norms)

    def recommend(customers: np.ndarray) -> Iterable[tuple[int, list[int]]]:
        for start in range(0, len(customers), 2_000):
            chunk = customers[start : start + 2_000]
            history = binary[matrices.rows_of(chunk)]
            scores = np.asarray((history @ cosine).todense())
            scores[history.toarray() > 0] = -np.inf
            for customer, columns in zip(chunk, recommender.top_products(scores, k), strict=True):
                yield int(customer), [int(p) for p in matrices.product_ids[columns]]

    return recommend


def als_recommender(split: Split, *, allow_repeats: bool, k: int = K) -> Recommender | None:
    """The implicit library's ALS (64 factors, 20 iterations); None when it is not installed."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # implicit warns on threaded BLAS
    try:
        from implicit.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    matrices = _binary_matrices(split)
    # The variable above is read only when numpy's BLAS starts; set the limit here as well.
    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(
            factors=64, iterations=20, regularization=0.05, random_state=0
        )
        model.fit(matrices.recency, show_progress=False)

    def recommend(customers: np.ndarray) -> Iterable[tuple[int, list[int]]]:
        rows = matrices.rows_of(customers)
        with threadpool_limits(1, "blas"):
            found, _scores = model.recommend(
                rows, matrices.recency[rows], N=k, filter_already_liked_items=not allow_repeats
            )
        for customer, columns in zip(customers, found, strict=True):
            yield int(customer), [int(p) for p in matrices.product_ids[columns[columns >= 0]]]

    return recommend


def evaluate(
    purchases: recommender.Purchases,
    cutoff_seconds: float,
    *,
    k: int = K,
    settings: recommender.Settings | None = None,
    with_peers: bool = True,
    new_only: bool = False,
) -> Evaluation:
    import time

    split = time_split(purchases, cutoff_seconds, new_only=new_only)
    started = time.perf_counter()
    default = recommender.DISCOVER if new_only else recommender.Settings()
    app = app_recommender(split, settings or default, k)
    fit_seconds = time.perf_counter() - started
    peers: dict[str, Quality] = {}
    if with_peers:
        peers["popularity"] = score(split, popularity_recommender(split, k), k)
        peers["item_item"] = score(split, item_item_recommender(split, k), k)
        for name, allow_repeats in (("als", False), ("als_repeats", True)):
            als = als_recommender(split, allow_repeats=allow_repeats, k=k)
            if als is not None:
                peers[name] = score(split, als, k)
    return Evaluation(
        k=k,
        customers_evaluated=len(split.held_out),
        train_lines=len(split.train),
        products=len(np.unique(split.train.products)),
        app=score(split, app, k),
        peers=peers,
        fit_seconds=round(fit_seconds, 2),
    )
