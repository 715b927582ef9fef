"""A message to many customers at once: the same rules, set-wise, and one SMTP session a chunk."""

from __future__ import annotations

import pytest

from frontline.outreach import services
from frontline.outreach.campaigns import campaign_queue
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


def test_a_chunk_survives_the_smtp_server_refusing_one(smtp, associate, store):
    customers = [CustomerFactory(preferred_store=store) for _ in range(3)]
    for customer in customers:
        consent(customer, "email", "marketing")
    result = campaign_queue(
        by=associate,
        customer_ids=[c.pk for c in customers],
        channel="email",
        purpose="marketing",
        subject="Hi",
        body="Hello",
    )
    smtp.replies.append("451 4.3.0 Try again later")
    outcomes = services.messages_deliver(message_ids=result.message_ids)
    assert outcomes == {"retrying": 1, "sent": 2}
    assert len(smtp.received) == 2
