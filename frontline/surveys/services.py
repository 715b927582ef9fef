"""Sending surveys, and what an answer sets off: the timeline, sentiment, a recovery follow-up."""

from __future__ import annotations

import logging
import secrets
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from frontline.customers.models import (
    Consent,
    ConsentPurpose,
    Customer,
    InteractionKind,
    Source,
)
from frontline.customers.sentiment import interaction_sentiment_fields
from frontline.customers.services import interaction_record
from frontline.followups.models import FollowUp, Priority, Reason
from frontline.followups.selectors import store_today
from frontline.followups.services import followup_insert
from frontline.orders.models import Order
from frontline.outreach.rules import Refusal
from frontline.outreach.services import service_message_queue
from frontline.staff.models import StaffRole, Store, StoreAssignment, User
from frontline.surveys import conf
from frontline.surveys.models import About, Channel, Survey

logger = logging.getLogger("frontline.surveys")

LINK_SALT = "frontline.surveys.answer"
COMMENT_LIMIT = 2_000
# A detractor's recovery follow-up is due the next day in the store's time zone: the manager has
# today and tomorrow, never more than 48 hours from the answer.
RECOVERY_DUE_DAYS = 1


# --- Sending --------------------------------------------------------------------------------


# The channels a survey may go by, in the order they are tried: e-mail first (Django's
# e-mail backend, the longest message), then the outreach channels through their outbox.
SURVEY_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.WHATSAPP)


def survey_channel(customer: Customer) -> str | None:
    """The first channel the customer agreed to service messages on and has an address for."""
    consented = set(
        Consent.objects.filter(
            customer=customer,
            channel__in=SURVEY_CHANNELS,
            purpose=ConsentPurpose.SERVICE,
            granted=True,
        ).values_list("channel", flat=True)
    )
    for channel in SURVEY_CHANNELS:
        address = customer.email if channel == Channel.EMAIL else customer.phone
        if channel in consented and address:
            return channel
    return None


def may_survey(customer: Customer, *, now: datetime) -> bool:
    """A channel they agreed to service messages on, and no survey within the quiet period."""
    return _channel_if_may_survey(customer, now=now) is not None


def _channel_if_may_survey(customer: Customer, *, now: datetime) -> str | None:
    if customer.deleted_at or customer.merged_into_id:
        return None
    recently = Survey.objects.filter(
        customer=customer, created_at__gt=now - conf.quiet_period()
    ).exists()
    return None if recently else survey_channel(customer)


def survey_create(
    *,
    customer: Customer,
    store: Store,
    about: str,
    about_key: str,
    associate: User | None = None,
    now: datetime | None = None,
) -> Survey | None:
    """A survey about one purchase or appointment; None when the customer may not be asked (no
    channel they agreed to service messages on, asked recently) or was asked about it.

    By e-mail (sent after commit) when the customer agreed to service e-mails; otherwise by
    SMS or WhatsApp through the outreach outbox, queued in this transaction under outreach's
    rules; on WhatsApp outside the customer's 24-hour window, as the approved survey template.
    A survey those rules refuse (an invalid number, the day's cap, WhatsApp's closed window
    while the template has no approved ContentSid) is not created, so a later run may ask again.

    Appointments call this when a session is over (``about=About.APPOINTMENT``,
    ``about_key=f"booking:{booking.pk}"``, the stylist as ``associate``).
    """
    now = now or timezone.now()
    if about not in About.values:
        raise ValueError(f"Unknown survey subject {about!r}")
    channel = _channel_if_may_survey(customer, now=now)
    if channel is None:
        return None
    try:
        with transaction.atomic():
            survey = Survey.objects.create(
                customer=customer,
                store=store,
                associate=associate,
                about=about,
                about_key=about_key,
                token=secrets.token_urlsafe(16),
                channel=channel,
                email=customer.email if channel == Channel.EMAIL else "",
                created_at=now,
                expires_at=now + conf.link_age(),
            )
            if channel != Channel.EMAIL:
                _outreach_queue(survey, now=now)
    except IntegrityError:
        return None  # already asked about this one
    except Refusal as refusal:
        logger.info("Survey about %s not sent by %s: %s", about_key, channel, refusal.message)
        return None
    if channel == Channel.EMAIL:
        transaction.on_commit(lambda: _email_queue(survey.pk))
    return survey


# WhatsApp outside the customer's 24-hour window takes only an approved template: this one
# (outreach migration 0006), once the brand has pasted its provider's ContentSid into it.
SURVEY_WHATSAPP_TEMPLATE = "nps-survey"

# The survey's outreach message is keyed by the survey itself: however often the job runs or
# a task is retried, one survey is one message.
OUTREACH_KEY_NAMESPACE = uuid.UUID("5b0e7f4e-3f51-4c1a-9d55-6f1f1bd6c2a1")


def survey_outreach_key(survey: Survey) -> uuid.UUID:
    return uuid.uuid5(OUTREACH_KEY_NAMESPACE, f"survey:{survey.pk}:{survey.about_key}")


def _outreach_queue(survey: Survey, *, now: datetime) -> None:
    """Hand the survey's link to the outreach outbox (SMS or WhatsApp); sent after commit."""
    with translation.override(survey.store.language):  # the store's, as the e-mail's
        text = gettext(
            "How likely are you to recommend %(store)s to a friend? One question, 0 to 10: "
            "%(url)s (open for %(days)s days)"
        ) % {"store": survey.store.name, "url": survey_url(survey), "days": conf.link_age().days}
    service_message_queue(
        customer=survey.customer,
        channel=survey.channel,
        body=text,
        idempotency_key=survey_outreach_key(survey),
        # Used only where WhatsApp needs it: outside the customer's window.
        template_key=SURVEY_WHATSAPP_TEMPLATE if survey.channel == Channel.WHATSAPP else None,
        template_values={"survey_url": survey_url(survey)},
    )
    Survey.objects.filter(pk=survey.pk).update(sent_at=now)


def _email_queue(survey_id: int) -> None:
    from frontline.surveys.tasks import send_survey_email_task

    send_survey_email_task.delay(survey_id)


def surveys_after_purchases(*, now: datetime | None = None, limit: int = 500) -> int:
    """Create the surveys of sales placed a day ago (the purchase delay) and not yet surveyed.

    Run by Celery beat; a sale older than the link's age is never surveyed late.
    """
    now = now or timezone.now()
    latest = now - conf.purchase_delay()
    orders = (
        Order.objects.filter(
            kind=Order.Kind.SALE,
            placed_at__lte=latest,
            placed_at__gt=latest - conf.link_age(),
            customer__isnull=False,
            store__isnull=False,
            deleted_at__isnull=True,
            customer__deleted_at__isnull=True,
            customer__merged_into__isnull=True,
        )
        .filter(
            Exists(
                Consent.objects.filter(
                    customer=OuterRef("customer"),
                    channel__in=SURVEY_CHANNELS,
                    purpose=ConsentPurpose.SERVICE,
                    granted=True,
                )
            )
        )
        .exclude(Q(customer__surveys__created_at__gt=now - conf.quiet_period()))
        .select_related("customer", "store", "associate")
        .order_by("placed_at", "pk")[:limit]
    )
    created = 0
    for order in orders:
        assert order.customer is not None and order.store is not None
        created += bool(
            survey_create(
                customer=order.customer,
                store=order.store,
                associate=order.associate,
                about=About.PURCHASE,
                about_key=f"order:{order.pk}",
                now=now,
            )
        )
    return created


def survey_link(survey: Survey) -> str:
    """The signed value of the survey's public address."""
    return signing.dumps(survey.token, salt=LINK_SALT, compress=True)


def survey_url(survey: Survey) -> str:
    """The survey's public address, absolute (it leaves in a message)."""
    return settings.SITE_URL.rstrip("/") + reverse("surveys:answer", args=[survey_link(survey)])


def survey_from_link(value: str, *, now: datetime | None = None) -> Survey | None:
    """The survey a link opens, or None when it is forged, expired or the survey is gone."""
    try:
        token = signing.loads(value, salt=LINK_SALT, max_age=conf.link_age())
    except signing.BadSignature:  # SignatureExpired is one
        return None
    survey = Survey.objects.select_related("store", "customer").filter(token=str(token)).first()
    if survey is None or survey.expires_at <= (now or timezone.now()):
        return None
    return survey


def survey_email_send(*, survey_id: int) -> bool:
    """Send the survey's e-mail once: claim it, send, and give the claim back if sending fails."""
    claimed = Survey.objects.filter(pk=survey_id, sent_at__isnull=True).update(
        sent_at=timezone.now()
    )
    if not claimed:
        return False
    survey = Survey.objects.select_related("store", "customer").get(pk=survey_id)
    context = {"survey": survey, "url": survey_url(survey), "days": conf.link_age().days}
    # In the language of the store the customer bought at (a Celery task: no request chose one).
    with translation.override(survey.store.language):
        message = EmailMessage(
            subject=_("How likely are you to recommend %(store)s?") % {"store": survey.store.name},
            body=render_to_string("surveys/email.txt", context),
            to=[survey.email],
        )
    try:
        message.send()
    except Exception:
        Survey.objects.filter(pk=survey_id).update(sent_at=None)
        raise
    return True


# --- Answering ------------------------------------------------------------------------------


def survey_answer(*, survey: Survey, score: object, comment: str) -> Survey:
    """Record the customer's answer, once; the first answer stands.

    The answer goes on the timeline with the sentiment of its words; a detractor's (0-6) raises
    a high-priority service-recovery follow-up for the store's manager, due within 48 hours.
    """
    value = _checked_score(score)
    comment = (comment or "").replace("\x00", "").strip()
    if len(comment) > COMMENT_LIMIT:
        raise ValidationError(
            {
                "comment": gettext("At most %(limit)s characters, please.")
                % {"COMMENT_LIMIT": format(COMMENT_LIMIT, ",")}
            }
        )
    with transaction.atomic():
        survey = Survey.objects.select_for_update().select_related("store").get(pk=survey.pk)
        if survey.answered_at is not None:
            return survey
        now = timezone.now()
        summary = f"Survey answer {value}/10. {comment}".strip()
        fields = interaction_sentiment_fields(summary=comment or None)
        survey.score, survey.comment, survey.answered_at = value, comment, now
        survey.sentiment, survey.sentiment_score = fields["sentiment"], fields["sentiment_score"]
        survey.interaction = interaction_record(
            customer_id=survey.customer_id,
            source=Source.FRONTLINE,
            external_id=f"survey:{survey.pk}",
            # The channel the question went by (the same values as the timeline's).
            channel=survey.channel,
            kind=InteractionKind.COMMENT,
            summary=summary,
            occurred_at=now,
            store=survey.store,
            **fields,
        )
        if survey.is_detractor:
            survey.recovery = _recovery_plan(survey, now)
        survey.save()
    return survey


def _checked_score(score: object) -> int:
    try:
        value = int(str(score).strip())
    except ValueError:
        value = -1
    if not 0 <= value <= 10:
        raise ValidationError({"score": gettext("Choose a number from 0 to 10.")})
    return value


def _recovery_plan(survey: Survey, now: datetime) -> FollowUp | None:
    manager = (
        StoreAssignment.objects.filter(
            store=survey.store, role=StaffRole.MANAGER, user__is_active=True
        )
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    if manager is None:
        logger.warning(
            "Detractor in survey %s: store %s has no manager", survey.pk, survey.store_id
        )
        return None
    words = f": {survey.comment[:150]}" if survey.comment else ""
    assert survey.interaction is not None
    return followup_insert(
        customer=survey.customer,
        store=survey.store,
        assignee=manager.user,
        due_on=store_today(survey.store, now) + timedelta(days=RECOVERY_DUE_DAYS),
        reason=Reason.SERVICE_RECOVERY,
        reason_text=f"Survey {survey.score}/10{words}"[:200],
        priority=Priority.HIGH,
        # The key the negative-sentiment rule would give the answer's timeline entry, so that
        # the rule, finding it taken, never plans a second recovery for the same answer.
        source_key=f"service-recovery:interaction:{survey.interaction.pk}",
    )
