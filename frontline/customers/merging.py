"""Merging two customer records into one, and undoing it.

Every table that points at a customer is found from Django's model registry, so a relation a
later domain adds (follow-ups, appointments, holds...) moves with the merge without any change
here. A domain only registers a rule when its rows need special care:

    merge_rule_register("followups.FollowUp.customer", MergeRule(keep=...))  # a clash policy
    merge_rule_register("privacy.PersonalDataAccess.customer", MergeRule(skip=True))

When the survivor and the merged record both hold a row that may exist only once (one size per
category, one consent per channel and purpose), the rule's ``keep`` picks the row that stays;
the other is set aside: serialised into the merge record, then deleted, and recreated by undo.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from frontline.customers.models import Customer

# The customer fields a manager chooses between, side by side.
MERGEABLE_FIELDS = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "postcode",
    "country",
    "tier",
    "preferred_store",
    "preferred_associate",
    "birthday",
    "anniversary",
]
# Figures that describe the whole history: after a merge they describe both records' history.
HISTORY_FIELDS = [
    "lifetime_value",
    "order_count",
    "first_purchase_at",
    "last_purchase_at",
    "last_visit_at",
]

KeepRule = Callable[[models.Model, models.Model], models.Model]


def keep_survivors(survivor_row: models.Model, loser_row: models.Model) -> models.Model:
    return survivor_row


def keep_latest_consent(survivor_row: Any, loser_row: Any) -> Any:
    """The customer's most recent statement about a channel is the one that holds."""
    return loser_row if loser_row.recorded_at > survivor_row.recorded_at else survivor_row


@dataclass(frozen=True)
class MergeRule:
    keep: KeepRule = keep_survivors
    skip: bool = False  # rows that stay where they are (history of the record as it was)


_RULES: dict[str, MergeRule] = {
    "customers.Consent.customer": MergeRule(keep=keep_latest_consent),
    # Review state and merge history describe the two records; they never move.
    "customers.DuplicateCandidate.customer": MergeRule(skip=True),
    "customers.DuplicateCandidate.other": MergeRule(skip=True),
    "customers.CustomerMerge.survivor": MergeRule(skip=True),
    "customers.CustomerMerge.loser": MergeRule(skip=True),
    # The audit trail says who looked at which record: rewriting it would falsify it.
    "privacy.PersonalDataAccess.customer": MergeRule(skip=True),
}


def merge_rule_register(relation: str, rule: MergeRule) -> None:
    """Give ``"app_label.Model.field"`` (a foreign key to Customer) its own merge rule."""
    _RULES[relation] = rule


@dataclass(frozen=True)
class Relation:
    model: type[models.Model]
    field_name: str
    rule: MergeRule

    @property
    def key(self) -> str:
        return f"{self.model._meta.label}.{self.field_name}"


def customer_relations() -> list[Relation]:
    """Every foreign key to Customer in the project, with its rule."""
    relations = []
    for related in Customer._meta.related_objects:
        if not (related.one_to_many or related.one_to_one):
            continue
        relation = Relation(related.related_model, related.field.name, MergeRule())
        rule = _RULES.get(relation.key, MergeRule())
        relations.append(Relation(relation.model, relation.field_name, rule))
    return sorted(relations, key=lambda relation: relation.key)


def clash_keys(relation: Relation) -> list[tuple[str, ...]]:
    """The other fields of each uniqueness rule that includes the customer field."""
    field = relation.model._meta.get_field(relation.field_name)
    if getattr(field, "unique", False):
        return [()]
    keys = []
    for constraint in relation.model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and relation.field_name in (
            constraint.fields or ()
        ):
            keys.append(tuple(name for name in constraint.fields if name != relation.field_name))
    for together in relation.model._meta.unique_together:
        if relation.field_name in together:
            keys.append(tuple(name for name in together if name != relation.field_name))
    return keys


def model_field(model: type[models.Model], name: str) -> models.Field:
    """A concrete field by name (the relations merged and restored are all concrete fields)."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field), f"{model.__name__}.{name} is not a concrete field"
    return field


def field_attnames(model: type[models.Model], names: tuple[str, ...]) -> list[str]:
    return [model_field(model, name).attname for name in names]


def serialise_row(row: models.Model) -> dict[str, Any]:
    """A JSON-safe copy of the row from which undo can recreate it exactly (same id)."""
    data = serializers.serialize("python", [row])[0]
    return _json_safe(data)


def _json_safe(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def deserialise_row(data: dict[str, Any]) -> models.Model:
    return next(serializers.deserialize("python", [data])).object


def snapshot(customer: Customer, names: list[str]) -> dict[str, Any]:
    return _json_safe(
        {name: getattr(customer, model_field(Customer, name).attname) for name in names}
    )


def restore(customer: Customer, values: dict[str, Any]) -> None:
    """Put JSON values back onto the model's fields, converted to the fields' own types."""
    for name, value in values.items():
        field = model_field(Customer, name)
        setattr(customer, field.attname, field.to_python(value) if value is not None else None)
