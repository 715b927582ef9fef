"""Which domain lands each entity that sync reads: sync maps, the domains write their tables.

Each writer takes the source and a page's mapped records and returns the domain's
``WriteOutcome``. What a domain reports for a person to review (an uncertain identity match) is
recorded here, against the source it came from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from frontline.catalog.loading import products_land, stock_land
from frontline.core.upsert import WriteOutcome
from frontline.customers.loading import customers_land, interactions_land, reviews_land
from frontline.orders.loading import orders_land
from frontline.sync import seams
from frontline.sync.models import Entity, Source

Record = dict[str, Any]


def write_customers(source: Source, records: list[Record]) -> WriteOutcome:
    outcome = customers_land(record_source=source.record_source, records=records)
    record_doubts(source, outcome)
    return outcome


def record_doubts(source: Source, outcome: WriteOutcome) -> None:
    """The identity doubts a customers landing reported, for a person to review."""
    for doubt in outcome.uncertain:
        seams.uncertain_match_record(
            source=source,
            external_id=doubt.external_id,
            customer_id=doubt.customer_id,
            candidate_ids=doubt.candidate_ids,
            reason=doubt.reason,
        )


def write_products(source: Source, records: list[Record]) -> WriteOutcome:
    return products_land(records=records)


def write_stock(source: Source, records: list[Record]) -> WriteOutcome:
    return stock_land(records=records)


def write_orders(source: Source, records: list[Record]) -> WriteOutcome:
    return orders_land(record_source=source.record_source, records=records)


def write_interactions(source: Source, records: list[Record]) -> WriteOutcome:
    return interactions_land(record_source=source.record_source, records=records)


def write_reviews(source: Source, records: list[Record]) -> WriteOutcome:
    return reviews_land(record_source=source.record_source, records=records)


WRITERS: dict[str, Callable[[Source, list[Record]], WriteOutcome]] = {
    Entity.CUSTOMERS: write_customers,
    Entity.PRODUCTS: write_products,
    Entity.STOCK: write_stock,
    Entity.ORDERS: write_orders,
    Entity.INTERACTIONS: write_interactions,
    Entity.REVIEWS: write_reviews,
}
