"""Each rule alone: who is eligible, with which facts, how urgent, and what the associate reads."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from frontline.actions.registry import PLANNED_RULES, registry
from frontline.actions.rules import (
    AnniversarySoon,
    BirthdaySoon,
    LapsingHighValue,
    NewArrivalFavouriteBrand,
    ThankYouAfterPurchase,
    UnresolvedComplaint,
    month_days_within,
    next_occurrence,
)
from frontline.customers.sentiment import interaction_sentiment_fields
from tests.actions.conftest import NOW, chunk_for, findings
from tests.factories import (
    CustomerFactory,
    CustomerPreferenceFactory,
    CustomerSizeFactory,
    InteractionFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    StockLevelFactory,
    VariantFactory,
)

pytestmark = pytest.mark.django_db
TODAY = NOW.date()  # 2026-11-24


def test_the_registry_holds_every_rule_on_main_and_names_the_planned_ones():
    assert set(registry.names()) == {
        "birthday_soon",
        "anniversary_soon",
        "lapsing_high_value",
        "thank_you_purchase",
        "complaint_unresolved",
        "new_arrival_brand",
        "back_in_stock",
        "hold_expiring",
        "appointment_prepare",
    }
    assert set(PLANNED_RULES) == set()
    assert not set(PLANNED_RULES) & set(registry.names())


def test_a_rule_name_cannot_be_registered_twice():
    with pytest.raises(ValueError, match="registered already"):
        registry.register(BirthdaySoon)


# --- Birthday and anniversary -----------------------------------------------------------


def test_a_birthday_within_the_window_is_eligible_with_its_date_and_age():
    soon = CustomerFactory(birthday=date(1990, 11, 27))
    later = CustomerFactory(birthday=date(1990, 12, 30))
    passed = CustomerFactory(birthday=date(1990, 11, 20))
    facts = findings(BirthdaySoon(), chunk_for(soon, later, passed))
    assert set(facts) == {soon.pk}
    assert facts[soon.pk]["date"] == "2026-11-27"
    assert facts[soon.pk]["days_until"] == 3
    assert facts[soon.pk]["years"] == 36


def test_a_birthday_window_crosses_the_new_year():
    new_year = CustomerFactory(birthday=date(1985, 1, 2))
    facts = findings(BirthdaySoon(), chunk_for(new_year, now=NOW.replace(month=12, day=28)))
    assert facts[new_year.pk]["date"] == "2027-01-02"


def test_a_29_february_birthday_is_celebrated_on_1_march_in_common_years():
    assert next_occurrence(2, 29, date(2027, 2, 20)) == date(2027, 3, 1)
    assert (2, 29) in month_days_within(date(2027, 2, 25), 7)


def test_anniversaries_are_their_own_rule():
    married = CustomerFactory(anniversary=date(2015, 11, 25))
    assert findings(AnniversarySoon(), chunk_for(married))[married.pk]["occasion"] == "anniversary"
    assert findings(BirthdaySoon(), chunk_for(married)) == {}


def test_a_closer_occasion_and_a_vip_score_higher():
    rule = BirthdaySoon()
    base = {"window_days": 14, "tier": "member"}
    assert rule.score({**base, "days_until": 1}) > rule.score({**base, "days_until": 10})
    assert rule.score({**base, "days_until": 5, "tier": "vip"}) > rule.score(
        {**base, "days_until": 5}
    )


def test_the_occasion_reason_says_when_in_plain_words():
    rule = BirthdaySoon()
    assert rule.reason({"occasion": "birthday", "days_until": 0, "date": "2026-11-24"}) == (
        "Birthday today (24 Nov): send a greeting."
    )
    assert "in 3 days (27 Nov)" in rule.reason(
        {"occasion": "birthday", "days_until": 3, "date": "2026-11-27"}
    )


# --- Lapsing ------------------------------------------------------------------------------


def test_a_vip_not_seen_for_longer_than_the_threshold_is_lapsing():
    lapsing = CustomerFactory(tier="vip", last_visit_at=NOW - timedelta(days=120))
    recent = CustomerFactory(tier="vip", last_visit_at=NOW - timedelta(days=10))
    bought_lately = CustomerFactory(
        tier="vip",
        last_visit_at=NOW - timedelta(days=200),
        last_purchase_at=NOW - timedelta(days=5),
    )
    member = CustomerFactory(tier="member", last_visit_at=NOW - timedelta(days=300))
    never_seen = CustomerFactory(tier="vip")
    facts = findings(
        LapsingHighValue(), chunk_for(lapsing, recent, bought_lately, member, never_seen)
    )
    assert set(facts) == {lapsing.pk}
    assert facts[lapsing.pk]["days_since_seen"] == 120


def test_a_member_with_a_high_lifetime_value_counts_as_high_value():
    big_spender = CustomerFactory(
        tier="member",
        lifetime_value=Decimal("5000"),
        last_purchase_at=NOW - timedelta(days=100),
    )
    assert big_spender.pk in findings(LapsingHighValue(), chunk_for(big_spender))


def test_lapsing_reason_and_score_reflect_value():
    rule = LapsingHighValue()
    facts = {
        "tier": "vip",
        "lifetime_value": "12400.00",
        "last_seen": "2026-07-23",
        "days_since_seen": 124,
        "lapsing_after_days": 90,
    }
    assert rule.reason(facts) == (
        "VIP customer, £12,400 spent, not seen for 124 days (since 23 Jul): check in."
    )
    assert rule.score(facts) > rule.score({**facts, "lifetime_value": "2000", "tier": "gold"})


# --- Thank-you --------------------------------------------------------------------------


def test_a_significant_recent_order_earns_a_thank_you_for_the_largest_one():
    customer = CustomerFactory()
    OrderFactory(customer=customer, total=Decimal("650"), placed_at=NOW - timedelta(days=2))
    OrderFactory(
        customer=customer, number="BIG1", total=Decimal("1200"), placed_at=NOW - timedelta(days=3)
    )
    small = OrderFactory(total=Decimal("80"), placed_at=NOW - timedelta(days=1)).customer
    old = OrderFactory(total=Decimal("900"), placed_at=NOW - timedelta(days=30)).customer
    facts = findings(ThankYouAfterPurchase(), chunk_for(customer, small, old))
    assert set(facts) == {customer.pk}
    assert facts[customer.pk]["order_number"] == "BIG1"
    assert ThankYouAfterPurchase().reason(facts[customer.pk]) == (
        "Spent £1,200 on 21 Nov (order BIG1): say thank you."
    )


def test_a_purchase_returned_since_earns_a_thank_you_only_for_what_was_kept():
    customer = CustomerFactory()
    cancelled = OrderFactory(
        customer=customer, number="GONE", total=Decimal("1200"), placed_at=NOW - timedelta(days=3)
    )
    OrderFactory(
        customer=customer,
        kind="return",
        original=cancelled,
        total=Decimal("-1200"),
        placed_at=NOW - timedelta(days=3),
    )
    kept_most = OrderFactory(total=Decimal("900"), placed_at=NOW - timedelta(days=2))
    OrderLineFactory(order=kept_most, quantity=3, returned_quantity=1, unit_price=Decimal("300"))
    facts = findings(ThankYouAfterPurchase(), chunk_for(customer, kept_most.customer))
    assert set(facts) == {kept_most.customer_id}
    assert facts[kept_most.customer_id]["total"] == "600.00"


# --- Complaints ---------------------------------------------------------------------------


def test_a_complaint_with_nothing_positive_since_is_unresolved():
    upset = CustomerFactory()
    InteractionFactory(
        customer=upset,
        kind="complaint",
        sentiment="negative",
        summary="Zip broke after a week",
        occurred_at=NOW - timedelta(days=4),
    )
    resolved = CustomerFactory()
    InteractionFactory(customer=resolved, kind="complaint", occurred_at=NOW - timedelta(days=6))
    InteractionFactory(
        customer=resolved, kind="thanks", sentiment="positive", occurred_at=NOW - timedelta(days=2)
    )
    grumpy = CustomerFactory()
    InteractionFactory(customer=grumpy, kind="visit", sentiment="negative", occurred_at=NOW)
    long_ago = CustomerFactory()
    InteractionFactory(customer=long_ago, kind="complaint", occurred_at=NOW - timedelta(days=90))
    facts = findings(UnresolvedComplaint(), chunk_for(upset, resolved, grumpy, long_ago))
    assert set(facts) == {upset.pk, grumpy.pk}
    assert UnresolvedComplaint().reason(facts[upset.pk]) == (
        'Complaint on 20 Nov not resolved: "Zip broke after a week". Make it right.'
    )
    assert UnresolvedComplaint().score(facts[upset.pk]) > UnresolvedComplaint().score(
        facts[grumpy.pk]
    )


def test_an_unhappy_message_is_found_by_its_words_and_unknown_is_not_negative():
    def message(summary: str, days_ago: int = 3):
        customer = CustomerFactory()
        InteractionFactory(
            customer=customer,
            kind="message",
            summary=summary,
            occurred_at=NOW - timedelta(days=days_ago),
            **interaction_sentiment_fields(summary=summary),
        )
        return customer

    unhappy = message("Still no refund after three weeks. Really disappointed.")
    foreign = message("Toujours pas de remboursement après trois semaines, très déçue.")
    happy = message("The alterations are perfect, thank you!")
    made_up = message("")
    facts = findings(UnresolvedComplaint(), chunk_for(unhappy, foreign, happy, made_up))
    assert set(facts) == {unhappy.pk}
    assert UnresolvedComplaint().reason(facts[unhappy.pk]).startswith("Unhappy contact on")


# --- New arrivals -------------------------------------------------------------------------


def _new_arrival(brand: str, size: str, *, on_hand: int = 3, days_ago: int = 5, store=None):
    product = ProductFactory(
        brand__name=brand, launched_on=TODAY - timedelta(days=days_ago), category="tops"
    )
    variant = VariantFactory(product=product, size=size)
    stock = StockLevelFactory(
        variant=variant, on_hand=on_hand, **({"store": store} if store else {})
    )
    return variant, stock


def test_a_new_arrival_of_a_favourite_brand_in_their_size_and_in_stock_is_suggested():
    customer = CustomerFactory()
    CustomerPreferenceFactory(customer=customer, value="acme")  # case does not matter
    CustomerSizeFactory(customer=customer, category="tops", size="M")
    variant, _stock = _new_arrival("Acme", "M", store=customer.preferred_store)
    facts = findings(NewArrivalFavouriteBrand(), chunk_for(customer))
    assert facts[customer.pk]["variant_id"] == variant.pk
    assert facts[customer.pk]["in_stock_at_home_store"] is True
    assert "New from Acme in their size M" in NewArrivalFavouriteBrand().reason(facts[customer.pk])


@pytest.mark.parametrize(
    "arrival",
    [
        {"brand": "Other", "size": "M"},  # not a favourite brand
        {"brand": "Acme", "size": "L"},  # not their size
        {"brand": "Acme", "size": "M", "on_hand": 0},  # out of stock
        {"brand": "Acme", "size": "M", "days_ago": 200},  # not new
    ],
)
def test_no_new_arrival_suggestion_without_brand_size_stock_and_newness(arrival):
    customer = CustomerFactory()
    CustomerPreferenceFactory(customer=customer, value="Acme")
    CustomerSizeFactory(customer=customer, category="tops", size="M")
    _new_arrival(**arrival)
    assert findings(NewArrivalFavouriteBrand(), chunk_for(customer)) == {}


def test_held_stock_is_not_available():
    customer = CustomerFactory()
    CustomerPreferenceFactory(customer=customer, value="Acme")
    CustomerSizeFactory(customer=customer, category="tops", size="M")
    _variant, stock = _new_arrival("Acme", "M", on_hand=2)
    stock.reserved = 2
    stock.save()
    assert findings(NewArrivalFavouriteBrand(), chunk_for(customer)) == {}


def test_an_unknown_setting_is_named_in_the_error(settings):
    from frontline.actions.conf import ActionSettings

    settings.ACTIONS = {"cooldown_dayz": 3}
    with pytest.raises(ValueError, match="cooldown_dayz"):
        ActionSettings.load()


def test_an_order_the_source_deleted_earns_no_thank_you():
    customer = CustomerFactory()
    OrderFactory(
        customer=customer, total=Decimal("1200"), placed_at=NOW - timedelta(days=3), deleted_at=NOW
    )
    assert findings(ThankYouAfterPurchase(), chunk_for(customer)) == {}
