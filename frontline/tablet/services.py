"""Writes of the tablet domain: staff PINs, and switching who uses a locked tablet."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext

from frontline.notifications.services import live_session_close
from frontline.privacy.context import client_address_set, request_address
from frontline.privacy.services import sign_in_record
from frontline.staff.models import User
from frontline.tablet.locking import STORE, session_unlock
from frontline.tablet.models import StaffPin
from frontline.tablet.pin_failures import (
    pin_failure_add,
    pin_failures,
    pin_failures_clear,
)
from frontline.tablet.selectors import staff_who_may_unlock

PIN_MIN_LENGTH = 4
PIN_MAX_LENGTH = 8
BACKEND = "frontline.staff.lockout.LockoutModelBackend"


def pin_set(*, staff: User, pin: str) -> StaffPin:
    """Set (or change) the staff member's PIN; it is kept hashed, like a password."""
    if not (pin.isascii() and pin.isdigit() and PIN_MIN_LENGTH <= len(pin) <= PIN_MAX_LENGTH):
        raise ValidationError(
            {
                "pin": gettext("A PIN is %(min)s to %(max)s digits.")
                % {"min": PIN_MIN_LENGTH, "max": PIN_MAX_LENGTH}
            },
            code="invalid",
        )
    if len(set(pin)) == 1 or pin in "0123456789" or pin in "9876543210":
        raise ValidationError(
            {"pin": gettext("Too easy to guess: not one digit repeated, nor a run like 1234.")},
            code="weak",
        )
    record, _ = StaffPin.objects.update_or_create(
        staff=staff, defaults={"pin_hash": make_password(pin)}
    )
    pin_failures_clear(staff.pk)
    return record


@dataclass(frozen=True)
class Unlocked:
    staff: User
    switched: bool


class UnlockRefused(Exception):
    pass


def tablet_unlock(*, request: HttpRequest, staff_id: int, pin: str) -> Unlocked:
    """Open a locked tablet for a staff member of its store who gives their PIN.

    The same person finds their session as they left it; someone else is signed in in its
    place (a new session), which Django records on the audit trail as any sign-in. Failures
    are recorded too, and TABLET_PIN_FAILURES of them lock the PIN until a sign-in with the
    password or the end of TABLET_PIN_LOCKOUT_SECONDS: four to eight digits are soon guessed.
    """
    people = staff_who_may_unlock(store_id=request.session.get(STORE))
    candidate = people.filter(pk=staff_id).first()
    if candidate is None:
        raise UnlockRefused(gettext("Choose who you are from the list."))
    with client_address_set(request_address(request)):
        if pin_failures(candidate.pk) >= settings.TABLET_PIN_FAILURES:
            sign_in_record(staff_id=candidate.pk, succeeded=False, detail="PIN locked")
            raise UnlockRefused(gettext("Too many wrong PINs: sign in with your password instead."))
        if not check_password(pin, candidate.tablet_pin.pin_hash):
            pin_failure_add(candidate.pk)
            sign_in_record(staff_id=candidate.pk, succeeded=False, detail="wrong tablet PIN")
            raise UnlockRefused(gettext("That PIN is not right."))
        pin_failures_clear(candidate.pk)
        if candidate.pk == request.user.pk:
            session_unlock(request)
            sign_in_record(staff_id=candidate.pk, succeeded=True, detail="tablet PIN")
            return Unlocked(candidate, switched=False)
    # A different person: a session of their own (login() starts a new one, so nothing of the
    # previous person's session carries over); user_logged_in records it and starts the tablet.
    # The previous person's sockets closed when the tablet locked; any left would go on
    # hearing their notifications on the new person's screen, so they are closed too.
    previous_staff_id, previous_session = request.user.pk, request.session.session_key
    login(request, candidate, backend=BACKEND)
    if previous_staff_id is not None and previous_session:
        live_session_close(user_id=previous_staff_id, session_key=previous_session)
    return Unlocked(candidate, switched=True)
