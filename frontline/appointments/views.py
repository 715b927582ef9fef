"""The public booking page (no login) and the stylists' pages (login), thin.

Booking is three steps on one URL, each reachable without JavaScript: choose the session
(GET), choose a day and time (GET, with the step-one choices in the query), give your details
(POST). htmx only swaps the day's times in place. Answers are the same whether or not the
e-mail belongs to a known customer: nothing on these pages comes from the customer record.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from frontline.appointments import selectors, services
from frontline.appointments.availability import slots_by_local_day
from frontline.appointments.forms import (
    BookingDetailsForm,
    LookbookAddForm,
    LookbookItemForm,
    LookbookSearchForm,
    MeetingLinkForm,
    RescheduleForm,
    SessionChoiceForm,
    SessionOutcomeForm,
    parse_slot,
)
from frontline.appointments.models import Booking, BookingStatus, Stylist
from frontline.catalog.services import CatalogError
from frontline.privacy.models import AccessAction
from frontline.privacy.services import personal_data_access_record
from frontline.staff.models import User

DAYS_SHOWN = 14


def _booking_rate(group: str, request: HttpRequest) -> str:
    return settings.APPOINTMENTS_BOOKING_RATE


def _browse_rate(group: str, request: HttpRequest) -> str:
    return settings.APPOINTMENTS_BROWSE_RATE


def _limited(request: HttpRequest) -> HttpResponse | None:
    """The booking page's own "too many attempts" (the shared one speaks of signing in)."""
    if not getattr(request, "limited", False):
        return None
    response = render(request, "appointments/rate_limited.html", status=429)
    response["Retry-After"] = "60"
    return response


@never_cache
@ratelimit(group="appointments.book", key="ip", rate=_booking_rate, method="POST", block=False)
@ratelimit(group="appointments.browse", key="ip", rate=_browse_rate, method="GET", block=False)
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest) -> HttpResponse:
    if (limited := _limited(request)) is not None:
        return limited
    choice = SessionChoiceForm(request.GET or None, initial={"tz": _default_zone()})
    if not choice.is_bound or not choice.is_valid():
        return render(request, "appointments/book.html", {"choice": choice, "step": "choose"})
    details = BookingDetailsForm(request.POST or None, initial={"slot": request.GET.get("slot")})
    if request.method == "POST":
        return _book_submitted(request, choice, details)
    return _times_or_details(request, choice, details)


def _default_zone() -> str:
    """The zone the page starts with before the browser says the customer's own."""
    store = selectors.stores_bookable().first()
    return str(store.time_zone) if store is not None else settings.TIME_ZONE


def _times_or_details(
    request: HttpRequest,
    choice: SessionChoiceForm,
    details: BookingDetailsForm,
    *,
    status: int = 200,
    taken: list[datetime] | None = None,
) -> HttpResponse:
    data = choice.cleaned_data
    stylists = [data["stylist"]] if data["stylist"] else _stylists(choice)
    now = timezone.now()
    search = selectors.slots_search(
        stylists=stylists,
        service=data["service"],
        window_starts=now,
        window_ends=selectors.booking_horizon_end(stylists=stylists, now=now),
        now=now,
    )
    days = slots_by_local_day(search.slots, choice.zone)
    shown_days = list(days)[:DAYS_SHOWN]
    day = choice.chosen_day()
    if day is None or day not in days:
        day = shown_days[0] if shown_days else None
    slot = parse_slot(details.data.get("slot") if details.is_bound else details.initial.get("slot"))
    context = {
        "choice": choice,
        "service": data["service"],
        "store": data["store"],
        "stylist": data["stylist"],
        "zone": choice.zone,
        "store_zone": data["store"].time_zone,
        "days": shown_days,
        "day": day,
        "slots": days.get(day, []) if day else [],
        "details": details,
        "chosen_slot": slot,
        "taken": taken,
        "step": "details" if slot else "times",
        "query": _query(choice),
    }
    if request.htmx and not slot:  # type: ignore[attr-defined]
        return render(request, "appointments/book.html#times", context, status=status)
    return render(request, "appointments/book.html", context, status=status)


def _stylists(choice: SessionChoiceForm) -> list[Stylist]:
    data = choice.cleaned_data
    return list(selectors.stylists_bookable(store=data["store"], service=data["service"]))


def _query(choice: SessionChoiceForm) -> str:
    """The step-one choices as a query string, carried through the later steps."""
    return urlencode({name: choice.data.get(name, "") for name in ("service", "with_whom", "tz")})


def _book_submitted(
    request: HttpRequest, choice: SessionChoiceForm, details: BookingDetailsForm
) -> HttpResponse:
    if not details.is_valid():
        return _times_or_details(request, choice, details, status=400)
    if details.is_bot:
        # Bots get what a person would see next, and nothing is booked.
        return render(request, "appointments/received.html")
    data, cleaned = choice.cleaned_data, details.cleaned_data
    try:
        booking = services.booking_create(
            service=data["service"],
            store=data["store"],
            stylist=data["stylist"],
            starts_at=cleaned["slot"],
            details=services.CustomerDetails(
                first_name=cleaned["first_name"],
                last_name=cleaned["last_name"],
                email=cleaned["email"],
                phone=cleaned["phone"],
                time_zone=data["tz"],
                occasion=cleaned["occasion"],
                sizes=cleaned["sizes"],
                budget=cleaned["budget"],
                notes=cleaned["notes"],
                consents=details.consent_pairs(),
            ),
        )
    except services.SlotTaken as taken:
        return _times_or_details(request, choice, details, status=409, taken=taken.nearest_slots)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            details.add_error(field if field in details.fields else None, messages)
        return _times_or_details(request, choice, details, status=400)
    return redirect("appointments:booked", token=booking.token)


@never_cache
@ratelimit(group="appointments.browse", key="ip", rate=_browse_rate, method="GET", block=False)
@require_GET
def booked(request: HttpRequest, token: str) -> HttpResponse:
    """The confirmation page; its address (with the unguessable token) is the customer's."""
    if (limited := _limited(request)) is not None:
        return limited
    booking = selectors.booking_by_token(token)
    if booking is None:
        raise Http404(_("No such booking."))
    return render(
        request,
        "appointments/booked.html",
        {
            "booking": booking,
            "zone": services.zone_named(booking.customer_time_zone),
            "manage_url": services.booking_manage_url(booking=booking),
        },
    )


@never_cache
@ratelimit(group="appointments.book", key="ip", rate=_booking_rate, method="POST", block=False)
@ratelimit(group="appointments.browse", key="ip", rate=_browse_rate, method="GET", block=False)
@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, signed: str) -> HttpResponse:
    """Reschedule or cancel through the signed link of the e-mails."""
    if (limited := _limited(request)) is not None:
        return limited
    booking = services.booking_from_manage_token(value=signed)
    if booking is None:
        return render(request, "appointments/link_expired.html", status=410)
    now = timezone.now()
    context: dict[str, object] = {
        "booking": booking,
        "zone": services.zone_named(booking.customer_time_zone),
        "refusal": services.booking_change_allowed(booking=booking, now=now),
    }
    status = 200
    if request.method == "POST" and not context["refusal"]:
        try:
            if request.POST.get("action") == "cancel":
                services.booking_cancel(booking=booking, now=now)
                return redirect("appointments:manage", signed=signed)
            form = RescheduleForm(request.POST)
            if form.is_valid():
                services.booking_reschedule(
                    booking=booking, starts_at=form.cleaned_data["slot"], now=now
                )
                return redirect("appointments:manage", signed=signed)
            context["error"] = _("Choose one of the times shown.")
        except services.ChangeRefused as refusal:
            context["refusal"] = str(refusal)
        except (services.SlotTaken, ValidationError):
            context["error"] = _("That time was just taken or is not available; choose another.")
        status = 400
        booking.refresh_from_db()
    if booking.status == "confirmed" and not context["refusal"]:
        context["days"] = _reschedule_days(booking, now=now)
    if booking.service.kind == "video" and booking.status == "confirmed":
        context["meeting_url"] = selectors.external_meeting_url(booking)
    context.update(_lookbook_shown_context(booking, role="customer"))
    return render(request, "appointments/manage.html", context, status=status)


def _reschedule_days(booking: Booking, *, now: datetime) -> list[tuple[date, list[datetime]]]:
    search = selectors.slots_search(
        stylists=[booking.stylist],
        service=booking.service,
        window_starts=now,
        window_ends=now + timedelta(days=booking.stylist.horizon_days),
        now=now,
        exclude_booking_id=booking.pk,
    )
    days = slots_by_local_day(search.slots, services.zone_named(booking.customer_time_zone))
    return list(days.items())[:DAYS_SHOWN]


# --- After the session ------------------------------------------------------------------------


@never_cache
@ratelimit(group="appointments.book", key="ip", rate=_booking_rate, method="POST", block=False)
@ratelimit(group="appointments.browse", key="ip", rate=_browse_rate, method="GET", block=False)
@require_http_methods(["GET", "POST"])
def feedback(request: HttpRequest, signed: str) -> HttpResponse:
    """ "How was your session?": five buttons, one tap (a POST, so no link preview answers)."""
    if (limited := _limited(request)) is not None:
        return limited
    booking = services.booking_from_feedback_token(value=signed)
    if booking is None:
        return render(request, "appointments/link_expired.html", status=410)
    context: dict[str, object] = {"booking": booking, "ratings": range(1, 6)}
    if request.method == "POST":
        try:
            rating = int(request.POST.get("rating", ""))
            services.booking_rate(booking=booking, rating=rating)
        except (ValueError, ValidationError):
            context["error"] = _("Choose from 1 to 5.")
            return render(request, "appointments/feedback.html", context, status=400)
        except services.ChangeRefused as refusal:
            context["error"] = str(refusal)
            return render(request, "appointments/feedback.html", context, status=400)
        context["thanks"] = True
    return render(request, "appointments/feedback.html", context)


# --- The video session -------------------------------------------------------------------------


@never_cache
@ratelimit(group="appointments.browse", key="ip", rate=_browse_rate, method="GET", block=False)
@require_GET
def customer_session(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's side of the video call; the token in the address is their key."""
    if (limited := _limited(request)) is not None:
        return limited
    booking = selectors.booking_by_token(token)
    if booking is None or booking.service.kind != "video":
        raise Http404(_("No such video session."))
    return _session_page(
        request, booking, role="customer", socket_path=f"/ws/sessions/c/{booking.token}/"
    )


@login_required
@require_GET
def stylist_session(request: HttpRequest, booking_id: int) -> HttpResponse:
    """The stylist's side of the video call (the socket admits the assigned stylist only)."""
    user: User = request.user  # type: ignore[assignment]
    booking = selectors.appointment_for(staff=user, booking_id=booking_id)
    if booking is None or booking.service.kind != "video":
        raise Http404(_("No such video session at your stores."))
    return _session_page(
        request, booking, role="stylist", socket_path=f"/ws/sessions/{booking.pk}/"
    )


def _session_page(
    request: HttpRequest, booking: Booking, *, role: str, socket_path: str
) -> HttpResponse:
    opens, closes = selectors.session_window(booking)
    zone = (
        services.zone_named(booking.customer_time_zone)
        if role == "customer"
        else booking.store.time_zone
    )
    return render(
        request,
        "appointments/session.html",
        {
            "booking": booking,
            "role": role,
            "zone": zone,
            "opens": opens,
            "closes": closes,
            "is_open": booking.status == "confirmed" and opens <= timezone.now() <= closes,
            "socket_path": socket_path,
            "ice_servers": settings.APPOINTMENTS_ICE_SERVERS,
            "meeting_url": selectors.external_meeting_url(booking),
            **_lookbook_shown_context(booking, role=role),
        },
    )


# --- Stylists ---------------------------------------------------------------------------------


@login_required
@require_GET
def appointment_list(request: HttpRequest) -> HttpResponse:
    """Today's sessions and those to come, for the stylist who hosts them."""
    user: User = request.user  # type: ignore[assignment]
    stylist = Stylist.objects.filter(user=user).select_related("store").first()
    now = timezone.now()
    today = now.astimezone(stylist.store.time_zone).date() if stylist else now.date()
    context = {
        "stylist": stylist,
        "today": today,
        "today_sessions": selectors.appointments_for_day(staff=user, day=today),
        "upcoming": selectors.appointments_upcoming(staff=user, now=now),
    }
    return render(request, "appointments/list.html", context)


def _staff_booking(request: HttpRequest, booking_id: int) -> Booking:
    """A booking at the staff member's stores, or a 404 (never a 403: the id tells nothing)."""
    user: User = request.user  # type: ignore[assignment]
    booking = selectors.appointment_for(staff=user, booking_id=booking_id)
    if booking is None:
        raise Http404(_("No such session at your stores."))
    return booking


@login_required
@require_GET
def appointment_detail(request: HttpRequest, booking_id: int) -> HttpResponse:
    """Preparing the session: what the customer said, their sizes, the lookbook and the way to
    their 360; after it, what came of it."""
    booking = _staff_booking(request, booking_id)
    return _preparation_page(request, booking)


def _preparation_page(
    request: HttpRequest,
    booking: Booking,
    *,
    status: int = 200,
    error: str = "",
    **forms: object,
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    search = LookbookSearchForm(request.GET or None)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    # What the stylist reads here is the customer's: on the audit trail like the profile.
    personal_data_access_record(
        staff_id=user.pk,
        customer_id=booking.customer_id,
        action=AccessAction.PROFILE_VIEWED,
        detail=f"session preparation, booking {booking.pk}",
    )
    now = timezone.now()
    context = {
        "booking": booking,
        "store_zone": booking.store.time_zone,
        "sizes": selectors.customer_sizes(customer_id=booking.customer_id),
        "lookbook": selectors.lookbook_entries(booking=booking),
        "search": search,
        "query": query,
        "candidates": selectors.lookbook_candidates(user=user, booking=booking, query=query),
        "meeting_url": selectors.external_meeting_url(booking),
        "meeting_form": MeetingLinkForm(
            initial={"external_meeting_url": booking.external_meeting_url}
        ),
        "outcome_form": SessionOutcomeForm(
            initial={"outcome": booking.outcome, "notes": booking.outcome_notes}
        ),
        "has_started": booking.status != BookingStatus.CANCELLED and booking.starts_at <= now,
        "error": error,
        **forms,
    }
    return render(request, "appointments/detail.html", context, status=status)


def _back_to_preparation(booking: Booking, anchor: str) -> HttpResponse:
    return redirect(reverse("appointments:detail", args=[booking.pk]) + f"#{anchor}")


def _first_error(error: ValidationError) -> str:
    return " ".join(error.messages)


@login_required
@require_http_methods(["GET", "POST"])
def lookbook(request: HttpRequest, booking_id: int) -> HttpResponse:
    """GET: the lookbook as the video room shows it. POST: add a product to it."""
    booking = _staff_booking(request, booking_id)
    if request.method == "GET":
        return _lookbook_fragment(request, booking, role="stylist")
    form = LookbookAddForm(request.POST)
    if not form.is_valid():
        return _preparation_page(request, booking, status=400, add_form=form)
    try:
        services.lookbook_item_add(
            by=request.user,  # type: ignore[arg-type]
            booking=booking,
            variant_id=form.cleaned_data["variant"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as error:
        return _preparation_page(request, booking, status=400, error=_first_error(error))
    return _back_to_preparation(booking, "lookbook")


@login_required
@require_POST
def lookbook_item(request: HttpRequest, booking_id: int, lookbook_item_id: int) -> HttpResponse:
    """Change one item: its note, its place, out of the lookbook, or held for the customer."""
    user: User = request.user  # type: ignore[assignment]
    item = selectors.lookbook_item_for(staff=user, booking_id=booking_id, item_id=lookbook_item_id)
    if item is None:
        raise Http404(_("No such item in the lookbooks of your stores."))
    booking = _staff_booking(request, booking_id)
    form = LookbookItemForm(request.POST)
    if not form.is_valid():
        return _preparation_page(request, booking, status=400, error=_("Choose an action shown."))
    action = form.cleaned_data["action"]
    try:
        if action == "note":
            services.lookbook_item_note_set(item=item, note=form.cleaned_data["note"])
        elif action in ("up", "down"):
            services.lookbook_item_move(item=item, by_places=-1 if action == "up" else 1)
        elif action == "remove":
            services.lookbook_item_remove(item=item)
        else:
            services.lookbook_item_hold(by=user, item=item)
    except ValidationError as error:
        return _preparation_page(request, booking, status=400, error=_first_error(error))
    except CatalogError as refusal:
        return _preparation_page(
            request, booking, status=refusal.status_code, error=refusal.message
        )
    return _back_to_preparation(booking, "lookbook")


@login_required
@require_POST
def lookbook_share(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = _staff_booking(request, booking_id)
    try:
        services.lookbook_share(booking=booking)
    except services.ChangeRefused as refusal:
        return _preparation_page(request, booking, status=400, error=str(refusal))
    return _back_to_preparation(booking, "lookbook")


@login_required
@require_POST
def session_outcome(request: HttpRequest, booking_id: int) -> HttpResponse:
    """After the session: what came of it, notes for the timeline, a follow-up."""
    booking = _staff_booking(request, booking_id)
    form = SessionOutcomeForm(request.POST)
    if not form.is_valid():
        return _preparation_page(request, booking, status=400, outcome_form=form)
    try:
        services.booking_outcome_record(
            by=request.user,  # type: ignore[arg-type]
            booking=booking,
            report=services.SessionReport(
                outcome=form.cleaned_data["outcome"],
                notes=form.cleaned_data["notes"],
                follow_up_on=form.cleaned_data["follow_up_on"],
            ),
        )
    except ValidationError as error:
        _form_errors(form, error)
        return _preparation_page(request, booking, status=400, outcome_form=form)
    except services.ChangeRefused as refusal:
        return _preparation_page(request, booking, status=400, error=str(refusal))
    return _back_to_preparation(booking, "outcome")


@login_required
@require_POST
def meeting_link(request: HttpRequest, booking_id: int) -> HttpResponse:
    """The session's external video link, for when the built-in room cannot work."""
    booking = _staff_booking(request, booking_id)
    form = MeetingLinkForm(request.POST)
    if form.is_valid():
        try:
            services.booking_meeting_link_set(
                booking=booking, url=form.cleaned_data["external_meeting_url"]
            )
            return _back_to_preparation(booking, "when-title")
        except ValidationError as error:
            _form_errors(form, error)
        except services.ChangeRefused as refusal:
            return _preparation_page(request, booking, status=400, error=str(refusal))
    return _preparation_page(request, booking, status=400, meeting_form=form)


def _form_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's field errors shown on the form's fields (the rest above the form)."""
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


def _lookbook_fragment(request: HttpRequest, booking: Booking, *, role: str) -> HttpResponse:
    return render(
        request,
        "appointments/_lookbook_shown.html",
        _lookbook_shown_context(booking, role=role),
    )


def _lookbook_shown_context(booking: Booking, *, role: str) -> dict[str, object]:
    """The lookbook as the customer sees it (only once shared) and the stylist in the call."""
    shared = role == "stylist" or booking.lookbook_shared_at is not None
    return {
        "booking": booking,
        "lookbook_role": role,
        "lookbook_entries": selectors.lookbook_entries(booking=booking) if shared else [],
        "lookbook_url": (
            reverse("appointments:lookbook", args=[booking.pk])
            if role == "stylist"
            else reverse("appointments:customer_lookbook", args=[booking.token])
        ),
    }


@never_cache
@ratelimit(group="appointments.browse", key="ip", rate=_browse_rate, method="GET", block=False)
@require_GET
def customer_lookbook(request: HttpRequest, token: str) -> HttpResponse:
    """The shared lookbook, for the customer's video room to show again when it changes."""
    if (limited := _limited(request)) is not None:
        return limited
    booking = selectors.booking_by_token(token)
    if booking is None:
        raise Http404(_("No such booking."))
    return _lookbook_fragment(request, booking, role="customer")
