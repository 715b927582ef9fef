"""Landing customer records from the source systems, in bulk: customers, identities, activities.

Sync maps each source's records into Frontline's shape and hands a batch here; this module
decides which customer each record is (``identities.resolve_customers``), writes only what
changed, and reports per record what happened. Records it cannot land come back in
``rejected`` with the reason, for sync to quarantine.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, F, Max, Min, Q, Sum
from django.utils import timezone

from frontline.core.upsert import (
    TableSpec,
    UncertainMatch,
    WriteOutcome,
    per_record_counts,
    rows_where_in,
    split_deletions,
    upsert,
)
from frontline.customers.identities import Resolution, resolve_customers
from frontline.customers.models import (
    Consent,
    Customer,
    CustomerIdentity,
    Interaction,
    InteractionKind,
)
from frontline.customers.sentiment import SENTIMENT_COLUMNS, interaction_rows_score
from frontline.customers.survivorship import (
    SYNCED_FIELDS,
    FieldPriority,
    FieldValues,
    empty_values,
)
from frontline.orders.models import Order, OrderLine

Record = dict[str, Any]

# The fields a bulk load (customers.bulk) lands; the record path also takes birthdays.
CUSTOMER_FIELDS = ("first_name", "last_name", "email", "phone", "postcode", "country", "tier")
CUSTOMER_INSERT_DEFAULTS: dict[str, Callable[[], Any]] = {
    "postcode": str,
    "country": str,
    "tier": lambda: "member",
    "lifetime_value": lambda: Decimal("0.00"),
    "order_count": int,
    "created_at": timezone.now,
}
IDENTITY_FIELDS = ("customer_id", "email", "phone", "deleted_at")
CONSENTS = TableSpec(
    model=Consent,
    key=("customer_id", "channel", "purpose"),
    compare=("granted", "source", "recorded_at"),
)


def customers_land(
    *, record_source: str, records: list[Record], resolution: Resolution | None = None
) -> WriteOutcome:
    """Land a source's customer records: matched to known customers, then upserted.

    A record with ``deleted`` says the source deleted it: only its identity is marked, and the
    customer is hidden once no source knows them any more (``identities_mark_deleted``).
    ``resolution`` is ``resolve_customers``' answer for these records when the caller has just
    asked it (in the same transaction), so that they are not matched twice; a batch with
    deletions is always resolved here.
    """
    live, gone = split_deletions(records)
    if gone:
        resolution = None
    outcome = _customers_upsert(record_source, [records[i] for i in live], resolution)
    if gone:
        marked = identities_mark_deleted(record_source=record_source, external_ids=gone)
        outcome.updated += marked
        outcome.unchanged += len(gone) - marked
    return outcome


def erased_customer_ids(customer_ids: Iterable[int | None]) -> set[int]:
    """Which of these customers were erased (frontline.privacy). A source that has not erased
    its copy yet may send the person again, by the identity Frontline knows them by or by the
    brand's customer number: landing that record would bring their data back."""
    wanted = {customer_id for customer_id in customer_ids if customer_id is not None}
    if not wanted:
        return set()
    return set(
        Customer.objects.filter(pk__in=wanted, erased_at__isnull=False).values_list("pk", flat=True)
    )


def _customers_upsert(
    record_source: str, records: list[Record], resolution: Resolution | None = None
) -> WriteOutcome:
    if not records:
        return WriteOutcome()
    resolution = resolution or resolve_customers(record_source, records)
    erased = erased_customer_ids(resolution.customer_ids.values())
    if erased:
        # The records of erased people are left out, unchanged; the rest resolve as before.
        kept = [r for i, r in enumerate(records) if resolution.customer_ids[i] not in erased]
        outcome = _customers_upsert(record_source, kept)
        outcome.unchanged += len(records) - len(kept)
        return outcome
    # Only the fields this source provides are compared and written: a CRM that knows no
    # loyalty tier must not reset the tier the ERP set.
    provided = tuple(name for name in SYNCED_FIELDS if name in records[0])
    customers_spec = TableSpec(
        model=Customer,
        key=("number",),
        compare=(*provided, "field_sources", "deleted_at"),
        insert_defaults={k: v for k, v in CUSTOMER_INSERT_DEFAULTS.items() if k not in provided},
        stamps=("updated_at",),
    )
    stored = _stored_fields(resolution.customer_ids.values(), provided)
    numbers = [
        stored[customer_id][0] if customer_id else resolution.numbers[index]
        for index, customer_id in ((i, resolution.customer_ids[i]) for i in range(len(records)))
    ]
    stored_by_number = dict(stored.values())
    # Records of one batch apply in order, each onto what the ones before it left.
    state: dict[str, FieldValues] = {}
    at, priority = timezone.now().isoformat(), FieldPriority.configured()
    for record, number in zip(records, numbers, strict=True):
        before = state.get(number) or stored_by_number.get(number) or empty_values(provided)
        incoming = {name: record[name] for name in provided}
        state[number] = before.apply(incoming, source=record_source, at=at, priority=priority)
    settled = {
        number: fields.settled(stored_by_number.get(number) or empty_values(provided))
        for number, fields in state.items()
    }
    customers = upsert(
        customers_spec,
        [
            {"number": number, **fields.values, "field_sources": fields.sources, "deleted_at": None}
            for number, fields in settled.items()
        ],
        want_ids=True,
    )
    ids = [customers.ids[(number,)] for number in numbers]
    # A source that sends tags (the shop) keeps them on its own record of the customer.
    tagged = ("tags",) if "tags" in records[0] else ()
    identities = upsert(
        TableSpec(
            model=CustomerIdentity,
            key=("source", "external_id"),
            compare=(*IDENTITY_FIELDS, *tagged),
            insert_defaults={"first_seen_at": timezone.now},
            stamps=("last_synced_at",),
        ),
        [
            {
                "source": record_source,
                "external_id": record["external_id"],
                "customer_id": customer_id,
                "email": record["email"],
                "phone": record["phone"],
                "deleted_at": None,
                **{name: record[name] for name in tagged},
            }
            for record, customer_id in zip(records, ids, strict=True)
        ],
    )
    consents_land(
        record_source=record_source,
        statements=[
            (customer_id, statement)
            for record, customer_id in zip(records, ids, strict=True)
            for statement in record.get("consents") or ()
        ],
    )
    # A new customer always brings a new identity; only identity writes beyond those (a record
    # newly linked to a known customer, a changed contact point) make more records "updated".
    linked = identities.created + identities.updated - customers.created
    outcome = per_record_counts(customers, len(records), also_written=max(0, linked))
    outcome.customer_ids = {
        record["external_id"]: customer_id for record, customer_id in zip(records, ids, strict=True)
    }
    outcome.uncertain = [
        UncertainMatch(
            external_id=records[index]["external_id"],
            customer_id=ids[index],
            candidate_ids=candidates,
            reason=reason,
        )
        for index, (candidates, reason) in resolution.uncertain.items()
    ]
    return outcome


def _stored_fields(
    customer_ids: Iterable[int | None], fields: tuple[str, ...]
) -> dict[int, tuple[str, FieldValues]]:
    """Each matched customer's number and synced fields, as stored."""
    wanted = {customer_id for customer_id in customer_ids if customer_id is not None}
    rows = rows_where_in(Customer, "id", wanted, ("id", "number", "field_sources", *fields))
    return {
        row[0]: (row[1], FieldValues(dict(zip(fields, row[3:], strict=True)), _json(row[2])))
        for row in rows
    }


def _json(value: Any) -> Any:
    """A json column read with a raw cursor: Django has psycopg hand jsonb over as text."""
    return json.loads(value) if isinstance(value, str) else value


def identities_mark_deleted(*, record_source: str, external_ids: list[str]) -> int:
    """The source deleted these records: mark their identities; how many were live.

    A customer is hidden (``deleted_at``) once none of their identities is live: a customer the
    CRM deleted but the shop still knows stays. A later record from the source undeletes both.
    """
    now = timezone.now()
    identities = CustomerIdentity.objects.filter(
        source=record_source, external_id__in=external_ids, deleted_at__isnull=True
    )
    customer_ids = set(identities.values_list("customer_id", flat=True))
    marked = identities.update(deleted_at=now)
    Customer.objects.filter(pk__in=customer_ids, deleted_at__isnull=True).exclude(
        identities__deleted_at__isnull=True
    ).update(deleted_at=now)
    return marked


def consents_land(*, record_source: str, statements: list[tuple[int, Record]]) -> int:
    """Consent statements from a source: the newest per customer, channel and purpose stands.

    A statement older than the one stored never overrides it (an associate may have recorded a
    newer opt-in in the store), and one that only repeats the stored answer writes nothing.
    Returns how many consents were written.
    """
    newest: dict[tuple[int, str, str], Record] = {}
    for customer_id, statement in statements:
        key = (customer_id, statement["channel"], statement["purpose"])
        if key not in newest or statement["recorded_at"] > newest[key]["recorded_at"]:
            newest[key] = statement
    if not newest:
        return 0
    stored = {
        (customer_id, channel, purpose): (granted, recorded_at)
        for customer_id, channel, purpose, granted, recorded_at in Consent.objects.filter(
            customer_id__in={customer_id for customer_id, _, _ in newest}
        ).values_list("customer_id", "channel", "purpose", "granted", "recorded_at")
    }
    changed = [
        {
            "customer_id": key[0],
            "channel": key[1],
            "purpose": key[2],
            "granted": statement["granted"],
            "source": record_source,
            "recorded_at": statement["recorded_at"],
        }
        for key, statement in newest.items()
        if key not in stored
        or (stored[key][0] != statement["granted"] and stored[key][1] < statement["recorded_at"])
    ]
    result = upsert(CONSENTS, changed)
    return result.created + result.updated


def customer_ids_by_identity(record_source: str, external_ids: set[str]) -> dict[str, int]:
    """Customers by their identity in this source."""
    return dict(
        rows_where_in(
            CustomerIdentity,
            "external_id",
            external_ids,
            ("external_id", "customer_id"),
            equal={"source": record_source},
        )
    )


def customer_figures_sql(customers: str) -> str:
    """UPDATE the figures of the customers whose orders match ``customers`` (a condition on
    orders_order's own columns).

    Net of returns: a return document's total is negative already, and units returned
    against sold lines are taken off at their unit price (through the partial index
    orderline_with_returns, so a load without any costs nothing). Sales alone make the order
    count and the purchase dates. Orders the source deleted count for nothing, and a customer
    whose orders were all deleted is back to no purchases. The sum is rounded once, to the
    currency's minor unit the column keeps, since unit prices carry four decimals.
    """
    return f"""
        WITH returned AS (
            SELECT o.customer_id, sum(l.returned_quantity * l.unit_price) AS value
            FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id
            WHERE l.returned_quantity > 0 AND o.deleted_at IS NULL AND {customers}
            GROUP BY o.customer_id
        )
        UPDATE customers_customer c
        SET lifetime_value = a.net, order_count = a.orders,
            first_purchase_at = a.first_at, last_purchase_at = a.last_at
        FROM (
            SELECT d.customer_id, round(coalesce(d.total, 0) - coalesce(r.value, 0), 2) AS net,
                   d.orders, d.first_at, d.last_at
            FROM (
                SELECT customer_id, sum(total) FILTER (WHERE deleted_at IS NULL) AS total,
                       count(*) FILTER (WHERE kind = 'sale' AND deleted_at IS NULL) AS orders,
                       min(placed_at) FILTER (WHERE kind = 'sale' AND deleted_at IS NULL)
                           AS first_at,
                       max(placed_at) FILTER (WHERE kind = 'sale' AND deleted_at IS NULL)
                           AS last_at
                FROM orders_order WHERE {customers} GROUP BY customer_id
            ) d
            LEFT JOIN returned r ON r.customer_id = d.customer_id
        ) a
        WHERE c.id = a.customer_id
          AND (c.lifetime_value, c.order_count, c.first_purchase_at, c.last_purchase_at)
              IS DISTINCT FROM (a.net, a.orders, a.first_at, a.last_at)
    """  # noqa: S608 - the condition is our own


def customer_figures_refresh(customer_ids: set[int]) -> None:
    """Keep each customer's lifetime value (net of returns), order count and purchase dates in
    step with their orders and returns."""
    if not customer_ids:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                customer_figures_sql("customer_id = ANY(%(ids)s)"), {"ids": list(customer_ids)}
            )
        return
    live, sales = Q(deleted_at__isnull=True), Q(kind=Order.Kind.SALE, deleted_at__isnull=True)
    figures = (
        Order.objects.filter(customer_id__in=customer_ids)
        .values("customer_id")
        .annotate(
            total=Sum("total", filter=live),
            orders=Count("id", filter=sales),
            first=Min("placed_at", filter=sales),
            last=Max("placed_at", filter=sales),
        )
    )
    returned = dict(
        OrderLine.objects.filter(
            order__customer_id__in=customer_ids,
            order__deleted_at__isnull=True,
            returned_quantity__gt=0,
        )
        .values("order__customer_id")
        .annotate(value=Sum(F("returned_quantity") * F("unit_price")))
        .values_list("order__customer_id", "value")
    )
    for row in figures:
        net = (row["total"] or 0) - (returned.get(row["customer_id"]) or 0)
        Customer.objects.filter(id=row["customer_id"]).update(
            lifetime_value=Decimal(net).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
            order_count=row["orders"],
            first_purchase_at=row["first"],
            last_purchase_at=row["last"],
        )


# --- Interactions -----------------------------------------------------------------------


def interactions_land(*, record_source: str, records: list[Record]) -> WriteOutcome:
    """Land a source's activities (CRM tasks) on the timelines of the customers they are about.

    A record with ``deleted`` removes that activity: it was the source's, and the source
    deleted it.
    """
    live, gone = split_deletions(records)
    outcome = _interactions_upsert(record_source, [records[i] for i in live], who="contact")
    outcome.rejected = {live[index]: reason for index, reason in outcome.rejected.items()}
    if gone:
        removed = Interaction.objects.filter(source=record_source, external_id__in=gone)
        outcome.active_customer_ids |= set(removed.values_list("customer_id", flat=True))
        deleted = removed.delete()[0]
        outcome.updated += deleted
        outcome.unchanged += len(gone) - deleted
    return outcome


# What a review keeps beside an interaction's own columns.
REVIEW_COLUMNS = ("rating", "product_code")


def reviews_land(*, record_source: str, records: list[Record]) -> WriteOutcome:
    """Land a source's product reviews on their authors' timelines: interactions of kind review
    on the online channel, scored like any synced words, with their stars and product kept.

    The same review again (its external id) updates the one interaction. A review by a
    customer no landing has brought from this source is refused with the reason.
    """
    return _interactions_upsert(
        record_source,
        # Prefixed so that a source's reviews never share a key with its other activities.
        [
            {
                **record,
                "external_id": f"review:{record['external_id']}",
                "kind": InteractionKind.REVIEW,
            }
            for record in records
        ],
        who="customer",
        extra=REVIEW_COLUMNS,
    )


def _interactions_upsert(
    record_source: str, records: list[Record], *, who: str, extra: tuple[str, ...] = ()
) -> WriteOutcome:
    if not records:
        return WriteOutcome()
    customer_ids = customer_ids_by_identity(
        record_source, {record["customer_external_id"] for record in records}
    )
    # Activities of an erased customer still land (the brand's figures count them), without
    # their text: the source has not erased its copy yet.
    erased = set(
        Customer.objects.filter(
            pk__in=set(customer_ids.values()), erased_at__isnull=False
        ).values_list("pk", flat=True)
    )
    outcome = WriteOutcome()
    rows = []
    for index, record in enumerate(records):
        customer_id = customer_ids.get(record["customer_external_id"])
        if customer_id is None:
            outcome.rejected[index] = f"unknown {who} {record['customer_external_id']!r}"
            continue
        rows.append(
            {
                "source": record_source,
                "external_id": record["external_id"],
                "customer_id": customer_id,
                "kind": record["kind"],
                "channel": record["channel"],
                "summary": "" if customer_id in erased else record["summary"],
                "occurred_at": record["occurred_at"],
                **{name: record[name] for name in extra},
            }
        )
    # Sentiment from the summaries, the page in one batch; compared like the business columns
    # so a changed summary (or a new model) writes its new label.
    interaction_rows_score(rows)
    result = upsert(
        TableSpec(
            model=Interaction,
            key=("source", "external_id"),
            compare=(
                "customer_id",
                "kind",
                "channel",
                "summary",
                "occurred_at",
                *extra,
                *SENTIMENT_COLUMNS,
            ),
            conflict_where="external_id IS NOT NULL",
        ),
        rows,
    )
    counts = per_record_counts(result, len(rows))
    outcome.count(counts)
    if counts.created or counts.updated:
        outcome.active_customer_ids = {row["customer_id"] for row in rows}
    return outcome
