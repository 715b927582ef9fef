"""Writes of the appointments domain: booking, rescheduling and cancelling sessions.

The public booking page calls these with what a stranger typed, so every function checks what
it is given (the slot against the availability engine, contact points through the customers
domain's normalisers) and raises ``ValidationError`` naming the field at fault, or
``SlotTaken`` when someone else was quicker; nothing is written then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from frontline.appointments import invites, selectors
from frontline.appointments.availability import nearest
from frontline.appointments.consumers import session_frame_send
from frontline.appointments.models import (
    Booking,
    BookingEmail,
    BookingStatus,
    LookbookItem,
    Service,
    SessionOutcome,
    Stylist,
)
from frontline.catalog.models import Hold
from frontline.catalog.services import HoldNotActive, hold_create
from frontline.customers.identities import resolve_customers
from frontline.customers.loading import consents_land, customers_land
from frontline.customers.models import (
    ConsentChannel,
    ConsentPurpose,
    InteractionChannel,
    InteractionKind,
    Source,
)
from frontline.customers.normalize import normalize_email, normalize_phone
from frontline.customers.sentiment import interaction_sentiment_fields
from frontline.customers.services import customer_home_store_adopt, interaction_record
from frontline.followups.models import Reason
from frontline.followups.services import followup_create
from frontline.notifications.audiences import to_staff
from frontline.notifications.services import notification_create
from frontline.staff.models import Store, User
from frontline.surveys.models import About
from frontline.surveys.services import survey_create

# The name of the PostgreSQL exclusion constraint (migration 0002) that refuses overlaps.
NO_OVERLAP_CONSTRAINT = "booking_no_overlap_per_stylist"
NEAREST_SLOTS = 3
# How far either side of a taken slot the nearest free ones are looked for.
NEAREST_SEARCH = timedelta(days=7)
MANAGE_SALT = "frontline.appointments.manage"
FEEDBACK_SALT = "frontline.appointments.feedback"
# How long after a session its "how was it?" link still takes an answer.
FEEDBACK_LINK_AGE = timedelta(days=14)
OUTCOME_NOTES_MAX = 2000
# External meeting links are given to customers: only https, only to a host.
MEETING_URL_VALIDATOR = URLValidator(schemes=["https"])


class SlotTaken(Exception):
    """The slot was free when the customer chose it and is not any more."""

    def __init__(self, nearest_slots: list[datetime]) -> None:
        super().__init__("That time was just taken.")
        self.nearest_slots = nearest_slots


class ChangeRefused(Exception):
    """A reschedule or cancellation that the rules do not allow; the message says why."""


@dataclass(frozen=True)
class CustomerDetails:
    """What the customer tells us about themselves and the session."""

    first_name: str
    last_name: str
    email: str
    phone: str = ""
    time_zone: str = ""
    occasion: str = ""
    sizes: str = ""
    budget: str = ""
    notes: str = ""
    # The (channel, purpose) pairs the customer ticked.
    consents: tuple[tuple[str, str], ...] = ()


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone, or a ValidationError on the time zone field."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError({"time_zone": gettext("Choose a time zone from the list.")}) from None


# --- Booking -------------------------------------------------------------------------------


def booking_create(
    *,
    service: Service,
    store: Store,
    stylist: Stylist | None,
    starts_at: datetime,
    details: CustomerDetails,
    now: datetime | None = None,
) -> Booking:
    """Book a session at ``starts_at`` with ``stylist``, or with whichever of the store's
    stylists is free then and has the fewest sessions to come (``stylist=None``: "any").

    The customer is found by e-mail or phone through the customers domain's one identity
    matcher, or created; an uncertain match creates a new customer and puts the pair in the
    merge review queue. A matched customer's record is left as it is: what a stranger types on
    a public page must not overwrite it (the booking keeps what was typed).
    """
    now = now or timezone.now()
    contacts = _clean_details(details, store=store)
    candidates = _candidate_stylists(service=service, store=store, stylist=stylist)
    try:
        return _book(service, store, candidates, starts_at, contacts, now)
    except SlotTaken:
        raise SlotTaken(_nearest_free(candidates, service, starts_at, now)) from None


def _book(
    service: Service,
    store: Store,
    candidates: list[Stylist],
    starts_at: datetime,
    contacts: CustomerDetails,
    now: datetime,
) -> Booking:
    chosen = _fairest(
        _free_stylists_at(candidates, service=service, starts_at=starts_at, now=now), now=now
    )
    duration = timedelta(minutes=service.duration_minutes)
    try:
        with transaction.atomic():
            # On SQLite this transaction holds the write lock from its start, so this check and
            # the insert below cannot interleave with another booking's. PostgreSQL needs no
            # check: its exclusion constraint refuses the insert of an overlapping session
            # (caught below), and a query less matters when fifty customers book at once.
            if connection.vendor != "postgresql" and _overlaps_a_booking(
                chosen, starts_at, starts_at + duration
            ):
                raise SlotTaken([])
            customer_id, customer_is_new = _customer_for_booking(contacts, store=store, now=now)
            booking = Booking.objects.create(
                customer_id=customer_id,
                stylist=chosen,
                store=store,
                service=service,
                starts_at=starts_at,
                ends_at=starts_at + duration,
                blocks_until=starts_at + duration + timedelta(minutes=chosen.buffer_minutes),
                name=f"{contacts.first_name} {contacts.last_name}".strip(),
                email=contacts.email,
                phone=contacts.phone,
                customer_time_zone=contacts.time_zone,
                occasion=contacts.occasion,
                sizes=contacts.sizes,
                budget=contacts.budget,
                notes=contacts.notes,
                scheduled_at=now,
            )
            # The booking is this transaction's own: nothing can have announced it before,
            # so no notification is looked up by a dedupe key first.
            _tell_stylist(
                booking, kind="appointment.booked", title="New session booked", dedupe=False
            )
            # On the timeline; the customer's actions are recomputed by the follow-up task
            # ("prepare for the session" appears among them).
            _on_timeline(booking, "Booked", is_new=True)
            _follow_up_on_commit(booking, customer_is_new=customer_is_new)
    except IntegrityError as error:
        if NO_OVERLAP_CONSTRAINT not in str(error):
            raise
        raise SlotTaken([]) from None
    return booking


def _clean_details(details: CustomerDetails, *, store: Store) -> CustomerDetails:
    errors: dict[str, str] = {}
    first_name, last_name = details.first_name.strip(), details.last_name.strip()
    if not first_name:
        errors["first_name"] = gettext("Tell us your first name.")
    email = ""
    try:
        email = normalize_email(details.email)
    except ValidationError:
        errors["email"] = gettext("Enter an e-mail address like name@example.com.")
    if not email and "email" not in errors:
        errors["email"] = gettext("We need your e-mail address to send the confirmation.")
    phone = ""
    try:
        phone = normalize_phone(details.phone, store.country)
    except ValidationError:
        errors["phone"] = gettext("Enter a phone number with its area code, or leave it empty.")
    try:
        zone_named(details.time_zone)
    except ValidationError:
        errors["time_zone"] = gettext("Choose a time zone from the list.")
    valid_consents = {(c.value, p.value) for c in ConsentChannel for p in ConsentPurpose}
    if any(pair not in valid_consents for pair in details.consents):
        errors["consents"] = gettext("Choose among the consents offered.")
    if errors:
        raise ValidationError(errors)
    return CustomerDetails(
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
        time_zone=details.time_zone,
        occasion=details.occasion.strip(),
        sizes=details.sizes.strip(),
        budget=details.budget.strip(),
        notes=details.notes.strip(),
        consents=tuple(sorted(set(details.consents))),
    )


def _candidate_stylists(
    *, service: Service, store: Store, stylist: Stylist | None
) -> list[Stylist]:
    bookable = selectors.stylists_bookable(store=store, service=service)
    if stylist is not None:
        bookable = bookable.filter(pk=stylist.pk)
    candidates = list(bookable)
    if not candidates:
        field = "stylist" if stylist is not None else "store"
        raise ValidationError({field: gettext("Nobody there offers this service; choose another.")})
    return candidates


def _free_stylists_at(
    candidates: list[Stylist], *, service: Service, starts_at: datetime, now: datetime
) -> list[Stylist]:
    if timezone.is_naive(starts_at):
        raise ValidationError({"slot": gettext("Choose one of the times shown.")})
    if starts_at <= now:
        raise ValidationError({"slot": gettext("That time has passed; choose another.")})
    search = selectors.slots_search(
        stylists=candidates,
        service=service,
        window_starts=starts_at,
        window_ends=starts_at + timedelta(microseconds=1),
        now=now,
    )
    free = search.free.get(starts_at, [])
    if free:
        return free
    duration = timedelta(minutes=service.duration_minutes)
    if any(_overlaps_a_booking(stylist, starts_at, starts_at + duration) for stylist in candidates):
        raise SlotTaken([])
    raise ValidationError(
        {"slot": gettext("That time is not available; choose one of the times shown.")}
    )


def _overlaps_a_booking(stylist: Stylist, starts_at: datetime, ends_at: datetime) -> bool:
    """Whether a confirmed session of the stylist, buffers included, overlaps this one's."""
    return Booking.objects.filter(
        stylist=stylist,
        status=BookingStatus.CONFIRMED,
        starts_at__lt=ends_at + timedelta(minutes=stylist.buffer_minutes),
        blocks_until__gt=starts_at,
    ).exists()


def _fairest(free: list[Stylist], *, now: datetime) -> Stylist:
    """The free stylist with the fewest sessions to come; the longest-serving one on a tie."""
    if len(free) == 1:
        return free[0]  # a named stylist, or the only one free: nothing to count
    counts = selectors.upcoming_booking_counts(stylist_ids=[s.pk for s in free], now=now)
    return min(free, key=lambda stylist: (counts[stylist.pk], stylist.pk))


def _nearest_free(
    candidates: list[Stylist], service: Service, starts_at: datetime, now: datetime
) -> list[datetime]:
    search = selectors.slots_search(
        stylists=candidates,
        service=service,
        window_starts=starts_at - NEAREST_SEARCH,
        window_ends=starts_at + NEAREST_SEARCH,
        now=now,
    )
    return nearest(search.slots, starts_at, NEAREST_SLOTS)


def _customer_for_booking(
    contacts: CustomerDetails, *, store: Store, now: datetime
) -> tuple[int, bool]:
    """The customer this booking is for, matched or created from what was typed; whether they
    were created (then the follow-up task looks for their duplicates)."""
    # The booking page knows a person by the e-mail they book with.
    record = {
        "external_id": contacts.email,
        "first_name": contacts.first_name,
        "last_name": contacts.last_name,
        "email": contacts.email,
        "phone": contacts.phone,
        "country": store.country,
    }
    resolution = resolve_customers(Source.BOOKING, [record])
    customer_id = resolution.customer_ids[0]
    if customer_id is None:
        landed = customers_land(
            record_source=Source.BOOKING, records=[record], resolution=resolution
        )
        customer_id = landed.customer_ids[contacts.email]
    # A customer with no store of their own becomes this store's, so that its staff can prepare
    # the session with their 360, hold items and follow up.
    customer_home_store_adopt(customer_id=customer_id, store=store)
    if contacts.consents:
        # Only what was ticked is recorded, as a grant: an unticked box on a public page, where
        # anybody can type anybody's address, must not withdraw a consent given elsewhere.
        consents_land(
            record_source=Source.BOOKING,
            statements=[
                (
                    customer_id,
                    {"channel": channel, "purpose": purpose, "granted": True, "recorded_at": now},
                )
                for channel, purpose in contacts.consents
            ],
        )
    return customer_id, resolution.customer_ids[0] is None


def _tell_stylist(booking: Booking, *, kind: str, title: str, dedupe: bool = True) -> None:
    """Notify the booking's stylist; ``dedupe`` keeps a retried task from telling them twice."""
    local = booking.starts_at.astimezone(booking.store.time_zone)
    notification_create(
        kind=kind,
        recipients=to_staff(booking.stylist.user),
        title=title,
        body=f"{booking.service.name} with {booking.name}, {local:%a %d %b %H:%M}",
        link=reverse("appointments:detail", args=[booking.pk]),
        store=booking.store,
        dedupe_key=f"booking-{booking.pk}-v{booking.sequence}-{kind}" if dedupe else "",
        customer_id=booking.customer_id,
    )


def _follow_up_on_commit(booking: Booking, *, customer_is_new: bool) -> None:
    # Imported here: the tasks module imports this one.
    from frontline.appointments.tasks import booking_made_task

    arguments = (booking.pk, booking.sequence, booking.customer_id, customer_is_new)
    # One message, which the worker fans out: fifty customers booking at once are fifty
    # requests, each of which would otherwise publish three.
    transaction.on_commit(lambda: booking_made_task.delay(*arguments), robust=True)


def _email_on_commit(booking: Booking, kind: str) -> None:
    # Imported here: the tasks module imports this one.
    from frontline.appointments.tasks import send_booking_email_task

    booking_id, sequence = booking.pk, booking.sequence
    transaction.on_commit(
        lambda: send_booking_email_task.delay(booking_id, kind, sequence), robust=True
    )


# --- Changes by the customer, through the signed link ----------------------------------------


def booking_manage_token(*, booking: Booking) -> str:
    """The signed, timestamped value of the customer's reschedule/cancel link."""
    return signing.dumps(booking.token, salt=MANAGE_SALT, compress=True)


def booking_from_manage_token(*, value: str) -> Booking | None:
    """The booking a manage link is for, or None when it is forged or has expired."""
    max_age = timedelta(days=settings.APPOINTMENTS_MANAGE_LINK_DAYS)
    return _booking_from_signed(value, salt=MANAGE_SALT, max_age=max_age)


def _booking_from_signed(value: str, *, salt: str, max_age: timedelta) -> Booking | None:
    # Each kind of link has its own salt: a link signed for one purpose opens no other.
    try:
        token = signing.loads(value, salt=salt, max_age=max_age)
    except signing.BadSignature:  # SignatureExpired is a BadSignature
        return None
    return selectors.booking_by_token(str(token))


def booking_change_allowed(*, booking: Booking, now: datetime) -> str:
    """'' when the customer may still change the booking, else why not."""
    if booking.status != BookingStatus.CONFIRMED:
        return gettext("This session was cancelled or has taken place.")
    cutoff = timedelta(hours=settings.APPOINTMENTS_CHANGE_CUTOFF_HOURS)
    if booking.starts_at - now < cutoff:
        return gettext(
            "Sessions can be changed online until %(hours)s hours before they start; please call "
            "the store."
        ) % {"hours": settings.APPOINTMENTS_CHANGE_CUTOFF_HOURS}
    return ""


def booking_reschedule(
    *, booking: Booking, starts_at: datetime, now: datetime | None = None
) -> Booking:
    """Move the session to a free slot of the same stylist; the invite keeps its UID and gets
    the next SEQUENCE."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = _locked_for_change(booking, now=now)
        duration = booking.ends_at - booking.starts_at
        free = selectors.slots_search(
            stylists=[booking.stylist],
            service=booking.service,
            window_starts=starts_at,
            window_ends=starts_at + timedelta(microseconds=1),
            now=now,
            exclude_booking_id=booking.pk,
        )
        if starts_at not in free.free:
            raise ValidationError({"slot": gettext("That time is not available; choose another.")})
        booking.starts_at = starts_at
        booking.ends_at = starts_at + duration
        booking.blocks_until = booking.ends_at + timedelta(minutes=booking.stylist.buffer_minutes)
        booking.sequence += 1
        booking.scheduled_at = now
        try:
            with transaction.atomic():
                booking.save(
                    update_fields=[
                        "starts_at",
                        "ends_at",
                        "blocks_until",
                        "sequence",
                        "scheduled_at",
                        "updated_at",
                    ]
                )
        except IntegrityError as error:
            if NO_OVERLAP_CONSTRAINT not in str(error):
                raise
            raise SlotTaken([]) from None
        _tell_stylist(booking, kind="appointment.rescheduled", title="Session moved")
        _email_on_commit(booking, BookingEmail.Kind.RESCHEDULED)
        _on_timeline(booking, "Moved")  # which has the customer's actions recomputed
    return booking


def booking_cancel(*, booking: Booking, now: datetime | None = None) -> Booking:
    """Cancel the session: the slot is free again and the customer's calendar is told
    (METHOD:CANCEL, the next SEQUENCE)."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = _locked_for_change(booking, now=now)
        booking.status = BookingStatus.CANCELLED
        booking.cancelled_at = now
        booking.sequence += 1
        booking.save(update_fields=["status", "cancelled_at", "sequence", "updated_at"])
        _tell_stylist(booking, kind="appointment.cancelled", title="Session cancelled")
        _email_on_commit(booking, BookingEmail.Kind.CANCELLATION)
        _on_timeline(booking, "Cancelled")  # which has the customer's actions recomputed
    return booking


def _locked_for_change(booking: Booking, *, now: datetime) -> Booking:
    locked = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("service", "store", "stylist__user")
        .get(pk=booking.pk)
    )
    refusal = booking_change_allowed(booking=locked, now=now)
    if refusal:
        raise ChangeRefused(refusal)
    return locked


# --- After the session: the customer's rating --------------------------------------------------


def booking_feedback_token(*, booking: Booking) -> str:
    return signing.dumps(booking.token, salt=FEEDBACK_SALT, compress=True)


def booking_from_feedback_token(*, value: str) -> Booking | None:
    return _booking_from_signed(value, salt=FEEDBACK_SALT, max_age=FEEDBACK_LINK_AGE)


def booking_rate(*, booking: Booking, rating: int, now: datetime | None = None) -> Booking:
    """The customer's one-tap answer after the session; it lands on their timeline (answering
    again replaces the answer and its timeline entry)."""
    now = now or timezone.now()
    if rating not in range(1, 6):
        raise ValidationError({"rating": gettext("Choose from 1 to 5.")})
    if booking.status == BookingStatus.CANCELLED or now < booking.starts_at:
        raise ChangeRefused(gettext("This session has not taken place."))
    with transaction.atomic():
        booking.rating, booking.rated_at = rating, now
        booking.save(update_fields=["rating", "rated_at", "updated_at"])
        _timeline_entry(
            booking,
            entry="rating",
            kind=InteractionKind.COMMENT,
            summary=(
                f"Rated the {booking.service.name.lower()} with "
                f"{booking.stylist.display_name} {rating}/5"
            ),
            occurred_at=now,
            sentiment="negative" if rating <= 2 else "positive" if rating >= 4 else "neutral",
            sentiment_score=(rating - 3) / 2,
        )
    return booking


def _on_timeline(booking: Booking, verb: str, *, is_new: bool = False) -> None:
    """The booking as one entry on the customer's timeline, kept up to date (``is_new``: the
    booking was made in this transaction, so the entry is a new one)."""
    local = booking.starts_at.astimezone(booking.store.time_zone)
    _timeline_entry(
        booking,
        entry="booking",
        kind=InteractionKind.APPOINTMENT,
        summary=(
            f"{verb} {booking.service.name.lower()} with {booking.stylist.display_name}, "
            f"{local:%a %d %b %Y %H:%M} ({booking.store.name})"
        ),
        occurred_at=booking.updated_at or timezone.now(),
        is_new=is_new,
    )


def _timeline_entry(
    booking: Booking,
    *,
    entry: str,
    kind: str,
    summary: str,
    occurred_at: datetime,
    sentiment: str = "neutral",
    sentiment_score: float | None = None,
    is_new: bool = False,
) -> None:
    """One of the booking's entries on the customer's timeline (``entry`` names which)."""
    suffix = "" if entry == "booking" else f"-{entry}"
    interaction_record(
        customer_id=booking.customer_id,
        source=Source.BOOKING,
        external_id=f"booking-{booking.pk}{suffix}",
        channel=(
            InteractionChannel.VIDEO
            if booking.service.kind == Service.Kind.VIDEO
            else InteractionChannel.STORE
        ),
        kind=kind,
        summary=summary,
        occurred_at=occurred_at,
        sentiment=sentiment,
        sentiment_score=sentiment_score,
        store=booking.store,
        is_new=is_new,
        # A new booking's follow-up task (booking_made_task) refreshes the customer's actions.
        refresh_actions=not is_new,
    )


# --- E-mails and reminders ------------------------------------------------------------------

# Each reminder: its kind, how long before the start it is due, and how close to the start it
# is no longer worth sending (the next reminder says it better).
REMINDERS = (
    (BookingEmail.Kind.REMINDER_DAY, timedelta(hours=24), timedelta(hours=1)),
    (BookingEmail.Kind.REMINDER_HOUR, timedelta(hours=1), timedelta(0)),
)
# The stylist is told this long before a session starts ("appointment.starting_soon").
STARTING_SOON = timedelta(minutes=10)


def booking_manage_url(*, booking: Booking) -> str:
    return invites.absolute_url(
        reverse("appointments:manage", args=[booking_manage_token(booking=booking)])
    )


def booking_email_send(*, booking_id: int, kind: str, sequence: int) -> bool:
    """Send one e-mail about one version of a booking, at most once; whether it was sent now.

    The claim row is created and locked before sending and marked after, in one transaction:
    a second worker waits for the first and then finds it sent; a worker killed before the
    commit leaves the claim unsent, and the retry sends it. An e-mail about a version the
    booking has since left (a reminder of a time that was moved) is not sent.
    """
    with transaction.atomic():
        booking = selectors.booking_with_details(booking_id=booking_id)
        if booking is None or booking.sequence != sequence:
            return False
        claim, _ = BookingEmail.objects.get_or_create(
            booking_id=booking_id, kind=kind, sequence=sequence
        )
        claim = BookingEmail.objects.select_for_update().get(pk=claim.pk)
        if claim.sent_at is not None:
            return False
        now = timezone.now()
        invites.booking_message(
            booking=booking,
            kind=kind,
            manage_url=booking_manage_url(booking=booking),
            stamp=now,
            feedback_url=invites.absolute_url(
                reverse("appointments:feedback", args=[booking_feedback_token(booking=booking)])
            ),
        ).send()
        claim.sent_at = now
        claim.save(update_fields=["sent_at"])
    return True


def booking_reminders_queue(*, now: datetime | None = None) -> int:
    """Queue the reminders now due, and tell stylists of sessions about to start; how many
    reminders were queued.

    Run every few minutes by beat. A reminder is due once its moment (24 h or 1 h before the
    start) has come, if the session's time was chosen before that moment; it is keyed on the
    booking's version, so a moved session is reminded of again and running this twice sends
    nothing twice (``booking_email_send`` claims each e-mail).
    """
    from frontline.appointments.tasks import send_booking_email_task

    now = now or timezone.now()
    queued = 0
    for kind, lead, too_late in REMINDERS:
        due = selectors.reminders_due(kind=kind, lead=lead, too_late=too_late, now=now)
        for booking_id, sequence in due:
            send_booking_email_task.delay(booking_id, kind, sequence)
            queued += 1
    # "How was it?" once a session is over.
    for booking_id, sequence in selectors.feedback_due(now=now):
        send_booking_email_task.delay(booking_id, BookingEmail.Kind.FEEDBACK, sequence)
        queued += 1
    for booking in selectors.bookings_starting_between(starts=now, ends=now + STARTING_SOON):
        with transaction.atomic():
            _tell_stylist(booking, kind="appointment.starting_soon", title="Session in 10 minutes")
    return queued


# --- The lookbook -----------------------------------------------------------------------------

LOOKBOOK_NOTE_MAX = 500
LOOKBOOK_MAX_ITEMS = 40


def _clean_lookbook_note(note: str) -> str:
    note = note.replace("\x00", "").strip()
    if len(note) > LOOKBOOK_NOTE_MAX:
        raise ValidationError(
            {
                "note": gettext("A note is at most %(limit)s characters.")
                % {"limit": LOOKBOOK_NOTE_MAX}
            }
        )
    return note


def _locked_booking(booking: Booking) -> Booking:
    """The booking, locked: changes to its lookbook and outcome happen one at a time."""
    return (
        Booking.objects.select_for_update(of=("self",))
        .select_related("service", "store", "stylist__user", "customer")
        .get(pk=booking.pk)
    )


def lookbook_item_add(
    *, by: User, booking: Booking, variant_id: int, note: str = ""
) -> LookbookItem:
    """Put a variant the booking's store has free at the end of the session's lookbook."""
    note = _clean_lookbook_note(note)
    variant = selectors.variant_for_lookbook(variant_id=variant_id)
    if variant is None:
        raise ValidationError({"variant": gettext("Choose one of the products shown.")})
    with transaction.atomic():
        booking = _locked_booking(booking)
        if booking.status == BookingStatus.CANCELLED:
            raise ValidationError({"variant": gettext("This session was cancelled.")})
        if selectors.variant_available_at(variant_id=variant.pk, store_id=booking.store_id) < 1:
            raise ValidationError(
                {
                    "variant": gettext(
                        "No %(name)s in %(colour)s %(size)s is free at %(store)s any more."
                    )
                    % {
                        "name": variant.product.name,
                        "colour": variant.colour,
                        "size": variant.size,
                        "store": booking.store.name,
                    }
                }
            )
        items = booking.lookbook_items.all()
        if items.filter(variant=variant).exists():
            raise ValidationError({"variant": gettext("That one is in the lookbook already.")})
        if items.count() >= LOOKBOOK_MAX_ITEMS:
            raise ValidationError(
                {
                    "variant": gettext("A lookbook holds at most %(limit)s items.")
                    % {"limit": LOOKBOOK_MAX_ITEMS}
                }
            )
        last = items.aggregate(last=Max("position"))["last"] or 0
        item = LookbookItem.objects.create(
            booking=booking, variant=variant, position=last + 1, note=note, added_by=by
        )
        _lookbook_changed(booking)
    return item


def lookbook_item_note_set(*, item: LookbookItem, note: str) -> LookbookItem:
    item.note = _clean_lookbook_note(note)
    with transaction.atomic():
        item.save(update_fields=["note"])
        _lookbook_changed(item.booking)
    return item


def lookbook_item_move(*, item: LookbookItem, by_places: int) -> LookbookItem:
    """Swap the item with its neighbour before (-1) or after (+1); at an end nothing moves."""
    with transaction.atomic():
        booking = _locked_booking(item.booking)
        ordered = list(booking.lookbook_items.order_by("position", "pk"))
        # None when someone removed the item meanwhile: then there is nothing to move.
        index = next((i for i, other in enumerate(ordered) if other.pk == item.pk), None)
        target = -1 if index is None else index + by_places
        if index is not None and 0 <= target < len(ordered):
            ordered[index], ordered[target] = ordered[target], ordered[index]
            for position, other in enumerate(ordered, start=1):
                other.position = position
            LookbookItem.objects.bulk_update(ordered, ["position"])
            _lookbook_changed(booking)
    return item


def lookbook_item_remove(*, item: LookbookItem) -> None:
    """Take the item out of the lookbook; a hold placed from it stays (it is the store's now)."""
    with transaction.atomic():
        booking = item.booking
        item.delete()
        _lookbook_changed(booking)


def lookbook_item_hold(*, by: User, item: LookbookItem) -> Hold:
    """Keep the item aside for the customer at the booking's store, through the catalog's holds
    (its stock check, deadline and notifications); raises the catalog's ``CatalogError``."""
    booking = item.booking
    if item.hold is not None and item.hold.status == Hold.Status.ACTIVE:
        raise HoldNotActive(gettext("This item is already kept aside for the customer."))
    local = booking.starts_at.astimezone(booking.store.time_zone)
    hold = hold_create(
        user=by,
        customer=booking.customer,
        variant=item.variant,
        store=booking.store,
        pickup_note=f"From the lookbook of the {booking.service.name.lower()} on {local:%d %b}",
    )
    with transaction.atomic():
        LookbookItem.objects.filter(pk=item.pk).update(hold=hold)
        item.hold = hold
        _lookbook_changed(booking)
    return hold


def lookbook_share(*, booking: Booking, now: datetime | None = None) -> Booking:
    """Show the lookbook to the customer: on their booking's pages from now on, and in one
    e-mail with their link (sharing again changes nothing)."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = _locked_booking(booking)
        if booking.status == BookingStatus.CANCELLED:
            raise ChangeRefused(gettext("This session was cancelled."))
        if not booking.lookbook_items.exists():
            raise ChangeRefused(gettext("Add something to the lookbook first."))
        if booking.lookbook_shared_at is None:
            booking.lookbook_shared_at = now
            booking.save(update_fields=["lookbook_shared_at", "updated_at"])
            _email_on_commit(booking, BookingEmail.Kind.LOOKBOOK)
            _lookbook_changed(booking)
    return booking


def _lookbook_changed(booking: Booking) -> None:
    """Tell the customer's open video room to show the lookbook again, once this commits."""
    if booking.lookbook_shared_at is None:
        return
    booking_id = booking.pk
    transaction.on_commit(
        lambda: session_frame_send(booking_id=booking_id, frame={"type": "lookbook"}), robust=True
    )


# --- After the session: what came of it -------------------------------------------------------


@dataclass(frozen=True)
class SessionReport:
    """What the stylist records after a session."""

    outcome: str
    notes: str = ""
    # A day to get back in touch: a follow-up for the stylist (followups domain).
    follow_up_on: date | None = None


def booking_outcome_record(
    *, by: User, booking: Booking, report: SessionReport, now: datetime | None = None
) -> Booking:
    """Record how the session went: the booking becomes completed (or a no-show), the notes
    and outcome land on the customer's timeline, and a follow-up is planned when asked for.
    Recording again corrects the record (the timeline entry is replaced)."""
    now = now or timezone.now()
    notes = report.notes.replace("\x00", "").strip()
    _check_report(report, notes)
    with transaction.atomic():
        booking = _locked_booking(booking)
        if booking.status == BookingStatus.CANCELLED or now < booking.starts_at:
            raise ChangeRefused(gettext("The session has not taken place yet."))
        booking.outcome, booking.outcome_notes = report.outcome, notes
        booking.outcome_recorded_at, booking.outcome_recorded_by = now, by
        booking.status = (
            BookingStatus.NO_SHOW
            if report.outcome == SessionOutcome.NO_SHOW
            else BookingStatus.COMPLETED
        )
        booking.save(
            update_fields=[
                "outcome",
                "outcome_notes",
                "outcome_recorded_at",
                "outcome_recorded_by",
                "status",
                "updated_at",
            ]
        )
        if report.follow_up_on is not None:
            _follow_up_after(booking, by=by, day=report.follow_up_on)
        if booking.status == BookingStatus.COMPLETED:
            _survey_after(booking, now=now)
        _timeline_entry(
            booking,
            entry="outcome",
            kind=InteractionKind.APPOINTMENT,
            summary=_outcome_summary(booking),
            occurred_at=now,
            # Scored from the stylist's notes, as every note is (the outcome's label is not
            # words about the customer).
            **(interaction_sentiment_fields(summary=notes) if notes else {}),
        )
    return booking


def _survey_after(booking: Booking, *, now: datetime) -> None:
    """The NPS question about the session (surveys domain), for a customer who may be asked.
    It takes the place of the one-tap rating e-mail (``selectors.feedback_due`` leaves such a
    session out): one question after a session, not two. A correction of the outcome asks
    nothing more (one survey per session)."""
    survey_create(
        customer=booking.customer,
        store=booking.store,
        about=About.APPOINTMENT,
        about_key=selectors.survey_key(booking.pk),
        associate=booking.stylist.user,
        now=now,
    )


def _check_report(report: SessionReport, notes: str) -> None:
    errors: dict[str, str] = {}
    if report.outcome not in SessionOutcome.values:
        errors["outcome"] = gettext("Choose what came of the session.")
    if len(notes) > OUTCOME_NOTES_MAX:
        errors["notes"] = f"Notes are at most {OUTCOME_NOTES_MAX} characters."
    if report.outcome == SessionOutcome.FOLLOW_UP and report.follow_up_on is None:
        errors["follow_up_on"] = gettext("Choose the day to get back in touch.")
    if errors:
        raise ValidationError(errors)


def _follow_up_after(booking: Booking, *, by: User, day: date) -> None:
    local = booking.starts_at.astimezone(booking.store.time_zone)
    try:
        followup_create(
            by=by,
            customer_id=booking.customer_id,
            assignee_id=by.pk,
            due_on=day,
            reason=Reason.CHECK_IN,
            reason_text=f"After the {booking.service.name.lower()} of {local:%d %b %Y}",
            store_id=booking.store_id,
        )
    except ValidationError as error:
        # The follow-up's own checks (a day in the past, a staff member who does not work at
        # the store) are about the day asked for, as far as this form goes.
        raise ValidationError({"follow_up_on": error.messages}) from None


def _outcome_summary(booking: Booking) -> str:
    held = booking.lookbook_items.filter(hold__status=Hold.Status.ACTIVE).count()
    with translation.override(settings.LANGUAGE_CODE):  # stored: in the brand's language
        outcome = str(booking.get_outcome_display())
    parts = [f"{outcome}: {booking.service.name.lower()} with {booking.stylist.display_name}"]
    if held:
        parts.append(f"{held} item{'s' if held != 1 else ''} held from the lookbook")
    if booking.outcome_notes:
        parts.append(booking.outcome_notes)
    return ". ".join(parts)


# --- The external video link ------------------------------------------------------------------


def booking_meeting_link_set(*, booking: Booking, url: str) -> Booking:
    """Give the session an external video link (empty: none of its own). The customer's
    calendar gets the updated invite (same UID, next SEQUENCE) and an e-mail with the link."""
    url = url.strip()
    if url:
        try:
            MEETING_URL_VALIDATOR(url)
        except ValidationError:
            raise ValidationError(
                {"external_meeting_url": gettext("Enter the meeting's https:// link.")}
            ) from None
    with transaction.atomic():
        booking = _locked_booking(booking)
        if booking.status != BookingStatus.CONFIRMED:
            raise ChangeRefused(gettext("This session was cancelled or has taken place."))
        if booking.external_meeting_url == url:
            return booking
        booking.external_meeting_url = url
        booking.sequence += 1
        booking.save(update_fields=["external_meeting_url", "sequence", "updated_at"])
        _email_on_commit(booking, BookingEmail.Kind.UPDATED)
    return booking
