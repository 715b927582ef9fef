"""Reads of the customers domain, always scoped to the staff member asking.

Two scopes, both decided in ``frontline.staff.selectors``:

- ``customers_findable_by``: customer lookup is brand-wide. Any active staff member finds and
  opens any live customer's profile (each read audited), and adds to the customer's own record
  (notes, sizes, preferences, wishlist, check-in at their own store): a customer is one person
  in every store.
- ``customers_in_stores_of``: work done for customers belongs to stores and people, so the
  follow-ups, suggested actions and messages of a customer are planned only by the staff of the
  customer's stores.

A customer outside the scope asked for is "not found" (never "forbidden", which would tell that
the customer exists). Merged, deleted and erased customers are in neither.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    Avg,
    Count,
    DecimalField,
    F,
    Field,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Cast, NullIf, TruncMonth
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext

from frontline.core.batching import values_in_one_round_trip
from frontline.customers.models import (
    CandidateStatus,
    Consent,
    ConsentChannel,
    ConsentPurpose,
    Customer,
    CustomerMerge,
    CustomerNote,
    CustomerPreference,
    CustomerSize,
    DuplicateCandidate,
    Interaction,
    Sentiment,
    SentimentMonth,
    Source,
    WishlistItem,
)
from frontline.customers.search import SearchOutcome, search_customers
from frontline.orders.models import Order, OrderLine
from frontline.privacy.selectors import recently_viewed_customer_ids
from frontline.staff.models import StaffRole, User
from frontline.staff.selectors import customer_lookup_condition, stores_for

TIMELINE_PAGE_SIZE = 20
ORDERS_SHOWN = 25
TREND_MONTHS = 12


def live_customers() -> QuerySet[Customer]:
    """Customers anyone may still see.

    Records merged into another customer are hidden: the survivor stands for them. So are
    customers whose every source system deleted its record (``deleted_at``), erased customers
    among them (an erasure sets it too).
    """
    return Customer.objects.filter(merged_into__isnull=True, deleted_at__isnull=True)


def customers_findable_by(user: User) -> QuerySet[Customer]:
    """Every live customer of the brand, for any active staff member: search and the profile."""
    return live_customers().filter(customer_lookup_condition(user))


def customers_in_stores_of(user: User) -> QuerySet[Customer]:
    """The live customers of the staff member's stores (all for superusers): those whose
    store work (follow-ups, suggested actions, messages) they may plan."""
    customers = live_customers()
    if user.is_superuser:
        return customers
    return customers.filter(preferred_store__in=stores_for(user).values("pk"))


def customer_get_findable(*, user: User, customer_id: int) -> Customer:
    """The customer with its header relations, or Http404 (brand-wide lookup)."""
    return _header_or_404(customers_findable_by(user), customer_id)


def customer_get_in_stores(*, user: User, customer_id: int) -> Customer:
    """The customer with its header relations, or Http404 when not of the user's stores."""
    return _header_or_404(customers_in_stores_of(user), customer_id)


def _header_or_404(customers: QuerySet[Customer], customer_id: int) -> Customer:
    customer = (
        customers.select_related("preferred_store", "preferred_associate")
        .filter(pk=customer_id)
        .first()
    )
    if customer is None:
        raise Http404(gettext("No such customer."))
    return customer


def customer_search(*, user: User, query: str | None, limit: int = 20) -> SearchOutcome:
    """Search results for the staff member, brand-wide; the customers they opened lately when
    empty."""
    outcome = search_customers(customers_findable_by(user), query or "", limit=limit)
    if outcome.query:
        return outcome
    recent_ids = recently_viewed_customer_ids(staff=user, limit=limit)
    by_id = customers_findable_by(user).select_related("preferred_store").in_bulk(recent_ids)
    return SearchOutcome(
        query="",
        customers=[by_id[pk] for pk in recent_ids if pk in by_id],
        hint=outcome.hint,
        showing_recent=True,
    )


# --- The profile ------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentCell:
    channel: str
    channel_label: str
    purpose: str
    purpose_label: str
    granted: bool
    recorded_at: datetime | None


@dataclass(frozen=True)
class TimelineCursor:
    occurred_at: datetime
    id: int

    def encode(self) -> str:
        raw = f"{self.occurred_at.isoformat()}|{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> TimelineCursor:
        """Raises ValueError with a readable message when the token was not made by encode()."""
        try:
            padded = token + "=" * (-len(token) % 4)
            occurred_at, _, identifier = (
                base64.urlsafe_b64decode(padded.encode("ascii")).decode().partition("|")
            )
            moment = datetime.fromisoformat(occurred_at)
            if moment.tzinfo is None:
                raise ValueError("no time zone")
            return cls(moment, int(identifier))
        except (ValueError, UnicodeError, binascii.Error):
            raise ValueError(
                "The timeline cursor is not valid; start again from the top."
            ) from None


@dataclass(frozen=True)
class TimelinePage:
    interactions: list[Interaction]
    next_cursor: str | None
    channel: str = ""
    kind: str = ""


@dataclass(frozen=True)
class TrendMonth:
    month: datetime
    positive: int
    neutral: int
    negative: int
    average_score: float | None

    @property
    def total(self) -> int:
        return self.positive + self.neutral + self.negative

    def _percent(self, part: int) -> int:
        return round(100 * part / self.total) if self.total else 0

    @property
    def positive_percent(self) -> int:
        return self._percent(self.positive)

    @property
    def negative_percent(self) -> int:
        return self._percent(self.negative)

    @property
    def neutral_percent(self) -> int:
        return 100 - self.positive_percent - self.negative_percent if self.total else 0


@dataclass(frozen=True)
class CustomerReturns:
    """What the customer gave back, credit notes and units returned against sales alike.

    Worked out as what they bought (their sales' totals) less their net spend
    (``Customer.lifetime_value``, net of both kinds of return), so that the profile's three
    figures always add up, with one aggregate over the customer's orders.
    """

    value: Decimal = Decimal("0")
    credit_notes: int = 0


def customer_returns(customer: Customer, rows: list[dict[str, Any]]) -> CustomerReturns:
    """From the rows of _returns_queryset."""
    if not rows:
        return CustomerReturns()
    # Decimal(str()): the PostgreSQL batch hands numbers over as JSON numbers (floats), whose
    # shortest form is the column's decimal for any amount it can hold.
    bought = Decimal(str(rows[0]["bought"] or 0))
    return CustomerReturns(
        value=bought - customer.lifetime_value, credit_notes=rows[0]["credit_notes"]
    )


def _returns_queryset(customer: Customer) -> QuerySet:
    return (
        Order.objects.filter(customer=customer, deleted_at__isnull=True)
        .values("customer_id")
        .annotate(
            bought=Sum("total", filter=Q(kind=Order.Kind.SALE)),
            credit_notes=Count("id", filter=Q(kind=Order.Kind.RETURN)),
        )
    )


@dataclass(frozen=True)
class CustomerProfile:
    customer: Customer
    consents: list[ConsentCell]
    sizes: list[CustomerSize]
    preferences: list[CustomerPreference]
    identities: list[dict[str, Any]]
    orders: list[Order]
    wishlist: list[WishlistItem]
    notes: list[CustomerNote]
    timeline: TimelinePage
    trend: list[TrendMonth] = field(default_factory=list)
    returns: CustomerReturns = field(default_factory=CustomerReturns)
    # Where each synced value came from, by field: {"phone": {"label": "CRM", "at": datetime}}.
    origins: dict[str, dict[str, Any]] = field(default_factory=dict)


def value_origins(customer: Customer) -> dict[str, dict[str, Any]]:
    """The source and time of each synced field's value, as the profile shows them."""
    origins = {}
    for name, origin in (customer.field_sources or {}).items():
        try:
            label, at = Source(origin["source"]).label, datetime.fromisoformat(origin["at"])
        except (KeyError, TypeError, ValueError):
            continue  # written by an older version or by hand: say nothing rather than guess
        origins[name] = {"label": label, "at": at}
    return origins


def customer_profile(*, user: User, customer_id: int) -> CustomerProfile:
    """Everything the profile shows, in a fixed number of queries whatever the history's size."""
    customer = customer_get_findable(user=user, customer_id=customer_id)
    # The sections the page shows as plain values travel together (one round trip on
    # PostgreSQL); the others are model instances the templates and forms work with.
    fetched = values_in_one_round_trip(
        {
            "consents": Consent.objects.filter(customer=customer).values(*CONSENT_FIELDS),
            "identities": _identity_rows(customer),
            "trend": _sentiment_trend_rows(customer, trend_since()),
            "returns": _returns_queryset(customer),
        }
    )
    return CustomerProfile(
        customer=customer,
        consents=consent_grid(fetched["consents"]),
        sizes=list(customer.sizes.select_related("updated_by").order_by("category")),
        preferences=list(
            customer.preferences.select_related("updated_by").order_by("kind", "value")
        ),
        identities=[_identity(row) for row in fetched["identities"]],
        orders=list(customer_orders(customer=customer)[:ORDERS_SHOWN]),
        wishlist=list(
            customer.wishlist.select_related("variant__product", "added_by").order_by("-added_at")
        ),
        notes=list(customer_notes(customer=customer)),
        timeline=customer_timeline(customer=customer),
        trend=trend_months(fetched["trend"]),
        origins=value_origins(customer),
        returns=customer_returns(customer, fetched["returns"]),
    )


def _identity_rows(customer: Customer) -> QuerySet:
    return customer.identities.order_by("source", "external_id").values(
        "source", "external_id", "last_synced_at", "deleted_at", "tags"
    )


def _identity(row: dict[str, Any]) -> dict[str, Any]:
    """An identity row with its source's label, as the page shows it."""
    synced, deleted = row["last_synced_at"], row["deleted_at"]
    return {
        **row,
        "source_label": Source(row["source"]).label,
        "last_synced_at": _as_datetime(synced) if synced else None,
        "deleted_at": _as_datetime(deleted) if deleted else None,
    }


CONSENT_FIELDS = ("channel", "purpose", "granted", "recorded_at")


def consent_grid(rows: Iterable[dict[str, Any]]) -> list[ConsentCell]:
    """One cell per channel and purpose; a missing row is shown as "no" (never assumed)."""
    recorded = {(row["channel"], row["purpose"]): row for row in rows}
    cells = []
    for channel in ConsentChannel:
        for purpose in ConsentPurpose:
            consent = recorded.get((channel.value, purpose.value))
            cells.append(
                ConsentCell(
                    channel=channel.value,
                    channel_label=str(channel.label),
                    purpose=purpose.value,
                    purpose_label=str(purpose.label),
                    granted=bool(consent and consent["granted"]),
                    recorded_at=_as_datetime(consent["recorded_at"])
                    if consent and consent["recorded_at"]
                    else None,
                )
            )
    return cells


def customer_orders(*, customer: Customer) -> QuerySet[Order]:
    """Online and in-store orders in one list, newest first, with item and return totals.

    The totals are per-order subqueries rather than a join with GROUP BY: the latest orders
    come off the (customer, placed_at) index with the LIMIT, and only their lines are summed,
    however long the customer's history.
    """
    return (
        Order.objects.filter(customer=customer, deleted_at__isnull=True)
        .select_related("store", "associate", "original")
        .annotate(
            item_count=_line_total(F("quantity")),
            returned_count=_line_total(F("returned_quantity")),
            returned_value=_line_total(
                F("returned_quantity") * F("unit_price"), output_field=DecimalField()
            ),
        )
        .order_by("-placed_at", "-pk")
    )


def _line_total(expression: Any, output_field: Field | None = None) -> Subquery:
    lines = OrderLine.objects.filter(order=OuterRef("pk")).order_by().values("order")
    total = lines.annotate(total=Sum(expression, output_field=output_field)).values("total")
    return Subquery(total, output_field=output_field or IntegerField())


def customer_notes(*, customer: Customer) -> QuerySet[CustomerNote]:
    return customer.notes.select_related("author").order_by("-is_pinned", "-created_at", "-pk")


def customer_timeline(
    *,
    customer: Customer,
    channel: str = "",
    kind: str = "",
    cursor: str | None = None,
    page_size: int = TIMELINE_PAGE_SIZE,
) -> TimelinePage:
    """A page of interactions, newest first, after ``cursor`` (keyset on occurred_at, id).

    Keyset paging costs the same on page 50 as on page 1, and a new interaction arriving while
    the associate scrolls does not shift the pages. Raises ValueError for a bad cursor.
    """
    interactions = customer.interactions.select_related("store", "staff")
    if channel:
        interactions = interactions.filter(channel=channel)
    if kind:
        interactions = interactions.filter(kind=kind)
    if cursor:
        after = TimelineCursor.decode(cursor)
        interactions = interactions.filter(
            Q(occurred_at__lt=after.occurred_at) | Q(occurred_at=after.occurred_at, pk__lt=after.id)
        )
    rows = list(interactions.order_by("-occurred_at", "-pk")[: page_size + 1])
    next_cursor = None
    if len(rows) > page_size:
        rows = rows[:page_size]
        next_cursor = TimelineCursor(rows[-1].occurred_at, rows[-1].pk).encode()
    return TimelinePage(rows, next_cursor, channel, kind)


def trend_since(months: int = TREND_MONTHS) -> datetime:
    """The start of the first of the last ``months`` calendar months (UTC), this one included."""
    this_month = timezone.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    year, month_index = divmod(this_month.year * 12 + this_month.month - months, 12)
    return this_month.replace(year=year, month=month_index + 1)


def _sentiment_trend_rows(customer: Customer, since: datetime) -> QuerySet:
    """Per month since ``since``: the interactions by sentiment and their average score.

    On PostgreSQL from the monthly rollup its triggers keep (``SentimentMonth``): a dozen
    rows, whatever the length of the history. Elsewhere from the interactions themselves.
    """
    if connection.vendor == "postgresql":
        return (
            SentimentMonth.objects.filter(customer=customer, month__gte=since)
            .exclude(positive=0, neutral=0, negative=0)
            .annotate(
                average_score=Cast(F("score_sum") / NullIf("scored", 0), FloatField()),
            )
            .order_by("month")
            .values("month", "positive", "neutral", "negative", "average_score")
        )
    # Unknown interactions were not read: they count in no share and in no month, as the
    # rollup (which has no column for them) leaves them out.
    return (
        customer.interactions.filter(occurred_at__gte=since)
        .exclude(sentiment=Sentiment.UNKNOWN)
        .annotate(month=TruncMonth("occurred_at"))
        .values("month")
        .annotate(
            positive=Count("pk", filter=Q(sentiment=Sentiment.POSITIVE)),
            neutral=Count("pk", filter=Q(sentiment=Sentiment.NEUTRAL)),
            negative=Count("pk", filter=Q(sentiment=Sentiment.NEGATIVE)),
            average_score=Avg("sentiment_score"),
        )
        .order_by("month")
    )


def trend_months(rows: Iterable[dict[str, Any]]) -> list[TrendMonth]:
    return [
        TrendMonth(
            month=_as_datetime(row["month"]),
            positive=row["positive"],
            neutral=row["neutral"],
            negative=row["negative"],
            average_score=round(row["average_score"], 2)
            if row["average_score"] is not None
            else None,
        )
        for row in rows
    ]


def _as_datetime(value: datetime | str) -> datetime:
    """A datetime from the ORM, or from JSON (ISO text), aware as the ORM would make it."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_current_timezone())
    return moment


# --- The profile as rows: what the API serves ---------------------------------------------

STAFF_REF_FIELDS = ("id", "username", "first_name", "last_name")


def _staff_ref(relation: str) -> list[str]:
    return [f"{relation}__{name}" for name in STAFF_REF_FIELDS]


# The header as the API shows it (CustomerDetailSerializer's fields, as values() names).
HEADER_FIELDS = (
    "id", "number", "first_name", "last_name", "email", "phone", "tier",
    "preferred_store__id", "preferred_store__name", *_staff_ref("preferred_associate"),
    "postcode", "country", "birthday", "anniversary", "lifetime_value", "order_count",
    "created_at", "first_purchase_at", "last_purchase_at", "last_visit_at",
)  # fmt: skip


@dataclass(frozen=True)
class ProfileRows:
    """The profile as plain rows: the header and the sections.

    Row keys are ``values()`` names (``store__name``); the API shapes them. Datetimes and
    decimals may be ISO text and numbers (see frontline.core.batching).
    """

    customer: dict[str, Any]
    consents: list[ConsentCell]
    sections: dict[str, list[dict[str, Any]]]
    timeline_next_cursor: str | None
    trend: list[TrendMonth]


def customer_in_scope(*, user: User, customer_id: int) -> QuerySet[Customer]:
    """The customer, if the staff member may look them up; else nothing."""
    return customers_findable_by(user).filter(pk=customer_id)


def profile_querysets(*, user: User, customer_id: int, since: datetime) -> dict[str, QuerySet]:
    """The API's profile as values() querysets: the header, empty when the customer is out of
    the user's scope, and the sections in the page's order and limits.

    The sections do not repeat the scope check: ``profile_rows`` answers "not found" from
    the empty header, whatever they hold.
    """
    header = customer_in_scope(user=user, customer_id=customer_id).values(*HEADER_FIELDS)
    return {"customer": header, **_profile_sections(Customer(pk=customer_id), since)}


def profile_rows(fetched: dict[str, list[dict[str, Any]]]) -> ProfileRows:
    """The fetched ``profile_querysets`` as the API's rows; Http404 when there is no header."""
    if not fetched["customer"]:
        raise Http404(gettext("No such customer."))
    timeline = fetched["timeline"]
    next_cursor = None
    if len(timeline) > TIMELINE_PAGE_SIZE:
        del timeline[TIMELINE_PAGE_SIZE:]
        last = timeline[-1]
        next_cursor = TimelineCursor(_as_datetime(last["occurred_at"]), last["id"]).encode()
    return ProfileRows(
        customer=fetched.pop("customer")[0],
        consents=consent_grid(fetched.pop("consents")),
        trend=trend_months(fetched.pop("trend")),
        sections=fetched,
        timeline_next_cursor=next_cursor,
    )


def _profile_sections(customer: Customer, since: datetime) -> dict[str, QuerySet]:
    """The API's profile sections as values() querysets, in the page's order and limits."""
    return {
        "consents": Consent.objects.filter(customer=customer).values(*CONSENT_FIELDS),
        "sizes": customer.sizes.order_by("category").values(
            "category", "size", "updated_at", *_staff_ref("updated_by")
        ),
        "preferences": customer.preferences.order_by("kind", "value").values(
            "id", "kind", "value", "updated_at", *_staff_ref("updated_by")
        ),
        "identities": _identity_rows(customer),
        "orders": customer_orders(customer=customer).values(
            "id", "number", "channel", "placed_at", "store__id", "store__name",
            *_staff_ref("associate"), "currency", "total",
            "item_count", "returned_count", "returned_value",
        )[:ORDERS_SHOWN],
        "wishlist": customer.wishlist.order_by("-added_at").values(
            "id", "description", "source", "variant_id", "added_at", *_staff_ref("added_by")
        ),
        "notes": customer_notes(customer=customer).values(
            "id", "body", "is_pinned", "sentiment", "created_at", "updated_at",
            *_staff_ref("author"),
        ),
        "timeline": customer.interactions.order_by("-occurred_at", "-pk").values(
            "id", "occurred_at", "channel", "kind", "sentiment", "sentiment_score",
            "summary", "source", "store__id", "store__name",
        )[: TIMELINE_PAGE_SIZE + 1],
        "trend": _sentiment_trend_rows(customer, since),
    }  # fmt: skip


# --- Duplicates and merges ---------------------------------------------------------------


def managed_store_ids(user: User) -> QuerySet:
    return (
        stores_for(user)
        .filter(assignments__user=user, assignments__role=StaffRole.MANAGER)
        .values("pk")
    )


def customers_mergeable_by(user: User) -> QuerySet[Customer]:
    """Customers whose records the user may merge: those of the stores they manage."""
    customers = live_customers()
    if user.is_superuser:
        return customers
    return customers.filter(preferred_store__in=managed_store_ids(user))


def can_review_duplicates(user: User) -> bool:
    return user.is_superuser or managed_store_ids(user).exists()


def duplicate_queue(*, user: User) -> QuerySet[DuplicateCandidate]:
    """Open candidates whose two customers the user manages, most certain first."""
    mergeable = customers_mergeable_by(user).values("pk")
    return (
        DuplicateCandidate.objects.filter(
            status=CandidateStatus.OPEN, customer__in=mergeable, other__in=mergeable
        )
        .select_related("customer__preferred_store", "other__preferred_store")
        .order_by("-score", "-detected_at", "pk")
    )


def duplicate_candidate_get(*, user: User, candidate_id: int) -> DuplicateCandidate:
    candidate = duplicate_queue(user=user).filter(pk=candidate_id).first()
    if candidate is None:
        raise Http404(gettext("No such duplicate candidate waiting for review."))
    return candidate


def merges_visible_to(*, user: User) -> QuerySet[CustomerMerge]:
    """Merges of customers the user manages, newest first (the survivor may be merged later)."""
    merges = CustomerMerge.objects.select_related("survivor", "loser", "merged_by", "undone_by")
    if not user.is_superuser:
        merges = merges.filter(survivor__preferred_store__in=managed_store_ids(user))
    return merges.order_by("-merged_at", "-pk")
