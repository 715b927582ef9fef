"""The rules refuse a message with a clear reason, and then nothing is queued or sent."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from frontline.outreach import services
from frontline.outreach.models import Conversation, Message, MessageTemplate, Status
from frontline.outreach.rules import Refusal, customer_time_zone
from tests.factories import CustomerFactory
from tests.outreach.conftest import consent

pytestmark = pytest.mark.django_db


def send(associate, customer, **fields):
    arguments = {"channel": "sms", "purpose": "service", "body": "Hello {{ first_name }}"}
    arguments.update(fields)
    return services.message_send(by=associate, customer_id=customer.pk, **arguments)


def refusal_of(associate, customer, **fields) -> Refusal:
    with pytest.raises(Refusal) as refused:
        send(associate, customer, **fields)
    assert not Message.objects.exists(), "a refused message must not be queued"
    return refused.value


def test_a_consented_message_is_queued_with_its_variables_filled(
    outreach_settings, associate, customer
):
    consent(customer, "sms")
    message = send(associate, customer)
    assert message.status == Status.QUEUED
    assert message.body == "Hello Grace"
    assert message.to_address == "+447911123456"
    assert message.idempotency_key


def test_no_consent_on_the_channel_is_refused(outreach_settings, associate, customer):
    consent(customer, "email")
    assert refusal_of(associate, customer).code == "no_consent"


def test_consent_for_service_is_not_consent_for_marketing(outreach_settings, associate, customer):
    consent(customer, "sms", "service")
    refusal = refusal_of(associate, customer, purpose="marketing")
    assert refusal.code == "no_consent"
    assert "marketing" in refusal.message.lower()


def test_a_withdrawn_consent_is_no_consent(outreach_settings, associate, customer):
    consent(customer, "sms", granted=False)
    assert refusal_of(associate, customer).code == "no_consent"


@pytest.mark.parametrize(
    ("body", "code"),
    [("", "empty"), ("   \n ", "empty"), ("x" * 1601, "too_long")],
)
def test_empty_or_oversized_messages_are_refused(
    outreach_settings, associate, customer, body, code
):
    consent(customer, "sms")
    assert refusal_of(associate, customer, body=body).code == code


def test_an_unknown_variable_is_refused_naming_it(outreach_settings, associate, customer):
    consent(customer, "sms")
    refusal = refusal_of(associate, customer, body="Hi {{ nickname }}, see you")
    assert refusal.code == "unknown_variable"
    assert "{{ nickname }}" in refusal.message
    assert "{{ first_name }}" in refusal.message


def test_an_invalid_phone_number_is_refused(outreach_settings, associate, store):
    customer = CustomerFactory(phone="+4412", preferred_store=store)
    consent(customer, "sms")
    assert refusal_of(associate, customer).code == "invalid_phone"


def test_an_email_needs_a_subject_and_an_address(outreach_settings, associate, store):
    customer = CustomerFactory(email="", preferred_store=store)
    consent(customer, "email")
    assert refusal_of(associate, customer, channel="email").code == "no_address"


def test_quiet_hours_are_the_customers_own(outreach_settings, associate, store):
    outreach_settings.OUTREACH_QUIET_HOURS = "21:00-09:00"
    # A New York number for a customer of a London store: their evening, not London's.
    customer = CustomerFactory(phone="+12125550123", preferred_store=store)
    consent(customer, "sms")
    assert customer_time_zone(customer) == ZoneInfo("America/New_York")
    ten_pm_in_new_york = datetime(2026, 12, 8, 22, 0, tzinfo=ZoneInfo("America/New_York"))
    refusal = refusal_of(associate, customer, send_at=ten_pm_in_new_york)
    assert refusal.code == "quiet_hours"
    assert "America/New_York" in refusal.message
    noon_in_new_york = datetime(2026, 12, 8, 12, 0, tzinfo=ZoneInfo("America/New_York"))
    assert send(associate, customer, send_at=noon_in_new_york).status == Status.SCHEDULED


def test_quiet_hours_do_not_hold_back_email(outreach_settings, associate, customer):
    outreach_settings.OUTREACH_QUIET_HOURS = "21:00-09:00"
    consent(customer, "email")
    night = datetime(2026, 12, 8, 23, 0, tzinfo=ZoneInfo("Europe/London"))
    message = send(associate, customer, channel="email", subject="Hi", send_at=night)
    assert message.status == Status.SCHEDULED


def test_whatsapp_outside_the_window_needs_an_approved_template(
    outreach_settings, associate, customer
):
    consent(customer, "whatsapp")
    assert refusal_of(associate, customer, channel="whatsapp").code == "whatsapp_window"
    MessageTemplate.objects.filter(key="thank-you").update(whatsapp_content_sid="HX" + "a" * 32)
    message = send(associate, customer, channel="whatsapp", template_key="thank-you")
    assert message.content_sid == "HX" + "a" * 32
    assert message.content_variables == {"1": "Grace", "2": "Soho"}


def test_whatsapp_free_text_within_24_hours_of_the_customers_message(
    outreach_settings, associate, customer
):
    consent(customer, "whatsapp")
    Conversation.objects.create(
        customer=customer,
        channel="whatsapp",
        last_inbound_at=timezone.now() - timedelta(hours=23),
    )
    message = send(associate, customer, channel="whatsapp")
    assert message.content_sid == ""
    assert message.body == "Hello Grace"


def test_frequency_caps(outreach_settings, associate, customer):
    outreach_settings.OUTREACH_MESSAGES_PER_DAY = 2
    outreach_settings.OUTREACH_MARKETING_PER_WEEK = 1
    consent(customer, "sms", "service")
    consent(customer, "sms", "marketing")
    send(associate, customer, purpose="marketing")
    with pytest.raises(Refusal) as refused:
        send(associate, customer, purpose="marketing")
    assert refused.value.code == "frequency_cap"
    send(associate, customer)
    with pytest.raises(Refusal) as refused:
        send(associate, customer)
    assert refused.value.code == "frequency_cap"
    assert Message.objects.count() == 2


def test_another_stores_customer_is_not_found(outreach_settings, associate):
    from django.http import Http404

    stranger = CustomerFactory()
    consent(stranger, "sms")
    with pytest.raises(Http404):
        send(associate, stranger)
