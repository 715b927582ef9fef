"""Writing to a customer from a follow-up or a recommended action: the compose page opens
ready for it, and sending records what was done there in the same transaction."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from frontline.actions.models import ActionOutcome, ActionSuggestion
from frontline.customers.models import Interaction
from frontline.followups.models import FollowUp
from frontline.outreach import services
from frontline.outreach.models import Conversation, Message, Status
from frontline.outreach.rules import Refusal
from tests.factories import ActionSuggestionFactory, CustomerFactory, FollowUpFactory
from tests.outreach.conftest import consent

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(associate):
    client = Client()
    client.force_login(associate)
    return client


@pytest.fixture
def followup(customer, associate, store):
    return FollowUpFactory(customer=customer, assignee=associate, store=store, reason="check_in")


def compose_url(customer, **query: object) -> str:
    url = reverse("outreach:compose", args=[customer.pk])
    return url + "?" + "&".join(f"{key}={value}" for key, value in query.items())


def test_the_followup_card_links_to_compose_for_it(outreach_settings, client_for, followup):
    html = client_for.get(reverse("followups:detail", args=[followup.pk])).content.decode()
    assert compose_url(followup.customer, followup=followup.pk) in html
    assert "Message the customer" in html


def test_compose_opens_with_the_followups_template_purpose_and_channel(
    outreach_settings, client_for, customer, followup
):
    # E-mail is the least intrusive, but the customer last wrote to us on WhatsApp.
    for channel in ("email", "whatsapp"):
        consent(customer, channel, "marketing")
    Conversation.objects.create(
        customer=customer, channel="whatsapp", last_inbound_at=timezone.now()
    )
    html = client_for.get(compose_url(customer, followup=followup.pk)).content.decode()
    assert "It has been a while, {{ first_name }}" in html  # the check-in template
    assert '<option value="marketing" selected>' in html
    assert 'value="whatsapp"  checked' in html
    assert f'name="followup" value="{followup.pk}"' in html
    assert "sending marks it done" in html


def test_sending_for_a_followup_marks_it_done_in_the_same_call(
    outreach_settings, client_for, customer, followup
):
    consent(customer, "email", "marketing")
    response = client_for.post(
        reverse("outreach:compose", args=[customer.pk]),
        {
            "channel": "email",
            "purpose": "marketing",
            "subject": "Hello",
            "body": "Hi {{ first_name }}",
            "followup": followup.pk,
            "action": "send",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("followups:detail", args=[followup.pk])
    followup.refresh_from_db()
    assert (followup.status, followup.outcome) == ("done", "left_message")
    assert Message.objects.get().status == Status.QUEUED
    note = Interaction.objects.get(customer=customer, kind="note")
    assert note.channel == "email" and "Message sent by E-mail" in note.summary


def test_a_refused_message_leaves_the_followup_open(outreach_settings, customer, followup):
    # No consent: nothing is sent, and the follow-up is still to do.
    with pytest.raises(Refusal):
        services.message_send(
            by=followup.assignee,
            customer_id=customer.pk,
            channel="sms",
            purpose="service",
            body="Hi",
            followup_id=followup.pk,
        )
    followup.refresh_from_db()
    assert followup.status == "open"
    assert not Message.objects.exists()


def test_a_followup_already_done_refuses_the_message_and_keeps_the_text(
    outreach_settings, client_for, customer, followup
):
    consent(customer, "sms")
    FollowUp.objects.filter(pk=followup.pk).update(status="done", outcome="reached")
    response = client_for.post(
        reverse("outreach:compose", args=[customer.pk]),
        {
            "channel": "sms",
            "purpose": "service",
            "body": "My careful words",
            "followup": followup.pk,
            "action": "send",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "already done" in html and "My careful words" in html
    assert not Message.objects.exists()


def test_another_customers_followup_is_refused_not_completed(
    outreach_settings, customer, associate, store, followup
):
    other = CustomerFactory(preferred_store=store, phone="+447911123457")
    consent(other, "sms")
    with pytest.raises(Refusal) as refused:
        services.message_send(
            by=associate,
            customer_id=other.pk,
            channel="sms",
            purpose="service",
            body="Hi",
            followup_id=followup.pk,
        )
    assert refused.value.code == "followup_not_open"
    followup.refresh_from_db()
    assert followup.status == "open"


def test_a_colleagues_followup_cannot_be_marked_done_by_writing(
    outreach_settings, customer, store, followup
):
    from tests.factories import staff_at

    colleague = staff_at(store)
    consent(customer, "sms")
    with pytest.raises(Refusal) as refused:
        services.message_send(
            by=colleague,
            customer_id=customer.pk,
            channel="sms",
            purpose="service",
            body="Hi",
            followup_id=followup.pk,
        )
    assert refused.value.code == "followup_not_open"
    assert not Message.objects.exists()


def test_opening_compose_for_a_followup_of_another_customer_is_404(
    outreach_settings, client_for, store, followup
):
    other = CustomerFactory(preferred_store=store)
    assert client_for.get(compose_url(other, followup=followup.pk)).status_code == 404


# --- Recommended actions --------------------------------------------------------------------


@pytest.fixture
def suggestion(customer):
    return ActionSuggestionFactory(customer=customer, rule="birthday_soon", channel="sms")


def test_the_actions_panel_links_to_compose_for_a_contact_suggestion(
    outreach_settings, client_for, customer, suggestion
):
    # The panel holds contact suggestions back in quiet hours; the suite runs at any hour.
    outreach_settings.ACTIONS = {"quiet_hours_start": 0, "quiet_hours_end": 0}
    url = reverse("actions:customer_panel", args=[customer.pk])
    html = client_for.get(url).content.decode()
    assert compose_url(customer, suggestion=suggestion.pk) in html


def test_compose_opens_with_the_actions_template_and_suggested_channel(
    outreach_settings, client_for, customer, suggestion
):
    for channel in ("email", "sms"):
        consent(customer, channel, "marketing")
    html = client_for.get(compose_url(customer, suggestion=suggestion.pk)).content.decode()
    assert "A special day coming up, {{ first_name }}" in html  # the occasion template
    assert 'value="sms"  checked' in html
    assert "sending accepts it" in html


def test_sending_for_a_suggestion_accepts_it_and_completes_its_followup(
    outreach_settings, customer, associate, suggestion
):
    consent(customer, "sms", "marketing")
    message = services.message_send(
        by=associate,
        customer_id=customer.pk,
        channel="sms",
        purpose="marketing",
        body="Happy birthday soon, {{ first_name }}",
        suggestion_id=suggestion.pk,
    )
    assert message.status == Status.QUEUED
    assert not ActionSuggestion.objects.filter(pk=suggestion.pk).exists()
    outcome = ActionOutcome.objects.get(customer=customer)
    assert outcome.kind == "accepted" and "Message sent by SMS" in outcome.note
    # Accepting plans a follow-up for today; the message is its work, so it is done.
    planned = FollowUp.objects.get(customer=customer)
    assert (planned.status, planned.outcome, planned.assignee) == (
        "done",
        "left_message",
        associate,
    )


def test_a_suggestion_handled_meanwhile_refuses_the_message(
    outreach_settings, customer, associate, suggestion
):
    consent(customer, "sms", "marketing")
    handled = suggestion.pk
    suggestion.delete()
    with pytest.raises(Refusal) as refused:
        services.message_send(
            by=associate,
            customer_id=customer.pk,
            channel="sms",
            purpose="marketing",
            body="Hi",
            suggestion_id=handled,
        )
    assert refused.value.code == "action_handled"
    assert not Message.objects.exists()


def test_the_api_sends_for_a_suggestion(outreach_settings, associate, customer, suggestion):
    consent(customer, "sms", "marketing")
    api = APIClient()
    api.force_authenticate(associate)
    url = reverse("api:outreach:messages", args=[customer.pk])
    fields = {"channel": "sms", "purpose": "marketing", "body": "Hi", "suggestion": suggestion.pk}
    assert api.post(url, fields).status_code == 201
    again = api.post(url, fields)
    assert again.status_code == 400 and again.json()["code"] == "action_handled"
    assert Message.objects.count() == 1
