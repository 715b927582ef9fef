"""Reads of outreach, scoped to the staff member through the customers they may see."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from frontline.customers.models import Customer
from frontline.customers.selectors import customers_visible_to
from frontline.outreach import rules
from frontline.outreach.models import Message, MessageEvent, MessageTemplate
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
        Message.objects.filter(pk=message_id, customer__in=customers_visible_to(user))
        .select_related("customer", "sent_by")
        .first()
    )
    if message is None:
        raise Http404("No such message.")
    return message


def message_events(*, message: Message) -> QuerySet[MessageEvent]:
    return message.events.order_by("received_at", "pk")


def templates_active() -> QuerySet[MessageTemplate]:
    return MessageTemplate.objects.filter(is_active=True).order_by("name")


def channel_choices(customer: Customer) -> list[dict[str, object]]:
    """Each channel with the purposes the customer consented to (empty: not offered)."""
    granted = rules.consented_channels(customer)
    from frontline.outreach.models import Channel

    return [
        {"value": value, "label": label, "purposes": sorted(granted.get(value, set()))}
        for value, label in Channel.choices
    ]
