"""The rules a message must pass before it is queued, and again before it leaves.

Each failed rule is a ``Refusal`` with a code programs can act on and a sentence people can:
nothing is queued or sent, and what the associate wrote stays in their form.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from phonenumbers import timezone as phone_zones

from frontline.customers.models import Consent, ConsentPurpose, Customer
from frontline.outreach.models import Channel, Conversation, Direction, Message, MessageTemplate
from frontline.outreach.models import Status as MessageStatus

# Limits of what each channel carries: Twilio takes a Body of up to 1,600 characters (SMS and
# WhatsApp); an e-mail has no hard limit, this one keeps a personal message personal.
MAX_LENGTH = {Channel.EMAIL: 10_000, Channel.SMS: 1_600, Channel.WHATSAPP: 1_600}
MAX_SUBJECT = 150
WHATSAPP_WINDOW = timedelta(hours=24)
# Statuses that did not reach anyone: they do not count towards the frequency caps.
NOT_COUNTED = (MessageStatus.FAILED, MessageStatus.CANCELLED, MessageStatus.UNDELIVERED)
QUIET_HOURS_CHANNELS = (Channel.SMS, Channel.WHATSAPP)


class Refusal(Exception):
    def __init__(self, code: str, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


# --- Consent -----------------------------------------------------------------------------


def consents_of(customer: Customer) -> QuerySet[Consent]:
    return Consent.objects.filter(customer=customer, granted=True, channel__in=Channel.values)


def consented_channels(customer: Customer) -> dict[str, set[str]]:
    """For each channel, the purposes the customer agreed to (no row: no consent)."""
    granted: dict[str, set[str]] = {}
    for channel, purpose in consents_of(customer).values_list("channel", "purpose"):
        granted.setdefault(channel, set()).add(purpose)
    return granted


def check_consent(customer: Customer, channel: str, purpose: str) -> None:
    if not consents_of(customer).filter(channel=channel, purpose=purpose).exists():
        raise no_consent(customer, channel, purpose)


def no_consent(customer: Customer, channel: str, purpose: str) -> Refusal:
    label = ConsentPurpose(purpose).label.lower()
    return Refusal(
        "no_consent",
        gettext("%(full_name)s has not agreed to %(label)s by %(channel)s.")
        % {"full_name": customer.full_name, "label": label, "channel": Channel(channel).label},
        field="channel",
    )


def consents_granted(customer_ids: Iterable[int]) -> set[tuple[int, str, str]]:
    """(customer, channel, purpose) of every consent these customers gave: one query for a
    batch of messages instead of one per message."""
    return set(
        Consent.objects.filter(
            customer_id__in=set(customer_ids), granted=True, channel__in=Channel.values
        ).values_list("customer_id", "channel", "purpose")
    )


# --- Addresses ---------------------------------------------------------------------------


def address_for(customer: Customer, channel: str) -> str:
    if channel == Channel.EMAIL:
        if not customer.email:
            raise Refusal(
                "no_address", gettext("This customer has no e-mail address."), field="channel"
            )
        return customer.email
    if not customer.phone:
        raise Refusal("no_address", gettext("This customer has no phone number."), field="channel")
    if not phone_is_valid(customer.phone):
        raise Refusal(
            "invalid_phone",
            gettext(
                "The customer's phone number %(phone)s is not a valid number: correct it on the "
                "profile first."
            )
            % {"phone": customer.phone},
            field="channel",
        )
    return customer.phone


def phone_is_valid(number: str) -> bool:
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(parsed)


# --- Text --------------------------------------------------------------------------------


def check_text(channel: str, subject: str, text: str) -> None:
    if not text.strip():
        raise Refusal("empty", gettext("Write a message first: it is empty."), field="body")
    limit = MAX_LENGTH[Channel(channel)]
    if len(text) > limit:
        raise Refusal(
            "too_long",
            gettext("The message is %(length)s characters; %(label)s takes at most %(limit)s.")
            % {
                "length": format(len(text), ","),
                "label": Channel(channel).label,
                "limit": format(limit, ","),
            },
            field="body",
        )
    if channel == Channel.EMAIL and not subject.strip():
        raise Refusal("no_subject", gettext("An e-mail needs a subject."), field="subject")
    if len(subject) > MAX_SUBJECT:
        raise Refusal(
            "too_long",
            gettext("The subject is longer than %(limit)s characters.") % {"limit": MAX_SUBJECT},
            field="subject",
        )


# --- Quiet hours in the customer's time zone ---------------------------------------------


def customer_time_zone(customer: Customer) -> ZoneInfo:
    """Where the customer's phone number says they are: its one zone (a New York number), or
    their store's zone when it is among the number's (a UK mobile spans London and the Crown
    dependencies); else their store's zone, else the server's."""
    store = customer.preferred_store
    store_zone = str(store.time_zone) if store is not None else settings.TIME_ZONE
    zones = _phone_zones(customer.phone)
    if len(zones) == 1:
        chosen = zones[0]
    elif store_zone in zones or not zones:
        chosen = store_zone
    else:
        chosen = zones[0]
    try:
        return ZoneInfo(chosen)
    except ZoneInfoNotFoundError:
        return ZoneInfo(settings.TIME_ZONE)


def _phone_zones(number: str) -> list[str]:
    if not number:
        return []
    try:
        zones = phone_zones.time_zones_for_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return []
    return [zone for zone in zones if zone != phone_zones.UNKNOWN_TIMEZONE]


def quiet_hours() -> tuple[time, time]:
    start, _, end = settings.OUTREACH_QUIET_HOURS.partition("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


def in_quiet_hours(moment: datetime, zone: ZoneInfo) -> bool:
    start, end = quiet_hours()
    local = moment.astimezone(zone).time()
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def quiet_hours_end(moment: datetime, zone: ZoneInfo) -> datetime:
    """The first moment at or after ``moment`` outside quiet hours, in UTC."""
    _, end = quiet_hours()
    local = moment.astimezone(zone)
    candidate = datetime.combine(local.date(), end, tzinfo=zone)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), end, tzinfo=zone)
    return candidate.astimezone(ZoneInfo("UTC"))


def check_quiet_hours(customer: Customer, channel: str, at: datetime) -> None:
    if channel not in QUIET_HOURS_CHANNELS:
        return
    zone = customer_time_zone(customer)
    if in_quiet_hours(at, zone):
        resume = quiet_hours_end(at, zone).astimezone(zone)
        raise Refusal(
            "quiet_hours",
            gettext(
                "It is %(local_time)s for the customer (%(zone)s): no %(label)s during quiet hours "
                "(%(quiet_hours)s). Schedule it for %(resume)s or later."
            )
            % {
                "local_time": format(at.astimezone(zone), "%H:%M"),
                "zone": zone.key,
                "label": Channel(channel).label,
                "quiet_hours": settings.OUTREACH_QUIET_HOURS,
                "resume": format(resume, "%H:%M"),
            },
            field="send_at",
        )


# --- WhatsApp's customer-service window --------------------------------------------------


def whatsapp_window_open(conversation: Conversation | None, at: datetime) -> bool:
    last = conversation.last_inbound_at if conversation else None
    return last is not None and at - last < WHATSAPP_WINDOW


def check_whatsapp_window(
    conversation: Conversation | None, template: MessageTemplate | None, at: datetime
) -> None:
    if whatsapp_window_open(conversation, at):
        return
    if template is not None and template.whatsapp_content_sid:
        return
    raise Refusal(
        "whatsapp_window",
        gettext(
            "The customer has not written on WhatsApp in the last 24 hours: only an approved "
            "WhatsApp template may open the conversation."
        ),
        field="template",
    )


# --- Frequency caps ----------------------------------------------------------------------


def check_frequency(customer: Customer, purpose: str, at: datetime) -> None:
    recent = Message.objects.filter(
        customer=customer, direction=Direction.OUTBOUND, created_at__gt=at - timedelta(days=7)
    ).exclude(status__in=NOT_COUNTED)
    today = recent.filter(created_at__gt=at - timedelta(days=1)).count()
    if today >= settings.OUTREACH_MESSAGES_PER_DAY:
        raise Refusal(
            "frequency_cap",
            gettext(
                "%(full_name)s already has %(today)s messages from the brand in the last 24 hours "
                "(the limit is %(limit)s)."
            )
            % {
                "full_name": customer.full_name,
                "today": today,
                "limit": settings.OUTREACH_MESSAGES_PER_DAY,
            },
        )
    if purpose == ConsentPurpose.MARKETING:
        marketing = recent.filter(purpose=ConsentPurpose.MARKETING).count()
        if marketing >= settings.OUTREACH_MARKETING_PER_WEEK:
            raise Refusal(
                "frequency_cap",
                gettext(
                    "%(full_name)s already had %(marketing)s marketing messages this week (the "
                    "limit is %(limit)s)."
                )
                % {
                    "full_name": customer.full_name,
                    "marketing": marketing,
                    "limit": settings.OUTREACH_MARKETING_PER_WEEK,
                },
            )


def now() -> datetime:
    return timezone.now()
