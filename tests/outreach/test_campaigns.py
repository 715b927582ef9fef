"""A message to many customers at once: the same rules, set-wise, and one SMTP session a chunk."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from frontline.customers.models import Consent
from frontline.outreach import services
from frontline.outreach.campaigns import campaign_queue
from frontline.outreach.channels import EmailAdapter
from frontline.outreach.models import Message, Status
from tests.factories import CustomerFactory
from tests.outreach.conftest import consent

pytestmark = pytest.mark.django_db


def test_a_campaign_reaches_the_consented_and_counts_the_others(
    smtp, outreach_settings, associate, store, django_capture_on_commit_callbacks, tasks_run
):
    outreach_settings.OUTREACH_MARKETING_PER_WEEK = 1
    reachable = [CustomerFactory(preferred_store=store) for _ in range(3)]
    for customer in reachable:
        consent(customer, "email", "marketing")
    service_only = CustomerFactory(preferred_store=store)
    consent(service_only, "email", "service")
    capped = CustomerFactory(preferred_store=store)
    consent(capped, "email", "marketing")
    Message.objects.create(
        customer=capped,
        channel="email",
        direction="outbound",
        purpose="marketing",
        status="sent",
        body="Earlier",
        to_address=capped.email,
    )
    other_store = CustomerFactory()
    consent(other_store, "email", "marketing")
    everyone = [*reachable, service_only, capped, other_store]

    with django_capture_on_commit_callbacks(execute=True):
        result = campaign_queue(
            by=associate,
            customer_ids=[customer.pk for customer in everyone],
            channel="email",
            purpose="marketing",
            subject="New season, {{ first_name }}",
            body="Hello {{ first_name }}, the new season is in at {{ store_name }}.",
        )
    assert result.queued == 3
    assert dict(result.refused) == {"no_consent": 1, "frequency_cap": 1, "not_found": 1}
    assert "frontline.outreach.tasks.deliver_messages_task" in tasks_run
    assert sorted(str(m["To"]) for m in smtp.received) == sorted(c.email for c in reachable)
    first = reachable[0]
    sent = Message.objects.get(customer=first, body__startswith="Hello")
    assert sent.status == Status.SENT
    assert sent.body == f"Hello {first.first_name}, the new season is in at Soho."


def _queued(associate, store, count: int) -> list[int]:
    customers = [CustomerFactory(preferred_store=store) for _ in range(count)]
    for customer in customers:
        consent(customer, "email", "marketing")
    result = campaign_queue(
        by=associate,
        customer_ids=[c.pk for c in customers],
        channel="email",
        purpose="marketing",
        subject="Hi {{ first_name }}",
        body="Hello {{ first_name }}",
    )
    return result.message_ids


def test_a_chunk_goes_over_one_smtp_session(smtp, associate, store):
    ids = _queued(associate, store, 5)
    assert services.messages_deliver(message_ids=ids) == {"sent": 5}
    assert len(smtp.sessions) == 5
    assert len(set(smtp.sessions)) == 1  # one connection, one greeting, one EHLO for all


def test_a_chunk_survives_the_smtp_server_refusing_one(smtp, associate, store):
    ids = _queued(associate, store, 3)
    smtp.replies.append("451 4.3.0 Try again later")
    outcomes = services.messages_deliver(message_ids=ids)
    assert outcomes == {"retrying": 1, "sent": 2}
    assert len(smtp.received) == 2
    # The session the server answered "try later" on is closed; the rest share a new one.
    refused_on, *others = smtp.sessions
    assert others == [others[0]] * 2 and refused_on != others[0]


def test_a_chunk_costs_one_statement_per_message_beyond_its_groups(smtp, associate, store):
    """Claimed, read and checked for consent a group at a time; each "sent" on its own."""

    def statements(message_ids: list[int]) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert services.messages_deliver(message_ids=message_ids) == {"sent": len(message_ids)}
        return len(captured)

    one_group = statements(_queued(associate, store, 10))
    two_groups = statements(_queued(associate, store, services.CLAIM_GROUP + 10))
    assert one_group <= 3 + 10 + 2  # claim, read, consents; a "sent" each; the transaction
    assert two_groups - one_group == 3 + services.CLAIM_GROUP
    assert len(smtp.received) == 10 + services.CLAIM_GROUP + 10


def test_a_chunk_sends_nothing_another_worker_holds_or_the_customer_withdrew(
    smtp, associate, store
):
    ids = _queued(associate, store, 4)
    assert services.message_claim(ids[0])  # another worker has it
    withdrawn = Message.objects.get(pk=ids[1]).customer
    Consent.objects.filter(customer=withdrawn).update(granted=False)
    outcomes = services.messages_deliver(message_ids=ids)
    assert outcomes == {"not_claimed": 1, "cancelled": 1, "sent": 2}
    assert Message.objects.get(pk=ids[1]).error_code == "no_consent"
    assert sorted(str(m["To"]) for m in smtp.received) == sorted(
        Message.objects.filter(pk__in=ids[2:]).values_list("to_address", flat=True)
    )


def test_claims_held_past_a_third_of_the_lease_are_moved_forward_unless_swept(
    associate, store, outreach_settings
):
    ids = _queued(associate, store, 3)
    held_since = timezone.now()
    assert sorted(services._claim(ids, held_since)) == ids
    assert services._claim(ids, held_since) == []  # taken: nobody else wins them
    # The sweep freed one whose lease ran out (its worker looked dead).
    Message.objects.filter(pk=ids[0]).update(status=Status.RETRYING, claimed_at=None)
    later = held_since + timedelta(seconds=30)
    assert sorted(services._claims_renew(ids, held_since, later)) == ids[1:]
    assert set(Message.objects.filter(pk__in=ids[1:]).values_list("claimed_at", flat=True)) == {
        later
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's asynchronous commit")
def test_a_chunk_commits_without_waiting_for_the_disk_then_puts_the_setting_back(
    smtp, associate, store, monkeypatch
):
    def setting() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            return str(cursor.fetchone()[0])

    seen = []
    send = EmailAdapter.send
    monkeypatch.setattr(
        EmailAdapter,
        "send",
        lambda adapter, message: seen.append(setting()) or send(adapter, message),
    )
    ids = _queued(associate, store, 2)
    assert setting() == "on"
    assert services.messages_deliver(message_ids=ids) == {"sent": 2}
    assert seen == ["off", "off"]
    assert setting() == "on"  # the worker's next task commits as configured
