"""Customers' replies the associate has not read, on their day: latest per customer, counted,
linking to the thread; read once the associate opens the thread or writes on it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from frontline.outreach import services
from frontline.outreach.models import Conversation
from frontline.outreach.selectors import unread_replies
from frontline.privacy.models import AccessAction, PersonalDataAccess
from frontline.privacy.selectors import accesses_to_customer
from tests.factories import CustomerFactory, staff_at
from tests.outreach.conftest import consent

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(associate):
    client = Client()
    client.force_login(associate)
    return client


def reply(customer, body: str, *, channel: str = "sms", n: int = 0):
    address = customer.email if channel == "email" else customer.phone
    return services.inbound_message_receive(
        channel=channel,
        from_address=address,
        to_address="+447700900001",
        body=body,
        provider_id=f"SM{customer.pk:08d}{channel}{n}{body[:6]}",
    )


def test_an_unread_reply_shows_on_my_day_and_links_to_the_thread(
    outreach_settings, client_for, customer
):
    reply(customer, "Is the navy coat back in my size?")
    html = client_for.get("/").content.decode()
    assert 'id="replies-title"' in html
    assert "Is the navy coat back in my size?" in html
    assert reverse("customers:panel", args=[customer.pk, "messages"]) in html
    assert html.index('id="replies-title"') < html.index('id="overdue-title"')


def test_replies_on_two_channels_show_once_with_the_latest_and_the_count(
    outreach_settings, associate, customer
):
    reply(customer, "First, by SMS")
    reply(customer, "Then by e-mail", channel="email")
    reply(customer, "And SMS again", n=1)
    other = CustomerFactory(
        preferred_store=customer.preferred_store,
        preferred_associate=associate,
        phone="+447911123499",
    )
    reply(other, "Hello from Ada")
    found = unread_replies(user=associate)
    assert found.total == 4
    assert [thread.customer for thread in found.threads] == [other, customer]
    ours = found.threads[1]
    assert ours.count == 3 and ours.latest == "And SMS again"
    assert sorted(ours.channels) == ["E-mail", "SMS"]


def test_opening_the_thread_marks_it_read(outreach_settings, client_for, customer):
    reply(customer, "Any news?")
    client_for.get(reverse("customers:panel", args=[customer.pk, "messages"]), HTTP_HX_REQUEST="1")
    assert 'id="replies-title"' not in client_for.get("/").content.decode()


def test_a_colleague_reading_the_profile_leaves_it_unread(
    outreach_settings, associate, customer, store
):
    reply(customer, "Any news?")
    colleague = Client()
    colleague.force_login(staff_at(store))
    colleague.get(reverse("customers:panel", args=[customer.pk, "messages"]), HTTP_HX_REQUEST="1")
    assert unread_replies(user=associate).total == 1


def test_writing_back_marks_it_read(outreach_settings, associate, customer):
    consent(customer, "sms")
    reply(customer, "Any news?")
    services.message_send(
        by=associate, customer_id=customer.pk, channel="sms", purpose="service", body="Yes!"
    )
    assert unread_replies(user=associate).total == 0


def test_stop_is_not_a_reply_to_read(outreach_settings, associate, customer):
    consent(customer, "sms")
    reply(customer, "STOP")
    assert unread_replies(user=associate).threads == []


def test_the_thread_is_for_whoever_wrote_last(outreach_settings, associate, customer, store):
    colleague = staff_at(store)
    consent(customer, "sms")
    services.message_send(
        by=colleague, customer_id=customer.pk, channel="sms", purpose="service", body="Hi"
    )
    reply(customer, "Thanks!")
    assert unread_replies(user=associate).total == 0
    assert unread_replies(user=colleague).total == 1


def test_a_customer_moved_to_another_store_leaves_the_list(outreach_settings, associate, customer):
    from tests.factories import StoreFactory

    reply(customer, "Any news?")
    customer.preferred_store = StoreFactory()
    customer.save()
    assert unread_replies(user=associate).threads == []


def test_my_day_reads_the_replies_in_one_query_however_many(
    outreach_settings, client_for, associate, customer
):
    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            assert client_for.get("/").status_code == 200
        sql = [query["sql"] for query in captured.captured_queries]
        return len(sql), sum("outreach_" in statement for statement in sql)

    reply(customer, "One")
    few = queries()
    for n in range(12):
        person = CustomerFactory(
            preferred_store=customer.preferred_store,
            preferred_associate=associate,
            phone=f"+4479111235{n:02d}",
        )
        reply(person, f"Reply {n}")
        reply(person, f"Again {n}", n=1)
    many = queries()
    assert many == few
    assert few[1] == 1
    assert Conversation.objects.filter(unread_count__gt=0).count() == 13


def test_the_replies_shown_are_on_the_audit_trail_in_one_insert(
    outreach_settings, client_for, associate, customer
):
    def audited_get() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert client_for.get("/").status_code == 200
        return [
            query["sql"]
            for query in captured.captured_queries
            if query["sql"].startswith("INSERT") and "privacy_personaldataaccess" in query["sql"]
        ]

    assert audited_get() == []  # nothing unread, nothing shown: no statement at all
    assert not PersonalDataAccess.objects.filter(action=AccessAction.TIMELINE_READ).exists()
    reply(customer, "Is the navy coat back?")
    people = [customer]
    for n in range(4):
        person = CustomerFactory(
            preferred_store=customer.preferred_store,
            preferred_associate=associate,
            phone=f"+4479111236{n:02d}",
        )
        reply(person, f"Reply {n}")
        reply(person, f"Again {n}", channel="email")  # two threads, one customer, one row
        people.append(person)
    assert len(audited_get()) == 1
    rows = PersonalDataAccess.objects.filter(staff=associate).exclude(action=AccessAction.SIGNED_IN)
    assert sorted(row.customer_id for row in rows) == sorted(person.pk for person in people)
    assert {(row.action, row.detail) for row in rows} == {
        (AccessAction.TIMELINE_READ, "my day: latest reply")
    }
    # The customer's own "who saw my data" lists it.
    assert accesses_to_customer(customer_id=customer.pk).filter(staff=associate).count() == 1
