from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from frontline.actions.services import action_accept
from frontline.followups import automation
from frontline.followups.models import FollowUp
from frontline.notifications.models import Notification, NotificationRecipient
from tests.factories import (
    ActionSuggestionFactory,
    CustomerFactory,
    FollowUpFactory,
    InteractionFactory,
    OrderFactory,
)

# --- Accepting a recommended action --------------------------------------------------------


def test_accepting_a_suggestion_plans_the_follow_up_it_names(associate, customer, today):
    suggestion = ActionSuggestionFactory(
        customer=customer, rule="complaint_unresolved", reason="Complaint on 2 Dec not resolved."
    )
    result = action_accept(user=associate, suggestion_id=suggestion.pk)
    followup = FollowUp.objects.get()
    assert (followup.customer, followup.assignee, followup.due_on) == (customer, associate, today)
    assert (followup.reason, followup.priority) == ("service_recovery", 1)
    assert followup.reason_text == "Complaint on 2 Dec not resolved."
    assert followup.source_key == f"action-outcome:{result.outcome.pk}"
    assert followup.history.get().by == associate


def test_a_rule_without_a_template_becomes_other_with_the_suggestions_reason(associate, customer):
    suggestion = ActionSuggestionFactory(customer=customer, rule="some_new_rule", reason="Why")
    action_accept(user=associate, suggestion_id=suggestion.pk)
    followup = FollowUp.objects.get()
    assert (followup.reason, followup.title) == ("other", "Why")


def test_a_superuser_without_a_store_accepts_without_a_follow_up(customer, django_user_model):
    boss = django_user_model.objects.create_superuser("boss", password="x")
    suggestion = ActionSuggestionFactory(customer=customer)
    action_accept(user=boss, suggestion_id=suggestion.pk)
    assert not FollowUp.objects.exists()


# --- Rules ----------------------------------------------------------------------------------


def test_a_big_purchase_earns_a_thank_you_three_days_later_once(associate, customer, today):
    customer.preferred_associate = associate
    customer.save()
    big = OrderFactory(customer=customer, store=customer.preferred_store, total=Decimal("650"))
    OrderFactory(customer=customer, store=customer.preferred_store, total=Decimal("80"))
    assert automation.followups_thank_you_after_purchase() == 1
    assert automation.followups_thank_you_after_purchase() == 0
    followup = FollowUp.objects.get()
    assert (followup.assignee, followup.reason, followup.due_on) == (
        associate,
        "thank_you",
        today + timedelta(days=3),
    )
    assert followup.source_key == f"thank-you:order:{big.pk}"
    assert followup.created_by is None
    assert NotificationRecipient.objects.get().recipient == associate


def test_without_an_associate_the_thank_you_goes_to_the_stores_manager(manager, customer):
    OrderFactory(customer=customer, store=customer.preferred_store, total=Decimal("900"))
    automation.followups_thank_you_after_purchase()
    assert FollowUp.objects.get().assignee == manager


def test_old_purchases_earn_no_thank_you(manager, customer):
    OrderFactory(
        customer=customer,
        store=customer.preferred_store,
        total=Decimal("900"),
        placed_at=timezone.now() - timedelta(days=10),
    )
    assert automation.followups_thank_you_after_purchase() == 0


def test_a_negative_interaction_is_service_recovery_for_the_manager_once(
    manager, associate, customer, today
):
    InteractionFactory(customer=customer, kind="complaint", summary="Zip broke", store=None)
    InteractionFactory(customer=customer, kind="visit", sentiment="negative", summary="Rude")
    InteractionFactory(customer=customer, kind="visit")
    assert automation.followups_service_recovery() == 2
    assert automation.followups_from_rules() == {
        "thank_you": 0,
        "service_recovery": 0,
        "purchases_marked": 0,
    }
    recoveries = FollowUp.objects.order_by("pk")
    assert {(f.assignee, f.reason, f.priority, f.due_on) for f in recoveries} == {
        (manager, "service_recovery", 1, today)
    }
    assert [f.reason_text for f in recoveries] == ["Zip broke", "Rude"]


# --- Reminders ------------------------------------------------------------------------------


def test_reminders_tell_the_assignee_once_per_due_day(associate, customer, today):
    due = FollowUpFactory(customer=customer, assignee=associate, due_on=today)
    late = FollowUpFactory(customer=customer, assignee=associate, due_on=today - timedelta(1))
    FollowUpFactory(customer=customer, assignee=associate, due_on=today, status="cancelled")
    FollowUpFactory(customer=customer, assignee=associate, due_on=today + timedelta(1))
    assert automation.followups_remind() == 2
    assert automation.followups_remind() == 0
    kinds = dict(Notification.objects.values_list("link", "kind"))
    assert kinds == {
        f"/followups/{due.pk}/": "followup.due_soon",
        f"/followups/{late.pk}/": "followup.overdue",
    }
    # Snoozed to a later day and late again: it is reminded afresh, for its new day.
    FollowUp.objects.filter(pk=late.pk).update(due_on=today - timedelta(days=3))
    assert automation.followups_remind() == 1
    assert Notification.objects.filter(kind="followup.overdue").count() == 2


def test_reminders_stop_at_the_limit_and_carry_on_next_time(associate, store, today):
    for _ in range(3):
        FollowUpFactory(
            customer=CustomerFactory(preferred_store=store), assignee=associate, due_on=today
        )
    assert automation.followups_remind(limit=2) == 2
    assert automation.followups_remind(limit=2) == 1


# --- The notification kinds live with the feature --------------------------------------------


def test_the_follow_up_kinds_are_registered_by_this_app_and_only_once():
    from frontline.notifications.kinds import KINDS, NotificationKind, kind_register

    assert {KINDS[key].raised_by for key in ("followup.assigned", "followup.overdue")} == {
        "followups",
        "followups (beat task)",
    }
    kind_register(KINDS["followup.assigned"])  # the same kind again (a reloaded app): harmless
    with pytest.raises(ValueError, match="already registered differently"):
        kind_register(NotificationKind("followup.assigned", "Other", "someone", "elsewhere"))


def test_an_order_the_source_deleted_earns_no_thank_you(manager, customer):
    OrderFactory(
        customer=customer,
        store=customer.preferred_store,
        total=Decimal("900"),
        deleted_at=timezone.now(),
    )
    assert automation.followups_thank_you_after_purchase() == 0
