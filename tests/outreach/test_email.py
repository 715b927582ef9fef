"""E-mail through Django's SMTP backend to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import pytest

from frontline.outreach import services
from frontline.outreach.models import Message, Status
from tests.factories import ProductFactory, VariantFactory, WishlistItemFactory
from tests.outreach.conftest import consent

pytestmark = pytest.mark.django_db


def queue_email(associate, customer, **fields) -> Message:
    arguments = {
        "channel": "email",
        "purpose": "service",
        "subject": "For you, {{ first_name }}",
        "body": "Hello {{ first_name }},\n{{ wishlist }}\n{{ associate_name }}, {{ store_name }}",
    }
    arguments.update(fields)
    return services.message_send(by=associate, customer_id=customer.pk, **arguments)


def test_an_email_reaches_the_smtp_server_with_cards_and_a_reply_address(smtp, associate, customer):
    consent(customer, "email")
    product = ProductFactory(name="Camel wool coat")
    WishlistItemFactory(
        customer=customer,
        variant=VariantFactory(product=product, colour="Camel", size="M", price="420.00"),
    )
    message = queue_email(associate, customer)
    assert services.message_deliver(message_id=message.pk) == "sent"

    [received] = smtp.received
    assert received["To"] == "grace@example.com"
    assert received["Subject"] == "For you, Grace"
    assert received["Message-ID"] == f"<{message.idempotency_key}@reply.example.com>"
    assert received["Reply-To"].startswith("reply+")
    text = received.get_body(preferencelist=("plain",)).get_content()
    html = received.get_body(preferencelist=("html",)).get_content()
    assert "Camel wool coat · Camel, size M · 420.00" in text
    assert "Ana Silva, Soho" in text
    assert "<strong>Camel wool coat</strong>" in html
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.provider_id == received["Message-ID"]


def test_a_message_is_sent_once_however_often_it_is_delivered(smtp, associate, customer):
    consent(customer, "email")
    message = queue_email(associate, customer)
    outcomes = [services.message_deliver(message_id=message.pk) for _ in range(3)]
    assert outcomes == ["sent", "not_claimed", "not_claimed"]
    assert len(smtp.received) == 1


def test_a_temporary_smtp_refusal_is_retried_with_the_same_message_id(
    smtp, associate, customer, django_capture_on_commit_callbacks
):
    consent(customer, "email")
    message = queue_email(associate, customer)
    smtp.replies.append("451 4.3.0 Try again later")
    assert services.message_deliver(message_id=message.pk) == "retrying"
    message.refresh_from_db()
    assert message.status == Status.RETRYING
    assert message.not_before > message.created_at
    # Its time comes (the backoff is the beat sweep's business): the same message goes out.
    Message.objects.filter(pk=message.pk).update(not_before=message.created_at)
    assert services.message_deliver(message_id=message.pk) == "sent"
    [received] = smtp.received
    assert received["Message-ID"] == f"<{message.idempotency_key}@reply.example.com>"
    message.refresh_from_db()
    assert message.attempts == 2


def test_a_permanent_smtp_refusal_fails_and_tells_the_sender(smtp, associate, customer):
    from frontline.notifications.models import NotificationRecipient

    consent(customer, "email")
    message = queue_email(associate, customer)
    smtp.replies.append("550 5.1.1 No such user here")
    assert services.message_deliver(message_id=message.pk) == "failed"
    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert "550" in message.error_code or "550" in message.error_message
    told = NotificationRecipient.objects.get(recipient=associate)
    assert told.notification.kind == "outreach.message_failed"


def test_an_unreachable_smtp_server_is_retried_not_lost(outreach_settings, associate, customer):
    from tests.conftest import free_port

    outreach_settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    outreach_settings.EMAIL_HOST = "127.0.0.1"
    outreach_settings.EMAIL_PORT = free_port()  # nothing listens there
    outreach_settings.EMAIL_TIMEOUT = 2
    consent(customer, "email")
    message = queue_email(associate, customer)
    assert services.message_deliver(message_id=message.pk) == "retrying"


def test_consent_withdrawn_after_queueing_cancels_the_message(smtp, associate, customer):
    consent(customer, "email")
    message = queue_email(associate, customer)
    consent(customer, "email", granted=False)
    assert services.message_deliver(message_id=message.pk) == "cancelled"
    message.refresh_from_db()
    assert message.status == Status.CANCELLED
    assert message.error_code == "no_consent"
    assert smtp.received == []


def test_the_outbox_task_sends_after_commit(
    smtp, associate, customer, tasks_run, django_capture_on_commit_callbacks
):
    consent(customer, "email")
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_email(associate, customer)
    assert "frontline.outreach.tasks.deliver_message_task" in tasks_run
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len(smtp.received) == 1


def test_a_worker_killed_after_the_server_accepted_resends_the_same_message_id(
    smtp, associate, customer
):
    """The window the claim cannot close (docs/outreach.md, "The outbox"): the server took the
    message, the worker died before ``sent`` was committed. The sweep releases the claim once
    its lease is over and the message goes again — as the same message, so the receiving side
    can tell the copy by its Message-ID."""
    from datetime import timedelta

    from django.utils import timezone

    from frontline.outreach.channels import EmailAdapter

    consent(customer, "email")
    message = queue_email(associate, customer)
    # The first worker: claims, hands the e-mail to the server, and dies there.
    assert services.message_claim(message.pk)
    EmailAdapter().send(services.outgoing_for(Message.objects.get(pk=message.pk)))
    assert Message.objects.get(pk=message.pk).status == Status.SENDING
    # Its lease runs out; the sweep frees the message and a second worker delivers it.
    Message.objects.filter(pk=message.pk).update(claimed_at=timezone.now() - timedelta(hours=1))
    assert message.pk in services.messages_dispatch_due()
    assert services.message_deliver(message_id=message.pk) == "sent"
    first, second = smtp.received
    assert (
        first["Message-ID"]
        == second["Message-ID"]
        == (f"<{message.idempotency_key}@reply.example.com>")
    )
    message.refresh_from_db()
    assert (message.status, message.attempts, message.provider_id) == (
        Status.SENT,
        2,
        first["Message-ID"],
    )
