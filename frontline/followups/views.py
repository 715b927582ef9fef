"""HTML of the follow-ups: the associate's day (the home screen), one follow-up, the managers'
team board and the form that plans a follow-up from the profile.

Thin: permission → selector/service → template. Forms post normally and redirect back (pages
work without JavaScript); under htmx the view answers with the follow-up's card instead.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from frontline.actions.selectors import top_actions_for_book
from frontline.appointments.selectors import appointments_for_day
from frontline.catalog.selectors import holds_expiring_by
from frontline.core.converters import id_from_text
from frontline.customers.criteria import CustomerCriteria, criteria_form_context
from frontline.customers.selectors import customer_get_in_stores
from frontline.followups import bulk, selectors, services
from frontline.followups.forms import (
    CancelForm,
    CompleteForm,
    CreateForm,
    PlanForm,
    ReassignForm,
    SnoozeForm,
)
from frontline.followups.models import BulkAssignment, FollowUp, Outcome, Priority, Reason
from frontline.outreach.selectors import UnreadReplies, unread_replies
from frontline.privacy.models import AccessAction
from frontline.privacy.services import personal_data_listing_record
from frontline.staff.models import User
from frontline.surveys import selectors as surveys
from frontline.tablet.idempotency import idempotent_view


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- My day ---------------------------------------------------------------------------------


def _end_of_today() -> datetime:
    """Midnight ending today where the staff member works: the zone of their primary store,
    which sign-in keeps in the session and the middleware makes current (no query)."""
    zone = timezone.get_current_timezone()
    today = timezone.localtime(timezone.now(), zone).date()
    return datetime.combine(today + timedelta(days=1), time.min, tzinfo=zone)


def _today(end_of_today: datetime) -> date:
    return (end_of_today - timedelta(days=1)).date()


@login_required
@require_GET
def my_day(request: HttpRequest) -> HttpResponse:
    """The associate's home: their follow-ups, customers' replies they have not read, the
    sessions they host today, today's expiring holds, the best suggestions for their
    customers, and the customer search box."""
    user = _user(request)
    end_of_today = _end_of_today()
    replies = unread_replies(user=user)
    _record_replies_shown(user, replies)
    context = {
        "day": selectors.my_day(user=user),
        "appointments": appointments_for_day(staff=user, day=_today(end_of_today)),
        "holds": holds_expiring_by(user=user, until=end_of_today, limit=20),
        "actions": top_actions_for_book(user=user, limit=5),
        "replies": replies,
        **_card_choices(),
    }
    return render(request, "followups/my_day.html", context)


def _record_replies_shown(user: User, replies: UnreadReplies) -> None:
    """The latest reply of each customer shown is a piece of their thread: on the audit trail
    as a read of it, one row per customer in one INSERT (none when nothing is unread), so
    that my day, which must stay fast, pays one statement for it however many are shown."""
    personal_data_listing_record(
        staff_id=user.pk,
        customer_ids=[thread.customer.pk for thread in replies.threads],
        action=AccessAction.TIMELINE_READ,
        detail="my day: latest reply",
    )


SECTION_TITLES = {
    "overdue": gettext_lazy("Overdue"),
    "today": gettext_lazy("Due today"),
    "upcoming": gettext_lazy("Coming up this week"),
}
PAGE_SIZE = 20


@login_required
@require_GET
def my_section(request: HttpRequest, section: str) -> HttpResponse:
    """All of one part of the day, a page at a time (the home shows the first few)."""
    followups = selectors.my_section(user=_user(request), section=section)
    page = Paginator(followups, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "section": section,
        "title": SECTION_TITLES[section],
        **_card_choices(),
    }
    return render(request, "followups/section.html", context)


def _card_choices() -> dict[str, Any]:
    return {
        # The same list in every card: built once per page, not looped over in each of them
        # (on my day that loop was a third of the template's work).
        "outcome_options": format_html_join("", '<option value="{}">{}</option>', Outcome.choices),
        "snooze_default": (timezone.localdate() + timedelta(days=1)).isoformat(),
    }


# --- One follow-up --------------------------------------------------------------------------


def _detail_context(user: User, followup: FollowUp, **extra: Any) -> dict[str, Any]:
    allowed = selectors.may_change(user, followup)
    return {
        "followup": followup,
        "allowed": allowed,
        "history": list(selectors.followup_history(followup=followup)),
        "staff": list(selectors.staff_of_store(followup.store)) if allowed["manage"] else [],
        **_card_choices(),
        **extra,
    }


@login_required
@require_GET
def followup_detail(request: HttpRequest, followup_id: int) -> HttpResponse:
    followup = selectors.followup_get(user=_user(request), followup_id=followup_id)
    return render(request, "followups/detail.html", _detail_context(_user(request), followup))


def _back(request: HttpRequest, followup_id: int) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("followups:detail", followup_id)


def _act(
    request: HttpRequest,
    followup_id: int,
    form: Form,
    act: Any,
    done: str,
) -> HttpResponse:
    """Run one change; answer with the card under htmx, else a message and a redirect.

    Scope first: another store's follow-up is "not found" whatever was posted, so that a
    refusal of the input never tells that it exists.
    """
    user = _user(request)
    selectors.followup_get(user=user, followup_id=followup_id)
    error = ""
    if not form.is_valid():
        error = " ".join(
            str(message) for messages_ in form.errors.values() for message in messages_
        )
    else:
        try:
            act(user, form.cleaned_data)
        except FollowUp.DoesNotExist:
            raise Http404(_("No such follow-up among the ones you may see.")) from None
        except (ValidationError, PermissionDenied) as problem:
            error = _error_text(problem) if isinstance(problem, ValidationError) else str(problem)
    if request.htmx:  # type: ignore[attr-defined]
        followup = selectors.followup_get(user=user, followup_id=followup_id)
        context = _detail_context(user, followup, error=error, done="" if error else done)
        return render(request, "followups/detail.html#card", context, status=400 if error else 200)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    return _back(request, followup_id)


@login_required
@require_POST
@idempotent_view
def followup_complete(request: HttpRequest, followup_id: int) -> HttpResponse:
    return _act(
        request,
        followup_id,
        CompleteForm(request.POST),
        lambda user, data: services.followup_complete(by=user, followup_id=followup_id, **data),
        _("Done: the note is on the customer's timeline."),
    )


@login_required
@require_POST
def followup_snooze(request: HttpRequest, followup_id: int) -> HttpResponse:
    return _act(
        request,
        followup_id,
        SnoozeForm(request.POST),
        lambda user, data: services.followup_snooze(by=user, followup_id=followup_id, **data),
        _("Snoozed."),
    )


@login_required
@require_POST
def followup_reassign(request: HttpRequest, followup_id: int) -> HttpResponse:
    return _act(
        request,
        followup_id,
        ReassignForm(request.POST),
        lambda user, data: services.followup_reassign(
            by=user, followup_id=followup_id, assignee_id=data["assignee"]
        ),
        _("Reassigned."),
    )


@login_required
@require_POST
def followup_cancel(request: HttpRequest, followup_id: int) -> HttpResponse:
    return _act(
        request,
        followup_id,
        CancelForm(request.POST),
        lambda user, data: services.followup_cancel(by=user, followup_id=followup_id, **data),
        _("Cancelled."),
    )


# --- Planning one from the profile ----------------------------------------------------------


@login_required
def followup_new(request: HttpRequest, customer_id: int) -> HttpResponse:
    user = _user(request)
    customer = customer_get_in_stores(user=user, customer_id=customer_id)
    store = customer.preferred_store
    if store is None:
        raise Http404(_("This customer has no store to plan a follow-up at."))
    manager = store in selectors.managed_stores(user)
    staff = list(selectors.staff_of_store(store)) if manager else [user]
    form = CreateForm(request.POST or None, initial={"assignee": user.pk})
    if request.method == "POST" and form.is_valid():
        try:
            followup = services.followup_create(
                by=user,
                customer_id=customer.pk,
                store_id=store.pk,
                assignee_id=form.cleaned_data["assignee"],
                due_on=form.cleaned_data["due_on"],
                reason=form.cleaned_data["reason"],
                reason_text=form.cleaned_data["reason_text"],
                priority=form.cleaned_data["priority"],
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request,
                _("Follow-up planned for %(day)s.")
                % {"day": date_format(followup.due_on, "D j M")},
            )
            return redirect("customers:profile", customer.pk)
    context = {
        "customer": customer,
        "form": form,
        "staff": staff,
        "reasons": Reason.choices,
        "priorities": Priority.choices,
        "today": selectors.store_today(store).isoformat(),
    }
    return render(request, "followups/new.html", context, status=400 if form.errors else 200)


# --- Managers: the team board ---------------------------------------------------------------


@login_required
@require_GET
def team_board(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    raw = request.GET.get("store", "")
    store, stores = selectors.board_stores(user=user, store_id=id_from_text(raw))
    since = surveys.since_days()
    context = {
        "store": store,
        "stores": stores,
        "board": selectors.team_board(user=user, store=store),
        # What the customers said in the surveys, and what came of the unhappy ones.
        "nps": surveys.store_nps(store=store, since=since),
        "associates_nps": surveys.associates_nps(store=store, since=since),
        "recovery": surveys.detractor_recovery(store=store, since=since),
    }
    return render(request, "followups/team.html", context)


# --- Managers: bulk assignment --------------------------------------------------------------


def _bulk_request(request: HttpRequest, store_id: int) -> dict[str, Any]:
    """What the bulk form posted, as the services take it (they check every value)."""
    post = request.POST
    return {
        "store_id": store_id,
        "criteria": CustomerCriteria.from_form(post),
        "assignee_ids": [
            pk for pk in map(id_from_text, post.getlist("assignees")) if pk is not None
        ],
    }


@login_required
def bulk_new(request: HttpRequest) -> HttpResponse:
    """Filter → preview → create. Nothing is created before the manager has seen the preview."""
    user = _user(request)
    raw = request.GET.get("store", "") or request.POST.get("store", "")
    store, stores = selectors.board_stores(user=user, store_id=id_from_text(raw))
    context: dict[str, Any] = {
        "store": store,
        "stores": stores,
        "staff": list(selectors.staff_of_store(store)),
        **criteria_form_context(request.POST),
        "reasons": Reason.choices,
        "priorities": Priority.choices,
        "today": selectors.store_today(store).isoformat(),
        "checked_assignees": request.POST.getlist("assignees"),
        "confirm_above": bulk.CONFIRM_ABOVE,
    }
    if request.method != "POST":
        return render(request, "followups/bulk.html", context)
    try:
        asked = _bulk_request(request, store.pk)
        if request.POST.get("step") == "create":
            form = PlanForm(request.POST)
            if not form.is_valid():
                raise ValidationError(dict(form.errors))
            batch = bulk.bulk_assign(
                by=user,
                due_on=form.cleaned_data["due_on"],
                reason=form.cleaned_data["reason"],
                reason_text=form.cleaned_data["reason_text"],
                priority=form.cleaned_data["priority"],
                confirmed=request.POST.get("confirmed") == "on",
                **asked,
            )
            created = batch.created_count
            messages.success(
                request,
                ngettext("%(count)s follow-up created.", "%(count)s follow-ups created.", created)
                % {"count": created},
            )
            return redirect("followups:bulk_detail", batch.pk)
        context["preview"] = bulk.bulk_preview(by=user, **asked)
    except ValidationError as error:
        context["error"] = _error_text(error)
        return render(request, "followups/bulk.html", context, status=400)
    return render(request, "followups/bulk.html", context)


def _bulk_get(user: User, bulk_id: int) -> BulkAssignment:
    batch = bulk.bulk_assignments_visible_to(user).select_related("store").filter(pk=bulk_id)
    found = batch.first()
    if found is None:
        raise Http404(_("No such bulk assignment at the stores you manage."))
    return found


@login_required
@require_GET
def bulk_detail(request: HttpRequest, bulk_id: int) -> HttpResponse:
    batch = _bulk_get(_user(request), bulk_id)
    context = {"batch": batch, "shares": bulk.bulk_assignment_shares(batch=batch)}
    return render(request, "followups/bulk_detail.html", context)


@login_required
@require_POST
def bulk_undo(request: HttpRequest, bulk_id: int) -> HttpResponse:
    user = _user(request)
    batch = _bulk_get(user, bulk_id)
    try:
        cancelled = bulk.bulk_assignment_undo(by=user, bulk_id=batch.pk)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request,
            _("Undone: %(count)s follow-ups still open were cancelled.") % {"count": cancelled},
        )
    return redirect("followups:bulk_detail", batch.pk)
