"""The recommender as sparse-matrix arithmetic (scipy), free of Django so it runs on any purchases.

A customer's list blends three signals, each scaled to 0..1 within the customer:

- **repeat**: what they bought before, weighted by recency (a purchase ``half_life_days`` old
  counts half). Restocking the same product is most of what shops like the UCI "Online Retail"
  one sell, and clothing basics are rebought too.
- **bought with**: item-to-item cosine over customers, shrunk when few customers bought both
  (``co / sqrt(n_i n_j) * co / (co + shrinkage)``), summed over the customer's recency-weighted
  history. Each customer contributes at most ``fan_out_cap`` products (their most recent) to the
  pair counts, so a wholesale basket of 1,190 products adds 4,950 pairs, not 700,000.
- **popular**: recency-weighted best sellers, a small tie-breaker and the cold-start fallback.

Everything is computed in blocks of products or customers so memory stays bounded by the block,
not by the square of the catalogue or the number of customers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

SECONDS_PER_DAY = 86_400.0
# Lines handled at once when building the matrices: bounds the temporary arrays.
LINE_SLICE = 500_000


@dataclass(frozen=True)
class Settings:
    # Blend and half-life chosen on validation splits inside the training periods of both the
    # real data set and the 1M demo, never on a reported hold-out (docs/recommendations.md).
    half_life_days: float = 365.0
    fan_out_cap: int = 100
    neighbours: int = 50
    shrinkage: float = 10.0
    repeat_weight: float = 1.0
    bought_with_weight: float = 0.9
    popular_weight: float = 0.05
    # A "discover" list leaves out what the customer already bought.
    exclude_owned: bool = False
    product_block: int = 512


# A "discover" list (products new to the customer), tuned like the default on a validation
# split inside the training period: shorter memory, plain cosine, no repeats.
DISCOVER = Settings(
    half_life_days=30.0,
    shrinkage=0.0,
    repeat_weight=0.0,
    bought_with_weight=1.0,
    popular_weight=0.1,
    exclude_owned=True,
)


@dataclass(frozen=True)
class Purchases:
    """Lines as parallel arrays: customer id, product id, when (Unix seconds)."""

    customers: np.ndarray
    products: np.ndarray
    seconds: np.ndarray

    @classmethod
    def from_rows(cls, rows: list[tuple[int, int, float]]) -> Purchases:
        if not rows:
            empty = np.zeros(0, dtype=np.int64)
            return cls(empty, empty, np.zeros(0, dtype=np.float64))
        customers, products, seconds = zip(*rows, strict=True)
        return cls(
            np.asarray(customers, dtype=np.int64),
            np.asarray(products, dtype=np.int64),
            np.asarray(seconds, dtype=np.float64),
        )

    def before(self, cutoff_seconds: float) -> Purchases:
        keep = self.seconds < cutoff_seconds
        return Purchases(self.customers[keep], self.products[keep], self.seconds[keep])

    def __len__(self) -> int:
        return len(self.customers)


@dataclass(frozen=True)
class Matrices:
    """Customers x products: recency-weighted purchase weight (``recency``), ids of rows/columns."""

    customer_ids: np.ndarray
    product_ids: np.ndarray
    recency: sp.csr_matrix

    def rows_of(self, customer_ids: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.customer_ids, customer_ids)

    def binary(self) -> sp.csr_matrix:
        ones = self.recency.copy()
        ones.data = np.ones_like(ones.data)
        return ones


def purchase_matrices(purchases: Purchases, *, now_seconds: float, settings: Settings) -> Matrices:
    """Sum each customer's lines per product, each weighted 0.5 ** (age / half-life).

    Row and column numbers are found a slice of lines at a time into int32 arrays, and the
    weights computed in float32: at 5M lines ``np.unique(..., return_inverse=True)`` and float64
    ages held three 42 MB arrays at once, the nightly job's peak.
    """
    customer_ids = np.unique(purchases.customers)
    product_ids = np.unique(purchases.products)
    rows = np.empty(len(purchases), dtype=np.int32)
    columns = np.empty(len(purchases), dtype=np.int32)
    weights = np.empty(len(purchases), dtype=np.float32)
    for start in range(0, len(purchases), LINE_SLICE):
        part = slice(start, start + LINE_SLICE)
        rows[part] = np.searchsorted(customer_ids, purchases.customers[part])
        columns[part] = np.searchsorted(product_ids, purchases.products[part])
        age_days = np.maximum(now_seconds - purchases.seconds[part], 0.0) / SECONDS_PER_DAY
        weights[part] = np.power(0.5, age_days / settings.half_life_days)
    recency = sp.coo_matrix(
        (weights, (rows, columns)), shape=(len(customer_ids), len(product_ids)), dtype=np.float32
    )
    del rows, columns, weights
    recency = recency.tocsr()
    recency.sum_duplicates()
    return Matrices(customer_ids, product_ids, recency)


def last_purchase_days(matrices: Matrices, purchases: Purchases) -> np.ndarray:
    """Day (since 1970) each customer last bought each product, aligned with ``recency.data``.

    For the reason "bought before, last on …"; the recency weight sums every purchase and
    cannot give the date back. Canonical CSR entries are sorted by (row, column), so each
    line finds its entry by binary search on ``row * columns + column``.
    """
    recency = matrices.recency
    width = recency.shape[1]
    entry_rows = np.repeat(np.arange(recency.shape[0], dtype=np.int64), np.diff(recency.indptr))
    keys = entry_rows * width + recency.indices
    del entry_rows
    last = np.zeros(recency.nnz, dtype=np.int32)
    for start in range(0, len(purchases), LINE_SLICE):
        part = slice(start, start + LINE_SLICE)
        rows = matrices.rows_of(purchases.customers[part]).astype(np.int64)
        columns = np.searchsorted(matrices.product_ids, purchases.products[part])
        days = (purchases.seconds[part] // SECONDS_PER_DAY).astype(np.int32)
        np.maximum.at(last, np.searchsorted(keys, rows * width + columns), days)
    return last


def capped_fan_out(recency: sp.csr_matrix, cap: int) -> sp.csr_matrix:
    """Each row's ``cap`` heaviest (most recent) entries as ones; the rest dropped."""
    counts = np.diff(recency.indptr)
    if counts.max(initial=0) <= cap:
        capped = recency.copy()
        capped.data = np.ones_like(capped.data)
        return capped
    keep = np.ones(recency.nnz, dtype=bool)
    for row in np.flatnonzero(counts > cap):
        start, end = recency.indptr[row], recency.indptr[row + 1]
        lightest = np.argsort(-recency.data[start:end], kind="stable")[cap:]
        keep[start + lightest] = False
    row_of_entry = np.repeat(np.arange(recency.shape[0]), counts)
    return sp.csr_matrix(
        (np.ones(int(keep.sum()), dtype=np.float32), (row_of_entry[keep], recency.indices[keep])),
        shape=recency.shape,
    )


def item_neighbours(binary: sp.csr_matrix, settings: Settings) -> sp.csr_matrix:
    """Products x products: each product's ``neighbours`` most similar (shrunk cosine).

    Co-purchase counts come from ``binary.T @ binary`` one block of products at a time, and
    each block keeps only its top neighbours before the next one is counted.
    """
    by_product = binary.T.tocsr()
    buyers = np.asarray(binary.sum(axis=0)).ravel()
    products = binary.shape[1]
    blocks = []
    for start in range(0, products, settings.product_block):
        stop = min(start + settings.product_block, products)
        together = (by_product[start:stop] @ binary).tocsr()
        blocks.append(_shrunk_cosine_top(together, buyers, start, settings))
    if not blocks:
        return sp.csr_matrix((products, products), dtype=np.float32)
    return sp.vstack(blocks, format="csr")


def _shrunk_cosine_top(
    together: sp.csr_matrix, buyers: np.ndarray, first_row: int, settings: Settings
) -> sp.csr_matrix:
    together = together.tocoo()
    rows, columns, co = together.row, together.col, together.data.astype(np.float32)
    not_itself = rows + first_row != columns
    rows, columns, co = rows[not_itself], columns[not_itself], co[not_itself]
    cosine = co / np.sqrt(buyers[rows + first_row] * buyers[columns])
    score = cosine * co / (co + settings.shrinkage)
    similar = sp.csr_matrix((score, (rows, columns)), shape=together.shape, dtype=np.float32)
    return keep_top_per_row(similar, settings.neighbours)


def keep_top_per_row(matrix: sp.csr_matrix, top: int) -> sp.csr_matrix:
    matrix = matrix.tocsr()
    keep = np.zeros(matrix.nnz, dtype=bool)
    for row in range(matrix.shape[0]):
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        if end - start <= top:
            keep[start:end] = True
        else:
            keep[start + np.argpartition(-matrix.data[start:end], top)[:top]] = True
    row_of_entry = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    return sp.csr_matrix(
        (matrix.data[keep], (row_of_entry[keep], matrix.indices[keep])),
        shape=matrix.shape,
        dtype=np.float32,
    )


def popularity(matrices: Matrices) -> np.ndarray:
    """Recency-weighted buyers per product (a customer counts once per product)."""
    return np.asarray(matrices.recency.sum(axis=0)).ravel()


@dataclass(frozen=True)
class Model:
    matrices: Matrices
    neighbours: sp.csr_matrix
    popular: np.ndarray
    settings: Settings


def fit(purchases: Purchases, *, now_seconds: float, settings: Settings | None = None) -> Model:
    settings = settings or Settings()
    matrices = purchase_matrices(purchases, now_seconds=now_seconds, settings=settings)
    binary = capped_fan_out(matrices.recency, settings.fan_out_cap)
    return Model(matrices, item_neighbours(binary, settings), popularity(matrices), settings)


def _scaled_by_row_max(matrix: np.ndarray) -> np.ndarray:
    top = matrix.max(axis=1, keepdims=True)
    return np.divide(matrix, top, out=np.zeros_like(matrix), where=top > 0)


def blended_scores(model: Model, history: sp.csr_matrix) -> np.ndarray:
    """Dense scores (customers x products) for a block of customers' recency rows."""
    settings = model.settings
    repeat = history.toarray()
    bought_with = np.asarray((history @ model.neighbours).todense())
    top_popular = model.popular.max(initial=0.0) or 1.0
    scores = (
        settings.repeat_weight * _scaled_by_row_max(repeat)
        + settings.bought_with_weight * _scaled_by_row_max(bought_with)
        + settings.popular_weight * (model.popular / top_popular)[None, :]
    ).astype(np.float32)
    if settings.exclude_owned:
        scores[repeat > 0] = -np.inf
    return scores


def top_products(scores: np.ndarray, k: int) -> np.ndarray:
    """Column indices of each row's ``k`` highest scores, best first."""
    k = min(k, scores.shape[1])
    if k == 0:
        return np.zeros((scores.shape[0], 0), dtype=np.int64)
    candidates = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, candidates, axis=1), axis=1, kind="stable")
    return np.take_along_axis(candidates, order, axis=1)


def recommend(
    model: Model, customer_ids: np.ndarray, k: int, *, block: int = 2_000
) -> Iterator[tuple[int, list[int]]]:
    """(customer id, top-k product ids) for known customers; unknown ones get best sellers."""
    known = np.isin(customer_ids, model.matrices.customer_ids)
    fallback = [
        int(p) for p in model.matrices.product_ids[top_products(model.popular[None, :], k)[0]]
    ]
    for customer in customer_ids[~known]:
        yield int(customer), fallback
    wanted = customer_ids[known]
    for start in range(0, len(wanted), block):
        chunk = wanted[start : start + block]
        history = model.matrices.recency[model.matrices.rows_of(chunk)]
        scores = blended_scores(model, history)
        best = top_products(scores, k)
        for customer, columns, row in zip(chunk, best, scores, strict=True):
            wanted = columns[np.isfinite(row[columns])]  # never a product left out
            yield int(customer), [int(p) for p in model.matrices.product_ids[wanted]]


@dataclass(frozen=True)
class Lists:
    """A block of customers' top lists with the facts their reasons are told from.

    Every array but ``customer_ids`` is customers x k, best first. ``bought_with`` is the owned
    product that adds most to a suggestion's "bought with" score (-1 when none does);
    ``last_day`` the day the customer last bought the suggestion (0 when never).
    """

    customer_ids: np.ndarray
    products: np.ndarray
    scores: np.ndarray
    bought_with: np.ndarray
    last_day: np.ndarray


def ranked_lists(
    model: Model, last_days: np.ndarray, k: int, *, block: int = 2_000
) -> Iterator[Lists]:
    """Every known customer's top ``k``, a block of customers at a time (the nightly store)."""
    recency = model.matrices.recency
    for start in range(0, recency.shape[0], block):
        stop = min(start + block, recency.shape[0])
        history = recency[start:stop]
        scores = blended_scores(model, history)
        best = top_products(scores, k)
        wanted = _entry_keys(np.arange(stop - start), best, recency.shape[1])
        owned_at, owned = _find(_entry_keys_of(history), wanted)
        days = last_days[recency.indptr[start] : recency.indptr[stop]]
        last_day = np.where(owned, days[owned_at] if len(days) else 0, 0)
        yield Lists(
            customer_ids=model.matrices.customer_ids[start:stop],
            products=model.matrices.product_ids[best],
            scores=np.take_along_axis(scores, best, axis=1),
            bought_with=_strongest_contributors(history, model, wanted).reshape(best.shape),
            last_day=last_day.reshape(best.shape),
        )


def _entry_keys(rows: np.ndarray, columns: np.ndarray, width: int) -> np.ndarray:
    """One sortable number per (row, column): rows x k columns flattened, row-major."""
    return (rows.astype(np.int64)[:, None] * width + columns).ravel()


def _entry_keys_of(matrix: sp.csr_matrix) -> np.ndarray:
    """The keys of a canonical CSR matrix's entries, in storage order (so sorted)."""
    rows = np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr))
    return rows * matrix.shape[1] + matrix.indices


def _find(sorted_keys: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of ``wanted`` in ``sorted_keys`` (clipped) and whether each is there."""
    if len(sorted_keys) == 0:
        return np.zeros(len(wanted), dtype=np.int64), np.zeros(len(wanted), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_keys, wanted), len(sorted_keys) - 1)
    return at, sorted_keys[at] == wanted


def _strongest_contributors(history: sp.csr_matrix, model: Model, wanted: np.ndarray) -> np.ndarray:
    """For each wanted (customer, product): the owned product whose neighbourship adds most.

    Each owned entry (customer, i, weight) is spread over i's neighbours j as weight x
    similarity, the way ``history @ neighbours`` sums them, but the largest term per
    (customer, j) is kept instead of the sum. A block of 2,000 customers with a few products
    each and 50 neighbours a product is a few hundred thousand terms.
    """
    neighbours = model.neighbours
    owned = history.tocoo()
    fan = np.diff(neighbours.indptr)[owned.col]
    total = int(fan.sum())
    first_of_entry = np.repeat(np.cumsum(fan) - fan, fan)
    at = np.repeat(neighbours.indptr[owned.col], fan) + (np.arange(total) - first_of_entry)
    source = np.repeat(owned.col, fan)
    keys = np.repeat(owned.row.astype(np.int64), fan) * history.shape[1] + neighbours.indices[at]
    contribution = np.repeat(owned.data, fan) * neighbours.data[at]
    order = np.lexsort((-contribution, keys))
    keys, source = keys[order], source[order]
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    if not first.any():
        return np.full(len(wanted), -1, dtype=np.int64)
    found_at, found = _find(keys[first], wanted)
    return np.where(found, model.matrices.product_ids[source[first]][found_at], -1)
