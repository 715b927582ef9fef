"""The compose page: write to a customer from their profile (htmx, tablet-first); and the
campaign pages, where a manager describes an audience at a store they run, previews who gets
the message and who not (and why), saves it, launches it and watches it go.

Thin: permission → service → template. It works without JavaScript: "Use template" and
"Preview" are plain submits; under htmx the preview replaces only its panel, and a campaign's
progress panel reloads itself while its messages are on their way.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from frontline.core.converters import id_from_text
from frontline.core.text import one_line
from frontline.customers.criteria import criteria_form_context, criteria_form_values
from frontline.customers.models import Customer
from frontline.customers.selectors import customer_get_in_stores
from frontline.followups.selectors import board_stores, managed_stores
from frontline.outreach import campaigns, selectors, services
from frontline.outreach.forms import CampaignForm, ComposeForm
from frontline.outreach.models import Campaign, CampaignStatus, Status
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
    template_key = one_line(request.GET.get("template")) or (
        regarding.template.key if regarding and regarding.template else ""
    )
    template = selectors.templates_offered().filter(key=template_key).first()
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
        "templates": list(selectors.templates_offered()),
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def compose(request: StaffRequest, customer_id: int) -> HttpResponse:
    user = _user(request)
    customer = customer_get_in_stores(user=user, customer_id=customer_id)
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
    messages.success(request, _("Message scheduled.") if scheduled else _("Message on its way."))
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


# --- Campaigns ------------------------------------------------------------------------------


@login_required
@require_GET
def campaign_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not managed_stores(user).exists():
        raise Http404(_("Campaigns are for store managers."))
    found = selectors.campaigns_visible_to(user).select_related("store").order_by("-created_at")
    return render(request, "outreach/campaigns.html", {"campaigns": list(found[:100])})


def _campaign_context(
    request: HttpRequest, user: User, form: CampaignForm, **extra: Any
) -> dict[str, Any]:
    raw = request.GET.get("store", "") or request.POST.get("store", "")
    store, stores = board_stores(user=user, store_id=id_from_text(raw))
    return {
        "store": store,
        "stores": stores,
        "form": form,
        "templates": list(selectors.templates_offered()),
        **criteria_form_context(request.POST),
        **extra,
    }


def _campaign_initial(request: HttpRequest) -> dict[str, Any]:
    initial: dict[str, Any] = {"purpose": "marketing", "channel": "email"}
    template = selectors.templates_offered().filter(key=request.GET.get("template", "")).first()
    if template is not None:
        initial.update(
            template=template.key,
            subject=template.subject,
            body=template.body,
            purpose=template.purpose,
        )
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def campaign_new(request: HttpRequest) -> HttpResponse:
    """Audience, text, moment → preview → save as a draft. Nothing is queued here."""
    user = _user(request)
    if request.method == "GET":
        form = CampaignForm(initial=_campaign_initial(request))
        return render(request, "outreach/campaign_new.html", _campaign_context(request, user, form))
    form = CampaignForm(request.POST)
    context = _campaign_context(request, user, form)
    if not form.is_valid():
        return render(request, "outreach/campaign_new.html", context, status=400)
    data = form.cleaned_data
    arguments = {
        "by": user,
        "store_id": context["store"].pk,
        "criteria": criteria_form_values(request.POST),
        "channel": data["channel"],
        "purpose": data["purpose"],
        "subject": data["subject"],
        "body": data["body"],
        "send_at": data["send_at"],
    }
    try:
        if request.POST.get("action") != "save":
            context["preview"] = campaigns.campaign_preview(**arguments)
            return render(request, "outreach/campaign_new.html", context)
        campaign = campaigns.campaign_create(
            name=data["name"], template_key=data["template"] or None, **arguments
        )
    except Refusal as refusal:
        field = refusal.field if refusal.field in form.fields else None
        form.add_error(field, refusal.message)
        return render(request, "outreach/campaign_new.html", context, status=400)
    messages.success(request, _("Campaign saved. Check the preview, then launch it."))
    return redirect("outreach:campaign", campaign.pk)


@login_required
@require_GET
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = selectors.campaign_get(user=_user(request), campaign_id=campaign_id)
    context: dict[str, Any] = {
        "campaign": campaign,
        "progress": selectors.campaign_progress(campaign=campaign),
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "outreach/campaign.html#progress", context)
    if campaign.status == CampaignStatus.DRAFT:
        try:
            context["preview"] = campaigns.campaign_preview(
                by=_user(request),
                store_id=campaign.store_id,
                criteria=campaign.criteria,
                channel=campaign.channel,
                purpose=campaign.purpose,
                subject=campaign.subject,
                body=campaign.body,
                send_at=campaign.send_at,
            )
        except Refusal as refusal:
            context["error"] = refusal.message
    return render(request, "outreach/campaign.html", context)


@login_required
@require_POST
def campaign_launch(request: HttpRequest, campaign_id: int) -> HttpResponse:
    try:
        before = selectors.campaign_get(user=_user(request), campaign_id=campaign_id).status
        campaigns.campaign_launch(by=_user(request), campaign_id=campaign_id)
    except Campaign.DoesNotExist:
        raise Http404(_("No such campaign at the stores you manage.")) from None
    if before == CampaignStatus.DRAFT:
        messages.success(request, _("Campaign launched: the messages are being queued."))
    else:
        messages.info(request, _("This campaign was launched already."))
    return redirect("outreach:campaign", campaign_id)
