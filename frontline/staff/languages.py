"""Staff pages in the language of the store the staff member works at.

As with the time zone (``time_zones``), the language is looked up once, at sign-in, and kept in
the session. Django's LocaleMiddleware has already chosen a language from the browser by then;
for a signed-in staff member the store's choice wins, so that a shared tablet speaks the store's
language whoever's browser settings it has. Pages without a staff session (sign-in, the public
booking pages) keep the browser's choice.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils import translation

from frontline.staff.models import User
from frontline.staff.selectors import primary_store_for

SESSION_KEY = "frontline_language"


def remember_store_language(sender: object, request: HttpRequest, user: User, **_: object) -> None:
    """On sign-in (Django's user_logged_in): keep the primary store's language in the session."""
    store = primary_store_for(user)
    if store is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = store.language


class StoreLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        language = _session_language(request)
        if language is not None:
            # No deactivate afterwards: LocaleMiddleware, outside this one, activates a
            # language for every request and names the one used in Content-Language.
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


def _session_language(request: HttpRequest) -> str | None:
    session = getattr(request, "session", None)
    language = session.get(SESSION_KEY) if session is not None else None
    # A language the store chose that this deployment no longer offers: the browser's instead.
    return language if language in dict(settings.LANGUAGES) else None
