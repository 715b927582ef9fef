"""The notification centre: a normal page that works without JavaScript, enhanced by htmx."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from frontline.notifications import selectors, services

PAGE_SIZE = 30


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@login_required
@require_GET
def centre(request: HtmxHttpRequest) -> HttpResponse:
    staff = selectors.signed_in_staff(request.user)
    entries_query = selectors.notifications_for(staff)
    before = _positive_int(request.GET.get("before"))
    if before:
        entries_query = entries_query.filter(notification_id__lt=before)
    entries = list(entries_query[: PAGE_SIZE + 1])
    context = {
        "entries": entries[:PAGE_SIZE],
        "older_than": entries[PAGE_SIZE - 1].notification_id if len(entries) > PAGE_SIZE else None,
        "unread_count": selectors.unread_count(staff),
    }
    return render(request, "notifications/centre.html", context)


@login_required
@require_POST
def mark_read(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    staff = selectors.signed_in_staff(request.user)
    if not services.notification_mark_read(user=staff, notification_id=pk):
        raise Http404(_("No such notification of yours."))
    if request.htmx:
        entry = selectors.notifications_for(staff).get(notification_id=pk)
        response = render(request, "notifications/centre.html#entry", {"entry": entry})
        return _with_unread_count(response, selectors.unread_count(staff))
    return redirect("notifications:centre")


@login_required
@require_POST
def mark_all_read(request: HtmxHttpRequest) -> HttpResponse:
    staff = selectors.signed_in_staff(request.user)
    services.notifications_mark_all_read(user=staff)
    if request.htmx:
        response = render(
            request,
            "notifications/centre.html#entries",
            {"entries": selectors.notifications_for(staff)[:PAGE_SIZE]},
        )
        return _with_unread_count(response, 0)
    return redirect("notifications:centre")


@login_required
@require_GET
def open_link(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    staff = selectors.signed_in_staff(request.user)
    """Follow a notification's deep link, marking it read on the way."""
    entry = selectors.notifications_for(staff).filter(notification_id=pk).first()
    if entry is None:
        raise Http404(_("No such notification of yours."))
    services.notification_mark_read(user=staff, notification_id=pk)
    link = entry.notification.link
    # The service only stores in-app paths; checking again costs nothing and keeps this view
    # from ever being an open redirect.
    if not link or not url_has_allowed_host_and_scheme(link, allowed_hosts=None):
        link = reverse("notifications:centre")
    return HttpResponseRedirect(link)


def _with_unread_count(response: HttpResponse, count: int) -> HttpResponse:
    # htmx raises this as a DOM event; notifications.js updates the badge from it.
    response["HX-Trigger"] = json.dumps({"notifications:unread": {"count": count}})
    return response


def _positive_int(raw: str | None) -> int | None:
    try:
        value = int(raw or "")
    except ValueError:
        return None
    return value if value > 0 else None
