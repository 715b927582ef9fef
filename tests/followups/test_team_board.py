from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from frontline.followups import automation
from frontline.followups.selectors import team_board
from tests.factories import CustomerFactory, FollowUpFactory, OrderFactory


def test_the_board_figures_per_associate(manager, associate, colleague, store, customer, today):
    now = timezone.now()
    yesterday = now - timedelta(days=1)
    # Done two days late, and the customer bought after it (marked by the beat task).
    FollowUpFactory(
        customer=customer,
        assignee=associate,
        due_on=today - timedelta(days=3),
        status="done",
        outcome="appointment_booked",
        completed_at=yesterday,
        completed_on=today - timedelta(days=1),
        days_late=2,
        purchased_after=True,
    )
    # Done on time, nobody answered.
    FollowUpFactory(
        customer=customer,
        assignee=associate,
        due_on=today - timedelta(days=1),
        status="done",
        outcome="no_answer",
        completed_at=now,
        completed_on=today,
        days_late=0,
    )
    FollowUpFactory(customer=customer, assignee=associate, due_on=today - timedelta(days=2))
    FollowUpFactory(customer=customer, assignee=associate, due_on=today, status="snoozed")
    # Cancelled ones count nowhere.
    FollowUpFactory(
        customer=customer, assignee=associate, due_on=today - timedelta(1), status="cancelled"
    )
    board = {row.user.username: row for row in team_board(user=manager, store=store)}
    alex = board["associate"]
    assert (alex.open, alex.due_today, alex.overdue) == (2, 1, 1)
    assert alex.done_this_week == (2 if today.weekday() else 1)  # yesterday: last week on Mondays
    # Two done in the window, one overdue now: two thirds of what came due was done.
    assert (alex.done_recently, alex.completion_rate) == (2, 0.667)
    assert alex.average_days_late == 1.0
    assert (alex.reached, alex.purchase_within_14_days) == (1, 1)
    cleo = board["colleague"]
    assert (cleo.open, cleo.completion_rate, cleo.average_days_late) == (0, None, None)
    assert set(board) == {"manager", "associate", "colleague"}


def test_purchases_after_a_completion_are_marked_once(associate, store, customer):
    now = timezone.now()
    bought = FollowUpFactory(
        customer=customer,
        assignee=associate,
        status="done",
        outcome="reached",
        completed_at=now - timedelta(days=2),
    )
    other = CustomerFactory(preferred_store=store)
    not_bought = FollowUpFactory(
        customer=other,
        assignee=associate,
        status="done",
        outcome="reached",
        completed_at=now - timedelta(days=2),
    )
    # Bought before the follow-up: not its outcome.
    OrderFactory(customer=other, store=store, placed_at=now - timedelta(days=3))
    OrderFactory(customer=customer, store=store, placed_at=now - timedelta(days=1))
    assert automation.followups_mark_purchases() == 1
    assert automation.followups_mark_purchases() == 0
    bought.refresh_from_db()
    not_bought.refresh_from_db()
    assert (bought.purchased_after, not_bought.purchased_after) == (True, False)


def expected_figures(store, person, today):
    """The board's figures for one person, counted in Python from the follow-ups."""
    from frontline.followups.models import FollowUp

    theirs = list(FollowUp.objects.filter(store=store, assignee=person))
    active = [f for f in theirs if f.status in ("open", "snoozed")]
    window = today - timedelta(days=30)
    recent = [f for f in theirs if f.status == "done" and f.completed_on >= window]
    return {
        "open": len(active),
        "due_today": sum(f.due_on == today for f in active),
        "overdue": sum(f.due_on < today for f in active),
        "done_recently": len(recent),
        "reached": sum(f.outcome in ("reached", "appointment_booked") for f in recent),
        "late": sum(f.days_late for f in recent),
    }


def test_the_board_agrees_with_the_follow_ups_after_every_kind_of_change(
    manager, associate, colleague, store, today
):
    """On PostgreSQL the board reads a tally kept by triggers: it must follow every write."""
    from frontline.customers.criteria import CustomerCriteria
    from frontline.followups import bulk, services
    from frontline.followups.models import FollowUp

    customers = [CustomerFactory(preferred_store=store, tier="vip") for _ in range(6)]
    made = [
        services.followup_create(
            by=manager,
            customer_id=c.pk,
            assignee_id=associate.pk,
            due_on=today + timedelta(days=n % 2),
            reason="thank_you",
        )
        for n, c in enumerate(customers[:4])
    ]
    services.followup_complete(by=associate, followup_id=made[0].pk, outcome="reached")
    services.followup_snooze(
        by=associate, followup_id=made[1].pk, until=today + timedelta(days=3), reason="Away"
    )
    services.followup_reassign(by=manager, followup_id=made[2].pk, assignee_id=colleague.pk)
    services.followup_cancel(by=manager, followup_id=made[3].pk)
    batch = bulk.bulk_assign(
        by=manager,
        store_id=store.pk,
        criteria=CustomerCriteria.parse({"tiers": ["vip"]}),
        assignee_ids=[associate.pk, colleague.pk],
        due_on=today,
        reason="event_invite",
    )
    FollowUp.objects.filter(pk=made[1].pk).update(due_on=today - timedelta(days=2))
    services.followup_complete(
        by=colleague,
        followup_id=batch.followups.filter(assignee=colleague).first().pk,
        outcome="no_answer",
    )
    FollowUp.objects.filter(pk=made[0].pk).delete()
    board = {row.user.pk: row for row in team_board(user=manager, store=store)}
    for person in (associate, colleague):
        row = board[person.pk]
        expected = expected_figures(store, person, today)
        assert {
            "open": row.open,
            "due_today": row.due_today,
            "overdue": row.overdue,
            "done_recently": row.done_recently,
            "reached": row.reached,
            "late": round((row.average_days_late or 0) * row.done_recently),
        } == expected, person.username
    assert board[associate.pk].open > 0 and board[colleague.pk].done_recently == 1


def test_an_order_the_source_deleted_is_no_purchase_after_a_follow_up(associate, store, customer):
    now = timezone.now()
    FollowUpFactory(
        customer=customer,
        assignee=associate,
        status="done",
        outcome="reached",
        completed_at=now - timedelta(days=2),
    )
    OrderFactory(customer=customer, store=store, placed_at=now - timedelta(days=1), deleted_at=now)
    assert automation.followups_mark_purchases() == 0
