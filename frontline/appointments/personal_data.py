"""The appointments' part of a data export and erasure: the sessions booked and what the customer
typed when booking. Erasure keeps each booking (the stylist's diary and the figures count it)
without the contact details, the words typed into the form and the stylist's words about the
customer (session notes, lookbook notes)."""

from __future__ import annotations

from typing import Any

from frontline.appointments.models import Booking, BookingEmail, LookbookItem
from frontline.privacy.registry import rows

ERASED_NAME = "Erased customer"


def appointments_personal_data_export(customer_id: int) -> dict[str, Any]:
    return {
        # The token is a key to the booking's pages, not data about the person.
        "bookings": rows(Booking.objects.filter(customer_id=customer_id), exclude=["token"]),
        "booking_emails": rows(BookingEmail.objects.filter(booking__customer_id=customer_id)),
        "lookbook_items": rows(LookbookItem.objects.filter(booking__customer_id=customer_id)),
    }


def appointments_personal_data_erase(customer_id: int) -> None:
    Booking.objects.filter(customer_id=customer_id).update(
        name=ERASED_NAME,
        email="erased@invalid",
        phone="",
        occasion="",
        sizes="",
        budget="",
        notes="",
        outcome_notes="",
    )
    # What the stylist wrote to the customer about each piece is about them; the pieces stay.
    LookbookItem.objects.filter(booking__customer_id=customer_id).update(note="")
