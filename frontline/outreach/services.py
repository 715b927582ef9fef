"""Writes of outreach: composing and queueing messages, the outbox, what comes back.

``message_send`` checks every rule (``frontline.outreach.rules``) and writes the message with
its idempotency key; the outbox task delivers it once the transaction commits. Delivery
claims the row with a conditional update first, so two workers (or a retry racing a slow
first attempt) never both send it, and checks consent and quiet hours again: a customer who
unsubscribed in between is not written to.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.mail import get_connection
from django.db import DatabaseError, IntegrityError, transaction
from django.db import connection as db_connection
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from frontline.customers.models import (
    Consent,
    ConsentPurpose,
    Customer,
    InteractionKind,
    Source,
)
from frontline.customers.selectors import customer_get_in_stores, customers_in_stores_of
from frontline.customers.sentiment import interaction_sentiment_fields
from frontline.customers.services import interaction_record
from frontline.notifications.audiences import Audience, to_staff, to_store_staff
from frontline.notifications.services import notification_create
from frontline.outreach import rules
from frontline.outreach.channels import (
    TWILIO_INVALID_NUMBER,
    TWILIO_UNSUBSCRIBED,
    EmailAdapter,
    OutgoingMessage,
    PermanentFailure,
    SendResult,
    TemporaryFailure,
    adapter_for,
)
from frontline.outreach.models import (
    WAITING,
    Channel,
    Conversation,
    Direction,
    Message,
    MessageEvent,
    MessageTemplate,
    Status,
)
from frontline.outreach.rendering import Rendered, UnknownVariable, render_message
from frontline.outreach.rules import Refusal
from frontline.outreach.stop_words import confirmation, opt_out_language
from frontline.privacy.models import AccessAction
from frontline.privacy.services import personal_data_access_record
from frontline.staff.models import Store, User
from frontline.staff.selectors import primary_store_for

logger = logging.getLogger("frontline.outreach")

# How far a provider's status moves a message: a late "sent" never undoes "delivered".
STATUS_RANK: dict[str, int] = {
    Status.SENT: 1,
    Status.DELIVERED: 2,
    Status.UNDELIVERED: 2,
    Status.FAILED: 2,
    Status.READ: 3,
}
PROVIDER_STATUSES = {
    "sent": Status.SENT,
    "delivered": Status.DELIVERED,
    "read": Status.READ,
    "undelivered": Status.UNDELIVERED,
    "failed": Status.FAILED,
}


# --- Composing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """A message as it will leave, with everything the rules decided about it."""

    customer: Customer
    channel: str
    purpose: str
    template: MessageTemplate | None
    rendered: Rendered
    to_address: str
    store: Store | None
    conversation: Conversation | None
    content_sid: str
    content_variables: dict[str, str]


def template_get(key: str | None, *, for_staff: bool = True) -> MessageTemplate | None:
    """The active template ``key`` (None for none); staff may use only those offered to them."""
    if not key:
        return None
    templates = MessageTemplate.objects.filter(key=key, is_active=True)
    if for_staff:
        templates = templates.filter(offered_to_staff=True)
    template = templates.first()
    if template is None:
        raise Refusal(
            "unknown_template",
            gettext("There is no template %(key)s.") % {"key": repr(key)},
            field="template",
        )
    return template


def _store_for(customer: Customer, by: User | None) -> Store | None:
    return customer.preferred_store or (primary_store_for(by) if by is not None else None)


def message_draft(
    *,
    by: User | None,
    customer: Customer,
    channel: str,
    purpose: str,
    subject: str,
    body: str,
    template_key: str | None = None,
    send_at: datetime | None = None,
    template_values: Mapping[str, str] | None = None,
    for_staff: bool = True,
) -> Draft:
    """Check every rule for the message and render it; ``Refusal`` names the first broken.

    ``template_values`` fill an approved WhatsApp template's placeholders that are not about
    the customer, the associate or the store (a survey's link), by name. ``for_staff`` is off
    for the brand's own service messages, which may use templates staff are not offered.
    """
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
    template = template_get(template_key, for_staff=for_staff)
    at = send_at or timezone.now()
    rules.check_consent(customer, channel, purpose)
    to_address = rules.address_for(customer, channel)
    store = _store_for(customer, by)
    try:
        rendered = render_message(
            customer=customer, by=by, store=store, subject=subject, body=body, channel=channel
        )
    except UnknownVariable as error:
        raise Refusal("unknown_variable", str(error), field="body") from error
    rules.check_text(channel, rendered.subject, rendered.text)
    rules.check_quiet_hours(customer, channel, at)
    conversation = Conversation.objects.filter(customer=customer, channel=channel).first()
    content_sid, content_variables = "", {}
    if channel == Channel.WHATSAPP:
        rules.check_whatsapp_window(conversation, template, at)
        if not rules.whatsapp_window_open(conversation, at) and template is not None:
            content_sid = template.whatsapp_content_sid
            content_variables = _numbered_variables(
                template, customer, by, store, template_values or {}
            )
    rules.check_frequency(customer, purpose, at)
    return Draft(
        customer=customer,
        channel=channel,
        purpose=purpose,
        template=template,
        rendered=rendered,
        to_address=to_address,
        store=store,
        conversation=conversation,
        content_sid=content_sid,
        content_variables=content_variables,
    )


def _numbered_variables(
    template: MessageTemplate,
    customer: Customer,
    by: User | None,
    store: Store | None,
    extra: Mapping[str, str],
) -> dict[str, str]:
    """An approved WhatsApp template's placeholders are numbered: {"1": "Ada", "2": ...}."""
    from frontline.outreach.rendering import variables_for

    values = {**variables_for(customer=customer, by=by, store=store, cards=[]), **extra}
    return {
        str(position): values.get(name, "")
        for position, name in enumerate(template.whatsapp_variables, start=1)
    }


@transaction.atomic
def message_send(
    *,
    by: User,
    customer_id: int,
    channel: str,
    purpose: str,
    subject: str = "",
    body: str,
    template_key: str | None = None,
    send_at: datetime | None = None,
    followup_id: int | None = None,
    suggestion_id: int | None = None,
) -> Message:
    """Queue a message to the customer now, or for ``send_at``. Raises ``Refusal``.

    A message written for a follow-up marks it done ("left a message"); one written for a
    recommended action accepts the action and completes the follow-up accepting planned.
    Both in this transaction: the message and its outcome are recorded together or not at all.
    """
    customer = customer_get_in_stores(user=by, customer_id=customer_id)
    now = timezone.now()
    if send_at is not None and send_at <= now:
        send_at = None
    draft = message_draft(
        by=by,
        customer=customer,
        channel=channel,
        purpose=purpose,
        subject=subject,
        body=body,
        template_key=template_key,
        send_at=send_at,
    )
    message = _outbound_message(draft, by=by, send_at=send_at, now=now)
    if followup_id is not None or suggestion_id is not None:
        _outcome_record(
            by=by, message=message, followup_id=followup_id, suggestion_id=suggestion_id
        )
    return message


def _outbound_message(
    draft: Draft,
    *,
    by: User | None,
    send_at: datetime | None,
    now: datetime,
    idempotency_key: uuid.UUID | None = None,
) -> Message:
    """Write the draft on its customer's thread, for now or for ``send_at``; one for now goes
    to the outbox once the transaction commits. ``idempotency_key``: the caller's (else a
    new one)."""
    message = Message.objects.create(
        conversation=_conversation_for(draft, by=by, at=now),
        customer=draft.customer,
        channel=draft.channel,
        direction=Direction.OUTBOUND,
        purpose=draft.purpose,
        status=Status.SCHEDULED if send_at else Status.QUEUED,
        template=draft.template,
        subject=draft.rendered.subject,
        body=draft.rendered.text,
        html=draft.rendered.html,
        content_sid=draft.content_sid,
        content_variables=draft.content_variables,
        to_address=draft.to_address,
        idempotency_key=idempotency_key or uuid.uuid4(),
        sent_by=by,
        not_before=send_at or now,
        status_changed_at=now,
    )
    if send_at is None:
        _deliver_after_commit(message.pk)
    return message


def _outcome_record(
    *, by: User, message: Message, followup_id: int | None, suggestion_id: int | None
) -> None:
    """What the message did for the follow-up or the action it was written for."""
    from frontline.followups.models import Outcome
    from frontline.followups.services import followup_complete

    channel = Channel(message.channel).label
    if message.status == Status.SCHEDULED:
        note = f"Message by {channel} scheduled for {message.not_before:%Y-%m-%d %H:%M} UTC."
    else:
        note = f"Message sent by {channel}."
    if suggestion_id is not None:
        followup_id = _suggestion_accept(by, message, suggestion_id, note) or followup_id
    if followup_id is None:
        return
    try:
        _require_about(by, message, followup_id=followup_id)
        followup_complete(
            by=by,
            followup_id=followup_id,
            outcome=Outcome.LEFT_MESSAGE,
            note=note,
            channel=message.channel,
        )
    except (ObjectDoesNotExist, PermissionDenied, ValidationError) as error:
        reason = " ".join(getattr(error, "messages", [])) or "No such follow-up of yours."
        raise Refusal("followup_not_open", reason, field="followup") from error


def _require_about(by: User, message: Message, *, followup_id: int) -> None:
    from frontline.followups.selectors import followups_visible_to

    about = followups_visible_to(by).filter(pk=followup_id, customer=message.customer)
    if not about.exists():
        raise ObjectDoesNotExist("No such follow-up for this customer.")


def _suggestion_accept(by: User, message: Message, suggestion_id: int, note: str) -> int | None:
    """Accept the action the message acts on; returns the follow-up accepting planned (the
    message is that follow-up's work, so it is done at once)."""
    from frontline.actions.selectors import suggestion_visible_to
    from frontline.actions.services import action_accept
    from frontline.followups.selectors import followup_for_accepted_action

    try:
        if suggestion_visible_to(user=by, suggestion_id=suggestion_id).customer_id != (
            message.customer_id
        ):
            raise ObjectDoesNotExist("The suggestion is about another customer.")
        accepted = action_accept(user=by, suggestion_id=suggestion_id, note=note)
    except ObjectDoesNotExist as error:
        raise Refusal(
            "action_handled",
            gettext("This suggestion was handled in the meantime."),
            field="suggestion",
        ) from error
    planned = followup_for_accepted_action(user=by, outcome_id=accepted.outcome.pk)
    return planned.pk if planned is not None else None


@transaction.atomic
def service_message_queue(
    *,
    customer: Customer,
    channel: str,
    body: str,
    idempotency_key: uuid.UUID,
    by: User | None = None,
    template_key: str | None = None,
    template_values: Mapping[str, str] | None = None,
) -> Message:
    """Queue a service message the brand sends on its own account (a survey's link), under
    every rule an associate's message passes: consent to service messages on the channel, a
    valid address, the channel's length, WhatsApp's window, the daily cap. Raises ``Refusal``.

    On WhatsApp outside the customer's 24-hour window, ``template_key`` names the approved
    template that goes instead of ``body`` (its ContentSid, placeholders filled from the
    customer, the store and ``template_values``); ``body`` stays the thread's record of what
    was said. Inside the window, or on other channels, ``body`` goes as written.

    Quiet hours postpone it to their end rather than refuse it: no person is there to choose
    another time. The key says what the message is about (derived from it by the caller), so
    asking again returns the message already queued, never a second one.
    """
    existing = Message.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    now = timezone.now()
    send_at = None
    if channel in rules.QUIET_HOURS_CHANNELS:
        zone = rules.customer_time_zone(customer)
        if rules.in_quiet_hours(now, zone):
            send_at = rules.quiet_hours_end(now, zone)
    draft = message_draft(
        by=by,
        customer=customer,
        channel=channel,
        purpose=ConsentPurpose.SERVICE,
        subject="",
        body=body,
        send_at=send_at,
        template_key=template_key,
        template_values=template_values,
        for_staff=False,
    )
    return _outbound_message(
        draft, by=by, send_at=send_at, now=now, idempotency_key=idempotency_key
    )


def _conversation_for(draft: Draft, *, by: User | None, at: datetime) -> Conversation:
    conversation, _ = Conversation.objects.get_or_create(
        customer=draft.customer,
        channel=draft.channel,
        defaults={"store": draft.store, "associate": by},
    )
    changes: dict[str, object] = {"last_message_at": at}
    if by is not None:
        # Whoever writes on the thread has read it: it leaves their unread replies.
        changes["associate"] = by
        changes["unread_count"] = 0
    Conversation.objects.filter(pk=conversation.pk).update(**changes)
    return conversation


def _deliver_after_commit(message_id: int) -> None:
    from frontline.outreach.tasks import deliver_message_task

    transaction.on_commit(lambda: deliver_message_task.delay(message_id))


@transaction.atomic
def message_cancel(*, by: User, message_id: int) -> Message:
    """Take a scheduled or waiting message out of the outbox before it leaves."""
    from frontline.outreach.selectors import message_get

    message = message_get(user=by, message_id=message_id)
    changed = Message.objects.filter(pk=message.pk, status__in=WAITING).update(
        status=Status.CANCELLED, status_changed_at=timezone.now(), error_code="cancelled"
    )
    if not changed:
        raise Refusal("not_cancellable", gettext("This message has already left the outbox."))
    message.refresh_from_db()
    return message


# --- The outbox --------------------------------------------------------------------------


def message_claim(message_id: int) -> bool:
    """Take the message for this worker: a conditional update only one caller can win."""
    return bool(_claim([message_id], timezone.now()))


def _claim(message_ids: list[int], now: datetime) -> list[int]:
    """Claim those of the messages that are due and not taken, in one statement; the ids won.

    ``UPDATE … RETURNING`` (PostgreSQL, and SQLite from 3.35) says which rows this worker
    changed: the conditional update is what makes a claim exclusive, as for one message.
    """
    return _update_returning(
        message_ids,
        "status = %s, claimed_at = %s, attempts = attempts + 1",
        [Status.SENDING, now],
        f"status IN ({', '.join(['%s'] * len(WAITING))}) AND not_before <= %s",
        [*WAITING, now],
    )


def _claims_renew(message_ids: list[int], held_since: datetime, now: datetime) -> list[int]:
    """Move this worker's claims on the messages forward; the ids still held (the sweep may
    have released some whose lease ran out)."""
    return _update_returning(
        message_ids,
        "claimed_at = %s",
        [now],
        "status = %s AND claimed_at = %s",
        [Status.SENDING, held_since],
    )


def _update_returning(
    message_ids: list[int],
    assignments: str,
    assigned: list[Any],
    condition: str,
    conditions: list[Any],
) -> list[int]:
    if not message_ids:
        return []
    ops = db_connection.ops
    values: list[Any] = [
        ops.adapt_datetimefield_value(value) if isinstance(value, datetime) else value
        for value in [*assigned, *message_ids, *conditions]
    ]
    sql = (
        f"UPDATE {ops.quote_name(Message._meta.db_table)} SET {assignments} "  # noqa: S608
        f"WHERE id IN ({', '.join(['%s'] * len(message_ids))}) AND {condition} RETURNING id"
    )
    with db_connection.cursor() as cursor:
        cursor.execute(sql, values)
        return [row[0] for row in cursor.fetchall()]


def message_deliver(*, message_id: int, adapter: object | None = None) -> str:
    """Send one message from the outbox; returns what became of it (sent, retrying...)."""
    if not message_claim(message_id):
        return "not_claimed"
    message = Message.objects.select_related("customer__preferred_store", "conversation").get(
        pk=message_id
    )
    return _deliver_claimed(message, adapter or adapter_for(message.channel))


def _deliver_claimed(message: Message, sender: object, *, consented: bool | None = None) -> str:
    """Send a message this worker holds the claim on. ``consented``: the consent, when the
    caller read it for a batch (None: read it here)."""
    try:
        _check_still_sendable(message, consented=consented)
    except Postponed as postponed:
        _release(message, status=Status.SCHEDULED, until=postponed.until)
        return "postponed"
    except Refusal as refusal:
        _finish(message, Status.CANCELLED, code=refusal.code, reason=refusal.message)
        return "cancelled"
    try:
        result = sender.send(outgoing_for(message))  # type: ignore[attr-defined]
    except TemporaryFailure as failure:
        return _retry_or_give_up(message, failure)
    except PermanentFailure as failure:
        _permanent_failure(message, failure)
        return "failed"
    message_sent_record(message, result)
    return "sent"


# Messages claimed at once by a chunk's worker: the claim, the read and the consents cost
# three statements per group instead of three per message, and a worker killed mid-group
# leaves at most this many to wait out the claim's lease before the sweep frees them.
CLAIM_GROUP = 25


def messages_deliver(*, message_ids: list[int]) -> dict[str, int]:
    """Deliver several messages (a campaign's chunk): e-mails share one SMTP connection; the
    messages are claimed, read and checked for consent a group at a time, and each one's
    "sent" is still committed on its own as soon as the server has taken it, so a worker
    killed mid-chunk leaves at most one message sent but not marked (docs/outreach.md)."""
    outcomes: Counter[str] = Counter()
    connection = get_connection(fail_silently=False)
    email = EmailAdapter(connection)
    with _commits_not_waiting_for_disk():
        try:
            for start in range(0, len(message_ids), CLAIM_GROUP):
                for outcome in _deliver_group(message_ids[start : start + CLAIM_GROUP], email):
                    outcomes[outcome] += 1
                    if outcome == "retrying":
                        # The server may have dropped us: the next e-mail starts a new session.
                        connection.close()
        finally:
            connection.close()
    return dict(outcomes)


@contextmanager
def _commits_not_waiting_for_disk() -> Iterator[None]:
    """PostgreSQL's asynchronous commit for a chunk's claims and "sent" marks.

    Each "sent" is committed alone as soon as the server has taken the e-mail, which keeps a
    killed worker to at most one message sent and not marked; waiting for the WAL to reach
    the disk as well cost 4-6 ms an e-mail here, more than the e-mail's own CPU. A killed
    worker cannot lose an asynchronous commit (the server already holds it, visible to the
    sweep); only a crash of PostgreSQL itself can, for the last moments (at most three
    ``wal_writer_delay``s, 0.6 s by default), and their messages are then sent again with the
    same Message-ID, as the one in flight is when a worker dies (docs/outreach.md).
    """
    if db_connection.vendor != "postgresql":
        yield
        return
    # Inside a caller's transaction the setting ends with it; otherwise this session's is put
    # back, for the worker's next task.
    local = db_connection.in_atomic_block
    with db_connection.cursor() as cursor:
        cursor.execute(f"SET {'LOCAL ' if local else ''}synchronous_commit TO OFF")
    try:
        yield
    finally:
        if not local:
            # A broken connection takes the setting with it: nothing to put back then.
            with suppress(DatabaseError), db_connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")


def _deliver_group(message_ids: list[int], email: EmailAdapter) -> Iterator[str]:
    held_since = timezone.now()
    held = set(_claim(message_ids, held_since))
    yield from ["not_claimed"] * (len(message_ids) - len(held))
    messages = list(
        Message.objects.select_related("customer__preferred_store", "conversation")
        .filter(pk__in=held)
        .order_by("pk")
    )
    granted = rules.consents_granted(m.customer_id for m in messages if m.customer_id)
    # A slow server must not let the group's later claims outlive their lease while they
    # wait: the sweep would hand them to another worker. They are moved forward well before.
    renew_after = settings.OUTREACH_CLAIM_LEASE_SECONDS / 3
    for message in messages:
        now = timezone.now()
        if (now - held_since).total_seconds() > renew_after:
            held = held & set(_claims_renew(list(held), held_since, now))
            held_since = now
        if message.pk not in held:
            yield "not_claimed"
            continue
        held.discard(message.pk)
        sender = email if message.channel == Channel.EMAIL else adapter_for(message.channel)
        consented = (message.customer_id, message.channel, message.purpose) in granted
        yield _deliver_claimed(message, sender, consented=consented)


class Postponed(Exception):
    def __init__(self, until: datetime) -> None:
        super().__init__(f"postponed until {until.isoformat()}")
        self.until = until


def _check_still_sendable(message: Message, *, consented: bool | None = None) -> None:
    customer = message.customer
    if customer is None:
        raise Refusal("no_customer", gettext("The customer is gone."))
    if message.confirms_opt_out:
        return
    if consented is None:
        rules.check_consent(customer, message.channel, message.purpose)
    elif not consented:
        raise rules.no_consent(customer, message.channel, message.purpose)
    if message.channel in rules.QUIET_HOURS_CHANNELS:
        zone = rules.customer_time_zone(customer)
        now = timezone.now()
        if rules.in_quiet_hours(now, zone):
            # Queued in the day, its turn came at night (a long campaign, a retry): it waits
            # for the morning rather than being lost or waking the customer.
            raise Postponed(rules.quiet_hours_end(now, zone))


def outgoing_for(message: Message) -> OutgoingMessage:
    return OutgoingMessage(
        idempotency_key=str(message.idempotency_key),
        channel=message.channel,
        to=message.to_address,
        text=message.body,
        subject=message.subject,
        html=message.html,
        reply_to=_reply_address(message),
        content_sid=message.content_sid,
        content_variables=message.content_variables,
        status_callback=_webhook_url("outreach:twilio_status")
        if message.channel != Channel.EMAIL
        else "",
    )


def _reply_address(message: Message) -> str:
    domain = settings.OUTREACH_REPLY_DOMAIN
    if message.channel != Channel.EMAIL or not domain or message.conversation is None:
        return ""
    return f"reply+{message.conversation.reply_token}@{domain}"


def _webhook_url(name: str) -> str:
    return settings.OUTREACH_WEBHOOK_BASE_URL.rstrip("/") + reverse(name)


def message_sent_record(message: Message, result: SendResult) -> None:
    if message.channel == Channel.EMAIL:
        # SMTP sends no status callbacks, so none can have arrived early: one statement, the
        # only one a campaign's e-mail costs once its group is claimed.
        _mark_sent(message, result)
        return
    with transaction.atomic():
        _mark_sent(message, result)
        # Callbacks that arrived before we knew the provider's id wait for it.
        early = MessageEvent.objects.filter(provider_id=result.provider_id, message__isnull=True)
        for event in early.order_by("pk"):
            event.message_id = message.pk
            event.save(update_fields=["message"])
            _apply_status(message.pk, event.status, event.error_code)


def _mark_sent(message: Message, result: SendResult) -> None:
    now = timezone.now()
    Message.objects.filter(pk=message.pk, status=Status.SENDING).update(
        status=Status.SENT,
        provider_id=result.provider_id,
        from_address=result.from_address[:254],
        sent_at=now,
        status_changed_at=now,
        claimed_at=None,
        error_code="",
        error_message="",
    )


def _release(message: Message, *, status: str, until: datetime) -> None:
    Message.objects.filter(pk=message.pk, status=Status.SENDING).update(
        status=status, not_before=until, claimed_at=None, attempts=F("attempts") - 1
    )


def retry_delay(attempts: int, retry_after: float | None = None) -> float:
    """Exponential backoff with jitter, never sooner than the provider asked."""
    base = settings.OUTREACH_RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1)
    delay = min(settings.OUTREACH_RETRY_CAP_SECONDS, base) * random.uniform(0.8, 1.2)
    return max(delay, retry_after or 0.0)


def _retry_or_give_up(message: Message, failure: TemporaryFailure) -> str:
    message.refresh_from_db(fields=["attempts"])
    if message.attempts >= settings.OUTREACH_MAX_ATTEMPTS:
        _finish(
            message,
            Status.FAILED,
            code="gave_up",
            reason=f"{failure.reason} (after {message.attempts} attempts)",
        )
        return "failed"
    delay = retry_delay(message.attempts, failure.retry_after)
    until = timezone.now() + timedelta(seconds=delay)
    Message.objects.filter(pk=message.pk, status=Status.SENDING).update(
        status=Status.RETRYING,
        not_before=until,
        claimed_at=None,
        error_code="temporary",
        error_message=failure.reason[:300],
    )
    from frontline.outreach.tasks import deliver_message_task

    deliver_message_task.apply_async((message.pk,), countdown=delay)
    return "retrying"


def _permanent_failure(message: Message, failure: PermanentFailure) -> None:
    reasons = {
        TWILIO_INVALID_NUMBER: "The provider says the number is not a valid phone number.",
        TWILIO_UNSUBSCRIBED: "The customer unsubscribed from this number (replied STOP).",
    }
    with transaction.atomic():
        _finish(
            message,
            Status.FAILED,
            code=failure.code,
            reason=reasons.get(failure.code, failure.reason),
        )
        if failure.code == TWILIO_UNSUBSCRIBED and message.customer_id:
            consent_withdraw(customer_id=message.customer_id, channel=message.channel)


def _finish(message: Message, status: str, *, code: str, reason: str) -> None:
    now = timezone.now()
    with transaction.atomic():
        Message.objects.filter(pk=message.pk).update(
            status=status,
            claimed_at=None,
            error_code=code[:40],
            error_message=reason[:300],
            status_changed_at=now,
        )
        # A campaign's failures are counted on its page, not sent one by one to its manager.
        if message.sent_by_id and status == Status.FAILED and message.campaign_id is None:
            _tell_sender_it_failed(message, reason)


def _tell_sender_it_failed(message: Message, reason: str) -> None:
    customer = message.customer
    notification_create(
        kind="outreach.message_failed",
        recipients=to_staff(message.sent_by),
        title=f"Message to {customer.full_name if customer else 'a customer'} not sent",
        body=reason,
        link=_profile_link(message.customer_id),
        dedupe_key=f"outreach-failed-{message.pk}",
        customer_id=message.customer_id,
    )


def _profile_link(customer_id: int | None) -> str:
    return reverse("customers:profile", args=[customer_id]) if customer_id else ""


def messages_dispatch_due(*, limit: int = 1000) -> list[int]:
    """The beat task's sweep: free claims whose worker died, and list what is due.

    A claim past its lease is released with the same idempotency key: the retry is the same
    message. Tasks may be lost (a worker killed holding an ETA task, Celery #3501); the sweep
    finds their messages from the database, which is the record.
    """
    now = timezone.now()
    lease = timedelta(seconds=settings.OUTREACH_CLAIM_LEASE_SECONDS)
    Message.objects.filter(status=Status.SENDING, claimed_at__lt=now - lease).update(
        status=Status.RETRYING, claimed_at=None, not_before=now, error_code="claim_expired"
    )
    due = Message.objects.filter(status__in=WAITING, not_before__lte=now).order_by("not_before")
    return list(due.values_list("pk", flat=True)[:limit])


# --- Delivery status from the provider ---------------------------------------------------


def delivery_status_record(
    *, provider_id: str, provider_status: str, error_code: str = "", dedupe_key: str = ""
) -> MessageEvent | None:
    """Record one status callback (once, however often it is delivered) and move the message
    forward; a status for a message not yet recorded as sent waits for it."""
    status = PROVIDER_STATUSES.get(provider_status.lower())
    if status is None:
        return None  # queued, sending, accepted...: nothing the associate needs to see
    key = dedupe_key or f"{provider_id}:{provider_status}:{error_code}"
    message = Message.objects.filter(provider_id=provider_id, direction=Direction.OUTBOUND).first()
    try:
        with transaction.atomic():
            event = MessageEvent.objects.create(
                message=message,
                provider_id=provider_id,
                status=status,
                error_code=error_code[:40],
                dedupe_key=key[:200],
            )
    except IntegrityError:
        return None  # the provider retried a callback we already have
    if message is not None:
        _apply_status(message.pk, status, error_code)
        if error_code == TWILIO_UNSUBSCRIBED and message.customer_id:
            consent_withdraw(customer_id=message.customer_id, channel=message.channel)
    return event


def _apply_status(message_id: int, status: str, error_code: str) -> None:
    rank = STATUS_RANK.get(status, 0)
    lower = [name for name, value in STATUS_RANK.items() if value < rank]
    changes: dict[str, object] = {"status": status, "status_changed_at": timezone.now()}
    if error_code:
        changes["error_code"] = error_code[:40]
    Message.objects.filter(pk=message_id, status__in=lower).update(**changes)


# --- Consent withdrawn by the customer ----------------------------------------------------


def consent_withdraw(*, customer_id: int, channel: str) -> None:
    """Withdraw every purpose on the channel at once: the customer said stop."""
    now = timezone.now()
    for purpose in ConsentPurpose.values:
        Consent.objects.update_or_create(
            customer_id=customer_id,
            channel=channel,
            purpose=purpose,
            defaults={"granted": False, "source": Source.FRONTLINE, "recorded_at": now},
        )
    # Nothing still waiting in the outbox goes out on that channel.
    Message.objects.filter(
        customer_id=customer_id,
        channel=channel,
        status__in=WAITING,
        confirms_opt_out=False,
    ).update(status=Status.CANCELLED, error_code="no_consent", status_changed_at=now)


# --- Messages from customers --------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    message: Message | None
    opted_out: bool
    confirmation: str


def inbound_message_receive(
    *,
    channel: str,
    from_address: str,
    to_address: str,
    body: str,
    provider_id: str,
    subject: str = "",
    customer: Customer | None = None,
    conversation: Conversation | None = None,
) -> Received:
    """Land a customer's message: on their thread and timeline, with its sentiment, its
    associate told live; STOP and its variants withdraw the channel's consent at once."""
    now = timezone.now()
    if conversation is not None:
        customer = conversation.customer
    if customer is None:
        customer = _customer_by_address(channel, from_address)
    if customer is not None and conversation is None:
        conversation, _ = Conversation.objects.get_or_create(
            customer=customer, channel=channel, defaults={"store": customer.preferred_store}
        )
    try:
        with transaction.atomic():
            message = Message.objects.create(
                conversation=conversation,
                customer=customer,
                channel=channel,
                direction=Direction.INBOUND,
                status=Status.RECEIVED,
                subject=subject[:200],
                body=body,
                to_address=to_address[:254],
                from_address=from_address[:254],
                provider_id=provider_id[:200],
                status_changed_at=now,
                sent_at=now,
            )
    except IntegrityError:
        return Received(message=None, opted_out=False, confirmation="")  # delivered twice
    if customer is None or conversation is None:
        logger.warning("outreach: a %s message from an unknown sender was kept", channel)
        return Received(message=message, opted_out=False, confirmation="")
    Conversation.objects.filter(pk=conversation.pk).update(last_inbound_at=now, last_message_at=now)
    _record_on_timeline(message, customer, now)
    language = opt_out_language(body) or opt_out_language(subject if not body.strip() else "")
    if language is not None:
        consent_withdraw(customer_id=customer.pk, channel=channel)
        with translation.override(language):  # the channel named in the customer's language
            channel_name = str(Channel(channel).label)
        text = confirmation(language, channel=channel_name, brand=settings.OUTREACH_BRAND_NAME)
        _confirmation_record(conversation, customer, text, now)
        return Received(message=message, opted_out=True, confirmation=text)
    _mark_unread(conversation, customer)
    _tell_associate(message, conversation, customer)
    return Received(message=message, opted_out=False, confirmation="")


def _mark_unread(conversation: Conversation, customer: Customer) -> None:
    """One more message for the associate to read (on their day). A thread nobody has written
    on from Frontline yet becomes the customer's own associate's."""
    changes: dict[str, object] = {"unread_count": F("unread_count") + 1}
    if conversation.associate_id is None and customer.preferred_associate_id is not None:
        changes["associate_id"] = customer.preferred_associate_id
    Conversation.objects.filter(pk=conversation.pk).update(**changes)


def _customer_by_address(channel: str, address: str) -> Customer | None:
    """The customer with this e-mail address or phone number; among several (a shared family
    number), the one last written to on the channel."""
    field = "email" if channel == Channel.EMAIL else "phone"
    value = address.strip().lower() if channel == Channel.EMAIL else address.strip()
    candidates = Customer.objects.filter(
        **{field: value}, merged_into__isnull=True, deleted_at__isnull=True
    )
    by_thread = (
        candidates.filter(conversations__channel=channel)
        .order_by(F("conversations__last_message_at").desc(nulls_last=True))
        .first()
    )
    return by_thread or candidates.order_by("-updated_at").first()


def _record_on_timeline(message: Message, customer: Customer, at: datetime) -> None:
    text = (f"{message.subject}: " if message.subject else "") + message.body
    sentiment = interaction_sentiment_fields(summary=text)
    interaction = interaction_record(
        customer_id=customer.pk,
        source=Source.FRONTLINE,
        external_id=f"outreach-message-{message.pk}",
        channel=message.channel,
        kind=InteractionKind.MESSAGE,
        summary=text,
        occurred_at=at,
        store=customer.preferred_store,
        **sentiment,
    )
    Message.objects.filter(pk=message.pk).update(interaction=interaction)


def _confirmation_record(
    conversation: Conversation, customer: Customer, text: str, at: datetime
) -> Message:
    """The confirmation of an unsubscribe, on the thread. SMS and WhatsApp confirm in the
    webhook's own answer (TwiML); an e-mail confirmation goes through the outbox."""
    by_email = conversation.channel == Channel.EMAIL
    message = Message.objects.create(
        conversation=conversation,
        customer=customer,
        channel=conversation.channel,
        direction=Direction.OUTBOUND,
        purpose=ConsentPurpose.SERVICE,
        status=Status.QUEUED if by_email else Status.SENT,
        subject="Unsubscribed" if by_email else "",
        body=text,
        to_address=customer.email if by_email else customer.phone,
        confirms_opt_out=True,
        not_before=at,
        sent_at=None if by_email else at,
        status_changed_at=at,
    )
    if by_email:
        _deliver_after_commit(message.pk)
    return message


def _tell_associate(message: Message, conversation: Conversation, customer: Customer) -> None:
    with translation.override(settings.LANGUAGE_CODE):  # stored: in the brand's language
        channel_name = str(Channel(message.channel).label)
    notification_create(
        kind="outreach.reply_received",
        recipients=_owners(conversation, customer),
        title=f"{customer.full_name} replied by {channel_name}",
        body=message.body[:200],
        link=_profile_link(customer.pk),
        store=customer.preferred_store,
        dedupe_key=f"outreach-inbound-{message.pk}",
        customer_id=customer.pk,
    )


def _owners(conversation: Conversation, customer: Customer) -> Audience:
    """Who looks after the thread: the associate who last wrote, else the customer's own
    associate, else the staff of the customer's store."""
    for person in (conversation.associate, customer.preferred_associate):
        audience = to_staff(person)
        if audience:
            return audience
    if customer.preferred_store is not None:
        return to_store_staff(customer.preferred_store)
    return to_staff()


# --- Reading the thread (audited) ---------------------------------------------------------


def thread_read(*, by: User, customer: Customer, limit: int = 50) -> list[Message]:
    """The customer's messages on every channel, newest first; the read goes on the audit."""
    from frontline.outreach.selectors import customer_messages

    messages = list(customer_messages(customer=customer)[:limit])
    thread_read_record(by=by, customer=customer)
    thread_mark_read(by=by, customer=customer)
    return messages


def profile_thread(*, by: User, customer: Customer, limit: int = 20) -> list[Message] | None:
    """The thread the profile's messages panel shows, or None for another store's customer.

    Anyone at any store opens the customer's profile, but a conversation is the work of the
    customer's store: its associates write, and are told of, the replies. So store B's staff
    serving a walk-in of store A see the profile without store A's messages (and read nothing
    the audit would have to record).
    """
    if not customers_in_stores_of(by).filter(pk=customer.pk).exists():
        return None
    return thread_read(by=by, customer=customer, limit=limit)


def thread_mark_read(*, by: User, customer: Customer) -> None:
    """The associate opened the customer's thread: their replies on it are read. A colleague
    looking at the profile leaves them unread for the associate the thread is for."""
    Conversation.objects.filter(customer=customer, associate=by, unread_count__gt=0).update(
        unread_count=0
    )


def thread_read_record(*, by: User, customer: Customer, detail: str = "outreach: messages") -> None:
    personal_data_access_record(
        staff_id=by.pk, customer_id=customer.pk, action=AccessAction.TIMELINE_READ, detail=detail
    )
