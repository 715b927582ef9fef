"""The compose page: write to a customer from their profile (htmx, tablet-first).

Thin: permission → service → template. It works without JavaScript: "Use template" and
"Preview" are plain submits; under htmx the preview replaces only its panel.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_htmx.middleware import HtmxDetails

from frontline.core.text import one_line
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


def _initial(customer: Customer, request: HttpRequest) -> dict[str, Any]:
    choices = selectors.channel_choices(customer)
    consented = [choice["value"] for choice in choices if choice["purposes"]]
    initial: dict[str, Any] = {"channel": consented[0] if consented else "email"}
    template = (
        selectors.templates_active().filter(key=one_line(request.GET.get("template"))).first()
    )
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


def _context(customer: Customer, form: ComposeForm, **extra: Any) -> dict[str, Any]:
    return {
        "customer": customer,
        "form": form,
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
        form = ComposeForm(initial=_initial(customer, request))
        return render(request, "outreach/compose.html", _context(customer, form))
    form = ComposeForm(request.POST)
    if not form.is_valid():
        return _compose_again(request, customer, form)
    data = form.cleaned_data
    try:
        if request.POST.get("action") == "preview":
            return _preview(request, customer, form)
        message = services.message_send(
            by=user,
            customer_id=customer.pk,
            channel=data["channel"],
            purpose=data["purpose"],
            subject=data["subject"],
            body=data["body"],
            template_key=data["template"] or None,
            send_at=data["send_at"],
        )
    except Refusal as refusal:
        _add_refusal(form, refusal)
        return _compose_again(request, customer, form)
    scheduled = message.status == Status.SCHEDULED
    messages.success(request, _("Message scheduled.") if scheduled else _("Message on its way."))
    return redirect("customers:profile", customer.pk)


def _add_refusal(form: ComposeForm, refusal: Refusal) -> None:
    field = refusal.field if refusal.field in form.fields else None
    form.add_error(field, refusal.message)


def _compose_again(request: StaffRequest, customer: Customer, form: ComposeForm) -> HttpResponse:
    template = "outreach/compose.html#compose_form" if request.htmx else "outreach/compose.html"
    return render(request, template, _context(customer, form))


def _preview(request: StaffRequest, customer: Customer, form: ComposeForm) -> HttpResponse:
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
    return render(request, template, _context(customer, form, draft=draft))
