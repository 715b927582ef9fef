"""The compose page: write to a customer from their profile (htmx, tablet-first).

Thin: permission → service → template. It works without JavaScript: "Use template" and
"Preview" are plain submits; under htmx the preview replaces only its panel.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from django_htmx.middleware import HtmxDetails

from frontline.customers.models import Customer
from frontline.customers.selectors import customer_get_visible
from frontline.outreach import selectors, services
from frontline.outreach.forms import ComposeForm
from frontline.outreach.models import Status
from frontline.outreach.rules import Refusal
from frontline.staff.models import User


class StaffRequest(HttpRequest):
    user: User
    htmx: HtmxDetails


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _regarding(
    user: User, customer: Customer, data: Any, *, strict: bool
) -> selectors.Regarding | None:
    """The follow-up or suggestion the message is written for (``?followup=`` or
    ``?suggestion=``). Opening the page for one that is gone is a 404; a form posted back
    for one handled since simply shows without it (sending then says why)."""
    try:
        if str(data.get("followup") or "").isdigit():
            return selectors.regarding_followup(
                user=user, customer=customer, followup_id=int(data["followup"])
            )
        if str(data.get("suggestion") or "").isdigit():
            return selectors.regarding_suggestion(
                user=user, customer=customer, suggestion_id=int(data["suggestion"])
            )
    except Http404:
        if strict:
            raise
    return None


def _initial(
    customer: Customer, request: HttpRequest, regarding: selectors.Regarding | None
) -> dict[str, Any]:
    choices = selectors.channel_choices(customer)
    consented = [choice["value"] for choice in choices if choice["purposes"]]
    initial: dict[str, Any] = {"channel": consented[0] if consented else "email"}
    if regarding is not None:
        initial[regarding.kind] = regarding.pk
        initial["purpose"] = regarding.purpose
        if regarding.channel:
            initial["channel"] = regarding.channel
    template_key = request.GET.get("template") or (
        regarding.template.key if regarding and regarding.template else ""
    )
    template = selectors.templates_active().filter(key=template_key).first()
    if template is not None:
        initial.update(
            template=template.key,
            subject=template.subject,
            body=template.body,
            purpose=template.purpose,
        )
    for name in ("channel", "purpose"):
        if request.GET.get(name):
            initial[name] = request.GET[name]
    return initial


def _context(
    customer: Customer,
    form: ComposeForm,
    regarding: selectors.Regarding | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "customer": customer,
        "form": form,
        "regarding": regarding,
        "channels": selectors.channel_choices(customer),
        "templates": list(selectors.templates_active()),
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def compose(request: StaffRequest, customer_id: int) -> HttpResponse:
    user = _user(request)
    customer = customer_get_visible(user=user, customer_id=customer_id)
    if request.method == "GET":
        # The page shows the customer's consents and, in the preview, their address.
        services.thread_read_record(by=user, customer=customer, detail="outreach: compose")
        regarding = _regarding(user, customer, request.GET, strict=True)
        form = ComposeForm(initial=_initial(customer, request, regarding))
        context = _context(customer, form, regarding)
        return render(request, "outreach/compose.html", context)
    regarding = _regarding(user, customer, request.POST, strict=False)
    form = ComposeForm(request.POST)
    if not form.is_valid():
        return _compose_again(request, customer, form, regarding)
    data = form.cleaned_data
    try:
        if request.POST.get("action") == "preview":
            return _preview(request, customer, form, regarding)
        message = services.message_send(
            by=user,
            customer_id=customer.pk,
            channel=data["channel"],
            purpose=data["purpose"],
            subject=data["subject"],
            body=data["body"],
            template_key=data["template"] or None,
            send_at=data["send_at"],
            followup_id=data["followup"],
            suggestion_id=data["suggestion"],
        )
    except Refusal as refusal:
        _add_refusal(form, refusal)
        return _compose_again(request, customer, form, regarding)
    scheduled = message.status == Status.SCHEDULED
    messages.success(request, "Message scheduled." if scheduled else "Message on its way.")
    if data["followup"]:
        return redirect("followups:detail", data["followup"])
    return redirect("customers:profile", customer.pk)


def _add_refusal(form: ComposeForm, refusal: Refusal) -> None:
    # A refusal about the follow-up or action (hidden fields) is shown above the form.
    known = refusal.field in form.fields and not form.fields[refusal.field].widget.is_hidden
    field = refusal.field if known else None
    form.add_error(field, refusal.message)


def _compose_again(
    request: StaffRequest,
    customer: Customer,
    form: ComposeForm,
    regarding: selectors.Regarding | None,
) -> HttpResponse:
    template = "outreach/compose.html#compose_form" if request.htmx else "outreach/compose.html"
    return render(request, template, _context(customer, form, regarding))


def _preview(
    request: StaffRequest,
    customer: Customer,
    form: ComposeForm,
    regarding: selectors.Regarding | None,
) -> HttpResponse:
    data = form.cleaned_data
    draft = services.message_draft(
        by=_user(request),
        customer=customer,
        channel=data["channel"],
        purpose=data["purpose"],
        subject=data["subject"],
        body=data["body"],
        template_key=data["template"] or None,
        send_at=data["send_at"],
    )
    template = "outreach/compose.html#compose_form" if request.htmx else "outreach/compose.html"
    return render(request, template, _context(customer, form, regarding, draft=draft))
