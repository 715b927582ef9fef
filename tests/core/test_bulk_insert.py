"""Many new rows at once: the same rows and ids by COPY (PostgreSQL) as by bulk_create."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from frontline.core.bulk_insert import COPY_FROM, bulk_insert
from frontline.outreach.models import Conversation, Message
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _messages(count: int) -> list[Message]:
    customer = CustomerFactory()
    return [
        Message(
            customer=customer,
            channel="email",
            direction="outbound",
            status="queued",
            body=f"Hello {n}",
            to_address=f"c{n}@example.com",
            content_variables={"1": f"value {n}"},
            not_before=timezone.now(),
        )
        for n in range(count)
    ]


def test_the_instances_get_their_ids_and_every_value_is_stored():
    messages = _messages(COPY_FROM + 5)
    with CaptureQueriesContext(connection) as captured:
        bulk_insert(messages)
    ids = [message.pk for message in messages]
    assert None not in ids and ids == sorted(set(ids))
    stored = {m.pk: m for m in Message.objects.filter(pk__in=ids)}
    for message in messages:
        row = stored[message.pk]
        assert (row.body, row.to_address, row.content_variables) == (
            message.body,
            message.to_address,
            message.content_variables,
        )
        assert row.idempotency_key == message.idempotency_key
        assert row.created_at == message.created_at is not None  # auto_now_add, as on save
        assert row.attempts == 0 and row.error_code == ""
    if connection.vendor == "postgresql":
        # The ids in one statement; the COPY goes by psycopg's own cursor, which Django does
        # not record: no INSERT at all.
        assert [query["sql"].split()[0] for query in captured] == ["SELECT"]


def test_conflicting_rows_are_left_out_and_the_others_written():
    customers = [CustomerFactory() for _ in range(COPY_FROM + 2)]
    Conversation.objects.create(customer=customers[0], channel="email")
    bulk_insert(
        [Conversation(customer=customer, channel="email") for customer in customers],
        ignore_conflicts=True,
    )
    assert Conversation.objects.filter(customer__in=customers, channel="email").count() == len(
        customers
    )
