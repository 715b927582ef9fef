"""A customer who agreed to service messages by SMS or WhatsApp, not by e-mail, gets the survey
there: through the outreach outbox and its rules, sent by the Twilio-shaped stand-in over real
HTTP, once per survey, never during their quiet hours."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from frontline.customers.models import Interaction
from frontline.outreach import services as outreach
from frontline.outreach.models import Conversation, Message, MessageTemplate, Status
from frontline.outreach.rules import customer_time_zone
from frontline.surveys.models import Survey
from frontline.surveys.services import (
    SURVEY_WHATSAPP_TEMPLATE,
    survey_answer,
    survey_outreach_key,
    surveys_after_purchases,
)
from tests.appointments.factories import BookingFactory, StylistFactory
from tests.factories import OrderFactory
from tests.outreach.conftest import consent

pytestmark = pytest.mark.django_db


def sale_by(customer, store, *, hours_ago: int = 25):
    return OrderFactory(
        customer=customer, store=store, placed_at=timezone.now() - timedelta(hours=hours_ago)
    )


def ask(capture) -> int:
    """The hourly job, with what it hands over after commit run as the worker would."""
    with capture(execute=True):
        return surveys_after_purchases()


def test_without_email_consent_the_survey_goes_by_sms_once_and_can_be_answered(
    twilio, customer, store, tasks_run, django_capture_on_commit_callbacks
):
    consent(customer, "sms")
    consent(customer, "email", granted=False)
    order = sale_by(customer, store)

    assert ask(django_capture_on_commit_callbacks) == 1
    assert ask(django_capture_on_commit_callbacks) == 0  # one survey per sale

    survey = Survey.objects.get(about_key=f"order:{order.pk}")
    assert (survey.channel, survey.email) == ("sms", "")
    assert survey.sent_at is not None
    message = Message.objects.get()
    assert message.idempotency_key == survey_outreach_key(survey)
    assert (message.purpose, message.status) == ("service", Status.SENT)
    assert "frontline.outreach.tasks.deliver_message_task" in tasks_run
    assert mail.outbox == []
    [sent] = twilio.created
    assert sent.form["To"] == customer.phone
    assert sent.idempotency_key == str(survey_outreach_key(survey))
    assert store.name in sent.form["Body"]
    link = re.search(r"https?://\S+/survey/\S+/", sent.form["Body"])[0]  # type: ignore[index]
    page = Client().get(link.split("8000", 1)[-1])
    assert page.status_code == 200

    survey_answer(
        survey=survey,
        score=3,
        comment="Awful service, the hem came undone the first day. Very disappointed.",
    )
    entry = Interaction.objects.get(external_id=f"survey:{survey.pk}")
    assert (entry.channel, entry.sentiment) == ("sms", "negative")


def test_email_consent_comes_first(
    twilio, customer, store, tasks_run, django_capture_on_commit_callbacks
):
    consent(customer, "email")
    consent(customer, "sms")
    sale_by(customer, store)

    assert ask(django_capture_on_commit_callbacks) == 1

    assert Survey.objects.get().channel == "email"
    assert [message.to for message in mail.outbox] == [[customer.email]]
    assert Message.objects.count() == 0 and twilio.requests == []


def test_queueing_the_same_survey_again_returns_its_one_message(
    twilio, customer, store, tasks_run, django_capture_on_commit_callbacks
):
    consent(customer, "sms")
    sale_by(customer, store)
    ask(django_capture_on_commit_callbacks)
    survey = Survey.objects.get()

    again = outreach.service_message_queue(
        customer=customer,
        channel="sms",
        body="How likely… (asked twice by a retried job)",
        idempotency_key=survey_outreach_key(survey),
    )

    assert again == Message.objects.get()
    assert len(twilio.created) == 1


def test_during_quiet_hours_the_sms_waits_for_the_morning(
    twilio, outreach_settings, customer, store, django_capture_on_commit_callbacks
):
    consent(customer, "sms")
    sale_by(customer, store)
    local = timezone.now().astimezone(customer_time_zone(customer))
    outreach_settings.OUTREACH_QUIET_HOURS = (
        f"{(local - timedelta(minutes=1)):%H:%M}-{(local + timedelta(hours=1)):%H:%M}"
    )

    assert ask(django_capture_on_commit_callbacks) == 1

    message = Message.objects.get()
    assert message.status == Status.SCHEDULED
    assert message.not_before > timezone.now() + timedelta(minutes=55)
    assert twilio.requests == []
    assert outreach.messages_dispatch_due() == []


def test_the_quiet_period_holds_across_channels(
    twilio, customer, store, tasks_run, django_capture_on_commit_callbacks
):
    consent(customer, "sms")
    sale_by(customer, store)
    assert ask(django_capture_on_commit_callbacks) == 1
    sale_by(customer, store, hours_ago=24 * 2)  # another purchase, asked within 30 days

    assert ask(django_capture_on_commit_callbacks) == 0
    assert Survey.objects.count() == 1 and len(twilio.created) == 1


def test_whatsapp_inside_the_customers_window_goes_as_written(
    twilio, customer, store, tasks_run, django_capture_on_commit_callbacks
):
    consent(customer, "whatsapp")
    order = sale_by(customer, store)
    Conversation.objects.create(
        customer=customer, channel="whatsapp", last_inbound_at=timezone.now() - timedelta(hours=2)
    )

    assert ask(django_capture_on_commit_callbacks) == 1

    assert Survey.objects.get(about_key=f"order:{order.pk}").channel == "whatsapp"
    [sent] = twilio.created
    assert sent.form["To"] == f"whatsapp:{customer.phone}"
    assert "/survey/" in sent.form["Body"] and "ContentSid" not in sent.form


def test_whatsapp_outside_the_window_waits_for_an_approved_template(
    twilio, customer, store, tasks_run, django_capture_on_commit_callbacks
):
    consent(customer, "whatsapp")
    sale_by(customer, store)

    # Outside WhatsApp's 24-hour window a business may open only with an approved template;
    # while the survey's template has no ContentSid, outreach refuses, no survey is recorded,
    # and the next run may ask again.
    assert ask(django_capture_on_commit_callbacks) == 0
    assert Survey.objects.count() == 0 and twilio.requests == []


def test_whatsapp_outside_the_window_goes_as_the_approved_template(
    twilio, customer, store, tasks_run, django_capture_on_commit_callbacks
):
    approved = "HX" + "5" * 32
    MessageTemplate.objects.filter(key=SURVEY_WHATSAPP_TEMPLATE).update(
        whatsapp_content_sid=approved
    )
    # The account's approved Content template, as the brand submitted it (outreach 0006).
    twilio.contents = {
        approved: "Hello {{1}}, how likely are you to recommend {{2}} to a friend? {{3}}"
    }
    consent(customer, "whatsapp")
    order = sale_by(customer, store)
    Conversation.objects.create(
        customer=customer, channel="whatsapp", last_inbound_at=timezone.now() - timedelta(days=3)
    )

    assert ask(django_capture_on_commit_callbacks) == 1

    survey = Survey.objects.get(about_key=f"order:{order.pk}")
    [sent] = twilio.created
    assert sent.form["To"] == f"whatsapp:{customer.phone}"
    assert sent.form["ContentSid"] == approved and "Body" not in sent.form
    read = twilio.content_text(sent)
    assert read.startswith(
        f"Hello {customer.first_name}, how likely are you to recommend {store.name}"
    )
    link = re.search(r"https?://\S+/survey/\S+/", read)[0]  # type: ignore[index]
    assert Client().get(link.split("8000", 1)[-1]).status_code == 200
    message = Message.objects.get()
    assert (message.status, message.template.key) == (Status.SENT, SURVEY_WHATSAPP_TEMPLATE)
    # The thread keeps what the customer was asked, with the link, as for every channel.
    assert "/survey/" in message.body and survey.sent_at is not None


def test_no_service_consent_on_any_channel_means_no_survey(
    twilio, customer, store, tasks_run, django_capture_on_commit_callbacks
):
    consent(customer, "sms", purpose="marketing")
    consent(customer, "email", granted=False)
    sale_by(customer, store)

    assert ask(django_capture_on_commit_callbacks) == 0
    assert Survey.objects.count() == 0 and twilio.requests == []


def test_after_a_styling_session_the_question_goes_by_sms_and_counts_for_the_stylist(
    twilio, customer, store, client, tasks_run, django_capture_on_commit_callbacks
):
    consent(customer, "sms")
    stylist = StylistFactory(store=store)
    booking = BookingFactory(
        customer=customer, stylist=stylist, starts_at=timezone.now() - timedelta(hours=1)
    )
    client.force_login(stylist.user)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("appointments:outcome", args=[booking.pk]), {"outcome": "purchased"})

    survey = Survey.objects.get(about_key=f"booking:{booking.pk}")
    assert (survey.channel, survey.associate) == ("sms", stylist.user)
    [sent] = twilio.created
    assert sent.form["To"] == customer.phone and "/survey/" in sent.form["Body"]
