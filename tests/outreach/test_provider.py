"""SMS and WhatsApp through a real HTTP server standing in for Twilio's Messages API."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from frontline.customers.models import Consent
from frontline.outreach import services
from frontline.outreach.models import Conversation, Message, MessageEvent, MessageTemplate, Status
from tests.outreach.conftest import WEBHOOK_BASE, consent
from tests.outreach.standins import signed_form

pytestmark = pytest.mark.django_db


def queue(associate, customer, channel="sms", **fields) -> Message:
    arguments = {"channel": channel, "purpose": "service", "body": "Hi {{ first_name }}"}
    arguments.update(fields)
    return services.message_send(by=associate, customer_id=customer.pk, **arguments)


def test_an_sms_is_posted_as_twilio_documents_it(twilio, associate, customer):
    consent(customer, "sms")
    message = queue(associate, customer)
    assert services.message_deliver(message_id=message.pk) == "sent"
    [created] = twilio.created
    assert created.form["To"] == "+447911123456"
    assert created.form["From"] == "+447700900001"
    assert created.form["Body"] == "Hi Grace"
    assert created.form["StatusCallback"] == WEBHOOK_BASE + reverse("outreach:twilio_status")
    assert created.idempotency_key == str(message.idempotency_key)
    message.refresh_from_db()
    assert (message.status, message.provider_id) == (Status.SENT, created.sid)


def test_whatsapp_outside_the_window_sends_the_approved_template(twilio, associate, customer):
    consent(customer, "whatsapp")
    MessageTemplate.objects.filter(key="order-ready").update(whatsapp_content_sid="HX" + "b" * 32)
    message = queue(associate, customer, channel="whatsapp", template_key="order-ready")
    assert services.message_deliver(message_id=message.pk) == "sent"
    [created] = twilio.created
    assert created.form["To"] == "whatsapp:+447911123456"
    assert created.form["From"] == "whatsapp:+447700900002"
    assert created.form["ContentSid"] == "HX" + "b" * 32
    assert created.form["ContentVariables"] == '{"1": "Grace", "2": "Soho"}'
    assert "Body" not in created.form


@pytest.mark.parametrize(("status", "code"), [(429, 20429), (500, 20500), (503, 20503)])
def test_429_and_5xx_are_retried_with_the_same_key_and_sent_once(
    twilio, associate, customer, status, code
):
    consent(customer, "sms")
    message = queue(associate, customer)
    twilio.fail_next(status, code, "Too Many Requests" if status == 429 else "Server error")
    assert services.message_deliver(message_id=message.pk) == "retrying"
    Message.objects.filter(pk=message.pk).update(not_before=message.created_at)
    assert services.message_deliver(message_id=message.pk) == "sent"
    keys = [request["idempotency_key"] for request in twilio.requests]
    assert keys == [str(message.idempotency_key)] * 2
    assert len(twilio.created) == 1


def test_retries_stop_after_the_last_attempt(twilio, outreach_settings, associate, customer):
    outreach_settings.OUTREACH_MAX_ATTEMPTS = 2
    consent(customer, "sms")
    message = queue(associate, customer)
    for _ in range(2):
        twilio.fail_next(500, 20500, "Server error")
    assert services.message_deliver(message_id=message.pk) == "retrying"
    Message.objects.filter(pk=message.pk).update(not_before=message.created_at)
    assert services.message_deliver(message_id=message.pk) == "failed"
    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert "after 2 attempts" in message.error_message


def test_an_invalid_number_at_the_provider_fails_without_retry(twilio, associate, customer):
    consent(customer, "sms")
    message = queue(associate, customer)
    # A number valid by its shape that the provider still refuses (21211).
    twilio.fail_next(400, 21211, "The 'To' number +447911123456 is not a valid phone number.")
    assert services.message_deliver(message_id=message.pk) == "failed"
    message.refresh_from_db()
    assert (message.status, message.error_code) == (Status.FAILED, "21211")
    assert "not a valid phone number" in message.error_message
    assert len(twilio.requests) == 1


def test_21610_unsubscribed_recipient_fails_and_withdraws_consent(twilio, associate, customer):
    consent(customer, "sms", "service")
    consent(customer, "sms", "marketing")
    twilio.unsubscribed.add("+447911123456")
    message = queue(associate, customer)
    assert services.message_deliver(message_id=message.pk) == "failed"
    message.refresh_from_db()
    assert message.error_code == "21610"
    assert not Consent.objects.filter(customer=customer, channel="sms", granted=True).exists()


def test_a_claim_whose_worker_died_is_retried_with_the_same_key(twilio, associate, customer):
    from datetime import timedelta

    from django.utils import timezone

    consent(customer, "sms")
    message = queue(associate, customer)
    assert services.message_claim(message.pk)  # a worker claimed it, then was killed
    assert services.message_deliver(message_id=message.pk) == "not_claimed"
    Message.objects.filter(pk=message.pk).update(claimed_at=timezone.now() - timedelta(hours=1))
    assert services.messages_dispatch_due() == [message.pk]
    assert services.message_deliver(message_id=message.pk) == "sent"
    assert [c.idempotency_key for c in twilio.created] == [str(message.idempotency_key)]


def post_status(params: dict[str, str], *, token: str | None = None, headers=None):
    path = reverse("outreach:twilio_status")
    signature = signed_form(WEBHOOK_BASE + path, params, **({"token": token} if token else {}))
    return Client().post(path, params, headers={**signature, **(headers or {})})


def test_signed_status_callbacks_move_the_message_forward_never_back(twilio, associate, customer):
    consent(customer, "sms")
    message = queue(associate, customer)
    services.message_deliver(message_id=message.pk)
    sid = twilio.created[0].sid
    base = {"MessageSid": sid, "AccountSid": "AC" + "0" * 31 + "1", "From": "+447700900001"}
    assert post_status({**base, "MessageStatus": "delivered"}).status_code == 204
    # Twilio does not promise order: a late "sent" must not undo "delivered".
    assert post_status({**base, "MessageStatus": "sent"}).status_code == 204
    message.refresh_from_db()
    assert message.status == Status.DELIVERED
    assert post_status({**base, "MessageStatus": "read"}).status_code == 204
    message.refresh_from_db()
    assert message.status == Status.READ
    assert list(message.events.values_list("status", flat=True)) == ["delivered", "sent", "read"]


def test_a_retried_callback_is_recorded_once(twilio, associate, customer):
    consent(customer, "sms")
    message = queue(associate, customer)
    services.message_deliver(message_id=message.pk)
    params = {"MessageSid": twilio.created[0].sid, "MessageStatus": "delivered"}
    token = {"I-Twilio-Idempotency-Token": "retry-1"}
    assert post_status(params, headers=token).status_code == 204
    assert post_status(params, headers=token).status_code == 204
    assert MessageEvent.objects.count() == 1


def test_a_failed_delivery_shows_its_error_code(twilio, associate, customer):
    consent(customer, "sms")
    message = queue(associate, customer)
    services.message_deliver(message_id=message.pk)
    post_status(
        {"MessageSid": twilio.created[0].sid, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    )
    message.refresh_from_db()
    assert (message.status, message.error_code) == (Status.UNDELIVERED, "30003")


def test_a_callback_before_the_send_was_recorded_waits_for_it(twilio, associate, customer):
    from frontline.outreach.channels import SendResult

    consent(customer, "sms")
    message = queue(associate, customer)
    services.message_claim(message.pk)
    post_status({"MessageSid": "SM" + "c" * 32, "MessageStatus": "delivered"})
    message.refresh_from_db()
    services.message_sent_record(message, SendResult(provider_id="SM" + "c" * 32))
    message.refresh_from_db()
    assert message.status == Status.DELIVERED


def test_an_unsigned_or_wrongly_signed_callback_is_refused(twilio, associate, customer):
    params = {"MessageSid": "SM" + "d" * 32, "MessageStatus": "delivered"}
    path = reverse("outreach:twilio_status")
    assert Client().post(path, params).status_code == 403
    assert post_status(params, token="another-account-token").status_code == 403
    # Signed for another URL (a replay against another endpoint).
    headers = signed_form(WEBHOOK_BASE + "/elsewhere/", params)
    assert Client().post(path, params, headers=headers).status_code == 403
    assert MessageEvent.objects.count() == 0
    assert not Conversation.objects.exists()
