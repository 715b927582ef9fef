"""Every rule of the registry; each is registered on import (see ``apps.py``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import reduce
from operator import or_

from django.conf import settings
from django.db.models import DecimalField, F, Max, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Lower
from django.utils import translation

from frontline.actions.registry import (
    OFFERED_VARIANT_KEY,
    Chunk,
    Facts,
    Finding,
    Rule,
    clamp_score,
    registry,
)
from frontline.catalog.models import BackInStockWatch, Hold, Product, StockLevel
from frontline.core.money import money_text
from frontline.customers.models import (
    ConsentPurpose,
    CustomerPreference,
    CustomerSize,
    Interaction,
    InteractionKind,
    PreferenceKind,
    Sentiment,
    Tier,
)
from frontline.orders.models import Order, OrderLine


def _money(amount: Decimal | float | str) -> str:
    return money_text(amount, whole=True)


def _day(iso_date: str) -> str:
    return date.fromisoformat(iso_date).strftime("%-d %b")


# --- Birthday and anniversary -------------------------------------------------------------


def next_occurrence(month: int, day: int, today: date) -> date:
    """The next date (today included) with this month and day; 29 Feb falls on 1 Mar."""
    for year in (today.year, today.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:  # 29 February in a common year
            candidate = date(year, 3, 1)
        if candidate >= today:
            return candidate
    raise AssertionError("unreachable: next year's date is always ahead")


def month_days_within(today: date, days: int) -> set[tuple[int, int]]:
    """(month, day) pairs from today to ``days`` ahead; 29 Feb is in when 1 Mar is, any year."""
    pairs = {((today + timedelta(n)).month, (today + timedelta(n)).day) for n in range(days + 1)}
    if (3, 1) in pairs:
        pairs.add((2, 29))
    return pairs


class OccasionSoon(Rule):
    """A birthday or anniversary within the look-ahead window: time for a personal greeting."""

    contact_purpose = ConsentPurpose.MARKETING
    field_name: str
    occasion: str

    def eligible(self, chunk: Chunk) -> Iterable[Finding]:
        window = chunk.config.occasion_lookahead_days
        pairs = month_days_within(chunk.today, window)
        matches = reduce(
            or_,
            (Q(**{f"{self.field_name}__month": m, f"{self.field_name}__day": d}) for m, d in pairs),
        )
        rows = chunk.customers().filter(matches).values_list("id", self.field_name, "tier")
        for customer_id, when, tier in rows:
            upcoming = next_occurrence(when.month, when.day, chunk.today)
            facts: Facts = {
                "occasion": self.occasion,
                "date": upcoming.isoformat(),
                "days_until": (upcoming - chunk.today).days,
                "years": upcoming.year - when.year,
                "tier": tier,
                "window_days": window,
            }
            yield Finding(customer_id, facts)

    def score(self, facts: Facts) -> float:
        closeness = 1 - facts["days_until"] / max(1, facts["window_days"])
        vip_bonus = 10 if facts["tier"] in (Tier.VIP, Tier.GOLD) else 0
        return clamp_score(45 + 30 * closeness + vip_bonus)

    def reason(self, facts: Facts) -> str:
        days = facts["days_until"]
        when = "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"
        return f"{self.occasion.capitalize()} {when} ({_day(facts['date'])}): send a greeting."


@registry.register
class BirthdaySoon(OccasionSoon):
    name = "birthday_soon"
    label = "Birthday soon"
    field_name = "birthday"
    occasion = "birthday"


@registry.register
class AnniversarySoon(OccasionSoon):
    name = "anniversary_soon"
    label = "Anniversary soon"
    field_name = "anniversary"
    occasion = "anniversary"


# --- Lapsing high-value customers ---------------------------------------------------------


@registry.register
class LapsingHighValue(Rule):
    """A VIP, gold or high-spending customer who has not visited or bought for a long time."""

    name = "lapsing_high_value"
    label = "Lapsing high-value customer"
    contact_purpose = ConsentPurpose.MARKETING

    def eligible(self, chunk: Chunk) -> Iterable[Finding]:
        config = chunk.config
        cutoff = chunk.now - timedelta(days=config.lapsing_after_days)
        high_value = Q(tier__in=[Tier.VIP, Tier.GOLD]) | Q(
            lifetime_value__gte=config.lapsing_min_lifetime_value
        )
        not_seen_since_cutoff = (
            (Q(last_visit_at__lt=cutoff) | Q(last_visit_at__isnull=True))
            & (Q(last_purchase_at__lt=cutoff) | Q(last_purchase_at__isnull=True))
            # Never seen at all is not "lapsing": there is nothing to come back from.
            & ~Q(last_visit_at__isnull=True, last_purchase_at__isnull=True)
        )
        rows = (
            chunk.customers()
            .filter(high_value, not_seen_since_cutoff)
            .values_list("id", "tier", "lifetime_value", "last_visit_at", "last_purchase_at")
        )
        for customer_id, tier, lifetime_value, last_visit, last_purchase in rows:
            last_seen = max(moment for moment in (last_visit, last_purchase) if moment)
            facts: Facts = {
                "tier": tier,
                "lifetime_value": str(lifetime_value),
                "last_seen": last_seen.date().isoformat(),
                "days_since_seen": (chunk.now - last_seen).days,
                "lapsing_after_days": config.lapsing_after_days,
            }
            yield Finding(customer_id, facts)

    def score(self, facts: Facts) -> float:
        value_part = min(25.0, float(facts["lifetime_value"]) / 1000 * 2.5)
        overdue = facts["days_since_seen"] / max(1, facts["lapsing_after_days"]) - 1
        # Most worth a call just after lapsing; after a year the chance fades again.
        recency_part = 15.0 if overdue < 1 else 8.0 if overdue < 3 else 2.0
        tier_part = 10.0 if facts["tier"] == Tier.VIP else 5.0 if facts["tier"] == Tier.GOLD else 0
        return clamp_score(35 + value_part + recency_part + tier_part)

    def reason(self, facts: Facts) -> str:
        with translation.override(settings.LANGUAGE_CODE):  # stored, in the brand's language
            tier = str(Tier(facts["tier"]).label)
        return (
            f"{tier} customer, {_money(facts['lifetime_value'])} spent, not seen for "
            f"{facts['days_since_seen']} days (since {_day(facts['last_seen'])}): check in."
        )


# --- Thank-you after a significant purchase -----------------------------------------------


def kept_of_sale() -> Coalesce:
    """A sale's total less what came back of it: the credit notes linked to it (negative
    totals) and the units returned against its lines."""
    money = DecimalField(max_digits=18, decimal_places=4)
    credited = (
        Order.objects.kept()
        .filter(original=OuterRef("pk"))
        .order_by()
        .values("original")
        .annotate(total=Sum("total"))
        .values("total")
    )
    returned = (
        OrderLine.objects.filter(
            order=OuterRef("pk"), order__deleted_at__isnull=True, returned_quantity__gt=0
        )
        .order_by()
        .values("order")
        .annotate(value=Sum(F("returned_quantity") * F("unit_price"), output_field=money))
        .values("value")
    )
    zero = Value(Decimal("0"), output_field=money)
    return Coalesce(
        F("total")
        + Coalesce(Subquery(credited, output_field=money), zero)
        - Coalesce(Subquery(returned, output_field=money), zero),
        zero,
        output_field=money,
    )


@registry.register
class ThankYouAfterPurchase(Rule):
    name = "thank_you_purchase"
    label = "Thank you for a significant purchase"
    # Thanking for a purchase is part of serving the customer, not promotion.
    contact_purpose = ConsentPurpose.SERVICE

    def eligible(self, chunk: Chunk) -> Iterable[Finding]:
        config = chunk.config
        since = chunk.now - timedelta(days=config.thank_you_within_days)
        # What the customer kept of each sale: a purchase returned the same day earns no
        # thank-you. Only sales as big as the threshold can keep that much.
        orders = (
            Order.objects.kept()
            .filter(
                **chunk.by_customer(),
                kind=Order.Kind.SALE,
                placed_at__gte=since,
                placed_at__lte=chunk.now,
                total__gte=config.thank_you_min_order_total,
            )
            .annotate(kept=kept_of_sale())
            .filter(kept__gte=config.thank_you_min_order_total)
            .order_by("customer_id", "-kept", "-placed_at")
            .values_list("customer_id", "number", "kept", "currency", "placed_at")
        )
        seen: set[int] = set()
        for customer_id, number, total, currency, placed_at in orders:
            if customer_id in seen:  # the largest recent order speaks for the customer
                continue
            seen.add(customer_id)
            facts: Facts = {
                "order_number": number,
                "total": str(Decimal(total).quantize(Decimal("0.01"))),
                "currency": currency,
                "placed_on": placed_at.date().isoformat(),
                "days_ago": (chunk.now - placed_at).days,
            }
            yield Finding(customer_id, facts)

    def score(self, facts: Facts) -> float:
        size_part = min(25.0, float(facts["total"]) / 100)
        freshness = max(0.0, 15 - 2 * facts["days_ago"])
        return clamp_score(40 + size_part + freshness)

    def reason(self, facts: Facts) -> str:
        return (
            f"Spent {_money(facts['total'])} on {_day(facts['placed_on'])} "
            f"(order {facts['order_number']}): say thank you."
        )


# --- Unresolved complaint or negative sentiment -------------------------------------------


@registry.register
class UnresolvedComplaint(Rule):
    """A complaint or a negative interaction with nothing positive from the customer since."""

    name = "complaint_unresolved"
    label = "Unresolved complaint"
    contact_purpose = ConsentPurpose.SERVICE

    def eligible(self, chunk: Chunk) -> Iterable[Finding]:
        since = chunk.now - timedelta(days=chunk.config.complaint_within_days)
        recent = Interaction.objects.filter(
            **chunk.by_customer(), occurred_at__gte=since, occurred_at__lte=chunk.now
        )
        negatives = recent.filter(
            Q(kind=InteractionKind.COMPLAINT) | Q(sentiment=Sentiment.NEGATIVE)
        ).order_by("customer_id", "-occurred_at")
        latest: dict[int, tuple[int, str, str, datetime]] = {}
        counts: dict[int, int] = defaultdict(int)
        for customer_id, pk, kind, summary, occurred_at in negatives.values_list(
            "customer_id", "id", "kind", "summary", "occurred_at"
        ):
            counts[customer_id] += 1
            latest.setdefault(customer_id, (pk, kind, summary, occurred_at))
        if not latest:
            return
        resolved_at = dict(
            recent.filter(Q(sentiment=Sentiment.POSITIVE) | Q(kind=InteractionKind.THANKS))
            .values("customer_id")
            .annotate(last=Max("occurred_at"))
            .values_list("customer_id", "last")
        )
        for customer_id, (pk, kind, summary, occurred_at) in latest.items():
            resolution = resolved_at.get(customer_id)
            if resolution and resolution > occurred_at:
                continue
            facts: Facts = {
                "interaction_id": pk,
                "kind": kind,
                "summary": summary[:140],
                "occurred_on": occurred_at.date().isoformat(),
                "days_ago": (chunk.now - occurred_at).days,
                "negative_count": counts[customer_id],
            }
            yield Finding(customer_id, facts)

    def score(self, facts: Facts) -> float:
        repeat_part = min(15.0, 5.0 * (facts["negative_count"] - 1))
        complaint_part = 10.0 if facts["kind"] == InteractionKind.COMPLAINT else 0.0
        return clamp_score(65 + repeat_part + complaint_part - facts["days_ago"] / 3)

    def reason(self, facts: Facts) -> str:
        what = "Complaint" if facts["kind"] == InteractionKind.COMPLAINT else "Unhappy contact"
        summary = f': "{facts["summary"]}"' if facts["summary"] else ""
        return f"{what} on {_day(facts['occurred_on'])} not resolved{summary}. Make it right."


# --- New arrival from a favourite brand, in their size, in stock ---------------------------


@dataclass(frozen=True)
class NewArrival:
    product_id: int
    variant_id: int
    product_name: str
    brand: str
    size: str
    launched_on: date
    store_ids: frozenset[int]


SIZE_FREE_CATEGORIES = {Product.Category.ACCESSORIES}


Catalogue = dict[str, dict[tuple[str, str], list[NewArrival]]]


def new_arrivals_in_stock(chunk: Chunk) -> Catalogue:
    """Recent products with stock: lower-case brand -> (category, size) -> arrivals, newest first.

    Computed once per batch: new arrivals are few, customers are many. Size-free categories
    (accessories) are keyed with size "" and fit everyone.
    """
    since = chunk.today - timedelta(days=chunk.config.new_arrival_within_days)
    rows = (
        StockLevel.objects.filter(
            variant__product__launched_on__gte=since,
            variant__product__launched_on__lte=chunk.today,
            variant__product__is_active=True,
            on_hand__gt=F("reserved"),
        )
        .order_by("-variant__product__launched_on", "variant_id")
        .values_list(
            "variant__product_id",
            "variant_id",
            "variant__product__name",
            "variant__product__brand__name",
            "variant__product__category",
            "variant__size",
            "variant__product__launched_on",
            "store_id",
        )
    )
    stores: dict[int, set[int]] = defaultdict(set)
    details: dict[int, tuple] = {}
    for product_id, variant_id, name, brand, category, size, launched_on, store_id in rows:
        stores[variant_id].add(store_id)
        details[variant_id] = (product_id, name, brand, category, size, launched_on)
    catalogue: dict[str, dict[tuple[str, str], list[NewArrival]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for variant_id, (product_id, name, brand, category, size, launched_on) in details.items():
        key_size = "" if category in SIZE_FREE_CATEGORIES else size.lower()
        arrival = NewArrival(
            product_id, variant_id, name, brand, size, launched_on, frozenset(stores[variant_id])
        )
        catalogue[brand.lower()][(category, key_size)].append(arrival)
    for by_fit in catalogue.values():
        for arrivals in by_fit.values():
            arrivals.sort(key=lambda a: (a.launched_on, -a.variant_id), reverse=True)
    return {brand: dict(by_fit) for brand, by_fit in catalogue.items()}


@registry.register
class NewArrivalFavouriteBrand(Rule):
    name = "new_arrival_brand"
    label = "New arrival from a favourite brand"
    contact_purpose = ConsentPurpose.MARKETING

    def eligible(self, chunk: Chunk) -> Iterable[Finding]:
        catalogue = chunk.context.memo("new_arrivals", lambda: new_arrivals_in_stock(chunk))
        if not catalogue:
            return
        brands = set(catalogue)
        favourite_brands: dict[int, set[str]] = defaultdict(set)
        for customer_id, brand in (
            CustomerPreference.objects.filter(**chunk.by_customer(), kind=PreferenceKind.BRAND)
            .annotate(brand=Lower("value"))
            .filter(brand__in=brands)
            .values_list("customer_id", "brand")
        ):
            favourite_brands[customer_id].add(brand)
        if not favourite_brands:
            return
        sizes: dict[int, dict[str, str]] = defaultdict(dict)
        for customer_id, category, size in CustomerSize.objects.filter(
            **chunk.by_customer()
        ).values_list("customer_id", "category", "size"):
            if customer_id in favourite_brands:
                sizes[customer_id][category] = size.lower()
        # A range scan beats an IN list of thousands of ids; merged customers drop out here.
        for customer_id, store_id in chunk.customers().values_list("id", "preferred_store_id"):
            if customer_id not in favourite_brands:
                continue
            best = self._best_arrival(
                catalogue, favourite_brands[customer_id], sizes.get(customer_id, {}), store_id
            )
            if best:
                yield Finding(customer_id, best)

    @staticmethod
    def _best_arrival(
        catalogue: Catalogue, brands: set[str], sizes: dict[str, str], store_id: int | None
    ) -> Facts | None:
        """The newest fitting arrival, preferring one the customer's own store has."""
        fits = [(category, "") for category in SIZE_FREE_CATEGORIES] + list(sizes.items())
        candidates: list[NewArrival] = []
        for brand in brands:
            by_fit = catalogue[brand]
            for fit in fits:
                arrivals = by_fit.get(fit)
                if arrivals:  # newest first: the newest in stock at home, else the newest
                    here = next((a for a in arrivals if store_id in a.store_ids), None)
                    candidates.append(here or arrivals[0])
        if not candidates:
            return None
        best = max(
            candidates, key=lambda a: (store_id in a.store_ids, a.launched_on, -a.variant_id)
        )
        return {
            "product_id": best.product_id,
            "variant_id": best.variant_id,
            "product_name": best.product_name,
            "brand": best.brand,
            "size": best.size,
            "launched_on": best.launched_on.isoformat(),
            "in_stock_at_home_store": store_id in best.store_ids,
        }

    def score(self, facts: Facts) -> float:
        return clamp_score(40 + (15 if facts["in_stock_at_home_store"] else 5))

    def reason(self, facts: Facts) -> str:
        where = "in stock here" if facts["in_stock_at_home_store"] else "available to order"
        size = f" in their size {facts['size']}" if facts["size"] else ""
        return f"New from {facts['brand']}{size}: {facts['product_name']} ({where})."


# --- Inventory: watched sizes back in stock, holds about to expire --------------------------


@dataclass(frozen=True)
class WatchedSize:
    watch_id: int
    customer_id: int
    product_id: int
    product_name: str
    size: str
    created_at: datetime
    notified_at: datetime | None


@registry.register
class BackInStock(Rule):
    """A size the customer waits for is available again, and nobody has acted on it yet.

    The catalog stamps ``notified_at`` on a watch the moment stock arrives (that is when the
    associate is told), so "not yet acted on" means: the watch is still waiting, or woke up
    within ``back_in_stock_within_days``, and the customer has neither held nor bought that
    product in that size since they asked. Accepting or dismissing the action is the other way
    of acting on it; the engine's cool-down covers that.
    """

    name = "back_in_stock"
    label = "Back in stock in their size"
    contact_purpose = ConsentPurpose.MARKETING

    def eligible(self, chunk: Chunk) -> Iterable[Finding]:
        watches = self._open_watches(chunk)
        if not watches:
            return
        available = self._available_variants({w.product_id for w in watches})
        watches = [w for w in watches if (w.product_id, w.size) in available]
        if not watches:
            return
        acted_on = self._held_or_bought(chunk, watches)
        home_stores = dict(chunk.customers().values_list("id", "preferred_store_id"))
        best: dict[int, Facts] = {}
        for watch in watches:
            if watch.customer_id not in home_stores or watch.watch_id in acted_on:
                continue
            facts = self._facts(
                chunk,
                watch,
                available[(watch.product_id, watch.size)],
                home_stores[watch.customer_id],
            )
            current = best.get(watch.customer_id)
            if current is None or self.score(facts) > self.score(current):
                best[watch.customer_id] = facts
        for customer_id, facts in best.items():
            yield Finding(customer_id, facts)

    @staticmethod
    def _open_watches(chunk: Chunk) -> list[WatchedSize]:
        woke_since = chunk.now - timedelta(days=chunk.config.back_in_stock_within_days)
        rows = (
            BackInStockWatch.objects.filter(**chunk.by_customer(), created_at__lte=chunk.now)
            .filter(Q(notified_at__isnull=True) | Q(notified_at__gte=woke_since))
            .order_by("customer_id", "-created_at")
            .values_list(
                "id",
                "customer_id",
                "product_id",
                "product__name",
                "size",
                "created_at",
                "notified_at",
            )
        )
        return [WatchedSize(*row) for row in rows]

    @staticmethod
    def _available_variants(
        product_ids: set[int],
    ) -> dict[tuple[int, str], dict[int, tuple[str, set[int]]]]:
        """(product, size) -> variant id -> (colour, stores with a unit not held)."""
        available: dict[tuple[int, str], dict[int, tuple[str, set[int]]]] = defaultdict(dict)
        for variant_id, product_id, size, colour, store_id in StockLevel.objects.filter(
            variant__product_id__in=product_ids,
            variant__product__is_active=True,
            on_hand__gt=F("reserved"),
        ).values_list(
            "variant_id", "variant__product_id", "variant__size", "variant__colour", "store_id"
        ):
            by_variant = available[(product_id, size)]
            by_variant.setdefault(variant_id, (colour, set()))[1].add(store_id)
        return dict(available)

    @staticmethod
    def _held_or_bought(chunk: Chunk, watches: list[WatchedSize]) -> set[int]:
        """Watches whose customer has held or bought the product in that size since asking."""
        by_key = {(w.customer_id, w.product_id, w.size): w for w in watches}
        product_ids = {w.product_id for w in watches}
        since = min(w.created_at for w in watches)
        held = Hold.objects.filter(
            **chunk.by_customer(),
            variant__product_id__in=product_ids,
            created_at__gte=since,
        ).exclude(status__in=[Hold.Status.CANCELLED, Hold.Status.EXPIRED])
        bought = OrderLine.objects.filter(
            **chunk.by_customer("order__customer"),
            variant__product_id__in=product_ids,
            order__placed_at__gte=since,
            order__deleted_at__isnull=True,
        )
        acted: set[int] = set()
        for rows in (
            held.values_list("customer_id", "variant__product_id", "variant__size", "created_at"),
            bought.values_list(
                "order__customer_id", "variant__product_id", "variant__size", "order__placed_at"
            ),
        ):
            for customer_id, product_id, size, when in rows:
                watch = by_key.get((customer_id, product_id, size))
                if watch is not None and when >= watch.created_at:
                    acted.add(watch.watch_id)
        return acted

    @staticmethod
    def _facts(
        chunk: Chunk,
        watch: WatchedSize,
        variants: dict[int, tuple[str, set[int]]],
        home: int | None,
    ) -> Facts:
        # The variant the customer's own store has, else the one most stores have.
        variant_id, (colour, stores) = max(
            variants.items(), key=lambda item: (home in item[1][1], len(item[1][1]), -item[0])
        )
        return {
            "watch_id": watch.watch_id,
            "product_id": watch.product_id,
            "product_name": watch.product_name,
            "size": watch.size,
            OFFERED_VARIANT_KEY: variant_id,
            "colour": colour,
            "in_stock_at_home_store": home in stores,
            "store_count": len(stores),
            "waiting_since": watch.created_at.date().isoformat(),
            "days_waiting": (chunk.now - watch.created_at).days,
        }

    def score(self, facts: Facts) -> float:
        # A customer who has waited long is the one most likely to come in for it.
        patience = min(10.0, facts["days_waiting"] / 3)
        return clamp_score(50 + (20 if facts["in_stock_at_home_store"] else 5) + patience)

    def reason(self, facts: Facts) -> str:
        where = (
            "in stock here"
            if facts["in_stock_at_home_store"]
            else f"in stock at {facts['store_count']} other store"
            + ("s" if facts["store_count"] != 1 else "")
        )
        return (
            f"Waiting since {_day(facts['waiting_since'])} for {facts['product_name']} in "
            f"{facts['size']}: back {where}. Let them know."
        )


@registry.register
class HoldExpiring(Rule):
    """A hold for the customer ends within the look-ahead: remind them to collect, or extend."""

    name = "hold_expiring"
    label = "Hold about to expire"
    contact_purpose = ConsentPurpose.SERVICE

    def eligible(self, chunk: Chunk) -> Iterable[Finding]:
        until = chunk.now + timedelta(hours=chunk.config.hold_expiring_within_hours)
        rows = (
            Hold.objects.filter(
                **chunk.by_customer(),
                status=Hold.Status.ACTIVE,
                expires_at__gt=chunk.now,
                expires_at__lte=until,
            )
            .order_by("customer_id", "expires_at", "id")
            .values_list(
                "customer_id",
                "id",
                "variant_id",
                "variant__product__name",
                "variant__colour",
                "variant__size",
                "store__name",
                "expires_at",
            )
        )
        soonest: dict[int, Facts] = {}
        for customer_id, hold_id, variant_id, name, colour, size, store, expires_at in rows:
            if customer_id in soonest:  # ordered by deadline: the first is the most urgent
                soonest[customer_id]["holds_expiring"] += 1
                continue
            soonest[customer_id] = {
                "hold_id": hold_id,
                # Not OFFERED_VARIANT_KEY: a held unit is reserved, so the panel's sold-out
                # check would hide the very suggestion about it.
                "held_variant_id": variant_id,
                "product_name": name,
                "colour": colour,
                "size": size,
                "store_name": store,
                "expires_at": expires_at.isoformat(),
                "hours_left": round((expires_at - chunk.now).total_seconds() / 3600, 1),
                "window_hours": chunk.config.hold_expiring_within_hours,
                "holds_expiring": 1,
            }
        for customer_id, facts in soonest.items():
            yield Finding(customer_id, facts)

    def score(self, facts: Facts) -> float:
        urgency = 1 - facts["hours_left"] / max(1, facts["window_hours"])
        return clamp_score(60 + 30 * urgency)

    def reason(self, facts: Facts) -> str:
        hours = facts["hours_left"]
        when = "within the hour" if hours < 1 else f"in {hours:.0f} hours"
        more = facts["holds_expiring"] - 1
        others = f" (and {more} more)" if more else ""
        return (
            f"Hold on {facts['product_name']} ({facts['colour']}, {facts['size']}) at "
            f"{facts['store_name']} ends {when}{others}: remind them to collect, or extend it."
        )
