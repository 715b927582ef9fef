"""Reads of the appointments domain: who can be booked, when, and the stylists' diaries."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from frontline.appointments.availability import (
    ClockPeriod,
    Diary,
    Interval,
    free_slots,
    local_day_window,
)
from frontline.appointments.models import (
    Booking,
    BookingEmail,
    BookingStatus,
    Break,
    DateOverride,
    LookbookItem,
    Service,
    StoreMeetingRoom,
    Stylist,
    TimeOff,
    WorkingHours,
)
from frontline.catalog.models import Hold, Product, StockLevel, Variant
from frontline.catalog.selectors import products_search
from frontline.customers.models import Customer, CustomerSize
from frontline.recommendations.selectors import recommendations_for_customer
from frontline.staff.models import Store, User
from frontline.staff.selectors import stores_for
from frontline.surveys.models import About, Survey

# secrets.token_urlsafe's alphabet; new_booking_token makes 43 characters, the column holds 64.
BOOKING_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def services_bookable() -> QuerySet[Service]:
    return Service.objects.filter(is_active=True).order_by("kind", "duration_minutes", "name")


def stores_bookable() -> QuerySet[Store]:
    """Active stores with at least one bookable stylist."""
    return (
        Store.objects.filter(is_active=True, stylists__is_bookable=True).distinct().order_by("name")
    )


def stylists_bookable(*, store: Store, service: Service | None = None) -> QuerySet[Stylist]:
    stylists = Stylist.objects.filter(
        store=store, is_bookable=True, user__is_active=True
    ).select_related("user", "store")
    if service is not None:
        stylists = stylists.filter(services=service)
    return stylists.order_by("user__first_name", "user__last_name", "pk")


class EpochSeconds(Func):
    """A datetime column as (fractional) seconds since 1970-01-01 UTC."""

    template = "EXTRACT(EPOCH FROM %(expressions)s)::float8"
    output_field = FloatField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # SQLite keeps datetimes as UTC text, "YYYY-MM-DD HH:MM:SS[.ffffff]". julianday() of the
        # whole seconds, rounded (it is exact to about 50 microseconds), plus the microseconds
        # read from the text.
        return self.as_sql(
            compiler,
            connection,
            template=(
                "(ROUND((julianday(substr(%(expressions)s, 1, 19)) - 2440587.5) * 86400.0)"
                " + COALESCE(CAST(NULLIF(substr(%(expressions)s, 21), '') AS REAL), 0) / 1e6)"
            ),
            **extra,
        )


def diaries_for(
    stylists: Sequence[Stylist],
    *,
    window_starts: datetime,
    window_ends: datetime,
    exclude_booking_id: int | None = None,
) -> dict[int, Diary]:
    """Each stylist's rules and commitments around a window, in five queries whatever the count.

    ``exclude_booking_id`` leaves one booking out: a reschedule may keep or move within the time
    the booking already holds.
    """
    ids = [stylist.pk for stylist in stylists]
    hours: dict[int, dict[int, list[ClockPeriod]]] = defaultdict(lambda: defaultdict(list))
    for stylist_id, weekday, starts, ends in WorkingHours.objects.filter(
        stylist_id__in=ids
    ).values_list("stylist_id", "weekday", "starts", "ends"):
        hours[stylist_id][weekday].append((starts, ends))
    breaks: dict[int, dict[int, list[ClockPeriod]]] = defaultdict(lambda: defaultdict(list))
    for stylist_id, weekday, starts, ends in Break.objects.filter(stylist_id__in=ids).values_list(
        "stylist_id", "weekday", "starts", "ends"
    ):
        breaks[stylist_id][weekday].append((starts, ends))
    # Local dates may lie a day either side of the UTC window.
    margin = timedelta(days=2)
    overrides: dict[int, dict[date, list[ClockPeriod]]] = defaultdict(lambda: defaultdict(list))
    for stylist_id, day, opens, closes in DateOverride.objects.filter(
        stylist_id__in=ids,
        date__gte=(window_starts - margin).date(),
        date__lte=(window_ends + margin).date(),
    ).values_list("stylist_id", "date", "starts", "ends"):
        periods = overrides[stylist_id][day]  # created even for a day off, which has no times
        if opens is not None and closes is not None:
            periods.append((opens, closes))
    time_off: dict[int, list[Interval]] = defaultdict(list)
    for stylist_id, off_from, off_until in TimeOff.objects.filter(
        stylist_id__in=ids, ends_at__gt=window_starts - margin, starts_at__lt=window_ends + margin
    ).values_list("stylist_id", "starts_at", "ends_at"):
        time_off[stylist_id].append((off_from, off_until))
    busy: dict[int, list[tuple[float, float]]] = defaultdict(list)
    bookings = Booking.objects.filter(
        stylist_id__in=ids,
        status=BookingStatus.CONFIRMED,
        blocks_until__gt=window_starts - margin,
        starts_at__lt=window_ends + margin,
    )
    if exclude_booking_id is not None:
        bookings = bookings.exclude(pk=exclude_booking_id)
    # Read as seconds since the epoch, and handed to the engine so: a "book any stylist" search
    # reads thousands of sessions, and the engine works in those seconds (no datetime is built
    # for them; measured with tests/bench/bench_booking_slots.py).
    # Fetched with a plain cursor: the rows need none of the ORM's per-row conversions.
    sql, params = bookings.values_list(
        "stylist_id", EpochSeconds("starts_at"), EpochSeconds("blocks_until")
    ).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for stylist_id, busy_from, busy_until in rows:
        busy[stylist_id].append((busy_from, busy_until))
    return {
        stylist.pk: Diary(
            zone=stylist.store.time_zone,
            weekly_hours=hours[stylist.pk],
            weekly_breaks=breaks[stylist.pk],
            overrides=overrides[stylist.pk],
            time_off=time_off[stylist.pk],
            busy_seconds=busy[stylist.pk],
            buffer=timedelta(minutes=stylist.buffer_minutes),
            minimum_notice=timedelta(minutes=stylist.minimum_notice_minutes),
            horizon=timedelta(days=stylist.horizon_days),
            interval=timedelta(minutes=stylist.slot_interval_minutes),
        )
        for stylist in stylists
    }


@dataclass(frozen=True)
class SlotSearch:
    """Free starts in a window, and which of the stylists asked about is free at each."""

    free: dict[datetime, list[Stylist]]

    @property
    def slots(self) -> list[datetime]:
        return sorted(self.free)


def slots_search(
    *,
    stylists: Sequence[Stylist],
    service: Service,
    window_starts: datetime,
    window_ends: datetime,
    now: datetime | None = None,
    exclude_booking_id: int | None = None,
) -> SlotSearch:
    now = now or timezone.now()
    diaries = diaries_for(
        stylists,
        window_starts=window_starts,
        window_ends=window_ends,
        exclude_booking_id=exclude_booking_id,
    )
    duration = timedelta(minutes=service.duration_minutes)
    free: dict[datetime, list[Stylist]] = defaultdict(list)
    for stylist in stylists:
        for slot in free_slots(
            diaries[stylist.pk],
            duration=duration,
            now=now,
            window_starts=window_starts,
            window_ends=window_ends,
        ):
            free[slot].append(stylist)
    return SlotSearch(free=dict(free))


def booking_horizon_end(*, stylists: Sequence[Stylist], now: datetime) -> datetime:
    """The furthest instant any of the stylists can be booked for."""
    days = max((stylist.horizon_days for stylist in stylists), default=0)
    return now + timedelta(days=days)


def upcoming_booking_counts(*, stylist_ids: Sequence[int], now: datetime) -> dict[int, int]:
    """Confirmed sessions still to come, per stylist: how "any stylist" is assigned fairly."""
    rows = (
        Booking.objects.filter(
            stylist_id__in=stylist_ids, status=BookingStatus.CONFIRMED, starts_at__gte=now
        )
        .values("stylist_id")
        .annotate(count=Count("pk"))
        .values_list("stylist_id", "count")
    )
    counts = dict.fromkeys(stylist_ids, 0)
    counts.update(dict(rows))
    return counts


def booking_token_shaped(token: str) -> bool:
    """Whether ``token`` could be a booking's token (URL-safe base64, as new_booking_token makes
    them): anything else, a NUL from a forged link included, is not looked up at all."""
    return bool(BOOKING_TOKEN.fullmatch(token))


def booking_by_token(token: str) -> Booking | None:
    if not booking_token_shaped(token):
        return None
    return (
        Booking.objects.select_related("service", "store", "stylist__user")
        .filter(token=token)
        .first()
    )


def booking_with_details(*, booking_id: int) -> Booking | None:
    return (
        Booking.objects.select_related("service", "store", "stylist__user")
        .filter(pk=booking_id)
        .first()
    )


def reminders_due(
    *, kind: str, lead: timedelta, too_late: timedelta, now: datetime
) -> list[tuple[int, int]]:
    """(booking id, version) of the confirmed sessions whose reminder of this kind is due and
    not yet sent: starting within ``lead`` but not within ``too_late``, their time chosen at
    least ``lead`` before the start."""
    sent = BookingEmail.objects.filter(
        booking=OuterRef("pk"), kind=kind, sequence=OuterRef("sequence"), sent_at__isnull=False
    )
    return list(
        Booking.objects.filter(
            status=BookingStatus.CONFIRMED,
            starts_at__gt=now + too_late,
            starts_at__lte=now + lead,
            scheduled_at__lte=F("starts_at") - lead,
        )
        .exclude(Exists(sent))
        .order_by("starts_at")
        .values_list("pk", "sequence")
    )


# The rating question goes out this long after a session ends, and no more once it is this old.
FEEDBACK_AFTER = timedelta(minutes=30)
FEEDBACK_UNTIL = timedelta(days=7)


# A survey about a session is keyed on "booking:<id>" (surveys.Survey.about_key).
SURVEY_KEY_PREFIX = "booking:"


def survey_key(booking_id: int) -> str:
    return f"{SURVEY_KEY_PREFIX}{booking_id}"


def feedback_due(*, now: datetime) -> list[tuple[int, int]]:
    """(booking id, version) of the sessions over whose customer has not been asked yet, by
    the rating e-mail or by the NPS survey sent when the stylist recorded the outcome."""
    asked = BookingEmail.objects.filter(
        booking=OuterRef("pk"), kind=BookingEmail.Kind.FEEDBACK, sent_at__isnull=False
    )
    surveyed = Survey.objects.filter(
        about=About.APPOINTMENT,
        about_key=Concat(Value(SURVEY_KEY_PREFIX), Cast(OuterRef("pk"), CharField())),
    )
    return list(
        Booking.objects.filter(
            status__in=[BookingStatus.CONFIRMED, BookingStatus.COMPLETED],
            ends_at__lte=now - FEEDBACK_AFTER,
            ends_at__gt=now - FEEDBACK_UNTIL,
            rating__isnull=True,
        )
        .exclude(Exists(asked))
        .exclude(Exists(surveyed))
        .order_by("ends_at")
        .values_list("pk", "sequence")
    )


def bookings_starting_between(*, starts: datetime, ends: datetime) -> list[Booking]:
    return list(
        Booking.objects.filter(
            status=BookingStatus.CONFIRMED, starts_at__gt=starts, starts_at__lte=ends
        ).select_related("service", "store", "stylist__user")
    )


# --- The stylists' side ----------------------------------------------------------------------


def bookings_visible_to(staff: User) -> QuerySet[Booking]:
    """Sessions at the staff member's stores (all of them for a superuser)."""
    return Booking.objects.filter(store__in=stores_for(staff)).select_related(
        "service", "store", "stylist__user", "customer"
    )


def appointments_for_day(*, staff: User, day: date) -> list[Booking]:
    """The staff member's own confirmed or finished sessions on a date of their store's zone.

    For "my day": a stylist sees the sessions they host. The day is read in the time zone of
    each session's store, so a 09:00 session is on the day its stylist sees on the clock.
    """
    stylist = Stylist.objects.filter(user=staff).select_related("store").first()
    if stylist is None:
        return []
    window_starts, window_ends = local_day_window(day, stylist.store.time_zone)
    return list(
        bookings_visible_to(staff)
        .filter(
            stylist=stylist,
            starts_at__gte=window_starts,
            starts_at__lt=window_ends,
        )
        .exclude(status=BookingStatus.CANCELLED)
        .order_by("starts_at")
    )


def appointments_upcoming(*, staff: User, now: datetime, limit: int = 50) -> list[Booking]:
    """Confirmed sessions to come that the staff member hosts, or, for those who host none,
    those at their stores."""
    bookings = bookings_visible_to(staff).filter(status=BookingStatus.CONFIRMED, ends_at__gt=now)
    if Stylist.objects.filter(user=staff).exists():
        bookings = bookings.filter(stylist__user=staff)
    return list(bookings.order_by("starts_at")[:limit])


def appointment_for(*, staff: User, booking_id: int) -> Booking | None:
    return bookings_visible_to(staff).filter(Q(pk=booking_id)).first()


# --- The video session ------------------------------------------------------------------------

# The room opens this long before the session and closes this long after its end.
SESSION_OPENS_BEFORE = timedelta(minutes=15)
SESSION_CLOSES_AFTER = timedelta(minutes=60)


@dataclass(frozen=True)
class SessionAdmission:
    booking_id: int
    role: str  # "stylist" or "customer"


def session_admission(
    *,
    user: User | AnonymousUser | None,
    booking_id: int | None,
    token: str | None,
    now: datetime,
) -> SessionAdmission | None:
    """Who may join a booking's video room, and as whom: the assigned stylist (signed in) by the
    booking's id, the customer by the booking's unguessable token; nobody else, only for a
    confirmed video session, and only around its time."""
    bookings = Booking.objects.filter(
        status=BookingStatus.CONFIRMED,
        service__kind=Service.Kind.VIDEO,
        starts_at__lte=now + SESSION_OPENS_BEFORE,
        ends_at__gte=now - SESSION_CLOSES_AFTER,
    )
    if token is not None:
        if not booking_token_shaped(token):
            return None
        booking_id = bookings.filter(token=token).values_list("pk", flat=True).first()
        return SessionAdmission(booking_id, "customer") if booking_id is not None else None
    if user is None or not user.is_authenticated or booking_id is None:
        return None
    if bookings.filter(pk=booking_id, stylist__user=user).exists():
        return SessionAdmission(booking_id, "stylist")
    return None


def session_window(booking: Booking) -> tuple[datetime, datetime]:
    """When the booking's video room is open."""
    return booking.starts_at - SESSION_OPENS_BEFORE, booking.ends_at + SESSION_CLOSES_AFTER


# --- The lookbook -----------------------------------------------------------------------------

# Accessories come in one size: whatever the customer wears, they fit.
SIZE_FREE_CATEGORIES = frozenset({Product.Category.ACCESSORIES})
LOOKBOOK_CANDIDATES = 12


@dataclass(frozen=True)
class VariantInStock:
    variant: Variant
    available: int


@dataclass(frozen=True)
class LookbookCandidate:
    """A product the stylist may add, with its variants in the customer's size in stock."""

    product: Product
    because: str
    size_on_file: str | None
    variants: list[VariantInStock]


@dataclass(frozen=True)
class LookbookEntry:
    item: LookbookItem
    available: int

    @property
    def hold_is_active(self) -> bool:
        return self.item.hold is not None and self.item.hold.status == Hold.Status.ACTIVE


def customer_sizes(*, customer_id: int) -> dict[str, str]:
    """The sizes on file per category (tops, shoes ...), as recorded."""
    return dict(
        CustomerSize.objects.filter(customer_id=customer_id).values_list("category", "size")
    )


def lookbook_candidates(
    *, user: User, booking: Booking, query: str = "", limit: int = LOOKBOOK_CANDIDATES
) -> list[LookbookCandidate]:
    """Products for the booking's lookbook, from a search or, without one, the customer's
    recommendations: only their variants in the customer's size (where one is on file for
    the category) with units free at the booking's store, and none already in the lookbook."""
    ranked = _candidate_products(user=user, booking=booking, query=query, limit=limit)
    if not ranked:
        return []
    sizes = {
        category: size.upper()
        for category, size in customer_sizes(customer_id=booking.customer_id).items()
    }
    chosen = set(booking.lookbook_items.values_list("variant_id", flat=True))
    in_stock: dict[int, list[VariantInStock]] = defaultdict(list)
    for stock in (
        StockLevel.objects.filter(
            store_id=booking.store_id,
            variant__product_id__in=[product.pk for product, _ in ranked],
            on_hand__gt=F("reserved"),
        )
        .exclude(variant_id__in=chosen)
        .select_related("variant")
        .order_by("variant__colour", "variant__size")
    ):
        in_stock[stock.variant.product_id].append(VariantInStock(stock.variant, stock.available))
    candidates = []
    for product, because in ranked:
        size = None if product.category in SIZE_FREE_CATEGORIES else sizes.get(product.category)
        variants = [
            entry
            for entry in in_stock.get(product.pk, [])
            if size is None or entry.variant.size.upper() == size
        ]
        if variants:
            candidates.append(LookbookCandidate(product, because, size, variants))
    return candidates


def _candidate_products(
    *, user: User, booking: Booking, query: str, limit: int
) -> list[tuple[Product, str]]:
    if query.strip():
        return [(product, "Matches your search") for product in products_search(query, limit=limit)]
    try:
        recommended = recommendations_for_customer(
            user=user, customer_id=booking.customer_id, limit=limit
        )
    except Customer.DoesNotExist:
        # The customer is not one of this staff member's (another store's regular): search
        # still works, recommendations need the customer's history.
        return []
    products = Product.objects.select_related("brand").in_bulk(
        [entry.product_id for entry in recommended]
    )
    return [
        (products[entry.product_id], entry.because)
        for entry in recommended
        if entry.product_id in products
    ]


def lookbook_entries(*, booking: Booking) -> list[LookbookEntry]:
    """The booking's lookbook in order, with what is free at its store of each item now."""
    items = list(
        booking.lookbook_items.select_related("variant__product__brand", "hold").order_by(
            "position", "pk"
        )
    )
    available = dict(
        StockLevel.objects.filter(
            store_id=booking.store_id, variant_id__in=[item.variant_id for item in items]
        )
        .annotate(free=F("on_hand") - F("reserved"))
        .values_list("variant_id", "free")
    )
    return [LookbookEntry(item, max(available.get(item.variant_id, 0), 0)) for item in items]


def lookbook_item_for(*, staff: User, booking_id: int, item_id: int) -> LookbookItem | None:
    """A lookbook item of a booking at the staff member's stores."""
    return (
        LookbookItem.objects.filter(
            pk=item_id, booking_id=booking_id, booking__in=bookings_visible_to(staff)
        )
        .select_related("booking__customer", "booking__store", "variant__product")
        .first()
    )


def external_meeting_url(booking: Booking) -> str:
    """The external video link for the session: its own, else its stylist's, else its store's
    (empty when there is none and the built-in video room is the only way)."""
    if booking.external_meeting_url:
        return booking.external_meeting_url
    if booking.stylist.external_meeting_url:
        return booking.stylist.external_meeting_url
    return (
        StoreMeetingRoom.objects.filter(store_id=booking.store_id)
        .values_list("external_meeting_url", flat=True)
        .first()
        or ""
    )


def variant_for_lookbook(*, variant_id: int) -> Variant | None:
    return (
        Variant.objects.select_related("product")
        .filter(pk=variant_id, product__is_active=True)
        .first()
    )


def variant_available_at(*, variant_id: int, store_id: int) -> int:
    """Units of the variant the store has neither sold nor promised."""
    row = StockLevel.objects.filter(variant_id=variant_id, store_id=store_id).first()
    return max(row.available, 0) if row else 0
