"""Writing from the profile: the compose page and the API, with the rules' reasons shown."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from frontline.outreach.models import Message, Status
from frontline.privacy.models import PersonalDataAccess
from tests.outreach.conftest import consent

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(associate):
    client = Client()
    client.force_login(associate)
    return client


def test_the_page_offers_only_consented_channels(outreach_settings, client_for, customer):
    consent(customer, "sms")
    html = client_for.get(reverse("outreach:compose", args=[customer.pk])).content.decode()
    assert 'value="sms"  checked' in html or 'value="sms" checked' in html.replace("  ", " ")
    assert "E-mail — no consent" in html
    assert "WhatsApp — no consent" in html
    assert PersonalDataAccess.objects.filter(customer=customer, detail="outreach: compose").exists()


def test_a_template_fills_the_form_without_javascript(outreach_settings, client_for, customer):
    consent(customer, "email")
    url = reverse("outreach:compose", args=[customer.pk]) + "?template=thank-you"
    html = client_for.get(url).content.decode()
    assert "Thank you for visiting {{ store_name }}" in html


def test_preview_shows_the_message_as_sent_under_htmx(outreach_settings, client_for, customer):
    consent(customer, "sms")
    response = client_for.post(
        reverse("outreach:compose", args=[customer.pk]),
        {
            "channel": "sms",
            "purpose": "service",
            "body": "Hi {{ first_name }}",
            "action": "preview",
        },
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Hi Grace" in html and "<html" not in html
    assert not Message.objects.exists()


def test_send_queues_and_returns_to_the_profile(outreach_settings, client_for, customer):
    consent(customer, "sms")
    response = client_for.post(
        reverse("outreach:compose", args=[customer.pk]),
        {"channel": "sms", "purpose": "service", "body": "Hi {{ first_name }}", "action": "send"},
    )
    assert response.status_code == 302
    assert Message.objects.get().status == Status.QUEUED


def test_a_refusal_is_shown_on_the_field_and_the_text_is_kept(
    outreach_settings, client_for, customer
):
    response = client_for.post(
        reverse("outreach:compose", args=[customer.pk]),
        {
            "channel": "sms",
            "purpose": "marketing",
            "body": "My long careful text",
            "action": "send",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "has not agreed to marketing by SMS" in html
    assert "My long careful text" in html
    assert not Message.objects.exists()


def test_the_thread_shows_on_the_profile_panel_and_its_read_is_audited(
    outreach_settings, client_for, customer, associate
):
    Message.objects.create(
        customer=customer,
        channel="sms",
        direction="inbound",
        status="received",
        body="Is the coat back in stock?",
        to_address="+447700900001",
    )
    url = reverse("customers:panel", args=[customer.pk, "messages"])
    html = client_for.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "Is the coat back in stock?" in html
    assert PersonalDataAccess.objects.filter(
        staff=associate, customer=customer, detail="outreach: messages"
    ).exists()


def test_a_message_frontline_sent_by_itself_shows_in_the_thread(
    outreach_settings, client_for, customer
):
    # Surveys and campaign sends have no staff author: the thread names Frontline instead of
    # failing on the missing author (a filter argument that does not resolve raises).
    Message.objects.create(
        customer=customer,
        channel="sms",
        direction="outbound",
        status="sent",
        body="How was your visit?",
        to_address="+447700900001",
    )
    url = reverse("customers:panel", args=[customer.pk, "messages"])
    response = client_for.get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "How was your visit?" in response.content.decode()
    assert "Frontline" in response.content.decode()


# --- API ----------------------------------------------------------------------------------


@pytest.fixture
def api(associate):
    client = APIClient()
    client.force_authenticate(associate)
    return client


def test_api_send_schedule_and_cancel(outreach_settings, api, customer):
    consent(customer, "email")
    url = reverse("api:outreach:messages", args=[customer.pk])
    later = (timezone.now() + timedelta(days=2)).isoformat()
    created = api.post(
        url,
        {
            "channel": "email",
            "purpose": "service",
            "subject": "Hello",
            "body": "Hi {{ first_name }}",
            "send_at": later,
        },
    )
    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "scheduled"
    listed = api.get(url).json()
    assert listed["count"] == 1
    cancel = reverse("api:outreach:cancel", args=[created.json()["id"]])
    assert api.post(cancel).json()["status"] == "cancelled"
    again = api.post(cancel)
    assert again.status_code == 400 and again.json()["code"] == "not_cancellable"


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"channel": "sms", "body": "Hi"}, "no_consent", "channel"),
        ({"channel": "email", "body": "", "subject": "Hi"}, "empty", "body"),
        (
            {"channel": "email", "body": "Hi {{ shoe_size }}", "subject": "Hi"},
            "unknown_variable",
            "body",
        ),
    ],
)
def test_api_refusals_name_the_rule_and_the_field(
    outreach_settings, api, customer, fields, code, field
):
    consent(customer, "email")
    response = api.post(
        reverse("api:outreach:messages", args=[customer.pk]), {"purpose": "service", **fields}
    )
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert field in response.json()["errors"]
    assert not Message.objects.exists()


def test_api_preview_and_channels(outreach_settings, api, customer):
    consent(customer, "whatsapp", "marketing")
    channels = api.get(reverse("api:outreach:channels", args=[customer.pk])).json()
    assert {c["channel"]: c["purposes"] for c in channels}["whatsapp"] == ["marketing"]
    preview = api.post(
        reverse("api:outreach:preview", args=[customer.pk]),
        {"channel": "whatsapp", "purpose": "marketing", "body": "Hi"},
    )
    assert preview.status_code == 400 and preview.json()["code"] == "whatsapp_window"


def test_api_message_detail_shows_delivery_events(outreach_settings, api, customer):
    from frontline.outreach.services import delivery_status_record

    message = Message.objects.create(
        customer=customer,
        channel="sms",
        direction="outbound",
        status="sent",
        body="Hi",
        to_address=customer.phone,
        provider_id="SM" + "e" * 32,
    )
    delivery_status_record(provider_id="SM" + "e" * 32, provider_status="delivered")
    detail = api.get(reverse("api:outreach:message", args=[message.pk])).json()
    assert detail["status"] == "delivered"
    assert [event["status"] for event in detail["events"]] == ["delivered"]


def test_staff_are_not_offered_the_surveys_template(outreach_settings, api, client_for, customer):
    """The survey's template speaks of a link only the survey fills in (surveys.services):
    written by hand, it would promise the customer a link that never comes."""
    consent(customer, "email")
    listed = {t["key"] for t in api.get(reverse("api:outreach:templates")).json()}
    assert "thank-you" in listed and "nps-survey" not in listed
    page = client_for.get(reverse("outreach:compose", args=[customer.pk])).content.decode()
    assert "thank-you" in page and "nps-survey" not in page

    response = api.post(
        reverse("api:outreach:messages", args=[customer.pk]),
        {
            "channel": "email",
            "purpose": "service",
            "subject": "Hi",
            "body": "Hi {{ first_name }}",
            "template": "nps-survey",
        },
    )
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_template"
    assert "template" in response.json()["errors"]
    assert not Message.objects.exists()
