"""The customer filter a manager describes ("VIP, not seen for 90 days, size M in tops, likes
Acme, tagged wholesale"): parsed from a form or JSON, kept as JSON, and turned into the store's
customers that match it.

Follow-ups' bulk assignment and outreach campaigns both pick customers with it, so it lives
with the customers: the form fragment is ``templates/customers/_criteria.html``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Exists, F, Func, OuterRef, Q, QuerySet
from django.db.models.sql.compiler import SQLCompiler
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext

from frontline.customers.models import (
    Customer,
    CustomerIdentity,
    CustomerPreference,
    CustomerSize,
    PreferenceKind,
    SizeCategory,
    Tier,
)
from frontline.customers.selectors import customers_in_stores_of
from frontline.staff.models import Store, User

# Shopify allows 250 tags of 255 characters on a customer; a filter names a handful.
MAX_TAGS = 20
MAX_TAG_LENGTH = 255
# The form's single-valued inputs, named as the criteria's fields (tiers are checkboxes).
FORM_FIELDS = (
    "not_seen_days",
    "last_purchase_within_days",
    "min_lifetime_value",
    "max_lifetime_value",
    "size_category",
    "size",
    "brand",
    "tags",
)


@dataclass(frozen=True)
class CustomerCriteria:
    tiers: tuple[str, ...] = ()
    not_seen_days: int | None = None  # no visit and no purchase for this many days
    last_purchase_within_days: int | None = None
    min_lifetime_value: Decimal | None = None
    max_lifetime_value: Decimal | None = None
    size_category: str = ""
    size: str = ""
    brand: str = ""
    # Any of these source tags (the shop's "VIP", "wholesale"), compared without case as
    # Shopify compares them.
    tags: tuple[str, ...] = ()

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> CustomerCriteria:
        """From a form or JSON: every field optional; refusals name the field."""
        errors: dict[str, str] = {}
        tiers = raw.get("tiers") or ()
        if isinstance(tiers, str):
            tiers = [tiers]
        if not set(tiers) <= set(Tier.values):
            errors["tiers"] = gettext("Choose among: %(tiers)s.") % {
                "tiers": ", ".join(Tier.values)
            }

        def days(name: str) -> int | None:
            value = raw.get(name)
            if value in (None, ""):
                return None
            try:
                number = int(value)
            except (TypeError, ValueError):
                number = -1
            if not 1 <= number <= 3650:
                errors[name] = gettext("A number of days from 1 to 3650.")
                return None
            return number

        def money(name: str) -> Decimal | None:
            value = raw.get(name)
            if value in (None, ""):
                return None
            try:
                amount = Decimal(str(value))
            except InvalidOperation:
                amount = Decimal(-1)
            if not amount.is_finite() or amount < 0:
                errors[name] = gettext("An amount of 0 or more.")
                return None
            return amount

        criteria = cls(
            tiers=tuple(sorted(set(tiers))),
            not_seen_days=days("not_seen_days"),
            last_purchase_within_days=days("last_purchase_within_days"),
            min_lifetime_value=money("min_lifetime_value"),
            max_lifetime_value=money("max_lifetime_value"),
            size_category=str(raw.get("size_category") or "").strip(),
            size=str(raw.get("size") or "").strip()[:10],
            brand=str(raw.get("brand") or "").strip()[:120],
            tags=_tags(raw.get("tags"), errors),
        )
        if criteria.size and criteria.size_category not in SizeCategory.values:
            errors["size_category"] = gettext("Say which kind of size (tops, shoes...).")
        if errors:
            raise ValidationError(errors)
        return criteria

    @classmethod
    def from_form(cls, posted: QueryDict) -> CustomerCriteria:
        """From the posted ``_criteria.html`` fragment."""
        return cls.parse(criteria_form_values(posted))

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("min_lifetime_value", "max_lifetime_value"):
            data[name] = str(data[name]) if data[name] is not None else None
        data["tiers"] = list(self.tiers)
        data["tags"] = list(self.tags)
        return data


def _tags(value: Any, errors: dict[str, str]) -> tuple[str, ...]:
    """Tags as a list (JSON) or as the form's comma-separated text, each once whatever its
    case, in the order given."""
    if value in (None, ""):
        return ()
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple) or not all(isinstance(tag, str) for tag in value):
        errors["tags"] = gettext("Tags as text, separated by commas.")
        return ()
    seen: dict[str, str] = {}
    for tag in (tag.strip() for tag in value):
        if tag:
            seen.setdefault(tag.casefold(), tag)
    if len(seen) > MAX_TAGS or any(len(tag) > MAX_TAG_LENGTH for tag in seen.values()):
        errors["tags"] = gettext(
            "At most %(count)d tags of at most %(length)d characters each."
        ) % {"count": MAX_TAGS, "length": MAX_TAG_LENGTH}
        return ()
    return tuple(seen.values())


def criteria_form_values(posted: QueryDict) -> dict[str, Any]:
    """The filter's values in a posted form, unchecked, as ``CustomerCriteria.parse`` and the
    services that parse it themselves take them."""
    return {"tiers": posted.getlist("tiers"), **{name: posted.get(name) for name in FORM_FIELDS}}


def criteria_form_context(posted: QueryDict) -> dict[str, Any]:
    """What ``customers/_criteria.html`` needs to show the filter, filled in as posted."""
    return {
        "tiers": Tier.choices,
        "size_categories": SizeCategory.choices,
        "posted": posted,
        "checked_tiers": posted.getlist("tiers"),
    }


class HasAnyTag(Func):
    """True when the JSON list of tags holds one of ``tags`` (compared lower-cased).

    Written per database because neither SQLite nor Django's JSONField lookups compare the
    elements of a list without case: PostgreSQL unnests the jsonb array, SQLite walks it with
    ``json_each``. A NULL list (a source that sends no tags) holds none.
    """

    output_field = BooleanField()

    def __init__(self, expression: Any, tags: tuple[str, ...]) -> None:
        super().__init__(expression)
        self.tags = [tag.lower() for tag in tags]

    def _sql(self, compiler: SQLCompiler, elements: str) -> tuple[str, list[Any]]:
        column, params = compiler.compile(self.source_expressions[0])
        wanted = ", ".join(["%s"] * len(self.tags))
        # Only the compiled column and placeholders go into the text; the tags are parameters.
        sql = f"EXISTS (SELECT 1 FROM {elements % column} WHERE lower(tag) IN ({wanted}))"  # noqa: S608
        return sql, [*params, *self.tags]

    def as_sqlite(self, compiler: SQLCompiler, connection: Any, **extra: Any) -> tuple[str, Any]:
        return self._sql(compiler, "(SELECT value AS tag FROM json_each(%s)) AS tags")

    def as_postgresql(
        self, compiler: SQLCompiler, connection: Any, **extra: Any
    ) -> tuple[str, Any]:
        return self._sql(compiler, "jsonb_array_elements_text(%s) AS tag")


def customers_matching(*, by: User, store: Store, criteria: CustomerCriteria) -> QuerySet[Customer]:
    """The store's customers the staff member may see that match every given criterion."""
    customers = customers_in_stores_of(by).filter(preferred_store=store)
    now = timezone.now()
    if criteria.tiers:
        customers = customers.filter(tier__in=criteria.tiers)
    if criteria.not_seen_days:
        since = now - timedelta(days=criteria.not_seen_days)
        customers = customers.filter(
            Q(last_visit_at__isnull=True) | Q(last_visit_at__lt=since),
            Q(last_purchase_at__isnull=True) | Q(last_purchase_at__lt=since),
        )
    if criteria.last_purchase_within_days:
        since = now - timedelta(days=criteria.last_purchase_within_days)
        customers = customers.filter(last_purchase_at__gte=since)
    if criteria.min_lifetime_value is not None:
        customers = customers.filter(lifetime_value__gte=criteria.min_lifetime_value)
    if criteria.max_lifetime_value is not None:
        customers = customers.filter(lifetime_value__lte=criteria.max_lifetime_value)
    if criteria.size:
        customers = customers.filter(
            Exists(
                CustomerSize.objects.filter(
                    customer=OuterRef("pk"),
                    category=criteria.size_category,
                    size__iexact=criteria.size,
                )
            )
        )
    if criteria.brand:
        customers = customers.filter(
            Exists(
                CustomerPreference.objects.filter(
                    customer=OuterRef("pk"), kind=PreferenceKind.BRAND, value__iexact=criteria.brand
                )
            )
        )
    if criteria.tags:
        # Tags are the source's, kept on its record of the customer; a record the source
        # deleted no longer speaks for it.
        customers = customers.filter(
            Exists(
                CustomerIdentity.objects.filter(
                    HasAnyTag(F("tags"), criteria.tags),
                    customer=OuterRef("pk"),
                    deleted_at__isnull=True,
                )
            )
        )
    return customers
