"""Reads of outreach, scoped to the staff member through the customers they may see."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum, Window
from django.http import Http404
from django.utils.translation import gettext

from frontline.actions.registry import registry
from frontline.actions.selectors import suggestion_visible_to
from frontline.customers.models import ConsentPurpose, Customer
from frontline.customers.selectors import customers_in_stores_of
from frontline.followups.selectors import followup_get, managed_stores
from frontline.outreach import rules
from frontline.outreach.models import (
    WAITING,
    Campaign,
    CampaignStatus,
    Conversation,
    Direction,
    Message,
    MessageEvent,
    MessageTemplate,
    Status,
)
from frontline.staff.models import User


def customer_messages(*, customer: Customer) -> QuerySet[Message]:
    return (
        Message.objects.filter(customer=customer)
        .select_related("sent_by")
        .order_by("-created_at", "-pk")
    )


def message_get(*, user: User, message_id: int) -> Message:
    """A message of a customer the staff member may see, else Http404."""
    message = (
        Message.objects.filter(pk=message_id, customer__in=customers_in_stores_of(user))
        .select_related("customer", "sent_by")
        .first()
    )
    if message is None:
        raise Http404(gettext("No such message."))
    return message


def message_events(*, message: Message) -> QuerySet[MessageEvent]:
    return message.events.order_by("received_at", "pk")


def templates_offered() -> QuerySet[MessageTemplate]:
    """The templates staff choose from when they write or plan a campaign."""
    return MessageTemplate.objects.filter(is_active=True, offered_to_staff=True).order_by("name")


def channel_choices(customer: Customer) -> list[dict[str, object]]:
    """Each channel with the purposes the customer consented to (empty: not offered)."""
    granted = rules.consented_channels(customer)
    from frontline.outreach.models import Channel

    return [
        {"value": value, "label": label, "purposes": sorted(granted.get(value, set()))}
        for value, label in Channel.choices
    ]


# --- What a message is about: a follow-up or a recommended action --------------------------

# The template that fits each kind of follow-up (frontline.followups Reason) and of
# recommended action (frontline.actions rule); "other" and unknown kinds start blank.
TEMPLATE_FOR_REASON = {
    "thank_you": "thank-you",
    "new_arrivals": "new-arrivals",
    "event_invite": "event-invite",
    "service_recovery": "service-recovery",
    "occasion": "occasion",
    "check_in": "check-in",
    "back_in_stock": "back-in-stock",
    "hold": "order-ready",
}
TEMPLATE_FOR_RULE = {
    "thank_you_purchase": "thank-you",
    "complaint_unresolved": "service-recovery",
    "birthday_soon": "occasion",
    "anniversary_soon": "occasion",
    "lapsing_high_value": "check-in",
    "new_arrival_brand": "new-arrivals",
    "back_in_stock": "back-in-stock",
    "hold_expiring": "order-ready",
}
# Offered first when the customer has not written to us yet: the least intrusive channel,
# as the actions engine suggests it.
CHANNEL_PREFERENCE = ("email", "whatsapp", "sms")


@dataclass(frozen=True)
class Regarding:
    """The follow-up or suggestion a message answers, and how the compose page opens for it."""

    kind: str  # "followup" or "suggestion"
    pk: int
    title: str
    template: MessageTemplate | None
    purpose: str
    channel: str


def preferred_channel(customer: Customer, purpose: str, suggested: str = "") -> str:
    """The channel to offer: the one suggested (by an action), else the one the customer last
    wrote to us on, else the least intrusive one they consented to, for this purpose."""
    granted = {
        channel
        for channel, purposes in rules.consented_channels(customer).items()
        if purpose in purposes
    }
    last_written = (
        Conversation.objects.filter(customer=customer, last_inbound_at__isnull=False)
        .order_by("-last_inbound_at")
        .values_list("channel", flat=True)
        .first()
    )
    for channel in (suggested, last_written, *CHANNEL_PREFERENCE):
        if channel and channel in granted:
            return channel
    return ""


def _template(key: str | None) -> MessageTemplate | None:
    return templates_offered().filter(key=key).first() if key else None


def regarding_followup(*, user: User, customer: Customer, followup_id: int) -> Regarding:
    """The follow-up the staff member works on for this customer, else Http404."""
    followup = followup_get(user=user, followup_id=followup_id)
    if followup.customer_id != customer.pk:
        raise Http404(gettext("That follow-up is about another customer."))
    template = _template(TEMPLATE_FOR_REASON.get(followup.reason))
    purpose = template.purpose if template else ConsentPurpose.SERVICE
    return Regarding(
        kind="followup",
        pk=followup.pk,
        title=followup.title,
        template=template,
        purpose=purpose,
        channel=preferred_channel(customer, purpose),
    )


def regarding_suggestion(*, user: User, customer: Customer, suggestion_id: int) -> Regarding:
    """The recommended action for this customer, else Http404 (handled already, or not
    the staff member's to see)."""
    try:
        suggestion = suggestion_visible_to(user=user, suggestion_id=suggestion_id)
    except ObjectDoesNotExist:
        raise Http404(
            gettext("This suggestion was already handled, or is not yours to see.")
        ) from None
    if suggestion.customer_id != customer.pk:
        raise Http404(gettext("That suggestion is about another customer."))
    rule = registry.get(suggestion.rule)
    template = _template(TEMPLATE_FOR_RULE.get(suggestion.rule))
    purpose = (
        (rule.contact_purpose if rule else None)
        or (template.purpose if template else None)
        or ConsentPurpose.SERVICE
    )
    return Regarding(
        kind="suggestion",
        pk=suggestion.pk,
        title=suggestion.reason,
        template=template,
        purpose=purpose,
        channel=preferred_channel(customer, purpose, suggested=suggestion.channel),
    )


# --- Unread replies, on the associate's day -------------------------------------------------

UNREAD_LIMIT = 10


@dataclass(frozen=True)
class UnreadThread:
    customer: Customer
    channels: list[str]
    count: int
    latest: str
    latest_at: datetime | None


@dataclass(frozen=True)
class UnreadReplies:
    threads: list[UnreadThread]
    # Every unread message of the associate's, not only those of the threads shown.
    total: int


def unread_replies(*, user: User, limit: int = UNREAD_LIMIT) -> UnreadReplies:
    """The customers whose replies the associate has not read, latest reply first: per
    customer the latest reply, its channels and how many are unread.

    One query, whatever the number of threads: the partial index ``conversation_unread``
    holds only threads with something unread, in the order shown; the total comes from a
    window over the same rows, the latest text from one short look per thread shown.
    """
    latest = Message.objects.filter(
        conversation=OuterRef("pk"), direction=Direction.INBOUND
    ).order_by("-created_at", "-pk")
    rows = list(
        Conversation.objects.filter(
            associate=user, unread_count__gt=0, customer__in=customers_in_stores_of(user)
        )
        .select_related("customer")
        .annotate(
            latest_text=Subquery(latest.values("body")[:1]),
            unread_total=Window(Sum("unread_count")),
        )
        .order_by("-last_inbound_at", "-pk")[:limit]
    )
    by_customer: dict[int, UnreadThread] = {}
    for row in rows:  # a customer who wrote on two channels shows once, with both
        seen = by_customer.get(row.customer_id)
        if seen is None:
            by_customer[row.customer_id] = UnreadThread(
                customer=row.customer,
                channels=[row.get_channel_display()],
                count=row.unread_count,
                latest=row.latest_text or "",
                latest_at=row.last_inbound_at,
            )
        else:
            seen.channels.append(row.get_channel_display())
            by_customer[row.customer_id] = replace(seen, count=seen.count + row.unread_count)
    total = rows[0].unread_total if rows else 0
    return UnreadReplies(threads=list(by_customer.values()), total=total)


# --- Campaigns ----------------------------------------------------------------------------


def campaigns_visible_to(user: User) -> QuerySet[Campaign]:
    """The campaigns of the stores the staff member manages (a campaign is a manager's)."""
    return Campaign.objects.filter(store__in=managed_stores(user))


def campaign_get(*, user: User, campaign_id: int) -> Campaign:
    campaign = (
        campaigns_visible_to(user)
        .select_related("store", "template", "created_by", "launched_by")
        .filter(pk=campaign_id)
        .first()
    )
    if campaign is None:
        raise Http404(gettext("No such campaign at the stores you manage."))
    return campaign


@dataclass(frozen=True)
class CampaignProgress:
    waiting: int
    sent: int
    failed: int
    cancelled: int
    excluded: dict[str, int]
    queuing: bool

    @property
    def excluded_count(self) -> int:
        return sum(self.excluded.values())

    @property
    def excluded_rows(self) -> list[tuple[str, int]]:
        return sorted(self.excluded.items(), key=lambda row: -row[1])

    @property
    def finished(self) -> bool:
        return not self.queuing and not self.waiting


def campaign_progress(*, campaign: Campaign) -> CampaignProgress:
    """Where the campaign's messages are: one count query over its messages."""
    counts = Message.objects.filter(campaign=campaign).aggregate(
        waiting=Count("pk", filter=Q(status__in=[*WAITING, Status.SENDING])),
        sent=Count("pk", filter=Q(status__in=[Status.SENT, Status.DELIVERED, Status.READ])),
        failed=Count("pk", filter=Q(status__in=[Status.FAILED, Status.UNDELIVERED])),
        cancelled=Count("pk", filter=Q(status=Status.CANCELLED)),
    )
    return CampaignProgress(
        excluded=dict(campaign.excluded),
        queuing=campaign.status == CampaignStatus.QUEUING,
        **counts,
    )
