"""The lock screen, the quick switch with a PIN, and setting one's PIN."""

from __future__ import annotations

from typing import cast
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from frontline.staff.models import Store, User
from frontline.tablet import locking, services
from frontline.tablet.forms import PinSetForm, UnlockForm
from frontline.tablet.selectors import staff_who_may_unlock

# Per address and per account, as the sign-in page: a PIN is short, so guessing one account's
# must stay slow even from many places (the failure count in services stops it for good).
UNLOCK_RATE_PER_IP = "30/m"
UNLOCK_RATE_PER_ACCOUNT = "10/m"


def _staff(request: HttpRequest) -> User:
    return cast(User, request.user)


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


# A script's fetch (the page's idle timer, the service worker) rather than a form.
FETCHES = ("cors", "same-origin")


@login_required
@require_POST
def lock(request: HttpRequest) -> HttpResponse:
    """Lock now: the tablet's own timer, or the staff member leaving it."""
    locking.session_lock(request)
    if request.headers.get("HX-Request") or request.headers.get("Sec-Fetch-Mode") in FETCHES:
        return HttpResponse(status=204)
    return redirect(f"/tablet/locked/?{urlencode({'next': _next(request)})}")


def _locked_page(
    request: HttpRequest, form: UnlockForm | None = None, error: str = "", status: int = 200
) -> HttpResponse:
    store_id = request.session.get(locking.STORE)
    context = {
        "store": Store.objects.filter(pk=store_id).first() if store_id else None,
        "people": list(staff_who_may_unlock(store_id=store_id)),
        "form": form or UnlockForm(),
        "error": error,
        "next": _next(request),
    }
    return render(request, "tablet/locked.html", context, status=status)


@login_required
@require_GET
def locked(request: HttpRequest) -> HttpResponse:
    if not locking.is_locked(request):
        return redirect(_next(request))
    return _locked_page(request)


@login_required
@require_POST
@ratelimit(key="ip", rate=UNLOCK_RATE_PER_IP, method="POST", block=True)
@ratelimit(key="post:staff", rate=UNLOCK_RATE_PER_ACCOUNT, method="POST", block=True)
def unlock(request: HttpRequest) -> HttpResponse:
    if not locking.is_locked(request):
        return redirect(_next(request))
    form = UnlockForm(request.POST)
    if not form.is_valid():
        return _locked_page(request, form, _("Choose who you are and type your PIN."), status=400)
    try:
        unlocked = services.tablet_unlock(
            request=request, staff_id=form.cleaned_data["staff"], pin=form.cleaned_data["pin"]
        )
    except services.UnlockRefused as refusal:
        return _locked_page(request, UnlockForm(), str(refusal), status=400)
    if unlocked.switched:
        name = unlocked.staff.get_full_name() or unlocked.staff.username
        messages.success(request, _("Signed in as %(name)s.") % {"name": name})
        return redirect("/")  # the previous person's page is theirs, not the new person's
    return redirect(_next(request))


@login_required
@require_http_methods(["GET", "POST"])
def pin(request: HttpRequest) -> HttpResponse:
    form = PinSetForm(_staff(request), request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.pin_set(staff=_staff(request), pin=form.cleaned_data["pin"])
        except ValidationError as problem:
            form.add_error(None, problem)
        else:
            messages.success(
                request, _("Your PIN is set: use it to switch to yourself on a tablet.")
            )
            return redirect("core:home")
    return render(request, "tablet/pin.html", {"form": form}, status=400 if form.errors else 200)
