"""Messages to and from customers: conversations per channel, the outbox, delivery events.

An outbound message is a row before it is anything else: the service writes it (queued or
scheduled) with its idempotency key, and the outbox worker claims the row before it talks to
the e-mail server or the messaging provider. The key travels with every attempt (as the
e-mail's Message-ID, as the provider request's ``Idempotency-Key``), so a retry is the same
message, never a new one.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import pgettext_lazy

from frontline.core.choices import LazyChoiceLabels
from frontline.customers.models import ConsentPurpose


class Channel(models.TextChoices):
    EMAIL = "email", pgettext_lazy("message", "E-mail")
    SMS = "sms", pgettext_lazy("message", "SMS")
    WHATSAPP = "whatsapp", pgettext_lazy("message", "WhatsApp")


class Direction(models.TextChoices):
    OUTBOUND = "outbound", pgettext_lazy("message", "Sent to the customer")
    INBOUND = "inbound", pgettext_lazy("message", "From the customer")


class Status(models.TextChoices):
    SCHEDULED = "scheduled", pgettext_lazy("message", "Scheduled")
    QUEUED = "queued", pgettext_lazy("message", "Queued")
    SENDING = "sending", pgettext_lazy("message", "Sending")
    RETRYING = "retrying", pgettext_lazy("message", "Waiting to retry")
    SENT = "sent", pgettext_lazy("message", "Sent")
    DELIVERED = "delivered", pgettext_lazy("message", "Delivered")
    READ = "read", pgettext_lazy("message", "Read")
    UNDELIVERED = "undelivered", pgettext_lazy("message", "Not delivered")
    FAILED = "failed", pgettext_lazy("message", "Failed")
    CANCELLED = "cancelled", pgettext_lazy("message", "Cancelled")
    RECEIVED = "received", pgettext_lazy("message", "Received")


# Waiting in the outbox: the worker may claim these once ``not_before`` has passed.
WAITING = (Status.SCHEDULED, Status.QUEUED, Status.RETRYING)


def reply_token() -> str:
    return secrets.token_urlsafe(12)


class Conversation(LazyChoiceLabels):
    """The thread with one customer on one channel, and who looks after it."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="conversations"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # The associate replies reach: whoever wrote last from Frontline.
    associate = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    store = models.ForeignKey(
        "staff.Store", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Replies to e-mails go to reply+<token>@OUTREACH_REPLY_DOMAIN: the token finds the thread
    # without trusting the sender's address.
    reply_token = models.CharField(max_length=24, unique=True, default=reply_token)
    last_message_at = models.DateTimeField(null=True, blank=True)
    # WhatsApp's 24-hour customer-service window opens with each message from the customer.
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    # The customer's messages the associate has not read yet: counted up as each lands, back to
    # zero when the associate opens the thread or writes on it. "My day" lists these threads.
    unread_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            # "My day" reads the associate's unread threads, latest reply first, a few at a
            # time: only threads with something unread are in this index.
            models.Index(
                fields=["associate", "-last_inbound_at"],
                condition=models.Q(unread_count__gt=0),
                name="conversation_unread",
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "channel"], name="one_conversation_per_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} on {self.channel}"


class MessageTemplate(LazyChoiceLabels):
    """A reusable text with ``{{ variables }}``; the brand keeps them in the back office.

    WhatsApp lets a business open a conversation (outside the 24 hours after the customer's
    last message) only with a template it approved: ``whatsapp_content_sid`` names that
    approved version at the provider, and ``whatsapp_variables`` the order of its numbered
    placeholders.
    """

    key = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    purpose = models.CharField(
        max_length=10, choices=ConsentPurpose.choices, default=ConsentPurpose.SERVICE
    )
    subject = models.CharField(max_length=150, blank=True, help_text="E-mail only")
    body = models.TextField(max_length=4000)
    whatsapp_content_sid = models.CharField(
        max_length=40, blank=True, help_text="The provider's id of the approved WhatsApp template"
    )
    whatsapp_variables = models.JSONField(
        default=list, blank=True, help_text="Variable names in the order of {{1}}, {{2}}..."
    )
    is_active = models.BooleanField(default=True)
    # Off for a text Frontline sends on the brand's account (the survey's, whose link only the
    # survey can fill): staff are not offered it to write with.
    offered_to_staff = models.BooleanField(
        default=True, help_text="Offered to staff writing to customers and in campaigns"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("campaign", "Draft")
    QUEUING = "queuing", pgettext_lazy("campaign", "Queuing")
    QUEUED = "queued", pgettext_lazy("campaign", "In the outbox")


class Campaign(LazyChoiceLabels):
    """One text to a store's customers chosen by a filter, launched by a manager of the store.

    Launching queues the messages through the outbox in batches of customers, in customer id
    order: ``last_customer_id`` and the counts move forward in the same transaction as each
    batch's messages, so a worker killed mid-launch resumes where it stopped, and a second
    launch (or a second delivery of the task) queues nobody twice.
    """

    store = models.ForeignKey("staff.Store", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=120)
    # The audience: frontline.customers.criteria.CustomerCriteria as JSON, over the store's
    # customers.
    criteria = models.JSONField(default=dict)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    purpose = models.CharField(
        max_length=10, choices=ConsentPurpose.choices, default=ConsentPurpose.MARKETING
    )
    template = models.ForeignKey(
        MessageTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(max_length=4000)
    # Empty: as soon as it is launched.
    send_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    launched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    launched_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    # The launch's last step (launched, or a batch queued): the outbox's sweep restarts a
    # launch that stood still longer than a claim's lease (its task lost with a worker).
    progressed_at = models.DateTimeField(null=True, blank=True)
    last_customer_id = models.BigIntegerField(default=0)
    queued_count = models.PositiveIntegerField(default=0)
    # Customers left out, by the rule's code: {"no_consent": 12, "quiet_hours": 3...}.
    excluded = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["store", "-created_at"], name="campaign_store")]

    def __str__(self) -> str:
        return self.name


class Message(LazyChoiceLabels):
    # NULL only for a message from an address no customer has (kept, for the back office).
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
        db_index=False,  # led by the thread index below
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    direction = models.CharField(max_length=10, choices=Direction.choices)
    purpose = models.CharField(
        max_length=10, choices=ConsentPurpose.choices, default=ConsentPurpose.SERVICE
    )
    status = models.CharField(max_length=12, choices=Status.choices)
    template = models.ForeignKey(
        MessageTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    # The e-mail's HTML part (the product cards), rendered when the message was written.
    html = models.TextField(blank=True)
    # WhatsApp outside the 24-hour window: the approved template's id and its variables.
    content_sid = models.CharField(max_length=40, blank=True)
    content_variables = models.JSONField(default=dict, blank=True)
    # The confirmation of an unsubscribe: the one message sent without (any longer) consent.
    confirms_opt_out = models.BooleanField(default=False)
    to_address = models.CharField(max_length=254)
    from_address = models.CharField(max_length=254, blank=True)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The provider's id (Twilio's Message SID, the e-mail's Message-ID) once it accepted it.
    provider_id = models.CharField(max_length=200, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The outbox: not sent before this moment (the schedule, or the next retry).
    not_before = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.CharField(max_length=300, blank=True)
    interaction = models.ForeignKey(
        "customers.Interaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    campaign = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
        db_index=False,  # led by the constraint campaign_customer_once
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="message_thread"),
            models.Index(
                fields=["not_before"],
                condition=models.Q(status__in=["scheduled", "queued", "retrying"]),
                name="message_outbox_due",
            ),
            models.Index(
                fields=["claimed_at"],
                condition=models.Q(status="sending"),
                name="message_outbox_claimed",
            ),
            models.Index(fields=["provider_id"], name="message_provider_id"),
        ]
        constraints = [
            # A campaign writes to each customer once, however often it is launched.
            models.UniqueConstraint(
                fields=["campaign", "customer"],
                condition=models.Q(campaign__isnull=False),
                name="campaign_customer_once",
            ),
            # A provider that delivers the same inbound message twice (webhooks are retried)
            # lands it once.
            models.UniqueConstraint(
                fields=["channel", "provider_id"],
                condition=models.Q(direction="inbound") & ~models.Q(provider_id=""),
                name="inbound_message_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.channel} {self.status}"

    @property
    def is_outbound(self) -> bool:
        return self.direction == Direction.OUTBOUND


class MessageEvent(models.Model):
    """A delivery status the provider reported, as it came (callbacks can arrive out of order
    and more than once: each is kept once, and the message keeps the furthest status)."""

    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    # The provider's id, so that a callback arriving before the send was recorded finds its
    # message once it is.
    provider_id = models.CharField(max_length=200)
    status = models.CharField(max_length=20)
    error_code = models.CharField(max_length=40, blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["provider_id"], name="message_event_provider_id")]

    def __str__(self) -> str:
        return f"{self.provider_id}: {self.status}"
