"""Customers as the brand knows them, merged from every source system.

Contact points are stored normalised (lower-cased e-mail, E.164 phone) so that matching and
search compare like with like; ``frontline.customers.normalize`` is the one place that
normalises them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Concat, Lower, Replace, Upper
from django.utils.translation import pgettext_lazy

from frontline.core.choices import LazyChoiceLabels


class Source(models.TextChoices):
    """The systems a record can come from."""

    FRONTLINE = "frontline", pgettext_lazy("customer", "Frontline")
    CRM = "crm", pgettext_lazy("customer", "CRM")
    ECOMMERCE = "ecommerce", pgettext_lazy("customer", "E-commerce")
    POS = "pos", pgettext_lazy("customer", "Point of sale")
    ERP = "erp", pgettext_lazy("customer", "ERP")
    BOOKING = "booking", pgettext_lazy("customer", "Booking page")


class Tier(models.TextChoices):
    MEMBER = "member", pgettext_lazy("customer", "Member")
    SILVER = "silver", pgettext_lazy("customer", "Silver")
    GOLD = "gold", pgettext_lazy("customer", "Gold")
    VIP = "vip", pgettext_lazy("customer", "VIP")


class Customer(LazyChoiceLabels):
    number = models.CharField(max_length=20, unique=True, help_text="The brand's customer number")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True, help_text="Normalised: lower-case")
    phone = models.CharField(max_length=20, blank=True, help_text="Normalised: E.164")
    postcode = models.CharField(max_length=16, blank=True)
    country = models.CharField(max_length=2, blank=True)
    tier = models.CharField(max_length=10, choices=Tier.choices, default=Tier.MEMBER)
    # No index of its own: customer_store_tier starts with it and serves its lookups (and the
    # SET NULL when a store goes), and the sync's bulk load rebuilds one index fewer.
    preferred_store = models.ForeignKey(
        "staff.Store",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    preferred_associate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="preferred_by_customers",
    )
    birthday = models.DateField(null=True, blank=True)
    anniversary = models.DateField(null=True, blank=True)
    # Figures kept up to date by the orders services so that lists and the actions engine
    # never aggregate a customer's whole history on read. The lifetime value is net of returns
    # (credit notes and units returned against sales), so it is negative for a customer who
    # returned more than they bought in the period the sources cover; the order count counts
    # sales only.
    lifetime_value = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    order_count = models.PositiveIntegerField(default=0)
    first_purchase_at = models.DateTimeField(null=True, blank=True)
    last_purchase_at = models.DateTimeField(null=True, blank=True)
    last_visit_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_customers",
        help_text="Set when this record was merged into another; it is then hidden.",
    )
    deleted_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set when every source system that knew this customer deleted its record; "
        "the customer is then hidden from search and the profile.",
    )
    erased_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set when the customer's personal data was erased at their request "
        "(frontline.privacy); the row stays, anonymised, for the brand's figures.",
    )
    # Where each synced field's value came from: {"phone": {"source": "crm", "at": "<ISO>"}}.
    # NULL for customers loaded in bulk, whose every field came from that one load.
    field_sources = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # "first last" lower-cased, kept by the database itself: search compares against it and, on
    # PostgreSQL, a trigram GIN index on it makes typo-tolerant search fast (migration 0004).
    search_name = models.GeneratedField(
        expression=Lower(Concat("first_name", models.Value(" "), "last_name")),
        output_field=models.CharField(max_length=201),
        db_persist=True,
    )

    class Meta:
        indexes = [
            models.Index(fields=["email"], name="customer_email"),
            # Postcodes arrive as "SW1A 1AA", "sw1a1aa"...: the matcher compares them without
            # spaces and in capitals, through this index.
            models.Index(
                Upper(Replace("postcode", models.Value(" "), models.Value(""))),
                name="customer_postcode_key",
            ),
            models.Index(fields=["phone"], name="customer_phone"),
            models.Index(fields=["preferred_store", "tier"], name="customer_store_tier"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(merged_into=models.F("id")),
                name="customer_not_merged_into_itself",
            ),
            models.CheckConstraint(
                condition=models.Q(email="") | models.Q(email=Lower("email")),
                name="customer_email_lower_case",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class CustomerIdentity(LazyChoiceLabels):
    """The customer's record in one source system: how sync finds the customer again."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    source = models.CharField(max_length=12, choices=Source.choices)
    external_id = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(
        null=True, blank=True, help_text="When the source system said it deleted this record."
    )
    # The source's own tags on its record ("VIP", "wholesale"), as it last sent them; NULL when
    # the source has no tags to send.
    tags = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "customer identities"
        # Search by external id does not know the source: the unique constraint (source first)
        # cannot serve it.
        indexes = [models.Index(fields=["external_id"], name="identity_external_id")]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="identity_per_source")
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id}"


class ConsentChannel(models.TextChoices):
    EMAIL = "email", pgettext_lazy("customer", "E-mail")
    SMS = "sms", pgettext_lazy("customer", "SMS")
    WHATSAPP = "whatsapp", pgettext_lazy("customer", "WhatsApp")
    PHONE = "phone", pgettext_lazy("customer", "Phone")


class ConsentPurpose(models.TextChoices):
    SERVICE = "service", pgettext_lazy("customer", "Service messages")
    MARKETING = "marketing", pgettext_lazy("customer", "Marketing")


class Consent(LazyChoiceLabels):
    """Whether the customer agreed to be contacted on a channel for a purpose.

    No row means no consent: Frontline never assumes permission.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(max_length=10, choices=ConsentChannel.choices)
    purpose = models.CharField(max_length=10, choices=ConsentPurpose.choices)
    granted = models.BooleanField()
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.FRONTLINE)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "channel", "purpose"], name="one_consent_per_channel_purpose"
            )
        ]

    def __str__(self) -> str:
        verdict = "yes" if self.granted else "no"
        return f"{self.channel}/{self.purpose}: {verdict}"


class SizeCategory(models.TextChoices):
    TOPS = "tops", pgettext_lazy("customer", "Tops")
    BOTTOMS = "bottoms", pgettext_lazy("customer", "Bottoms")
    DRESSES = "dresses", pgettext_lazy("customer", "Dresses")
    OUTERWEAR = "outerwear", pgettext_lazy("customer", "Outerwear")
    SHOES = "shoes", pgettext_lazy("customer", "Shoes")


class CustomerSize(LazyChoiceLabels):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="sizes")
    category = models.CharField(max_length=10, choices=SizeCategory.choices)
    size = models.CharField(max_length=10)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "category"], name="one_size_per_category")
        ]

    def __str__(self) -> str:
        return f"{self.category}: {self.size}"


class PreferenceKind(models.TextChoices):
    BRAND = "brand", pgettext_lazy("customer", "Brand")
    STYLE = "style", pgettext_lazy("customer", "Style")
    COLOUR = "colour", pgettext_lazy("customer", "Colour")
    FIT = "fit", pgettext_lazy("customer", "Fit note")


class CustomerPreference(LazyChoiceLabels):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="preferences")
    kind = models.CharField(max_length=10, choices=PreferenceKind.choices)
    value = models.CharField(max_length=120)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind", "value"], name="preference_not_repeated"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.value}"


class InteractionChannel(models.TextChoices):
    STORE = "store", pgettext_lazy("customer", "In store")
    ONLINE = "online", pgettext_lazy("customer", "Online")
    EMAIL = "email", pgettext_lazy("customer", "E-mail")
    SMS = "sms", pgettext_lazy("customer", "SMS")
    WHATSAPP = "whatsapp", pgettext_lazy("customer", "WhatsApp")
    PHONE = "phone", pgettext_lazy("customer", "Phone")
    VIDEO = "video", pgettext_lazy("customer", "Video")
    SOCIAL = "social", pgettext_lazy("customer", "Social")


class InteractionKind(models.TextChoices):
    PURCHASE = "purchase", pgettext_lazy("customer", "Purchase")
    VISIT = "visit", pgettext_lazy("customer", "Visit")
    COMPLAINT = "complaint", pgettext_lazy("customer", "Complaint")
    COMMENT = "comment", pgettext_lazy("customer", "Comment")
    REQUEST = "request", pgettext_lazy("customer", "Request")
    INQUIRY = "inquiry", pgettext_lazy("customer", "Inquiry")
    THANKS = "thanks", pgettext_lazy("customer", "Thanks")
    MESSAGE = "message", pgettext_lazy("customer", "Message")
    APPOINTMENT = "appointment", pgettext_lazy("customer", "Appointment")
    NOTE = "note", pgettext_lazy("customer", "Note")
    # A product review the customer wrote on the shop (synced), with its star rating.
    REVIEW = "review", pgettext_lazy("customer", "Review")


class Sentiment(models.TextChoices):
    NEGATIVE = "negative", pgettext_lazy("customer", "Negative")
    NEUTRAL = "neutral", pgettext_lazy("customer", "Neutral")
    POSITIVE = "positive", pgettext_lazy("customer", "Positive")
    # Not scored: no words, a language no model covers, or never scored at all. Kept apart
    # from neutral so that the trend's shares count only what was really read.
    UNKNOWN = "unknown", pgettext_lazy("customer", "Unknown")


class Interaction(LazyChoiceLabels):
    """Anything that happened between the brand and the customer, on any channel."""

    # Indexed by interaction_timeline, which starts with the customer.
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="interactions", db_index=False
    )
    channel = models.CharField(max_length=10, choices=InteractionChannel.choices)
    kind = models.CharField(max_length=12, choices=InteractionKind.choices)
    # Set from the summary by frontline.sentiment when written or synced (customers.services
    # interaction_sentiment_fields); "unknown", with no score, until then.
    sentiment = models.CharField(max_length=8, choices=Sentiment.choices, default=Sentiment.UNKNOWN)
    sentiment_score = models.FloatField(
        null=True, blank=True, help_text="From -1 (very negative) to 1 (very positive)"
    )
    # The customer's own words, whole: a product review or a survey comment can run to
    # thousands of characters. Lists show an opening (the timeline folds the rest away);
    # sentiment reads the opening too (frontline.sentiment.scoring.SCORED_CHARACTERS).
    summary = models.TextField(blank=True)
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.FRONTLINE)
    # NULL, not '', for interactions recorded in Frontline: the unique constraint below applies
    # only to records that came from a source system.
    external_id = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    store = models.ForeignKey(
        "staff.Store", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    occurred_at = models.DateTimeField()
    # A review's own stars (1-5) and the product it is about; empty for every other kind. Kept
    # because the customer's rating is the label the learned sentiment model trains on.
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    product_code = models.CharField(max_length=40, blank=True, default="", db_default="")
    details_removed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the retention job replaced the text with a summary (privacy: data "
        "minimisation, INTERACTION_RETENTION_DAYS).",
    )

    class Meta:
        indexes = [
            models.Index(fields=["customer", "-occurred_at", "-id"], name="interaction_timeline"),
            # The retention job's queue: the oldest interactions still holding their details.
            models.Index(
                fields=["occurred_at"],
                condition=models.Q(details_removed_at__isnull=True),
                name="interaction_retention_due",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=models.Q(external_id__isnull=False),
                name="interaction_per_source",
            ),
            models.CheckConstraint(
                condition=models.Q(sentiment_score__isnull=True)
                | models.Q(sentiment_score__gte=-1, sentiment_score__lte=1),
                name="sentiment_score_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="review_rating_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.channel} at {self.occurred_at:%Y-%m-%d}"


class SentimentMonth(models.Model):
    """How a customer's interactions felt in one calendar month (UTC): the sentiment trend.

    A rollup of ``Interaction``, so the profile reads a dozen rows for the trend however long
    the customer's history. On PostgreSQL a trigger on the interactions table keeps it
    (migration 0008): every writer, from the services to sync's set-wise SQL, merges moving
    interactions between customers and the admin, keeps it right without knowing it exists.
    Elsewhere (SQLite in development) the trend is computed from the interactions and this
    table stays empty. Months whose interactions all went elsewhere stay as zero rows.
    """

    # Indexed by the unique constraint, which starts with the customer.
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    month = models.DateTimeField(help_text="Midnight UTC on the first day of the month")
    positive = models.IntegerField(default=0)
    neutral = models.IntegerField(default=0)
    negative = models.IntegerField(default=0)
    # Exact, so that figures taken off (a merge, a deletion) leave no rounding drift behind.
    score_sum = models.DecimalField(max_digits=20, decimal_places=10, default=0)
    scored = models.IntegerField(default=0, help_text="Interactions with a sentiment score")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "month"], name="sentiment_month_per_customer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.month:%Y-%m}"


class CustomerNote(LazyChoiceLabels):
    """A note an associate wrote about the customer. Plain text, always rendered escaped."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=4000)
    is_pinned = models.BooleanField(default=False)
    # How the note reads (frontline.sentiment), set by note_create and note_update.
    sentiment = models.CharField(max_length=8, choices=Sentiment.choices, default=Sentiment.UNKNOWN)
    sentiment_score = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["customer", "-is_pinned", "-created_at"], name="note_profile_order"
            )
        ]

    def __str__(self) -> str:
        return self.body[:60]


class WishlistSource(models.TextChoices):
    ECOMMERCE = "ecommerce", pgettext_lazy("customer", "E-commerce")
    ASSOCIATE = "associate", pgettext_lazy("customer", "Added by an associate")


class WishlistItem(LazyChoiceLabels):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="wishlist")
    variant = models.ForeignKey(
        "catalog.Variant", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    description = models.CharField(
        max_length=200, help_text="What the customer wished for, kept if the variant goes"
    )
    source = models.CharField(max_length=10, choices=WishlistSource.choices)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "variant"],
                condition=models.Q(variant__isnull=False),
                name="wishlist_variant_once",
            )
        ]

    def __str__(self) -> str:
        return self.description


class CustomerEdit(models.Model):
    """Who changed which part of a profile, when, from what to what."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="edits")
    field = models.CharField(max_length=60, help_text='e.g. "birthday", "size:tops"')
    old_value = models.CharField(max_length=200, blank=True)
    new_value = models.CharField(max_length=200, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    edited_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["customer", "-edited_at"], name="edit_history")]

    def __str__(self) -> str:
        return f"{self.field}: {self.old_value!r} -> {self.new_value!r}"


class CandidateStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("customer", "Waiting for review")
    MERGED = "merged", pgettext_lazy("customer", "Merged")
    DISMISSED = "dismissed", pgettext_lazy("customer", "Not the same person")


class DuplicateCandidate(LazyChoiceLabels):
    """Two customer records that are probably the same person, waiting for a manager's review.

    The pair is stored once, lower id first, so detection from either side finds the same row.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(help_text="0 to 1: how sure the matcher is")
    reasons = models.JSONField(default=list)
    status = models.CharField(
        max_length=10, choices=CandidateStatus.choices, default=CandidateStatus.OPEN
    )
    detected_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "-score"], name="candidate_queue")]
        constraints = [
            models.UniqueConstraint(fields=["customer", "other"], name="candidate_pair_once"),
            models.CheckConstraint(
                condition=models.Q(customer__lt=models.F("other")), name="candidate_pair_ordered"
            ),
            models.CheckConstraint(
                condition=models.Q(score__gte=0, score__lte=1), name="candidate_score_in_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} ~ {self.other_id} ({self.score:.2f})"


class CustomerMerge(models.Model):
    """One merge, with everything needed to undo it: what moved, what was replaced, by whom."""

    survivor = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    loser = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    candidate = models.ForeignKey(
        DuplicateCandidate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_at = models.DateTimeField(auto_now_add=True)
    chosen_from_loser = models.JSONField(
        default=list, help_text="The fields whose value the manager took from the merged record"
    )
    survivor_before = models.JSONField(
        default=dict, help_text="The survivor's field values before the merge"
    )
    survivor_after = models.JSONField(
        default=dict,
        help_text="The same fields after the merge (undo restores those unchanged since)",
    )
    moved = models.JSONField(
        default=dict, help_text='{"app.Model.field": [ids]}: rows re-pointed to the survivor'
    )
    removed = models.JSONField(
        default=list, help_text="Rows that clashed with the survivor's and were set aside"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["-merged_at"], name="merge_history")]

    def __str__(self) -> str:
        return f"{self.loser_id} into {self.survivor_id}"


class SentimentBackfill(models.Model):
    """The checkpoint of scoring the interactions' history with one sentiment model.

    One row per model: the backfill walks the interactions by primary key and records the last
    one it scored, in the same transaction as the scores, so a run that stops (a worker killed,
    a deploy) resumes where it was and a finished model is not run again. A new model (a name
    the table has not seen) scores the whole history afresh.
    """

    model = models.CharField(max_length=40, unique=True)
    last_interaction_id = models.BigIntegerField(default=0)
    # The highest interaction id when the backfill started: what "done" means for progress.
    # Interactions written since are scored by their writers.
    target_interaction_id = models.BigIntegerField(default=0)
    total = models.BigIntegerField(default=0, help_text="Interactions stored when it started")
    scored = models.BigIntegerField(default=0, help_text="Interactions given a label and score")
    unknown = models.BigIntegerField(default=0, help_text="Interactions labelled unknown")
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.model}: {self.percent_done}%"

    @property
    def percent_done(self) -> int:
        if self.finished_at or not self.total:
            return 100
        return min(99, int(100 * (self.scored + self.unknown) / self.total))
