"""The customer filter shared by follow-ups' bulk assignment and outreach campaigns: the source
tags part of it (the rest is exercised through bulk assignment, tests/followups/test_bulk.py)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone

from frontline.customers.criteria import MAX_TAGS, CustomerCriteria, customers_matching
from tests.factories import CustomerFactory, IdentityFactory

pytestmark = pytest.mark.django_db


def matching(manager, store, **values) -> set:
    criteria = CustomerCriteria.parse(values)
    return set(customers_matching(by=manager, store=store, criteria=criteria))


@pytest.fixture
def tagged(store, other_store):
    """Customers as the shop and the CRM tagged them, plus some the filter must not find."""
    people = {
        name: CustomerFactory(preferred_store=store, first_name=name)
        for name in ("wholesale", "press", "untagged", "gone", "elsewhere")
    }
    IdentityFactory(customer=people["wholesale"], source="ecommerce", tags=["VIP", "Wholesale"])
    IdentityFactory(customer=people["press"], source="crm", tags=["Press"])
    IdentityFactory(customer=people["press"], source="ecommerce", tags=[])
    IdentityFactory(customer=people["untagged"], source="ecommerce", tags=None)
    # The shop deleted its record: its tags no longer speak for the customer.
    IdentityFactory(
        customer=people["gone"], source="ecommerce", tags=["vip"], deleted_at=timezone.now()
    )
    IdentityFactory(
        customer=CustomerFactory(preferred_store=other_store), source="ecommerce", tags=["VIP"]
    )
    return people


def test_the_tag_filter_finds_any_of_the_tags_without_case(manager, store, tagged):
    assert matching(manager, store, tags="vip") == {tagged["wholesale"]}
    assert matching(manager, store, tags="PRESS, wholesale") == {
        tagged["wholesale"],
        tagged["press"],
    }
    assert matching(manager, store, tags="nobody-has-this") == set()
    # No tag asked: every customer of the store, tagged or not.
    assert len(matching(manager, store)) == 5


def test_tags_combine_with_the_other_criteria(manager, store, tagged):
    tagged["press"].tier = "vip"
    tagged["press"].save()
    assert matching(manager, store, tags="press,vip", tiers=["vip"]) == {tagged["press"]}


def test_tags_come_as_a_list_or_as_text_with_commas_each_once_whatever_its_case():
    assert CustomerCriteria.parse({"tags": " VIP, vip ,, Press "}).tags == ("VIP", "Press")
    assert CustomerCriteria.parse({"tags": ["Press", "press"]}).tags == ("Press",)
    posted = QueryDict(mutable=True)
    posted.setlist("tiers", ["vip"])
    posted["tags"] = "Wholesale"
    criteria = CustomerCriteria.from_form(posted)
    assert (criteria.tiers, criteria.tags) == (("vip",), ("Wholesale",))
    # Kept as JSON on a campaign and read back the same.
    assert CustomerCriteria.parse(criteria.as_json()) == criteria


@pytest.mark.parametrize(
    "tags",
    [5, [1, 2], {"tag": "VIP"}, ",".join(f"t{n}" for n in range(MAX_TAGS + 1)), ["x" * 256]],
)
def test_bad_tags_are_refused_with_the_field_named(tags):
    with pytest.raises(ValidationError) as error:
        CustomerCriteria.parse({"tags": tags})
    assert list(error.value.message_dict) == ["tags"]
