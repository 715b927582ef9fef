"""The rules registry: every recommended action comes from one small, separately tested rule.

A rule answers three questions for a chunk of customers, set-based (a few SQL queries for the
whole chunk, never one per customer):

- ``eligible(chunk)``: which customers qualify, each with the facts that made them qualify
  (a JSON-safe dict, stored with the suggestion and shown as "the data behind it");
- ``score(facts)``: how urgent it is, 0..100 (pure function of the facts);
- ``reason(facts)``: the plain-language sentence the associate reads (pure function).

``contact_purpose`` says whether acting on the rule means contacting the customer, and for
which consent purpose: the engine then keeps the suggestion only when the customer consented
on some channel for that purpose, and the panel holds it back during quiet hours.

The inventory rules (``back_in_stock``, ``hold_expiring``) are in ``rules.py``; the catalog's
events refresh a customer's actions when a hold or a watched size changes.

Another domain may register a rule of its own the same way (``registry.register``), from its
app's ``ready()``: ``appointment_prepare`` lives in ``frontline/appointments/rules.py``.

Rules planned, inactive until the data they need exists (each one more subclass then), are
listed in ``PLANNED_RULES``. They are not in the registry, so the engine never computes them
and no panel shows them; the managers' performance page lists them as "not active yet".
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar, TypeVar

from django.db.models import QuerySet
from django.utils import timezone

from frontline.actions.conf import ActionSettings
from frontline.customers.models import Customer

# A rule that offers a product puts the variant's id under this key of its facts: the panel
# then hides the suggestion as soon as no store has that variant available.
OFFERED_VARIANT_KEY = "variant_id"

PLANNED_RULES: dict[str, str] = {}

Facts = dict[str, Any]
T = TypeVar("T")


@dataclass
class BatchContext:
    """What every chunk of one computation shares: the moment, the settings, memoised lookups."""

    now: datetime
    config: ActionSettings
    _memo: dict[str, Any] = field(default_factory=dict)

    @property
    def today(self) -> date:
        return timezone.localdate(self.now)

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """Compute a chunk-independent lookup (e.g. this week's new arrivals) once per batch."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]


@dataclass(frozen=True)
class Chunk:
    """A range of customer ids, both ends included; optionally only some ids of the range.

    The nightly batch walks whole ranges. A refresh after events (a page of synced orders) names
    scattered customers: ``only_ids`` then narrows every query to them, while the range bounds
    still let the planner use the customer-id indexes.
    """

    first_id: int
    last_id: int
    context: BatchContext
    only_ids: frozenset[int] | None = None

    @property
    def now(self) -> datetime:
        return self.context.now

    @property
    def today(self) -> date:
        return self.context.today

    @property
    def config(self) -> ActionSettings:
        return self.context.config

    def customers(self) -> QuerySet[Customer]:
        """The chunk's customers that are not merged away."""
        return Customer.objects.filter(**self.within("id"), merged_into__isnull=True)

    def by_customer(self, prefix: str = "customer") -> dict[str, Any]:
        """Filter keywords restricting a related table to the chunk's customers."""
        return self.within(f"{prefix}_id")

    def within(self, column: str) -> dict[str, Any]:
        """Filter keywords restricting ``column`` (a customer id) to the chunk."""
        filters: dict[str, Any] = {f"{column}__gte": self.first_id, f"{column}__lte": self.last_id}
        if self.only_ids is not None:
            filters[f"{column}__in"] = sorted(self.only_ids)
        return filters


@dataclass(frozen=True)
class Finding:
    customer_id: int
    facts: Facts


class Rule(ABC):
    name: ClassVar[str]
    label: ClassVar[str]
    contact_purpose: ClassVar[str | None] = None

    @abstractmethod
    def eligible(self, chunk: Chunk) -> Iterable[Finding]: ...

    @abstractmethod
    def score(self, facts: Facts) -> float: ...

    @abstractmethod
    def reason(self, facts: Facts) -> str: ...


R = TypeVar("R", bound=Rule)


class RuleRegistry:
    def __init__(self) -> None:
        self._rules: dict[str, Rule] = {}

    def register(self, rule_class: type[R]) -> type[R]:
        """Class decorator: registers one instance of the rule under its name."""
        rule = rule_class()
        if rule.name in self._rules:
            raise ValueError(f"a rule named {rule.name!r} is registered already")
        self._rules[rule.name] = rule
        return rule_class

    def get(self, name: str) -> Rule | None:
        return self._rules.get(name)

    def __iter__(self) -> Iterator[Rule]:
        return iter(list(self._rules.values()))

    def names(self) -> list[str]:
        return list(self._rules)


registry = RuleRegistry()


def clamp_score(value: float) -> float:
    return round(max(0.0, min(100.0, value)), 1)
