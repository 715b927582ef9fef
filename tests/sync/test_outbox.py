from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from celery import current_app
from django.db import connection
from django.test import Client
from django.utils import timezone, translation
from pytest_httpserver import HTTPServer

from frontline.customers.services import note_create, note_pin, note_update
from frontline.sync.models import OutboxMessage, Source
from frontline.sync.services import outbox_deliver, writeback_followup_outcome, writeback_note
from frontline.sync.tasks import deliver_due_outbox_task
from tests.factories import (
    TEST_PASSWORD,
    IdentityFactory,
    InteractionFactory,
    StoreAssignmentFactory,
    StoreFactory,
    UserFactory,
)
from tests.sync.salesforce_standin import SalesforceStandIn
from tests.sync.standins import Fault

pytestmark = pytest.mark.django_db


@pytest.fixture
def crm_server(request, httpserver) -> HTTPServer:
    """The stand-in CRM's server; indirect parameter "threaded" for one answering side by side."""
    if getattr(request, "param", "") == "threaded":
        return request.getfixturevalue("threaded_crm_server")
    return httpserver


@pytest.fixture
def crm(crm_server, monkeypatch) -> SalesforceStandIn:
    monkeypatch.setenv("CRM_CLIENT_ID", SalesforceStandIn.client_id)
    monkeypatch.setenv("CRM_CLIENT_SECRET", SalesforceStandIn.client_secret)
    crm = SalesforceStandIn(crm_server)
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


# --- Notes written on the customer profile ----------------------------------------------


@pytest.fixture
def contact():
    """A customer the CRM knows, and the associate who writes about them."""
    identity = IdentityFactory(source="crm", external_id="003000000000000042")
    return identity.customer, UserFactory(first_name="Ada", last_name="Shaw")


def test_a_profile_note_becomes_one_crm_task_and_editing_it_updates_that_task(
    crm, contact, django_capture_on_commit_callbacks
):
    customer, author = contact
    with django_capture_on_commit_callbacks(execute=True):
        note = note_create(customer=customer, author=author, body="Wants the coat in navy")

    [task] = crm.records["Task"]
    assert (task["Frontline_Key__c"], task["WhoId"]) == (
        f"customer-note-{note.pk}",
        "003000000000000042",
    )
    assert (task["Subject"], task["Description"]) == (
        "Frontline note from Ada Shaw",
        "Wants the coat in navy",
    )

    with django_capture_on_commit_callbacks(execute=True):
        note_update(note=note, editor=author, body="Wants the coat in navy, size 12")
        note_pin(note=note, pinned=True)  # pinning changes nothing the CRM holds

    [task] = crm.records["Task"]  # the same Task, updated
    assert task["Description"] == "Wants the coat in navy, size 12"
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts) == ("sent", 1)
    patches = [hit for hit in crm.hits if f"Frontline_Key__c/customer-note-{note.pk}" in hit]
    # The note; then its edit, which the CRM refuses once because a Task's subtype can be set
    # only on creation, and which goes again without it. Saving the same text sends nothing.
    assert len(patches) == 3
    assert task["TaskSubtype"] == "Task"


def test_a_french_store_s_note_reaches_the_crm_with_a_subject_in_the_brand_s_language(
    crm, contact, django_capture_on_commit_callbacks
):
    """The CRM's Tasks are stored text every user of the CRM reads, like the timeline: one
    language, the brand's (LANGUAGE_CODE), whoever's store wrote them. The associate's own
    words go as they were typed."""
    customer, author = contact
    store = StoreFactory(language="fr")
    StoreAssignmentFactory(store=store, user=author, role="associate")
    customer.preferred_store = store
    customer.save(update_fields=["preferred_store"])
    client = Client(HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    assert client.login(username=author.username, password=TEST_PASSWORD)  # the store's language
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(f"/customers/{customer.pk}/notes/", {"body": "Veut le manteau"})
    assert page.status_code in (200, 302)
    assert "Se déconnecter" in client.get("/notifications/").content.decode()  # French pages
    [task] = crm.records["Task"]
    assert (task["Subject"], task["Description"]) == (
        "Frontline note from Ada Shaw",
        "Veut le manteau",
    )


def test_a_french_brand_s_crm_reads_french_subjects_whoever_writes(
    crm, contact, settings, django_capture_on_commit_callbacks
):
    settings.LANGUAGE_CODE = "fr"
    customer, author = contact
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        note_create(customer=customer, author=author, body="Wants the coat in navy")
        writeback_followup_outcome(
            followup_id=7,
            customer_id=customer.pk,
            outcome="Achat",
            summary="Suivi : achat",
            occurred_at=timezone.now(),
        )
    subjects = sorted(task["Subject"] for task in crm.records["Task"])
    assert subjects == ["Note Frontline de Ada Shaw", "Suivi : Achat"]


def test_a_note_saved_while_the_crm_is_down_is_sent_once_by_the_sweep(
    crm, contact, settings, django_capture_on_commit_callbacks
):
    settings.SYNC_HTTP_ATTEMPTS = 1
    crm.inject(Fault(lambda request: request.method == "PATCH", status=503))
    with django_capture_on_commit_callbacks(execute=True):
        note_create(customer=contact[0], author=contact[1], body="Asked about alterations")
    assert OutboxMessage.objects.get().status == "pending"
    assert crm.records["Task"] == []

    OutboxMessage.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert deliver_due_outbox_task() == 1
    assert deliver_due_outbox_task() == 0
    assert [task["Description"] for task in crm.records["Task"]] == ["Asked about alterations"]


def test_no_crm_no_write_back_and_the_note_is_saved_all_the_same(contact):
    note = note_create(customer=contact[0], author=contact[1], body="Prefers e-mail")
    assert note.pk and not OutboxMessage.objects.exists()


@pytest.fixture
def threaded_crm_server() -> Iterator[HTTPServer]:
    """A CRM that answers requests side by side, so that a later request can finish first."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("crm_server", ["threaded"], indirect=True)
def test_an_edit_saved_while_the_old_text_is_on_its_way_is_not_lost(crm, contact, settings):
    """The first send stalls at the CRM; the associate edits the note meanwhile and the edit
    reaches the CRM first. The old text lands last, so the new text must go once more."""
    settings.SYNC_HTTP_ATTEMPTS = 1
    customer, author = contact
    crm.inject(Fault(lambda request: request.method == "PATCH", status=503))
    note = note_create(customer=customer, author=author, body="Size 10")  # the CRM is down
    message = OutboxMessage.objects.get()
    stall = crm.inject(Fault(lambda request: request.method == "PATCH", delay=1.0))

    sending_old_text = threading.Thread(target=deliver_in_thread, args=(message.pk,))
    sending_old_text.start()
    wait_until(lambda: stall.times == 0)
    note_update(note=note, editor=author, body="Size 12, not 10")  # sent at once (eager)
    assert [task["Description"] for task in crm.records["Task"]] == ["Size 12, not 10"]
    sending_old_text.join(timeout=10)

    message.refresh_from_db()
    assert (message.status, message.payload["Description"]) == ("sent", "Size 12, not 10")
    assert [task["Description"] for task in crm.records["Task"]] == ["Size 12, not 10"]


def deliver_in_thread(message_id: int) -> None:
    try:
        outbox_deliver(message_id=message_id)
    finally:
        connection.close()


def wait_until(condition, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


# --- A customer the CRM does not know yet -----------------------------------------------


def test_a_note_about_a_customer_the_crm_does_not_know_waits_for_their_contact(
    crm, django_capture_on_commit_callbacks
):
    walk_in = InteractionFactory(kind="note", summary="Signed up in store today")
    with django_capture_on_commit_callbacks(execute=True):
        message = writeback_note(interaction_id=walk_in.pk)

    message.refresh_from_db()
    assert crm.records["Task"] == []  # no Task about nobody
    assert (message.status, message.attempts) == ("pending", 0)
    assert "no contact in the CRM" in message.last_error
    assert message.next_attempt_at > timezone.now() + timedelta(minutes=50)

    # The CRM sync brings the customer's contact; the next sweep names them.
    IdentityFactory(customer=walk_in.customer, source="crm", external_id="003000000000000077")
    OutboxMessage.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert deliver_due_outbox_task() == 1

    message.refresh_from_db()
    [task] = crm.records["Task"]
    assert (message.status, task["WhoId"]) == ("sent", "003000000000000077")
    assert message.payload["WhoId"] == "003000000000000077"


def test_a_waiting_note_whose_customer_was_erased_is_given_up(
    crm, django_capture_on_commit_callbacks
):
    walk_in = InteractionFactory(kind="note", summary="Signed up in store today")
    with django_capture_on_commit_callbacks(execute=True):
        message = writeback_note(interaction_id=walk_in.pk)
    walk_in.customer.delete()

    message = outbox_deliver(message_id=message.pk)
    assert message.status == "failed" and "no longer in Frontline" in message.last_error
    assert crm.records["Task"] == []
