"""Top-k quality of a list against what the customer went on to buy.

For one customer with ranked list ``L`` (length ≤ k) and held-out set ``H``:

- hit-rate@k: 1 if any of ``L`` is in ``H``, else 0;
- precision@k: |L ∩ H| / k (a short list is not rewarded for being short);
- recall@k: |L ∩ H| / |H|;
- NDCG@k: sum over hits at 1-based rank r of 1 / log2(r + 1), divided by the same sum for an
  ideal list, which has min(|H|, k) hits at the top.

Each is averaged over the customers evaluated.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Quality:
    hit_rate: float
    precision: float
    recall: float
    ndcg: float
    customers: int

    def as_results(self, prefix: str = "", k: int = 10) -> dict[str, float]:
        return {
            f"{prefix}hit_rate_at_{k}": self.hit_rate,
            f"{prefix}precision_at_{k}": self.precision,
            f"{prefix}recall_at_{k}": self.recall,
            f"{prefix}ndcg_at_{k}": self.ndcg,
        }


def discounted_gain(hit_ranks: Iterable[int]) -> float:
    """Sum of 1 / log2(rank + 1) over 1-based ranks."""
    return sum(1 / math.log2(rank + 1) for rank in hit_ranks)


def one_customer(
    ranked: Sequence[int], held_out: set[int], k: int
) -> tuple[int, float, float, float]:
    """(hit, precision, recall, ndcg) of one list; ``held_out`` must not be empty."""
    top = list(ranked)[:k]
    hit_ranks = [rank for rank, product in enumerate(top, start=1) if product in held_out]
    ideal = discounted_gain(range(1, min(len(held_out), k) + 1))
    return (
        int(bool(hit_ranks)),
        len(hit_ranks) / k,
        len(hit_ranks) / len(held_out),
        discounted_gain(hit_ranks) / ideal,
    )


def quality(lists: Iterable[tuple[Sequence[int], set[int]]], k: int = 10) -> Quality:
    """Average quality over (ranked list, held-out set) pairs."""
    totals = [0.0, 0.0, 0.0, 0.0]
    customers = 0
    for ranked, held_out in lists:
        for n, value in enumerate(one_customer(ranked, held_out, k)):
            totals[n] += value
        customers += 1
    if customers == 0:
        return Quality(0.0, 0.0, 0.0, 0.0, 0)
    hit_rate, precision, recall, ndcg = (round(total / customers, 4) for total in totals)
    return Quality(hit_rate, precision, recall, ndcg, customers)
