"""One follow-up outcome sent twice at once with one Idempotency-Key, on PostgreSQL: the outcome
is recorded once, its note lands on the timeline once, and the second send is told to come back
(409 with Retry-After) rather than refused for good, so a tablet's outbox never drops it.

This is the case of an htmx request still running when the tablet's outbox sends the same
entry again (the browser thought the first was lost). Each send is a thread with its own
database connection; the first is held inside its write transaction until the second has had
its answer. SQLite serialises write transactions whole, so this race cannot happen there:
skipped, as the suite's other concurrency tests are.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from frontline.customers.models import Interaction
from frontline.followups.models import FollowUp
from frontline.followups.signals import followup_completed
from frontline.tablet import idempotency
from frontline.tablet.models import IdempotentRequest
from tests.factories import FollowUpFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite locks the whole database for a write, so no race exists",
    ),
]

KEY = "outcome-9d2e"
FORM = {"outcome": "appointment_booked", "note": "Saturday at 11", "channel": "phone"}


class HeldInsideTheWrite:
    """A listener of followup_completed (sent inside the completing transaction) that holds the
    first send there until told to go on."""

    def __init__(self) -> None:
        self.inside = threading.Event()
        self.go_on = threading.Event()

    def __call__(self, **_: object) -> None:
        self.inside.set()
        assert self.go_on.wait(30), "the test never let the first send go on"


def send(client: Client, url: str):
    return client.post(url, FORM, headers={"Idempotency-Key": KEY, "HX-Request": "true"})


def test_two_sends_of_one_outcome_at_once_complete_it_once_and_keep_the_note(associate, customer):
    followup = FollowUpFactory(customer=customer, assignee=associate)
    url = reverse("followups:complete", args=[followup.pk])
    tablet = Client()
    tablet.force_login(associate)
    held = HeldInsideTheWrite()
    followup_completed.connect(held, weak=False, dispatch_uid="test-held")
    answers: dict[str, object] = {}

    def first_send() -> None:
        try:
            answers["first"] = send(tablet, url)
        finally:
            connection.close()

    thread = threading.Thread(target=first_send)
    thread.start()
    try:
        assert held.inside.wait(30), "the first send never reached its write"
        followup_completed.disconnect(dispatch_uid="test-held")
        # The outbox sends the same entry while the first is still writing.
        second = send(tablet, url)
    finally:
        held.go_on.set()
        thread.join(30)
        followup_completed.disconnect(dispatch_uid="test-held")
    assert second.status_code == 409
    assert int(second["Retry-After"]) == idempotency.IN_USE_RETRY_AFTER_SECONDS
    assert second["Content-Type"].startswith("text/plain")
    first = answers["first"]
    assert first.status_code == 200
    assert b"Done: the note is on" in first.content
    # Sent again later, the outbox gets the first answer, and nothing is written twice.
    again = send(tablet, url)
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    done = FollowUp.objects.get(pk=followup.pk)
    assert (done.status, done.outcome, done.note) == (
        "done",
        "appointment_booked",
        "Saturday at 11",
    )
    notes = Interaction.objects.filter(customer=customer, summary__contains="Saturday at 11")
    assert notes.count() == 1
    assert IdempotentRequest.objects.get(key=KEY).status_code == 200
