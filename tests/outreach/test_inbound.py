"""Customers writing back: signed webhooks land replies on the thread and the timeline, tell
the associate live, and STOP in its many forms withdraws consent at once, with a confirmation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from frontline.customers.models import Consent, Interaction
from frontline.notifications.models import NotificationRecipient
from frontline.outreach import services
from frontline.outreach.models import Conversation, Direction, Message, Status
from frontline.outreach.signatures import relay_signature
from tests.factories import CustomerFactory
from tests.outreach.conftest import WEBHOOK_BASE, consent
from tests.outreach.standins import signed_form

pytestmark = pytest.mark.django_db


def inbound(body: str, sender: str = "+447911123456", sid: str = "SM" + "1" * 32, **extra):
    path = reverse("outreach:twilio_inbound")
    params = {
        "MessageSid": sid,
        "AccountSid": "AC" + "0" * 31 + "1",
        "From": sender,
        "To": "+447700900001",
        "Body": body,
        "NumMedia": "0",
        **extra,
    }
    return Client().post(path, params, headers=signed_form(WEBHOOK_BASE + path, params))


def test_an_sms_reply_lands_on_thread_and_timeline_with_sentiment_and_tells_the_associate(
    outreach_settings, customer, associate
):
    response = inbound("Thank you so much, the coat is wonderful!")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    message = Message.objects.get(direction=Direction.INBOUND)
    assert (message.customer, message.channel, message.status) == (customer, "sms", "received")
    interaction = Interaction.objects.get(customer=customer)
    assert interaction.kind == "message" and interaction.channel == "sms"
    assert interaction.sentiment == "positive"
    told = NotificationRecipient.objects.get(recipient=associate)
    assert told.notification.kind == "outreach.reply_received"
    assert "Grace Hopper replied by SMS" in told.notification.title


def test_the_associate_who_last_wrote_is_told(outreach_settings, customer, store):
    from frontline.staff.models import StaffRole
    from tests.factories import staff_at

    colleague = staff_at(store, StaffRole.ASSOCIATE)
    Conversation.objects.create(customer=customer, channel="sms", associate=colleague)
    inbound("Is it in stock?")
    assert NotificationRecipient.objects.get().recipient == colleague


def test_a_webhook_delivered_twice_lands_once(outreach_settings, customer):
    inbound("See you Saturday")
    inbound("See you Saturday")
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 1
    assert Interaction.objects.count() == 1


def test_a_whatsapp_message_opens_the_24_hour_window(outreach_settings, customer, associate):
    consent(customer, "whatsapp")
    inbound("Hello!", sender="whatsapp:+447911123456", ProfileName="Grace")
    conversation = Conversation.objects.get(customer=customer, channel="whatsapp")
    assert conversation.last_inbound_at is not None
    message = services.message_send(
        by=associate, customer_id=customer.pk, channel="whatsapp", purpose="service", body="Hi!"
    )
    assert message.content_sid == ""


def test_an_unknown_sender_is_kept_for_the_back_office(outreach_settings, customer):
    assert inbound("Who is this?", sender="+447911999999").status_code == 200
    kept = Message.objects.get()
    assert kept.customer is None and kept.body == "Who is this?"
    assert not Interaction.objects.exists()


@pytest.mark.parametrize(
    ("text", "language_word"),
    [
        ("STOP", "unsubscribed"),
        ("stop", "unsubscribed"),
        (" Stop! ", "unsubscribed"),
        ("Unsubscribe.", "unsubscribed"),
        ("ARRÊT", "désinscription"),
        ("arret", "désinscription"),
        ("BAJA", "baja"),
        ("Baja!", "baja"),
        ("STOPP", "abgemeldet"),
    ],
)
def test_stop_and_its_variants_withdraw_consent_and_are_confirmed(
    outreach_settings, customer, associate, text, language_word
):
    consent(customer, "sms", "service")
    consent(customer, "sms", "marketing")
    consent(customer, "email", "marketing")
    waiting = services.message_send(
        by=associate,
        customer_id=customer.pk,
        channel="sms",
        purpose="service",
        body="Tomorrow?",
        send_at=timezone.now() + timedelta(days=1),
    )
    response = inbound(text)
    assert response.status_code == 200
    twiml = response.content.decode()
    assert "<Message>" in twiml and language_word in twiml.lower()
    assert not Consent.objects.filter(customer=customer, channel="sms", granted=True).exists()
    # Only the channel the customer wrote on.
    assert Consent.objects.get(customer=customer, channel="email").granted
    waiting.refresh_from_db()
    assert waiting.status == Status.CANCELLED
    confirmation = Message.objects.get(confirms_opt_out=True)
    assert confirmation.direction == Direction.OUTBOUND and confirmation.status == Status.SENT


@pytest.mark.parametrize("text", ["Don't stop sending me offers", "stop by tomorrow?", "STOPS"])
def test_a_sentence_with_stop_in_it_is_a_reply(outreach_settings, customer, text):
    consent(customer, "sms")
    twiml = inbound(text).content.decode()
    assert "<Message>" not in twiml
    assert Consent.objects.get(customer=customer, channel="sms").granted


def test_an_unsigned_inbound_message_is_refused_and_nothing_lands(outreach_settings, customer):
    path = reverse("outreach:twilio_inbound")
    params = {"MessageSid": "SM" + "2" * 32, "From": "+447911123456", "Body": "STOP"}
    assert Client().post(path, params).status_code == 403
    bad = {"X-Twilio-Signature": "not-a-signature"}
    assert Client().post(path, params, headers=bad).status_code == 403
    assert not Message.objects.exists()


def test_the_webhooks_are_rate_limited(outreach_settings, customer):
    outreach_settings.RATELIMIT_ENABLE = True
    outreach_settings.OUTREACH_WEBHOOK_RATE = "3/m"
    statuses = [inbound("hi", sid=f"SM{n:032d}").status_code for n in range(5)]
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3:] == [429, 429]


# --- E-mail replies ---------------------------------------------------------------------


def post_email(raw: bytes, secret: str = "relay-secret"):  # noqa: S107
    return Client().post(
        reverse("outreach:email_inbound"),
        raw,
        content_type="message/rfc822",
        headers={"X-Frontline-Signature": relay_signature(secret, raw)},
    )


def reply(
    to: str, body: str, *, sender: str = "Grace <grace@example.com>", extra: str = ""
) -> bytes:
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: Re: For you\r\n"
        f"Message-ID: <reply-{abs(hash(body))}@mail.example.com>\r\n{extra}"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{body}\r\n\r\nOn Mon, 7 Dec 2026 at 10:00, Ana wrote:\r\n> Hello Grace\r\n"
    ).encode()


def test_an_email_reply_to_the_reply_address_lands_on_its_thread(
    outreach_settings, customer, associate
):
    # Sent from another address than the one on file: the reply+token finds the thread.
    conversation = Conversation.objects.create(customer=customer, channel="email")
    raw = reply(
        f"reply+{conversation.reply_token}@reply.example.com",
        "Lovely, I'll come on Saturday.",
        sender="grace.work@example.org",
    )
    response = post_email(raw)
    assert response.status_code == 202
    assert response.json() == {"matched": True, "unsubscribed": False}
    message = Message.objects.get(direction=Direction.INBOUND)
    assert message.conversation == conversation
    assert message.body == "Lovely, I'll come on Saturday."  # the quoted message left out
    assert Interaction.objects.get(customer=customer).channel == "email"


def test_an_email_reply_is_matched_by_in_reply_to(outreach_settings, customer, smtp, associate):
    consent(customer, "email")
    sent = services.message_send(
        by=associate,
        customer_id=customer.pk,
        channel="email",
        purpose="service",
        subject="Hi",
        body="Hello",
    )
    services.message_deliver(message_id=sent.pk)
    sent.refresh_from_db()
    raw = reply(
        "frontline@example.com",
        "Thanks",
        sender="someone.else@example.org",
        extra=f"In-Reply-To: {sent.provider_id}\r\n",
    )
    assert post_email(raw).json()["matched"] is True
    assert Message.objects.get(direction=Direction.INBOUND).customer == customer


def test_an_unsubscribe_email_withdraws_email_consent_and_confirms_by_email(
    outreach_settings, customer, smtp, django_capture_on_commit_callbacks, tasks_run
):
    consent(customer, "email", "marketing")
    with django_capture_on_commit_callbacks(execute=True):
        response = post_email(reply("shop@example.com", "Unsubscribe"))
    assert response.json() == {"matched": True, "unsubscribed": True}
    assert not Consent.objects.filter(customer=customer, channel="email", granted=True).exists()
    [confirmation] = smtp.received
    assert "unsubscribed" in confirmation.get_content().lower()


def test_a_badly_signed_email_is_refused(outreach_settings, customer):
    assert post_email(reply("shop@example.com", "Hi"), secret="guess").status_code == 403
    assert not Message.objects.exists()


def test_another_customer_with_the_address_is_not_confused(outreach_settings, customer, store):
    CustomerFactory(email="someone@example.com", preferred_store=store)
    post_email(reply("shop@example.com", "Hello", sender="grace@example.com"))
    assert Message.objects.get().customer == customer


def test_a_nul_in_a_signed_sms_reply_is_dropped_not_a_500(outreach_settings, customer):
    # PostgreSQL refuses NUL in text: a provider (or a phone) sending one must not make the
    # webhook fail, which the provider would retry for hours.
    response = inbound("Thank\x00 you", sender="+447911123456\x00")
    assert response.status_code == 200
    assert Message.objects.get(direction=Direction.INBOUND).body == "Thank you"


def test_a_nul_in_a_signed_email_reply_is_dropped_not_a_500(outreach_settings, customer):
    assert post_email(reply("shop@example.com", "Hel\x00lo")).status_code == 202
    assert Message.objects.get(direction=Direction.INBOUND).body.startswith("Hello")


def test_a_nul_in_the_headers_of_a_signed_email_reply_is_not_a_500(outreach_settings, customer):
    raw = reply("shop@example.com", "Hello", extra="In-Reply-To: <x\x00y@example.com>\r\n")
    assert post_email(raw).status_code == 202


def test_a_nul_in_a_signed_status_callback_is_not_a_500(outreach_settings):
    path = reverse("outreach:twilio_status")
    params = {"MessageSid": "SM\x00" + "1" * 31, "MessageStatus": "delivered", "ErrorCode": "\x00"}
    response = Client().post(path, params, headers=signed_form(WEBHOOK_BASE + path, params))
    assert response.status_code == 204
