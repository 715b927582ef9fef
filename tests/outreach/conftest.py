from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer

from frontline.customers.models import Consent
from frontline.staff.models import StaffRole
from tests.factories import CustomerFactory, StoreFactory, staff_at
from tests.outreach.standins import ACCOUNT_SID, AUTH_TOKEN, SmtpSink, TwilioStandIn

WEBHOOK_BASE = "https://frontline.example.com"


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    return ("127.0.0.1", 0)


@pytest.fixture
def outreach_settings(settings):
    settings.OUTREACH_WEBHOOK_BASE_URL = WEBHOOK_BASE
    settings.OUTREACH_REPLY_DOMAIN = "reply.example.com"
    settings.OUTREACH_INBOUND_EMAIL_SECRET = "relay-secret"
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_SMS_FROM = "+447700900001"
    settings.TWILIO_WHATSAPP_FROM = "+447700900002"
    # Quiet hours off unless a test is about them: the suite runs at any hour.
    settings.OUTREACH_QUIET_HOURS = "00:00-00:00"
    settings.OUTREACH_MESSAGES_PER_DAY = 10
    settings.RATELIMIT_ENABLE = False
    return settings


@pytest.fixture
def smtp(outreach_settings) -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    outreach_settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    outreach_settings.EMAIL_HOST = "127.0.0.1"
    outreach_settings.EMAIL_PORT = sink.port
    outreach_settings.EMAIL_USE_TLS = False
    outreach_settings.EMAIL_USE_SSL = False
    outreach_settings.EMAIL_HOST_USER = ""
    outreach_settings.EMAIL_HOST_PASSWORD = ""
    yield sink
    sink.stop()


@pytest.fixture
def twilio(outreach_settings, httpserver: HTTPServer) -> TwilioStandIn:
    stand_in = TwilioStandIn(httpserver).start()
    outreach_settings.OUTREACH_SMS_BACKEND = "twilio"
    outreach_settings.TWILIO_API_URL = stand_in.base_url
    return stand_in


@pytest.fixture
def store(db):
    return StoreFactory(code="outreach-soho", name="Soho", time_zone="Europe/London")


@pytest.fixture
def associate(store):
    return staff_at(store, StaffRole.ASSOCIATE, first_name="Ana", last_name="Silva")


@pytest.fixture
def customer(store, associate):
    # A UK mobile: London and the Crown dependencies share its zones; the store says London.
    return CustomerFactory(
        first_name="Grace",
        last_name="Hopper",
        email="grace@example.com",
        phone="+447911123456",
        preferred_store=store,
        preferred_associate=associate,
    )


def consent(customer, channel: str, purpose: str = "service", granted: bool = True) -> Consent:
    from django.utils import timezone

    found, _ = Consent.objects.update_or_create(
        customer=customer,
        channel=channel,
        purpose=purpose,
        defaults={"granted": granted, "recorded_at": timezone.now()},
    )
    return found
