"""Which value of a customer's field stands when several source systems send one.

A merged customer hears from the CRM, the shop and the tills. Each field keeps the source and
the time of the value it holds (``Customer.field_sources``), and an incoming value replaces it
only when

- it is not empty: a source that does not know a phone number says nothing about it, so an
  empty value never erases one;
- it differs: writing the same value again would change nothing but the row's version;
- its source is not ranked below the holder's for that field (``CUSTOMER_FIELD_PRIORITY``);
  where no ranking is configured, the newest value wins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings

# The customer fields a source system may send, in the order of the customers table.
SYNCED_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "postcode",
    "country",
    "tier",
    "birthday",
)
FieldSources = dict[str, dict[str, str]]


def is_blank(value: Any) -> bool:
    return value is None or value == ""


@dataclass(frozen=True)
class FieldPriority:
    """Per field, the sources whose values win, best first (others rank after them, equal)."""

    ranking: Mapping[str, Sequence[str]]

    @classmethod
    def configured(cls) -> FieldPriority:
        return cls(settings.CUSTOMER_FIELD_PRIORITY)

    def keeps(self, field: str, *, holder: str, challenger: str) -> bool:
        """Whether the holder's value stands against the challenger's."""
        ranked = list(self.ranking.get(field, ()))
        if not ranked:
            return False

        def rank(source: str) -> int:
            return ranked.index(source) if source in ranked else len(ranked)

        return rank(holder) < rank(challenger)


@dataclass
class FieldValues:
    """A customer's synced fields and where each value came from (None: never recorded)."""

    values: dict[str, Any]
    sources: FieldSources | None

    def apply(
        self, incoming: Mapping[str, Any], *, source: str, at: str, priority: FieldPriority
    ) -> FieldValues:
        """The values after one source's record, by the rules in this module's docstring."""
        values, sources = dict(self.values), dict(self.sources or {})
        for field, value in incoming.items():
            current = values.get(field)
            if is_blank(value) or value == current:
                continue
            holder = sources.get(field, {}).get("source")
            if (
                holder
                and not is_blank(current)
                and priority.keeps(field, holder=holder, challenger=source)
            ):
                continue
            values[field] = value
            sources[field] = {"source": source, "at": at}
        # A customer whose sources were never recorded keeps NULL until a value changes.
        return FieldValues(values, sources if sources or self.sources is not None else None)

    def settled(self, stored: FieldValues) -> FieldValues:
        """These values, with the stored sources of every field that ended where it was.

        Several records of one batch may change a field and change it back; what is written
        is compared with what was stored, so such a field keeps its stored origin.
        """
        sources = dict(self.sources or {})
        for field, value in self.values.items():
            if value == stored.values.get(field):
                sources.pop(field, None)
                if stored.sources and field in stored.sources:
                    sources[field] = stored.sources[field]
        return FieldValues(self.values, sources or stored.sources)


def empty_values(fields: Sequence[str]) -> FieldValues:
    """What a customer not yet stored holds: nothing, from nowhere."""
    return FieldValues({field: None if field == "birthday" else "" for field in fields}, None)


def bulk_survivors_sql(fields: Sequence[str], *, incoming: str, stored: str) -> list[str]:
    """SQL expressions, one per field then ``field_sources``, for a bulk load's SELECT.

    ``incoming`` aliases the loaded rows, ``stored`` the customer they matched (NULL columns
    for a new customer); the ``%(origin)s`` parameter is this load's ``{"source", "at"}`` as
    JSON. The same rules as ``FieldValues.apply`` but the ranking: an empty value keeps the
    stored one, and a customer whose sources are recorded has each changed field's recorded
    too. (Ranked fields are the record path's; a bulk load is a first or a full load from the
    brand's system of record.)
    """
    survivors = [f"coalesce(nullif({incoming}.{name}, ''), {stored}.{name}, '')" for name in fields]
    changed = ", ".join(
        f"'{name}', CASE WHEN {incoming}.{name} <> '' "
        f"AND {incoming}.{name} IS DISTINCT FROM {stored}.{name} THEN %(origin)s::jsonb END"
        for name in fields
    )
    origins = (
        f"CASE WHEN {stored}.field_sources IS NULL THEN NULL "
        f"ELSE {stored}.field_sources || jsonb_strip_nulls(jsonb_build_object({changed})) END"
    )
    return [*survivors, origins]
