"""The outbox between queueing and sending: schedules, quiet hours, the beat sweep, privacy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from frontline.outreach import services
from frontline.outreach.models import Message, Status
from frontline.outreach.tasks import dispatch_due_messages_task
from frontline.privacy.registry import personal_data_sources
from tests.outreach.conftest import consent

pytestmark = pytest.mark.django_db


def queue_sms(associate, customer, **fields) -> Message:
    arguments = {"channel": "sms", "purpose": "service", "body": "Hi {{ first_name }}"}
    arguments.update(fields)
    return services.message_send(by=associate, customer_id=customer.pk, **arguments)


def test_a_scheduled_message_waits_for_its_time(twilio, associate, customer):
    consent(customer, "sms")
    message = queue_sms(associate, customer, send_at=timezone.now() + timedelta(hours=2))
    assert services.message_deliver(message_id=message.pk) == "not_claimed"
    assert services.messages_dispatch_due() == []
    Message.objects.filter(pk=message.pk).update(not_before=timezone.now())
    assert services.messages_dispatch_due() == [message.pk]
    assert services.message_deliver(message_id=message.pk) == "sent"
    assert len(twilio.created) == 1


def test_a_message_whose_turn_comes_at_night_waits_for_the_morning(
    twilio, outreach_settings, associate, customer
):
    consent(customer, "sms")
    message = queue_sms(associate, customer)
    customer.phone = "+12125550123"  # New York: the quiet hours are read in its zone
    customer.save()
    Message.objects.filter(pk=message.pk).update(to_address=customer.phone)
    from frontline.outreach.rules import customer_time_zone, in_quiet_hours

    # Quiet hours start now in the customer's zone and last an hour.
    zone = customer_time_zone(customer)
    local = timezone.now().astimezone(zone)
    outreach_settings.OUTREACH_QUIET_HOURS = (
        f"{(local - timedelta(minutes=1)):%H:%M}-{(local + timedelta(hours=1)):%H:%M}"
    )
    assert in_quiet_hours(timezone.now(), zone)
    assert services.message_deliver(message_id=message.pk) == "postponed"
    message.refresh_from_db()
    assert message.status == Status.SCHEDULED
    assert message.attempts == 0
    assert message.not_before > timezone.now() + timedelta(minutes=55)
    assert twilio.requests == []


def test_the_beat_task_sends_what_is_due(smtp, associate, customer, tasks_run):
    consent(customer, "email")
    message = services.message_send(
        by=associate,
        customer_id=customer.pk,
        channel="email",
        purpose="service",
        subject="Hi",
        body="Hello",
    )
    assert dispatch_due_messages_task.delay().get() == 1
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len(smtp.received) == 1


def test_export_and_erasure_cover_the_messages(outreach_settings, associate, customer):
    consent(customer, "sms")
    message = queue_sms(associate, customer)
    source = next(s for s in personal_data_sources() if s.name == "outreach")
    exported = source.export(customer.pk)
    assert [row["id"] for row in exported["messages"]] == [message.pk]
    assert source.erase is not None
    source.erase(customer.pk)
    message.refresh_from_db()
    assert (message.body, message.to_address) == ("", "")
    assert message.channel == "sms"  # that it was sent is kept for the figures
