"""The outreach stand-ins (Twilio-shaped HTTP server, settings, a customer with a UK mobile),
for surveys that go by SMS or WhatsApp."""

from tests.outreach.conftest import (  # noqa: F401 - fixtures used by the surveys' tests
    associate,
    customer,
    httpserver_listen_address,
    outreach_settings,
    store,
    twilio,
)
