"""The e-mails a customer receives about a booking, each with an iCalendar (RFC 5546) part.

Every version of a booking is the same calendar event (one ``UID``) with a higher ``SEQUENCE``,
so a calendar that accepted the invite moves or removes its entry instead of adding another:
``METHOD:REQUEST`` for the booking and every reschedule, ``METHOD:CANCEL`` for a cancellation.
The customer is an ``ATTENDEE`` with ``RSVP=TRUE``, which is what makes mail clients offer
accept and decline; the store is the ``ORGANIZER``.

Each e-mail is written in the language of the store the customer booked at: it is sent from a
Celery task, where no request chose a language, and the customer chose the store, not a page.
"""

from __future__ import annotations

from datetime import datetime
from email.mime.text import MIMEText
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from icalendar import Calendar, Event, vCalAddress, vText

from frontline.appointments import selectors
from frontline.appointments.models import Booking, BookingEmail, Service

SUBJECTS = {
    BookingEmail.Kind.CONFIRMATION: gettext_lazy("Your styling session is booked"),
    BookingEmail.Kind.RESCHEDULED: gettext_lazy("Your styling session has moved"),
    BookingEmail.Kind.CANCELLATION: gettext_lazy("Your styling session is cancelled"),
    BookingEmail.Kind.REMINDER_DAY: gettext_lazy("Your styling session is tomorrow"),
    BookingEmail.Kind.REMINDER_HOUR: gettext_lazy("Your styling session starts in an hour"),
    BookingEmail.Kind.FEEDBACK: gettext_lazy("How was your styling session?"),
    BookingEmail.Kind.LOOKBOOK: gettext_lazy("Your stylist's picks for your session"),
    BookingEmail.Kind.UPDATED: gettext_lazy("Your styling session: how to join"),
}


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def invite_calendar(*, booking: Booking, manage_url: str, stamp: datetime) -> Calendar:
    """The booking as it stands, as an invite (or a cancellation once it is cancelled)."""
    cancelled = booking.status == "cancelled"
    calendar = Calendar()
    calendar.add("prodid", "-//Frontline//Styling sessions//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", booking.ical_uid)
    event.add("sequence", booking.sequence)
    event.add("dtstamp", stamp)
    event.add("dtstart", booking.starts_at)
    event.add("dtend", booking.ends_at)
    event.add("summary", f"{booking.service.name} — {booking.store.name}")
    event.add("description", _description(booking, manage_url))
    event.add("location", _location(booking))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    organizer_name, organizer_address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    organizer = vCalAddress(f"mailto:{organizer_address}")
    organizer.params["cn"] = vText(booking.store.name or organizer_name)
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{booking.email}")
    attendee.params["cn"] = vText(booking.name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("NEEDS-ACTION")
    attendee.params["rsvp"] = vText("TRUE")
    event.add("attendee", attendee)
    calendar.add_component(event)
    return calendar


def _description(booking: Booking, manage_url: str) -> str:
    lines = [_("With %(stylist)s.") % {"stylist": booking.stylist.display_name}]
    meeting_url = selectors.external_meeting_url(booking)
    if booking.service.kind == Service.Kind.VIDEO and meeting_url:
        lines.append(
            _("If the video room does not work for you, join here: %(url)s") % {"url": meeting_url}
        )
    lines.append(_("Change or cancel: %(url)s") % {"url": manage_url})
    return "\n".join(lines)


def _location(booking: Booking) -> str:
    if booking.service.kind == Service.Kind.VIDEO:
        return absolute_url(reverse("appointments:customer_session", args=[booking.token]))
    return ", ".join(part for part in (booking.store.name, booking.store.address) if part)


def booking_message(
    *,
    booking: Booking,
    kind: str,
    manage_url: str,
    stamp: datetime,
    feedback_url: str = "",
) -> EmailMultiAlternatives:
    """The e-mail of one kind about the booking, ready to send, in the store's language."""
    with translation.override(booking.store.language):
        return _booking_message(
            booking=booking,
            kind=kind,
            manage_url=manage_url,
            stamp=stamp,
            feedback_url=feedback_url,
        )


def _booking_message(
    *, booking: Booking, kind: str, manage_url: str, stamp: datetime, feedback_url: str
) -> EmailMultiAlternatives:
    zone = booking.customer_time_zone or str(booking.store.time_zone)
    context = {
        "booking": booking,
        "kind": kind,
        "manage_url": manage_url,
        "booking_url": absolute_url(reverse("appointments:booked", args=[booking.token])),
        "session_url": (
            absolute_url(reverse("appointments:customer_session", args=[booking.token]))
            if booking.service.kind == Service.Kind.VIDEO
            else ""
        ),
        "customer_zone": zone,
        "store_zone": str(booking.store.time_zone),
        "cutoff_hours": settings.APPOINTMENTS_CHANGE_CUTOFF_HOURS,
        "feedback_url": feedback_url,
        "meeting_url": (
            selectors.external_meeting_url(booking)
            if booking.service.kind == Service.Kind.VIDEO
            else ""
        ),
    }
    message = EmailMultiAlternatives(
        subject=str(SUBJECTS[BookingEmail.Kind(kind)]),
        body=render_to_string("appointments/email.txt", context),
        to=[booking.email],
    )
    if kind in (BookingEmail.Kind.FEEDBACK, BookingEmail.Kind.LOOKBOOK):
        return message  # nothing new for the calendar
    ics = invite_calendar(booking=booking, manage_url=manage_url, stamp=stamp).to_ical()
    method = "CANCEL" if booking.status == "cancelled" else "REQUEST"
    # One text/calendar part naming its method: what mail clients read to offer accept and
    # decline, and what a calendar imports as invite.ics.
    part = MIMEText(ics.decode(), "calendar", "utf-8")
    part.set_param("method", method)
    part.add_header("Content-Disposition", "attachment", filename="invite.ics")
    message.attach(part)
    return message
