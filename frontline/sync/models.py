"""Sync state: sources, cursors, runs, leases, quarantine, processed files and the outbox.

Everything the engine needs to resume lives here, in the database, never only in Redis: a
worker killed mid-run leaves a cursor, a run row and a lease that expires.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import pgettext_lazy

from frontline.core.choices import LazyChoiceLabels
from frontline.customers.models import Source as RecordSource


class Entity(models.TextChoices):
    CUSTOMERS = "customers", pgettext_lazy("sync", "Customers")
    PRODUCTS = "products", pgettext_lazy("sync", "Products and variants")
    STOCK = "stock", pgettext_lazy("sync", "Stock levels")
    ORDERS = "orders", pgettext_lazy("sync", "Orders")
    INTERACTIONS = "interactions", pgettext_lazy("sync", "CRM tasks and activities")
    REVIEWS = "reviews", pgettext_lazy("sync", "Product reviews")


class Source(LazyChoiceLabels):
    """A system Frontline syncs with. Secrets stay in the environment: only their names are here."""

    class Kind(models.TextChoices):
        FILE_DROP = "file_drop", pgettext_lazy("sync", "File drop (CSV / JSON Lines)")
        SHOPIFY = "shopify", pgettext_lazy("sync", "Commerce REST (Shopify-shaped)")
        SALESFORCE = "salesforce", pgettext_lazy("sync", "CRM REST (Salesforce-shaped)")

    name = models.SlugField(max_length=40, unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    record_source = models.CharField(
        max_length=12,
        choices=RecordSource.choices,
        help_text="What the records are labelled with in Frontline (identities, orders).",
    )
    base_url = models.URLField(blank=True, help_text="REST sources: the API's base URL.")
    credentials_env = models.CharField(
        max_length=60,
        blank=True,
        help_text="Prefix of the environment variables holding the credentials, e.g. "
        "SHOPIFY_MAIN gives SHOPIFY_MAIN_TOKEN (Shopify) or SHOPIFY_MAIN_CLIENT_ID / "
        "_CLIENT_SECRET (Salesforce). Never the secret itself.",
    )
    webhook_secret_env = models.CharField(
        max_length=60, blank=True, help_text="Environment variable holding the webhook HMAC key."
    )
    options = models.JSONField(
        default=dict,
        blank=True,
        help_text='Connector options, e.g. {"locations": {"7001": "store-1"}} for Shopify.',
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Cursor(LazyChoiceLabels):
    """How far a source/entity has been read; advanced in the same transaction as each page."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="cursors")
    entity = models.CharField(max_length=14, choices=Entity.choices)
    value = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "entity"], name="one_cursor_per_entity")
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.entity}: {self.value}"


class Lease(LazyChoiceLabels):
    """Who is syncing a source/entity right now. It expires, so a killed worker never blocks."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="+")
    entity = models.CharField(max_length=14, choices=Entity.choices)
    holder = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "entity"], name="one_lease_per_entity")
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.entity} held by {self.holder or 'nobody'}"


class Run(LazyChoiceLabels):
    class Status(models.TextChoices):
        RUNNING = "running", pgettext_lazy("sync", "Running")
        SUCCEEDED = "succeeded", pgettext_lazy("sync", "Succeeded")
        FAILED = "failed", pgettext_lazy("sync", "Failed")
        SKIPPED = "skipped", pgettext_lazy("sync", "Skipped (another run holds the lease)")

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", pgettext_lazy("sync", "Schedule")
        WEBHOOK = "webhook", pgettext_lazy("sync", "Webhook")
        MANUAL = "manual", pgettext_lazy("sync", "Manual")

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="runs")
    entity = models.CharField(max_length=14, choices=Entity.choices)
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.SCHEDULE)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    pages = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    quarantined = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["source", "entity", "-started_at"], name="run_history")]

    def __str__(self) -> str:
        return f"{self.source} {self.entity} #{self.pk}"

    @property
    def records(self) -> int:
        return self.created + self.updated + self.unchanged + self.quarantined


class QuarantinedRecord(LazyChoiceLabels):
    """A record that could not land, kept with its reason so that someone can fix and retry it."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("sync", "Open")
        RESOLVED = "resolved", pgettext_lazy("sync", "Resolved (landed on retry)")
        DISCARDED = "discarded", pgettext_lazy("sync", "Discarded")

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="quarantine")
    entity = models.CharField(max_length=14, choices=Entity.choices)
    run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    external_id = models.CharField(max_length=100, blank=True)
    payload = models.JSONField(help_text="The record as the source sent it; edit it, then retry.")
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    attempts = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "source", "entity"], name="quarantine_open")]

    def __str__(self) -> str:
        return f"{self.source} {self.entity} {self.external_id}: {self.reason}"


class UncertainMatch(LazyChoiceLabels):
    """A source record that looked like an existing customer without being clearly the same one.

    The engine created a new customer for it rather than merging silently; a person decides.
    """

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("sync", "Open")
        SENT = "sent", pgettext_lazy("sync", "Sent to the merge review queue")
        CLOSED = "closed", pgettext_lazy("sync", "Closed")

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=100)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The customer the engine created for the record.",
    )
    candidate_ids = models.JSONField(help_text="Existing customers the record resembled.")
    reason = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="one_uncertain_match_per_record"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id} ({self.reason})"


class ProcessedFile(LazyChoiceLabels):
    """A dropped file, known by its content hash, so that it is never processed twice."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="files")
    entity = models.CharField(max_length=14, choices=Entity.choices)
    name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    records_done = models.PositiveIntegerField(
        default=0, help_text="Records landed so far: where a killed run resumes."
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "sha256"], name="file_processed_once")
        ]

    def __str__(self) -> str:
        return self.name


class OutboxMessage(LazyChoiceLabels):
    """Work written back to a source (CRM Tasks), sent by a retrying task.

    ``key`` is stable per piece of work and is sent as the CRM's external id, so a retry after a
    lost response upserts the same Task instead of creating a second one.
    """

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("sync", "Pending")
        SENT = "sent", pgettext_lazy("sync", "Sent")
        FAILED = "failed", pgettext_lazy("sync", "Failed (gave up)")

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="outbox")
    key = models.CharField(max_length=80)
    # Whom the Task is about: while the CRM knows no contact for them, the message waits and
    # the contact is looked up again at each delivery (see outbox_deliver).
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    remote_id = models.CharField(max_length=100, blank=True)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="When the sweep sends it again after a failure."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "key"], name="outbox_key_once_per_source")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return self.key


class InventoryItem(models.Model):
    """Which variant SKU a Shopify-shaped source's inventory item counts.

    Inventory levels name inventory items, not SKUs; the products sync records the pair for
    every variant it reads (variants carry ``inventory_item_id``), and the stock sync looks the
    items up here.
    """

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="inventory_items")
    item_id = models.CharField(max_length=40)
    sku = models.CharField(max_length=40)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "item_id"], name="one_sku_per_inventory_item")
        ]

    def __str__(self) -> str:
        return f"{self.item_id} → {self.sku}"
