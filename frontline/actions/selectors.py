"""Reads of recommended actions, always scoped to the customers the staff member may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    BigIntegerField,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils import timezone

from frontline.actions.conf import ActionSettings
from frontline.actions.models import ActionOutcome, ActionSuggestion, DismissReason, OutcomeKind
from frontline.actions.registry import OFFERED_VARIANT_KEY, registry
from frontline.catalog.models import StockLevel
from frontline.core.batching import prepared_models
from frontline.customers.models import Customer
from frontline.customers.selectors import customers_in_stores_of
from frontline.orders.models import Order
from frontline.staff.models import StaffRole, User
from frontline.staff.selectors import is_manager, stores_for


def customer_in_stores_of(*, user: User, customer_id: int) -> Customer:
    """The customer, or ``Customer.DoesNotExist`` when unknown or not of the user's stores:
    suggested actions are a store's work queue (accepting one plans a follow-up there)."""
    return customers_in_stores_of(user).select_related("preferred_store").get(pk=customer_id)


def suggestion_visible_to(*, user: User, suggestion_id: int) -> ActionSuggestion:
    return ActionSuggestion.objects.select_related("customer").get(
        pk=suggestion_id, customer__in=customers_in_stores_of(user)
    )


# --- Quiet hours ----------------------------------------------------------------------------


def store_zone(customer: Customer) -> ZoneInfo:
    store = customer.preferred_store
    return ZoneInfo(str(store.time_zone)) if store else ZoneInfo(settings.TIME_ZONE)


def quiet_hours_end(now: datetime, zone: ZoneInfo, config: ActionSettings) -> datetime | None:
    """When contact may resume, if ``now`` is in quiet hours at the store; else None."""
    local = now.astimezone(zone)
    start, end = config.quiet_hours_start, config.quiet_hours_end
    spans_midnight = start > end  # e.g. 21:00-08:00
    quiet = (
        (local.hour >= start or local.hour < end) if spans_midnight else start <= local.hour < end
    )
    if not quiet:
        return None
    resume_day: date = local.date() if local.hour < end else local.date() + timedelta(days=1)
    return datetime.combine(resume_day, time(end), tzinfo=zone)


# --- One customer's actions -------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerActions:
    customer: Customer
    actions: list[ActionSuggestion]
    held_for_quiet_hours: int
    contact_resumes_at: datetime | None


def _with_stock_check(suggestions: QuerySet[ActionSuggestion]) -> QuerySet[ActionSuggestion]:
    """Annotate ``offered_variant`` (facts' ``variant_id``, if any) and ``in_stock`` (some
    store has it available): one query with the suggestions, not a second round trip."""
    offered = Cast(KeyTextTransform(OFFERED_VARIANT_KEY, "data"), BigIntegerField())
    available = StockLevel.objects.filter(
        variant_id=OuterRef("offered_variant"), on_hand__gt=F("reserved")
    )
    return suggestions.annotate(offered_variant=offered, in_stock=Exists(available))


def actions_for_customer(
    *, user: User, customer_id: int, now: datetime | None = None
) -> CustomerActions:
    """The customer's current suggestions, best first, as the associate should see them now.

    Two checks happen at read time because the batch ran hours ago: a product suggestion whose
    variant sold out since is hidden, and contact suggestions wait out quiet hours.
    """
    now = now or timezone.now()
    config = ActionSettings.load()
    customer = customer_in_stores_of(user=user, customer_id=customer_id)
    suggestions = _with_stock_check(ActionSuggestion.objects.filter(customer=customer))
    resumes_at = quiet_hours_end(now, store_zone(customer), config)
    shown, held = [], 0
    for suggestion in suggestions.order_by("-score", "id"):
        if suggestion.offered_variant is not None and not suggestion.in_stock:  # type: ignore[attr-defined]
            continue
        if suggestion.channel and resumes_at:
            held += 1
            continue
        shown.append(suggestion)
    return CustomerActions(customer, shown, held, resumes_at if held else None)


# A staff id no real one takes, to compile the associate's day's query once (PreparedModels).
_STAFF_STAND_IN = -7_777_777_711


def top_actions_for_book(*, user: User, limit: int = 5) -> list[ActionSuggestion]:
    """The best suggestions for the customers whose associate the staff member is ("their
    book"), for the associate's day; sold-out product suggestions left out.

    Read on every home screen: compiled once (``prepared_models``), except for superusers,
    whose unscoped query has no staff id to fill in."""
    if user.is_superuser:
        return list(_top_actions_for_book(limit, user=user))
    return prepared_models(
        _top_actions_of, limit, stand_ins={"user_id": _STAFF_STAND_IN}, user_id=user.pk
    )


def _top_actions_of(limit: int, *, user_id: int) -> QuerySet[ActionSuggestion]:
    return _top_actions_for_book(limit, user=User(pk=user_id))


def _top_actions_for_book(limit: int, *, user: User) -> QuerySet[ActionSuggestion]:
    book = customers_in_stores_of(user).filter(preferred_associate=user)
    suggestions = _with_stock_check(
        ActionSuggestion.objects.filter(customer__in=book.values("pk"))
    ).select_related("customer", "customer__preferred_store")
    # The stub plugin cannot see annotations made in a helper; the names are annotated above.
    top = suggestions.exclude(offered_variant__isnull=False, in_stock=False)  # type: ignore[misc]
    return top.order_by("-score", "id")[:limit]


# --- Managers: which rules work -------------------------------------------------------------

PERIOD_DAYS = (7, 30, 90, 365)
MAX_PERIOD_DAYS = 365
DEFAULT_PERIOD_DAYS = 30
TOP_DISMISS_REASONS = 3


def performance_period_days(raw: str | None) -> int:
    """The look-back period in days from a query parameter; ``ValueError`` when it is not 1-365.

    Shared by the page and the API so that both accept and refuse the same values.
    """
    raw = raw or str(DEFAULT_PERIOD_DAYS)
    # isdecimal, not isdigit: "²" is a digit that int() refuses.
    if not raw.isdecimal() or not 1 <= int(raw) <= MAX_PERIOD_DAYS:
        raise ValueError(f"A whole number of days from 1 to {MAX_PERIOD_DAYS}.")
    return int(raw)


@dataclass(frozen=True)
class ReasonCount:
    reason: str
    label: str
    count: int


@dataclass(frozen=True)
class RulePerformance:
    rule: str
    label: str
    outcomes: int
    accepted: int
    snoozed: int
    dismissed: int
    converted: int
    # Suggestions on customers' panels now, waiting for a decision (not bound to the period).
    open_now: int = 0
    top_dismiss_reasons: tuple[ReasonCount, ...] = ()

    @property
    def acceptance_rate(self) -> float | None:
        return round(self.accepted / self.outcomes, 3) if self.outcomes else None

    @property
    def conversion_rate(self) -> float | None:
        return round(self.converted / self.accepted, 3) if self.accepted else None


def may_see_performance(user: User) -> bool:
    return is_manager(user)


def _managed(user: User, queryset: QuerySet, store_path: str) -> QuerySet:
    """Rows of the stores the user manages; a superuser's view is brand-wide."""
    if user.is_superuser:
        return queryset
    managed = stores_for(user).filter(assignments__user=user, assignments__role=StaffRole.MANAGER)
    return queryset.filter(**{f"{store_path}__in": managed})


def _top_dismiss_reasons(outcomes: QuerySet[ActionOutcome]) -> dict[str, tuple[ReasonCount, ...]]:
    counts: dict[str, list[ReasonCount]] = {}
    labels = dict(DismissReason.choices)
    rows = (
        outcomes.filter(kind=OutcomeKind.DISMISSED)
        .values("rule", "dismiss_reason")
        .annotate(times=Count("id"))
        .order_by("rule", "-times", "dismiss_reason")
    )
    for row in rows:
        reason = row["dismiss_reason"]
        counts.setdefault(row["rule"], []).append(
            ReasonCount(reason, str(labels.get(reason, reason)), row["times"])
        )
    return {rule: tuple(reasons[:TOP_DISMISS_REASONS]) for rule, reasons in counts.items()}


def rule_performance(
    *, user: User, since: datetime, until: datetime | None = None
) -> list[RulePerformance]:
    """Acceptance and conversion per rule over the manager's stores' outcomes.

    Acceptance rate = accepted / all outcomes (accepted, snoozed, dismissed). Conversion rate =
    accepted suggestions followed by a purchase by that customer within the conversion window
    / accepted suggestions. A rule appears when it has outcomes in the period or suggestions
    open now; the caller checks ``may_see_performance`` first.
    """
    config = ActionSettings.load()
    window_end = ExpressionWrapper(
        OuterRef("decided_at") + timedelta(days=config.conversion_window_days),
        output_field=DateTimeField(),
    )
    purchase_after = Order.objects.kept().filter(
        customer_id=OuterRef("customer_id"),
        placed_at__gt=OuterRef("decided_at"),
        placed_at__lte=window_end,
    )
    outcomes = _managed(user, ActionOutcome.objects.filter(decided_at__gte=since), "store")
    if until:
        outcomes = outcomes.filter(decided_at__lt=until)
    rows = {
        row["rule"]: row
        for row in outcomes.annotate(purchased=Exists(purchase_after))
        .values("rule")
        .annotate(
            total=Count("id"),
            accepted=Count("id", filter=Q(kind=OutcomeKind.ACCEPTED)),
            snoozed=Count("id", filter=Q(kind=OutcomeKind.SNOOZED)),
            dismissed=Count("id", filter=Q(kind=OutcomeKind.DISMISSED)),
            converted=Count("id", filter=Q(kind=OutcomeKind.ACCEPTED, purchased=True)),
        )
        .order_by("rule")
    }
    open_now = dict(
        _managed(user, ActionSuggestion.objects.all(), "customer__preferred_store")
        .values("rule")
        .annotate(open_count=Count("id"))
        .values_list("rule", "open_count")
        .order_by("rule")
    )
    reasons = _top_dismiss_reasons(outcomes)
    result = []
    for name in sorted(rows.keys() | open_now.keys()):
        row = rows.get(name, {})
        rule = registry.get(name)
        result.append(
            RulePerformance(
                rule=name,
                label=rule.label if rule else name,
                outcomes=row.get("total", 0),
                accepted=row.get("accepted", 0),
                snoozed=row.get("snoozed", 0),
                dismissed=row.get("dismissed", 0),
                converted=row.get("converted", 0),
                open_now=open_now.get(name, 0),
                top_dismiss_reasons=reasons.get(name, ()),
            )
        )
    return result
