"""One message to many customers at once (a campaign): the same rules, checked set-wise.

``campaign_queue`` reads consent, recent messages and threads in a few queries for the whole
audience, renders each customer's text in Python, writes the messages and new threads in bulk
(COPY on PostgreSQL, ``frontline.core.bulk_insert``) and hands them to the outbox in chunks
(one task per chunk shares one SMTP connection).
Customers a rule refuses are counted by reason and get nothing; nothing else is lost.

A store's ``Campaign`` (the manager's page) uses the same rules over an audience described by
a filter: ``campaign_preview`` counts who would get it and who not (and why) without writing,
``campaign_launch`` starts the launch once however often it is asked, and
``campaign_queue_batch`` queues the audience a batch at a time behind a cursor on the row.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from frontline.core.bulk_insert import bulk_insert
from frontline.customers.criteria import CustomerCriteria, customers_matching
from frontline.customers.models import ConsentPurpose, Customer
from frontline.customers.selectors import customers_in_stores_of
from frontline.followups.selectors import managed_stores
from frontline.outreach import rules
from frontline.outreach.models import (
    Campaign,
    CampaignStatus,
    Channel,
    Conversation,
    Direction,
    Message,
    Status,
)
from frontline.outreach.rendering import UnknownVariable, render_message, unknown_variables
from frontline.outreach.rules import Refusal
from frontline.outreach.selectors import templates_offered
from frontline.privacy.services import personal_data_listing_record
from frontline.staff.models import Store, User
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
    _check_channel(channel)
    wanted = list(customer_ids)
    now = timezone.now()
    result = CampaignResult()
    with transaction.atomic():
        customers = list(
            customers_in_stores_of(by)
            .filter(pk__in=wanted)
            .select_related("preferred_store")
            .order_by("pk")
        )
        result.refused["not_found"] = len(set(wanted)) - len(customers)
        spec = Spec(by=by, channel=channel, purpose=purpose, subject=subject, body=body, at=now)
        messages = _plan(spec, customers, result.refused)
        _attach_conversations(messages, channel, by, now)
        bulk_insert(messages)
        result.message_ids = [message.pk for message in messages]
        result.queued = len(messages)
        transaction.on_commit(lambda: _hand_to_outbox(result.message_ids))
    result.refused = Counter({code: n for code, n in result.refused.items() if n})
    return result


def _check_channel(channel: str) -> None:
    if channel == Channel.WHATSAPP:
        # Opening a WhatsApp conversation needs a per-customer window or template choice.
        raise Refusal("whatsapp_window", gettext("Campaigns go by e-mail or SMS."), field="channel")


@dataclass(frozen=True)
class Spec:
    """What goes to each customer, and when."""

    by: User
    channel: str
    purpose: str
    subject: str
    body: str
    at: datetime
    scheduled: bool = False
    campaign_id: int | None = None


def _plan(spec: Spec, customers: list[Customer], refused: Counter[str]) -> list[Message]:
    """The messages the rules allow for these customers (unsaved); the others counted in
    ``refused`` by reason."""
    messages = []
    for customer, address in _allowed(spec, customers, refused):
        try:
            messages.append(_message_for(customer, address, spec))
        except Refusal as refusal:  # the text, once filled in for this customer
            refused[refusal.code] += 1
    return messages


def _allowed(
    spec: Spec, customers: list[Customer], refused: Counter[str]
) -> list[tuple[Customer, str]]:
    """The customers every rule but the text's allows, with their address; the others counted
    in ``refused``. A few queries for the whole list, then Python per customer."""
    consented = _consented_ids(customers, spec.channel, spec.purpose)
    recent = _recent_counts(customers, spec.at)
    allowed = []
    for customer in customers:
        try:
            address = _check_customer(
                customer, spec, consented=consented, recent=recent.get(customer.pk, (0, 0))
            )
        except Refusal as refusal:
            refused[refusal.code] += 1
        else:
            allowed.append((customer, address))
    return allowed


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


def _check_customer(
    customer: Customer,
    spec: Spec,
    *,
    consented: set[int],
    recent: tuple[int, int],
) -> str:
    """The customer's address, or the ``Refusal`` of the first rule that leaves them out."""
    if customer.pk not in consented:
        raise Refusal("no_consent", gettext("The customer has not agreed to this."))
    address = rules.address_for(customer, spec.channel)
    rules.check_quiet_hours(customer, spec.channel, spec.at)
    today, marketing = recent
    if today >= settings.OUTREACH_MESSAGES_PER_DAY or (
        spec.purpose == ConsentPurpose.MARKETING
        and marketing >= settings.OUTREACH_MARKETING_PER_WEEK
    ):
        raise Refusal("frequency_cap", gettext("The customer had enough messages this week."))
    return address


def _message_for(customer: Customer, address: str, spec: Spec) -> Message:
    """The message as the customer gets it; ``Refusal`` when the filled-in text breaks a rule
    (too long with their name, say)."""
    store = customer.preferred_store or primary_store_for(spec.by)
    try:
        rendered = render_message(
            customer=customer,
            by=spec.by,
            store=store,
            subject=spec.subject,
            body=spec.body,
            channel=spec.channel,
        )
    except UnknownVariable as error:
        raise Refusal("unknown_variable", str(error)) from error
    rules.check_text(spec.channel, rendered.subject, rendered.text)
    return Message(
        customer=customer,
        channel=spec.channel,
        direction=Direction.OUTBOUND,
        purpose=spec.purpose,
        status=Status.SCHEDULED if spec.scheduled else Status.QUEUED,
        subject=rendered.subject,
        body=rendered.text,
        html=rendered.html,
        to_address=address,
        sent_by=spec.by,
        not_before=spec.at,
        status_changed_at=timezone.now(),
        campaign_id=spec.campaign_id,
    )


def _attach_conversations(
    messages: list[Message], channel: str, by: User | None, now: datetime
) -> None:
    """Each message on its customer's thread; a new thread is ``by``'s (None: the customer's
    own associate's, once they reply)."""
    customer_ids = [message.customer_id for message in messages if message.customer_id]
    existing = _conversation_ids(customer_ids, channel)
    bulk_insert(
        [
            Conversation(customer_id=pk, channel=channel, associate=by, last_message_at=now)
            for pk in customer_ids
            if pk not in existing
        ],
        # A thread opened meanwhile (the customer replied, an associate wrote) is kept.
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


# --- A store's campaign: an audience, a preview, a launch in batches ------------------------

# Customers per launch transaction: small enough that a batch commits in well under a second,
# large enough that the rules' set-wise reads are worth it.
LAUNCH_BATCH = 500
# A launch task hands over to a fresh one after this long, far below the task time limit.
LAUNCH_SLICE_SECONDS = 60
PREVIEW_BATCH = 2_000
SAMPLE_SIZE = 3


@dataclass
class CampaignPreview:
    matched: int = 0
    receiving: int = 0
    excluded: Counter[str] = field(default_factory=Counter)
    sample: list[Message] = field(default_factory=list)

    @property
    def excluded_count(self) -> int:
        return sum(self.excluded.values())

    @property
    def excluded_rows(self) -> list[tuple[str, int]]:
        # A list for the template: a Counter answers 0 to the lookup of "items".
        return self.excluded.most_common()


def _store_managed(by: User, store_id: int) -> Store:
    store = managed_stores(by).filter(pk=store_id).first()
    if store is None:
        raise Refusal("not_your_store", gettext("Choose a store you manage."), field="store")
    return store


def _check_texts(channel: str, purpose: str, subject: str, body: str) -> None:
    """What is wrong for every customer alike is said once, on the form, before anything."""
    _check_channel(channel)
    if channel not in Channel.values:
        raise Refusal(
            "unknown_channel",
            gettext("%(channel)s is not a channel.") % {"channel": repr(channel)},
            field="channel",
        )
    if purpose not in ConsentPurpose.values:
        raise Refusal(
            "unknown_purpose",
            gettext("%(purpose)s is not a purpose.") % {"purpose": repr(purpose)},
            field="purpose",
        )
    unknown = unknown_variables(subject, body)
    if unknown:
        raise Refusal("unknown_variable", str(UnknownVariable(unknown)), field="body")
    rules.check_text(channel, subject, body)


def _audience(by: User, store: Store, criteria: dict[str, Any]) -> QuerySet[Customer]:
    try:
        parsed = CustomerCriteria.parse(criteria)
    except ValidationError as error:
        raise Refusal("bad_filter", " ".join(error.messages), field="criteria") from error
    return customers_matching(by=by, store=store, criteria=parsed).select_related("preferred_store")


def _sending_moment(send_at: datetime | None, now: datetime) -> tuple[datetime, bool]:
    """When the messages go (the rules are checked for that moment) and whether that is later."""
    if send_at is not None and send_at > now:
        return send_at, True
    return now, False


def campaign_preview(
    *,
    by: User,
    store_id: int,
    criteria: dict[str, Any],
    channel: str,
    purpose: str,
    subject: str,
    body: str,
    send_at: datetime | None = None,
) -> CampaignPreview:
    """Who would get the campaign and who not, and why, without writing anything: the launch
    runs the same rules over the same audience. The texts are not filled in for everyone (only
    the samples): a customer whose name makes the text too long shows up at launch, counted
    as ``too_long``."""
    store = _store_managed(by, store_id)
    _check_texts(channel, purpose, subject, body)
    at, _ = _sending_moment(send_at, timezone.now())
    spec = Spec(by=by, channel=channel, purpose=purpose, subject=subject, body=body, at=at)
    preview = CampaignPreview()
    audience = _audience(by, store, criteria).order_by("pk")
    last = 0
    while batch := list(audience.filter(pk__gt=last)[:PREVIEW_BATCH]):
        allowed = _allowed(spec, batch, preview.excluded)
        preview.matched += len(batch)
        preview.receiving += len(allowed)
        # Only the samples are filled in: rendering is most of a message's cost.
        wanted = SAMPLE_SIZE - len(preview.sample)
        preview.sample.extend(
            _plan(spec, [customer for customer, _ in allowed[:wanted]], Counter())
        )
        last = batch[-1].pk
    preview.excluded = Counter({code: n for code, n in preview.excluded.items() if n})
    # The samples show names and addresses: on the audit trail, as a list of customers is.
    personal_data_listing_record(
        staff_id=by.pk,
        customer_ids=[m.customer_id for m in preview.sample if m.customer_id is not None],
    )
    return preview


def campaign_create(
    *,
    by: User,
    store_id: int,
    name: str,
    criteria: dict[str, Any],
    channel: str,
    purpose: str,
    subject: str,
    body: str,
    template_key: str | None = None,
    send_at: datetime | None = None,
) -> Campaign:
    """Save the campaign as a draft: nothing is queued until a manager launches it."""
    store = _store_managed(by, store_id)
    _check_texts(channel, purpose, subject, body)
    _audience(by, store, criteria)  # a filter that does not parse is refused now
    if not name.strip():
        raise Refusal("no_name", gettext("Give the campaign a name."), field="name")
    template = templates_offered().filter(key=template_key).first() if template_key else None
    return Campaign.objects.create(
        store=store,
        name=name.strip()[:120],
        criteria=CustomerCriteria.parse(criteria).as_json(),
        channel=channel,
        purpose=purpose,
        template=template,
        subject=subject,
        body=body,
        send_at=send_at,
        created_by=by,
    )


def campaign_launch(*, by: User, campaign_id: int) -> Campaign:
    """Start queueing the campaign; launching it again (a double tap, two managers) does
    nothing more. ``Campaign.DoesNotExist`` outside the stores the manager runs."""
    with transaction.atomic():
        campaign = (
            Campaign.objects.select_for_update()
            .filter(store__in=managed_stores(by))
            .get(pk=campaign_id)
        )
        if campaign.status == CampaignStatus.DRAFT:
            campaign.status = CampaignStatus.QUEUING
            campaign.launched_by = by
            campaign.launched_at = campaign.progressed_at = timezone.now()
            campaign.save(update_fields=["status", "launched_by", "launched_at", "progressed_at"])
            transaction.on_commit(lambda: _queue_after_commit(campaign.pk))
    return campaign


def _queue_after_commit(campaign_id: int) -> None:
    from frontline.outreach.tasks import queue_campaign_task

    queue_campaign_task.delay(campaign_id)


def campaign_queue_batch(*, campaign_id: int) -> bool:
    """Queue the next batch of the campaign's audience; True once there is nobody left.

    The campaign row is locked for the batch and its cursor moves in the same transaction as
    the batch's messages: two workers running the launch take turns and never write to a
    customer twice (the constraint campaign_customer_once says so too).
    """
    with transaction.atomic():
        campaign = (
            Campaign.objects.select_for_update(of=("self",))
            .select_related("store", "launched_by")
            .get(pk=campaign_id)
        )
        by = campaign.launched_by
        if campaign.status != CampaignStatus.QUEUING or by is None:
            return True
        now = timezone.now()
        customers = list(
            _audience(by, campaign.store, campaign.criteria)
            .filter(pk__gt=campaign.last_customer_id)
            .order_by("pk")[:LAUNCH_BATCH]
        )
        if not customers:
            campaign.status = CampaignStatus.QUEUED
            campaign.queued_at = now
            campaign.save(update_fields=["status", "queued_at"])
            return True
        at, later = _sending_moment(campaign.send_at, now)
        spec = Spec(
            by=by,
            channel=campaign.channel,
            purpose=campaign.purpose,
            subject=campaign.subject,
            body=campaign.body,
            at=at,
            scheduled=later,
            campaign_id=campaign.pk,
        )
        excluded: Counter[str] = Counter(campaign.excluded)
        messages = _plan(spec, customers, excluded)
        # New threads are the customer's own associate's: replies go to them, not the manager.
        _attach_conversations(messages, campaign.channel, None, now)
        bulk_insert(messages)
        campaign.last_customer_id = customers[-1].pk
        campaign.queued_count += len(messages)
        campaign.excluded = dict(excluded)
        campaign.progressed_at = now
        campaign.save(
            update_fields=["last_customer_id", "queued_count", "excluded", "progressed_at"]
        )
        if not later:  # scheduled ones wait for the outbox's sweep at their time
            ids = [message.pk for message in messages]
            transaction.on_commit(lambda: _hand_to_outbox(ids))
    return False


def campaign_queue_for(*, campaign_id: int, seconds: float = LAUNCH_SLICE_SECONDS) -> bool:
    """Queue batches for up to ``seconds``; True when the whole audience is queued."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if campaign_queue_batch(campaign_id=campaign_id):
            return True
    return False


def campaigns_stalled(*, now: datetime | None = None) -> list[int]:
    """Launches that stood still longer than a claim's lease: their task was lost (a worker
    killed and the message not redelivered). Restarting one that is merely slow is harmless:
    the batches take turns on the row."""
    now = now or timezone.now()
    lease = timedelta(seconds=settings.OUTREACH_CLAIM_LEASE_SECONDS)
    return list(
        Campaign.objects.filter(
            status=CampaignStatus.QUEUING, progressed_at__lt=now - lease
        ).values_list("pk", flat=True)
    )
