"""HTML: the customer's "recommended actions" and "for this customer" panels, and outcomes.

The panels are self-contained fragments: the customer profile pulls them in with htmx
(``hx-get`` on the panel URL) or links to the full page that shows both without JavaScript.
The outcome buttons are plain forms that htmx enhances: without JavaScript they post and
redirect back; with htmx the panel swaps in place.

Managers also get a page of how each rule performs in their stores (the API's figures).
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from frontline.actions import selectors, services
from frontline.actions.conf import ActionSettings
from frontline.actions.forms import SNOOZE_CHOICES, AcceptForm, DismissForm, SnoozeForm
from frontline.actions.models import ActionSuggestion, DismissReason
from frontline.actions.registry import PLANNED_RULES
from frontline.customers.models import Customer
from frontline.recommendations.selectors import recommendation_list

TEMPLATE = "actions/customer_panels.html"


def _panel_context(request: HttpRequest, customer_id: int, error: str = "") -> dict[str, object]:
    try:
        current = selectors.actions_for_customer(user=request.user, customer_id=customer_id)  # type: ignore[arg-type]
    except Customer.DoesNotExist:
        raise Http404(_("No such customer among the ones you may see.")) from None
    return {
        "customer": current.customer,
        "current": current,
        "snooze_choices": SNOOZE_CHOICES,
        "dismiss_reasons": DismissReason.choices,
        "back_to": request.GET.get("next") or request.POST.get("next") or "",
        "error": error,
    }


@login_required
@require_GET
def customer_actions_panel(request: HttpRequest, customer_id: int) -> HttpResponse:
    context = _panel_context(request, customer_id)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, f"{TEMPLATE}#actions-panel", context)
    context["suggestions"] = recommendation_list(
        user=request.user,  # type: ignore[arg-type]
        customer_id=customer_id,
    )
    return render(request, TEMPLATE, context)


@login_required
@require_GET
def customer_recommendations_panel(request: HttpRequest, customer_id: int) -> HttpResponse:
    try:
        suggestions = recommendation_list(
            user=request.user,  # type: ignore[arg-type]
            customer_id=customer_id,
        )
    except Customer.DoesNotExist:
        raise Http404(_("No such customer among the ones you may see.")) from None
    return render(
        request,
        f"{TEMPLATE}#recommendations-panel",
        {"suggestions": suggestions, "customer_id": customer_id},
    )


def _customer_of(request: HttpRequest, suggestion_id: int) -> int:
    try:
        suggestion = selectors.suggestion_visible_to(
            user=request.user,  # type: ignore[arg-type]
            suggestion_id=suggestion_id,
        )
    except ActionSuggestion.DoesNotExist:
        raise Http404(_("This suggestion was already handled, or is not yours to see.")) from None
    return suggestion.customer_id


def _respond(
    request: HttpRequest,
    customer_id: int,
    *,
    done: str = "",
    error: str = "",
    next_url: str | None = None,
) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        response = render(
            request,
            f"{TEMPLATE}#actions-panel",
            _panel_context(request, customer_id, error=error),
            status=400 if error else 200,
        )
        if next_url:
            response["HX-Redirect"] = next_url
        return response
    if error:
        messages.error(request, error)
    elif done:
        messages.success(request, done)
    back = request.POST.get("next", "")
    safe_back = url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    fallback = reverse("actions:customer_panel", args=[customer_id])
    return redirect(next_url or (back if back and safe_back else fallback))


def _first_error(error: ValidationError) -> str:
    return " ".join(error.messages)


def _form_error(form: Form) -> str:
    return " ".join(str(message) for errors in form.errors.values() for message in errors)


@login_required
@require_POST
def suggestion_accept(request: HttpRequest, suggestion_id: int) -> HttpResponse:
    customer_id = _customer_of(request, suggestion_id)
    form = AcceptForm(request.POST)
    if not form.is_valid():
        return _respond(request, customer_id, error=_form_error(form))
    try:
        result = services.action_accept(
            user=request.user,  # type: ignore[arg-type]
            suggestion_id=suggestion_id,
            note=form.cleaned_data["note"],
        )
    except ActionSuggestion.DoesNotExist:
        raise Http404(_("This suggestion was already handled.")) from None
    return _respond(request, customer_id, done=_("Accepted."), next_url=result.next_url)


@login_required
@require_POST
def suggestion_snooze(request: HttpRequest, suggestion_id: int) -> HttpResponse:
    customer_id = _customer_of(request, suggestion_id)
    form = SnoozeForm(request.POST)
    if not form.is_valid():
        return _respond(request, customer_id, error=_form_error(form))
    try:
        outcome = services.action_snooze(
            user=request.user,  # type: ignore[arg-type]
            suggestion_id=suggestion_id,
            until=form.until(),
            note=form.cleaned_data["note"],
        )
    except ValidationError as error:
        return _respond(request, customer_id, error=_first_error(error))
    except ActionSuggestion.DoesNotExist:
        raise Http404(_("This suggestion was already handled.")) from None
    return _respond(
        request,
        customer_id,
        done=_("Snoozed until %(day)s.")
        % {"day": date_format(outcome.snoozed_until or timezone.now(), "j M")},
    )


@login_required
@require_POST
def suggestion_dismiss(request: HttpRequest, suggestion_id: int) -> HttpResponse:
    customer_id = _customer_of(request, suggestion_id)
    form = DismissForm(request.POST)
    if not form.is_valid():
        return _respond(request, customer_id, error=_("Choose why you dismiss it."))
    try:
        services.action_dismiss(
            user=request.user,  # type: ignore[arg-type]
            suggestion_id=suggestion_id,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as error:
        return _respond(request, customer_id, error=_first_error(error))
    except ActionSuggestion.DoesNotExist:
        raise Http404(_("This suggestion was already handled.")) from None
    return _respond(request, customer_id, done=_("Dismissed; it will not come back soon."))


@login_required
@require_GET
def rule_performance_page(request: HttpRequest) -> HttpResponse:
    """Per rule: open, decided (accepted, snoozed, dismissed and why), acceptance, conversion."""
    if not selectors.may_see_performance(request.user):  # type: ignore[arg-type]
        raise PermissionDenied(_("Only store managers see how the rules perform."))
    try:
        days = selectors.performance_period_days(request.GET.get("days"))
    except ValueError:
        days = selectors.DEFAULT_PERIOD_DAYS
    rows = selectors.rule_performance(
        user=request.user,  # type: ignore[arg-type]
        since=timezone.now() - timedelta(days=days),
    )
    context = {
        "rows": rows,
        "days": days,
        "period_choices": sorted({*selectors.PERIOD_DAYS, days}),
        "any_decisions": any(row.outcomes for row in rows),
        "planned_rules": PLANNED_RULES,
        "conversion_window_days": ActionSettings.load().conversion_window_days,
    }
    return render(request, "actions/performance.html", context)
