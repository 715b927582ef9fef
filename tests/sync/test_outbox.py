from __future__ import annotations

from datetime import timedelta

import pytest
from celery import current_app
from django.utils import timezone

from frontline.sync.models import OutboxMessage, Source
from frontline.sync.services import outbox_deliver, writeback_followup_outcome, writeback_note
from frontline.sync.tasks import deliver_due_outbox_task
from tests.factories import IdentityFactory, InteractionFactory
from tests.sync.standins import Fault, SalesforceStandIn

pytestmark = pytest.mark.django_db


@pytest.fixture
def crm(httpserver, monkeypatch) -> SalesforceStandIn:
    monkeypatch.setenv("CRM_CLIENT_ID", SalesforceStandIn.client_id)
    monkeypatch.setenv("CRM_CLIENT_SECRET", SalesforceStandIn.client_secret)
    crm = SalesforceStandIn(httpserver)
    Source.objects.create(
        name="crm",
        kind="salesforce",
        record_source="crm",
        base_url=crm.base_url,
        credentials_env="CRM",
    )
    current_app.conf.task_always_eager = True
    yield crm
    current_app.conf.task_always_eager = False


@pytest.fixture
def note():
    identity = IdentityFactory(source="crm", external_id="003000000000000042")
    return InteractionFactory(
        customer=identity.customer, kind="note", summary="Loves the navy coat"
    )


def test_a_note_becomes_one_crm_task_even_when_the_first_answer_is_lost(
    crm, note, settings, django_capture_on_commit_callbacks
):
    settings.SYNC_HTTP_TIMEOUT = 0.5
    # The CRM creates the Task but answers too late: the client times out and sends again.
    crm.inject(Fault(lambda request: request.method == "PATCH", delay=1.0))

    with django_capture_on_commit_callbacks(execute=True):
        message = writeback_note(interaction_id=note.pk)

    message.refresh_from_db()
    assert message.status == "sent"
    assert [t["Description"] for t in crm.records["Task"]] == ["Loves the navy coat"]
    assert crm.records["Task"][0]["WhoId"] == "003000000000000042"
    assert message.remote_id == crm.records["Task"][0]["Id"]
    assert sum("sobjects/Task/Frontline_Key__c/note-" in hit for hit in crm.hits) >= 2


def test_writing_the_same_note_back_twice_queues_it_once(
    crm, note, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = writeback_note(interaction_id=note.pk)
        second = writeback_note(interaction_id=note.pk)
    assert first == second
    assert OutboxMessage.objects.count() == 1
    assert len(crm.records["Task"]) == 1


def test_when_the_crm_is_down_the_message_waits_and_the_sweep_sends_it_later(
    crm, note, settings, django_capture_on_commit_callbacks
):
    settings.SYNC_HTTP_ATTEMPTS = 2
    down = crm.inject(Fault(lambda request: request.method == "PATCH", times=2, status=503))
    with django_capture_on_commit_callbacks(execute=True):
        message = writeback_followup_outcome(
            followup_id=7,
            customer_id=note.customer_id,
            outcome="bought",
            summary="Came in for the coat",
            occurred_at=timezone.now(),
        )
    message.refresh_from_db()
    assert (message.status, message.attempts, down.times) == ("pending", 1, 0)
    assert "503" in message.last_error
    assert message.next_attempt_at > timezone.now()

    assert deliver_due_outbox_task() == 0  # not due yet
    OutboxMessage.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert deliver_due_outbox_task() == 1

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)
    assert crm.records["Task"][0]["Subject"] == "Follow-up: bought"


def test_notes_that_came_from_a_source_are_never_echoed_back(crm):
    synced = InteractionFactory(kind="note", source="crm", external_id="00T1")
    assert writeback_note(interaction_id=synced.pk) is None
    assert outbox_deliver(message_id=12345) is None
