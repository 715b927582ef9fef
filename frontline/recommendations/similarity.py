"""Item-to-item collaborative filtering, pure Python over baskets of product ids.

Similarity is cosine over customers (who bought what), shrunk towards zero when few customers
bought both: ``sim(i, j) = co(i, j) / sqrt(n_i * n_j) * co(i, j) / (co(i, j) + shrinkage)``.
Shrinkage keeps a pair seen together once from outranking a pair seen together a hundred times.
Scoring a customer sums the similarities of their past products to each candidate.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from itertools import combinations

Neighbours = dict[int, list[tuple[int, float, int]]]  # product -> [(similar, score, co_buyers)]


def item_similarities(
    baskets: Iterable[Iterable[int]], *, shrinkage: float = 10.0, top_k: int = 30
) -> Neighbours:
    """Each product's ``top_k`` most similar products, from each customer's set of products."""
    buyers: Counter[int] = Counter()
    together: Counter[tuple[int, int]] = Counter()
    for basket in baskets:
        products = sorted(set(basket))
        buyers.update(products)
        together.update(combinations(products, 2))
    neighbours: dict[int, list[tuple[int, float, int]]] = defaultdict(list)
    for (first, second), co_buyers in together.items():
        cosine = co_buyers / math.sqrt(buyers[first] * buyers[second])
        score = cosine * co_buyers / (co_buyers + shrinkage)
        neighbours[first].append((second, score, co_buyers))
        neighbours[second].append((first, score, co_buyers))
    return {
        product: sorted(similar, key=lambda item: (-item[1], item[0]))[:top_k]
        for product, similar in neighbours.items()
    }


def score_candidates(
    history: Iterable[int], neighbours: Mapping[int, list[tuple[int, float, int]]]
) -> dict[int, float]:
    """Collaborative score of every product similar to something in the history."""
    owned = set(history)
    scores: dict[int, float] = defaultdict(float)
    for product in owned:
        for similar, score, _co_buyers in neighbours.get(product, []):
            if similar not in owned:
                scores[similar] += score
    return dict(scores)


def blend(
    collaborative: Mapping[int, float],
    *,
    favourite_brand_products: set[int],
    popularity_rank: Mapping[int, int],
    brand_weight: float = 0.3,
) -> dict[int, float]:
    """Normalised collaborative score plus a bonus for the customer's favourite brands.

    Favourite-brand products with no collaborative signal still enter (cold start), ordered
    among themselves by popularity so that the best sellers of the brand come first.
    """
    top = max(collaborative.values(), default=0.0) or 1.0
    blended = {product: score / top for product, score in collaborative.items()}
    size = max(1, len(popularity_rank))
    for product in favourite_brand_products:
        popularity_hint = 0.01 * (1 - popularity_rank.get(product, size) / size)
        blended[product] = blended.get(product, 0.0) + brand_weight + popularity_hint
    return blended


def top_n(scores: Mapping[int, float], n: int, exclude: set[int] = frozenset()) -> list[int]:  # type: ignore[assignment]
    ranked = sorted(
        (item for item in scores.items() if item[0] not in exclude), key=lambda i: (-i[1], i[0])
    )
    return [product for product, _score in ranked[:n]]
