from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from frontline.customers.models import Interaction
from frontline.followups import services
from frontline.followups.models import FollowUp, FollowUpEvent
from frontline.followups.selectors import store_today
from frontline.notifications.models import Notification, NotificationRecipient
from tests.factories import CustomerFactory, StoreFactory, staff_at


def plan(by, customer, assignee, due_on, **extra):
    return services.followup_create(
        by=by,
        customer_id=customer.pk,
        assignee_id=assignee.pk,
        due_on=due_on,
        reason=extra.pop("reason", "thank_you"),
        **extra,
    )


def nothing_was_written() -> bool:
    return (
        not FollowUp.objects.exists()
        and not FollowUpEvent.objects.exists()
        and not Notification.objects.exists()
    )


def test_a_manager_assigns_a_follow_up_and_the_associate_is_told(
    manager, associate, customer, tomorrow, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        followup = plan(manager, customer, associate, tomorrow, priority=1)
    assert (followup.store, followup.assignee, followup.created_by) == (
        customer.preferred_store,
        associate,
        manager,
    )
    assert followup.status == "open" and followup.due_on == tomorrow
    event = followup.history.get()
    assert (event.kind, event.by, event.data["assignee"]) == ("created", manager, associate.pk)
    told = NotificationRecipient.objects.get(notification__kind="followup.assigned")
    assert told.recipient == associate
    assert told.notification.link == f"/followups/{followup.pk}/"


def test_an_associate_plans_for_themselves_without_telling_themselves(associate, customer, today):
    followup = plan(associate, customer, associate, today, reason="other", reason_text="Call")
    assert followup.title == "Call"
    assert not Notification.objects.exists()


def test_an_associate_cannot_assign_work_to_a_colleague(associate, colleague, customer, today):
    with pytest.raises(ValidationError) as error:
        plan(associate, customer, colleague, today)
    assert "Only a manager of London" in str(error.value)
    assert nothing_was_written()


def test_a_due_date_in_the_past_is_refused(manager, associate, customer, today):
    with pytest.raises(ValidationError) as error:
        plan(manager, customer, associate, today - timedelta(days=1))
    assert "today or a later day" in error.value.message_dict["due_on"][0]
    assert nothing_was_written()


def test_the_due_date_is_checked_against_the_stores_own_day(db):
    # UTC+14 and UTC-11: the first store's date is always at least one day ahead.
    ahead = StoreFactory(code="kiritimati", time_zone="Pacific/Kiritimati")
    behind = StoreFactory(code="pago-pago", time_zone="Pacific/Pago_Pago")
    boss = staff_at(ahead, "manager")
    customer = CustomerFactory(preferred_store=ahead)
    assert store_today(ahead) > store_today(behind)
    with pytest.raises(ValidationError):
        plan(boss, customer, boss, store_today(behind))
    assert plan(boss, customer, boss, store_today(ahead)).due_on == store_today(ahead)


def test_an_assignee_from_another_store_is_refused(manager, outsider, customer, today):
    with pytest.raises(ValidationError) as error:
        plan(manager, customer, outsider, today)
    assert error.value.message_dict["assignee"] == ["Choose someone who works at London."]
    assert nothing_was_written()


def test_another_stores_customer_is_refused_like_one_that_does_not_exist(
    manager, associate, customer_elsewhere, today
):
    with pytest.raises(ValidationError) as elsewhere:
        plan(manager, customer_elsewhere, associate, today)
    with pytest.raises(ValidationError) as unknown:
        services.followup_create(
            by=manager,
            customer_id=customer_elsewhere.pk + 1000,
            assignee_id=associate.pk,
            due_on=today,
            reason="thank_you",
        )
    assert elsewhere.value.message_dict == unknown.value.message_dict
    assert nothing_was_written()


def test_other_reason_needs_words(manager, associate, customer, today):
    with pytest.raises(ValidationError) as error:
        plan(manager, customer, associate, today, reason="other")
    assert "reason_text" in error.value.message_dict
    assert nothing_was_written()


def test_completing_puts_the_note_on_the_timeline_and_in_the_history(
    manager, associate, customer, today
):
    followup = plan(manager, customer, associate, today)
    services.followup_complete(
        by=associate, followup_id=followup.pk, outcome="reached", note="Loved the coat."
    )
    followup.refresh_from_db()
    assert (followup.status, followup.outcome, followup.days_late) == ("done", "reached", 0)
    assert followup.completed_at is not None
    note = Interaction.objects.get(customer=customer)
    assert note.kind == "note" and note.staff == associate
    assert note.summary == "Follow-up (Thank you): Reached. Loved the coat."
    assert [event.kind for event in followup.history.order_by("pk")] == ["created", "completed"]


def test_completing_someone_elses_follow_up_is_refused_and_changes_nothing(
    manager, associate, colleague, customer, today
):
    followup = plan(manager, customer, associate, today)
    with pytest.raises(PermissionDenied) as error:
        services.followup_complete(by=colleague, followup_id=followup.pk, outcome="reached")
    assert "only they may complete it" in str(error.value)
    followup.refresh_from_db()
    assert followup.status == "open"
    assert not Interaction.objects.exists()
    assert followup.history.count() == 1


def test_a_done_follow_up_cannot_be_completed_again(manager, associate, customer, today):
    followup = plan(manager, customer, associate, today)
    services.followup_complete(by=associate, followup_id=followup.pk, outcome="no_answer")
    with pytest.raises(ValidationError) as error:
        services.followup_complete(by=associate, followup_id=followup.pk, outcome="reached")
    assert "already done" in str(error.value)
    assert Interaction.objects.count() == 1


def test_an_unknown_outcome_is_refused(manager, associate, customer, today):
    followup = plan(manager, customer, associate, today)
    with pytest.raises(ValidationError) as error:
        services.followup_complete(by=associate, followup_id=followup.pk, outcome="maybe")
    assert "outcome" in error.value.message_dict


def test_snoozing_moves_the_day_and_keeps_the_reason(manager, associate, customer, today):
    followup = plan(manager, customer, associate, today)
    later = today + timedelta(days=5)
    services.followup_snooze(by=associate, followup_id=followup.pk, until=later, reason="Away")
    followup.refresh_from_db()
    assert (followup.status, followup.due_on, followup.snooze_reason) == ("snoozed", later, "Away")
    event = followup.history.get(kind="snoozed")
    assert event.data == {"before": today.isoformat(), "after": later.isoformat(), "reason": "Away"}


@pytest.mark.parametrize(
    ("days", "reason", "field"),
    [(0, "Away", "until"), (91, "Away", "until"), (3, "  ", "reason")],
)
def test_a_snooze_needs_a_later_day_within_90_days_and_a_reason(
    manager, associate, customer, today, days, reason, field
):
    followup = plan(manager, customer, associate, today)
    with pytest.raises(ValidationError) as error:
        services.followup_snooze(
            by=associate, followup_id=followup.pk, until=today + timedelta(days=days), reason=reason
        )
    assert field in error.value.message_dict
    followup.refresh_from_db()
    assert followup.status == "open" and followup.due_on == today


def test_a_manager_reassigns_and_the_new_assignee_is_told(
    manager, associate, colleague, customer, today
):
    followup = plan(manager, customer, associate, today)
    services.followup_reassign(by=manager, followup_id=followup.pk, assignee_id=colleague.pk)
    followup.refresh_from_db()
    assert followup.assignee == colleague
    event = followup.history.get(kind="reassigned")
    assert (event.data["before"], event.data["after"]) == (associate.pk, colleague.pk)
    told = set(
        NotificationRecipient.objects.filter(notification__kind="followup.assigned").values_list(
            "recipient__username", flat=True
        )
    )
    assert told == {"associate", "colleague"}


def test_an_associate_cannot_reassign_or_cancel(manager, associate, colleague, customer, today):
    followup = plan(manager, customer, associate, today)
    with pytest.raises(PermissionDenied):
        services.followup_reassign(by=associate, followup_id=followup.pk, assignee_id=colleague.pk)
    with pytest.raises(PermissionDenied):
        services.followup_cancel(by=associate, followup_id=followup.pk)
    followup.refresh_from_db()
    assert followup.assignee == associate and followup.status == "open"


def test_a_manager_cancels_with_a_reason(manager, associate, customer, today):
    followup = plan(manager, customer, associate, today)
    services.followup_cancel(by=manager, followup_id=followup.pk, reason="Customer moved away")
    followup.refresh_from_db()
    assert followup.status == "cancelled"
    assert followup.history.get(kind="cancelled").data == {"reason": "Customer moved away"}


def test_anyone_cancels_what_they_planned_for_themselves(associate, customer, today):
    followup = plan(associate, customer, associate, today)
    services.followup_cancel(by=associate, followup_id=followup.pk)
    followup.refresh_from_db()
    assert followup.status == "cancelled"


def test_another_stores_follow_up_does_not_exist_for_a_manager(
    manager, other_manager, outsider, customer_elsewhere, other_store
):
    # Due today where that store is (Paris is a day ahead of London from 23:00 UTC).
    followup = plan(other_manager, customer_elsewhere, outsider, store_today(other_store))
    with pytest.raises(FollowUp.DoesNotExist):
        services.followup_cancel(by=manager, followup_id=followup.pk)


def test_a_completed_follow_up_is_written_back_to_the_crm(
    manager, associate, customer, today, django_capture_on_commit_callbacks
):
    from frontline.sync.models import OutboxMessage, Source

    Source.objects.create(
        name="crm", kind="salesforce", record_source="crm", base_url="http://crm.invalid"
    )
    followup = plan(manager, customer, associate, today)
    with django_capture_on_commit_callbacks(execute=False):
        services.followup_complete(
            by=associate, followup_id=followup.pk, outcome="left_message", note="Voicemail"
        )
    message = OutboxMessage.objects.get(key=f"followup-{followup.pk}")
    assert message.customer_id == customer.pk
    assert message.payload["Subject"] == "Follow-up: Left a message"
    assert message.payload["Description"].endswith("Left a message. Voicemail")
