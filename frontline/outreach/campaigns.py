"""One message to many customers at once (a campaign): the same rules, checked set-wise.

``campaign_queue`` reads consent, recent messages and threads in a few queries for the whole
audience, renders each customer's text in Python, writes the messages with one bulk insert
and hands them to the outbox in chunks (one task per chunk shares one SMTP connection).
Customers a rule refuses are counted by reason and get nothing; nothing else is lost.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from frontline.customers.models import ConsentPurpose, Customer
from frontline.customers.selectors import customers_visible_to
from frontline.outreach import rules
from frontline.outreach.models import Channel, Conversation, Direction, Message, Status
from frontline.outreach.rendering import UnknownVariable, render_message
from frontline.outreach.rules import Refusal
from frontline.staff.models import User
from frontline.staff.selectors import primary_store_for

CHUNK = 100


@dataclass
class CampaignResult:
    queued: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    message_ids: list[int] = field(default_factory=list)


def campaign_queue(
    *,
    by: User,
    customer_ids: Iterable[int],
    channel: str,
    purpose: str,
    subject: str,
    body: str,
) -> CampaignResult:
    """Queue the message for every customer the rules allow; count the others by reason."""
    if channel == Channel.WHATSAPP:
        # Opening a WhatsApp conversation needs a per-customer window or template choice.
        raise Refusal("whatsapp_window", "Campaigns go by e-mail or SMS.", field="channel")
    wanted = list(customer_ids)
    now = timezone.now()
    result = CampaignResult()
    with transaction.atomic():
        customers = list(
            customers_visible_to(by)
            .filter(pk__in=wanted)
            .select_related("preferred_store")
            .order_by("pk")
        )
        result.refused["not_found"] = len(set(wanted)) - len(customers)
        consented = _consented_ids(customers, channel, purpose)
        recent = _recent_counts(customers, now)
        messages = []
        for customer in customers:
            try:
                messages.append(
                    _message_for(
                        customer,
                        by,
                        channel,
                        purpose,
                        subject,
                        body,
                        now,
                        consented=consented,
                        recent=recent.get(customer.pk, (0, 0)),
                    )
                )
            except Refusal as refusal:
                result.refused[refusal.code] += 1
        _attach_conversations(messages, channel, by, now)
        created = Message.objects.bulk_create(messages, batch_size=1000)
        result.message_ids = [message.pk for message in created]
        result.queued = len(created)
        transaction.on_commit(lambda: _hand_to_outbox(result.message_ids))
    result.refused = Counter({code: n for code, n in result.refused.items() if n})
    return result


def _consented_ids(customers: list[Customer], channel: str, purpose: str) -> set[int]:
    ids = [customer.pk for customer in customers]
    granted: set[int] = set()
    for start in range(0, len(ids), 5000):
        granted.update(
            rules.Consent.objects.filter(
                customer_id__in=ids[start : start + 5000],
                channel=channel,
                purpose=purpose,
                granted=True,
            ).values_list("customer_id", flat=True)
        )
    return granted


def _recent_counts(customers: list[Customer], now: datetime) -> dict[int, tuple[int, int]]:
    """Per customer: messages in the last 24 hours, marketing messages in the last 7 days."""
    ids = [customer.pk for customer in customers]
    counts: dict[int, tuple[int, int]] = {}
    for start in range(0, len(ids), 5000):
        rows = (
            Message.objects.filter(
                customer_id__in=ids[start : start + 5000],
                direction=Direction.OUTBOUND,
                created_at__gt=now - timedelta(days=7),
            )
            .exclude(status__in=rules.NOT_COUNTED)
            .values("customer_id")
            .annotate(
                today=Count("pk", filter=Q(created_at__gt=now - timedelta(days=1))),
                marketing=Count("pk", filter=Q(purpose=ConsentPurpose.MARKETING)),
            )
        )
        counts.update({row["customer_id"]: (row["today"], row["marketing"]) for row in rows})
    return counts


def _message_for(
    customer: Customer,
    by: User,
    channel: str,
    purpose: str,
    subject: str,
    body: str,
    now: datetime,
    *,
    consented: set[int],
    recent: tuple[int, int],
) -> Message:
    if customer.pk not in consented:
        raise Refusal("no_consent", "no consent")
    address = rules.address_for(customer, channel)
    store = customer.preferred_store or primary_store_for(by)
    try:
        rendered = render_message(
            customer=customer,
            by=by,
            store=store,
            subject=subject,
            body=body,
            channel=channel,
        )
    except UnknownVariable as error:
        raise Refusal("unknown_variable", str(error)) from error
    rules.check_text(channel, rendered.subject, rendered.text)
    rules.check_quiet_hours(customer, channel, now)
    today, marketing = recent
    if today >= settings.OUTREACH_MESSAGES_PER_DAY or (
        purpose == ConsentPurpose.MARKETING and marketing >= settings.OUTREACH_MARKETING_PER_WEEK
    ):
        raise Refusal("frequency_cap", "frequency cap")
    return Message(
        customer=customer,
        channel=channel,
        direction=Direction.OUTBOUND,
        purpose=purpose,
        status=Status.QUEUED,
        subject=rendered.subject,
        body=rendered.text,
        html=rendered.html,
        to_address=address,
        sent_by=by,
        not_before=now,
        status_changed_at=now,
    )


def _attach_conversations(messages: list[Message], channel: str, by: User, now: datetime) -> None:
    customer_ids = [message.customer_id for message in messages if message.customer_id]
    existing = _conversation_ids(customer_ids, channel)
    Conversation.objects.bulk_create(
        [
            Conversation(customer_id=pk, channel=channel, associate=by, last_message_at=now)
            for pk in customer_ids
            if pk not in existing
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )
    threads = _conversation_ids(customer_ids, channel)
    for message in messages:
        if message.customer_id:
            message.conversation_id = threads[message.customer_id]


def _conversation_ids(customer_ids: list[int], channel: str) -> dict[int, int]:
    found: dict[int, int] = {}
    for start in range(0, len(customer_ids), 5000):
        found.update(
            Conversation.objects.filter(
                customer_id__in=customer_ids[start : start + 5000], channel=channel
            ).values_list("customer_id", "pk")
        )
    return found


def _hand_to_outbox(message_ids: list[int]) -> None:
    from frontline.outreach.tasks import deliver_messages_task

    for start in range(0, len(message_ids), CHUNK):
        deliver_messages_task.delay(message_ids[start : start + CHUNK])
