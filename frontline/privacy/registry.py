"""What each domain holds about a customer, and how it exports and erases it.

The privacy domain cannot know every table that names a customer; each domain registers one
source from its ``AppConfig.ready()``, naming the relations to ``Customer`` it answers for:

    personal_data_source_register(
        "followups",
        export=followups_export,      # (customer_id) -> JSON-able data, the customer's section
        erase=followups_erase,        # (customer_id) -> None, in the erasure's transaction
        relations=["followups.FollowUp.customer"],
    )

A test checks that every foreign key to ``Customer`` in the project is named by a source, so a
table added without deciding what export and erasure do with it fails the suite.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model, QuerySet

Exporter = Callable[[int], Any]
Eraser = Callable[[int], None]


@dataclass(frozen=True)
class PersonalDataSource:
    name: str
    export: Exporter
    # None: nothing to erase (the rows hold no personal data once the customer row is
    # anonymised, such as orders); the registration says why in a comment.
    erase: Eraser | None
    relations: tuple[str, ...]


_SOURCES: dict[str, PersonalDataSource] = {}


def personal_data_source_register(
    name: str,
    *,
    export: Exporter,
    erase: Eraser | None = None,
    relations: Iterable[str] = (),
) -> None:
    """Register (or replace, on a second call with the same name) a domain's personal data."""
    _SOURCES[name] = PersonalDataSource(
        name=name, export=export, erase=erase, relations=tuple(relations)
    )


def personal_data_sources() -> list[PersonalDataSource]:
    """Every registered source, in registration order (the order of INSTALLED_APPS)."""
    return list(_SOURCES.values())


def rows(queryset: QuerySet[Any], *, exclude: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Every column of every row, as JSON-ready values (dates as ISO text, decimals as text):
    an export says everything that is stored, not what a screen shows."""
    left_out = set(exclude)
    model: type[Model] = queryset.model
    names = [
        field.attname
        for field in model._meta.concrete_fields
        if field.attname not in left_out and field.name not in left_out
    ]
    return [
        {name: _json_ready(value) for name, value in row.items()}
        for row in queryset.order_by("pk").values(*names)
    ]


_ENCODER = DjangoJSONEncoder()


def _json_ready(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    return _ENCODER.default(value)
