"""The words the app's scripts show (static/js), translated like the pages' own.

The scripts are written in English and look each text up with ``Frontline.text("…")``
(static/js/frontline.js), by its English words. A page in another language carries the
translations of just these texts in a JSON data block (``javascript_text`` in the template
context, rendered by base.html with ``json_script``): no extra request, no script of its own
to count against the JavaScript budget, and nothing at all on an English page. Placeholders
are ``%(name)s``, as in the Python catalogue, so makemessages and translators treat them alike.

A text added to a script must be added here too (tests/core/test_javascript_text.py checks).
"""

from __future__ import annotations

from functools import cache

from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

SCRIPT_TEXTS = (
    # frontline.js: why an htmx request failed, next to what failed.
    gettext_noop("You may not do this."),
    gettext_noop("Not found: it may have been handled or removed already."),
    gettext_noop("Too many attempts: wait a moment, then try again."),
    gettext_noop("Something went wrong on our side and it was not done. Try again."),
    gettext_noop("That did not work (%(status)s). Try again."),
    gettext_noop(
        "Not sent: there is no connection. Nothing was saved; try again once back online."
    ),
    # tablet.js: the outbox of writes made offline.
    gettext_noop("It is gone, or no longer yours to see."),
    gettext_noop("Someone changed it in the meantime."),
    gettext_noop("It was refused (%(status)s)."),
    gettext_noop("Waiting to send: kept on this tablet and sent when the connection returns."),
    gettext_noop("Sent: %(label)s."),
    gettext_noop("Not saved: %(label)s. %(reason)s"),
    gettext_noop("What you wrote: “%(text)s”"),
    gettext_noop("Dismiss"),
    gettext_noop("%(count)s change waiting to send"),
    gettext_noop("%(count)s changes waiting to send"),
    gettext_noop(
        "Written more than %(age)s ago, while offline: too old to send now. Enter it again if "
        "it still applies."
    ),
    gettext_noop("%(count)s hour"),
    gettext_noop("%(count)s hours"),
    gettext_noop("%(count)s minute"),
    gettext_noop("%(count)s minutes"),
    # notifications.js: Web Push on this tablet.
    gettext_noop("Alerts are on for this tablet."),
    gettext_noop("Alerts are off for this tablet."),
    gettext_noop("Alerts could not be turned on: %(reason)s"),
    gettext_noop("Alerts could not be turned off: %(reason)s"),
    gettext_noop("alerts are blocked in this browser's settings"),
    gettext_noop("the server answered %(status)s"),
    # video_session.js: the video room (staff and customers).
    gettext_noop("Connected."),
    gettext_noop("The connection failed. Try again, or call the store."),
    gettext_noop("Calling…"),
    gettext_noop("Waiting for your customer…"),
    gettext_noop("Waiting for your stylist…"),
    gettext_noop("The call has ended."),
    gettext_noop("The other side left. Waiting for them to come back…"),
    gettext_noop("Something went wrong: %(reason)s"),
    gettext_noop("This video room is not open to you now."),
    gettext_noop("Connection lost; reconnecting…"),
    gettext_noop("Unmute"),
    gettext_noop("Mute"),
    gettext_noop("Camera on"),
    gettext_noop("Camera off"),
    gettext_noop("You ended the call."),
    gettext_noop(
        "We could not use your camera or microphone. Allow them in your browser, then reload."
    ),
    # barcode.js: scanning a product's barcode.
    gettext_noop("Scanned %(code)s"),
    gettext_noop("Point the camera at the barcode, or type it."),
    gettext_noop("The camera is not available: type the barcode instead."),
)


def javascript_text(request: HttpRequest) -> dict[str, object]:
    """Context processor: the scripts' texts in the page's language (none in English)."""
    return {"javascript_text": _translated(translation.get_language() or "en")}


@cache
def _translated(language: str) -> dict[str, str]:
    """English → this language, for the texts that differ (computed once per language)."""
    with translation.override(language):
        pairs = {text: gettext(text) for text in SCRIPT_TEXTS}
    return {english: text for english, text in pairs.items() if text != english}
