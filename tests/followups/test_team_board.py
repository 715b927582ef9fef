from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from frontline.followups.selectors import team_board
from tests.factories import FollowUpFactory, OrderFactory


def test_the_board_figures_per_associate(manager, associate, colleague, store, customer, today):
    now = timezone.now()
    yesterday = now - timedelta(days=1)
    # Done two days late, and the customer bought the day after: reached, and a purchase.
    FollowUpFactory(
        customer=customer,
        assignee=associate,
        due_on=today - timedelta(days=3),
        status="done",
        outcome="appointment_booked",
        completed_at=yesterday,
        days_late=2,
    )
    OrderFactory(
        customer=customer, store=store, placed_at=now - timedelta(hours=12), total=Decimal("120")
    )
    # Done on time, nobody answered.
    FollowUpFactory(
        customer=customer,
        assignee=associate,
        due_on=today - timedelta(days=1),
        status="done",
        outcome="no_answer",
        completed_at=now,
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
    assert alex.done_this_week >= 1  # the one done now; yesterday's if the week began before
    assert (alex.due_in_window, alex.done_in_window, alex.completion_rate) == (3, 2, 0.667)
    assert alex.average_days_late == 1.0
    assert (alex.reached, alex.purchase_within_14_days) == (1, 1)
    cleo = board["colleague"]
    assert (cleo.open, cleo.completion_rate, cleo.average_days_late) == (0, None, None)
    assert set(board) == {"manager", "associate", "colleague"}
