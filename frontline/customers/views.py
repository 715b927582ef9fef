"""HTML views of the customers domain: thin, scoped, htmx fragments from one template per page.

Every view that touches a customer fetches it through ``customer_get_findable`` (404 for a
customer who is not there to find): lookup is brand-wide, and what is written here is the
customer's own record (notes, sizes, preferences, wishlist), which any store serving them adds
to. The store work shown on the profile (holds, follow-ups, actions, messages) is scoped by each
panel's own domain. Forms post normally and redirect back (pages work without JavaScript);
under htmx the view answers with the fragment of the section that changed instead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from frontline.core.converters import id_from_text
from frontline.customers import merging, selectors, services
from frontline.customers.forms import CustomerCreateForm
from frontline.customers.models import (
    Customer,
    CustomerNote,
    InteractionChannel,
    InteractionKind,
    PreferenceKind,
    SizeCategory,
)
from frontline.customers.panels import ProfilePanel, profile_panel, profile_panels
from frontline.customers.search import SearchOutcome
from frontline.privacy.models import AccessAction
from frontline.privacy.selectors import may_handle_rights_requests
from frontline.privacy.services import (
    personal_data_access_record,
    personal_data_listing_record,
    personal_data_search_record,
)
from frontline.staff.models import User
from frontline.staff.selectors import primary_store_for
from frontline.tablet.idempotency import idempotent_view


class StaffRequest(HttpRequest):
    """What the views receive: login_required guarantees a staff member, django-htmx adds .htmx."""

    user: User
    htmx: HtmxDetails


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- Search --------------------------------------------------------------------------------


@login_required
@require_GET
def search(request: StaffRequest) -> HttpResponse:
    """Results for the search box: a fragment under htmx, a whole page without JavaScript."""
    outcome = selectors.customer_search(user=request.user, query=request.GET.get("q"))
    _record_listing(request.user, outcome)
    template = "customers/search.html#results" if request.htmx else "customers/search.html"
    return render(request, template, {"outcome": outcome})


@login_required
def customer_new(request: StaffRequest) -> HttpResponse:
    """Sign a new customer up by hand; probable duplicates are looked for once saved."""
    form = CustomerCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_create(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("%(name)s is signed up as %(number)s.")
                % {"name": customer.full_name, "number": customer.number},
            )
            return redirect("customers:profile", customer.pk)
    return render(request, "customers/new.html", {"form": form})


def _record_listing(user: User, outcome: SearchOutcome) -> None:
    personal_data_search_record(staff_id=user.pk, query=outcome.query)
    personal_data_listing_record(
        staff_id=user.pk, customer_ids=[customer.pk for customer in outcome.customers]
    )


# --- Profile -------------------------------------------------------------------------------


@login_required
@require_GET
def profile(request: StaffRequest, customer_id: int) -> HttpResponse:
    profile = selectors.customer_profile(user=request.user, customer_id=customer_id)
    personal_data_access_record(
        staff_id=request.user.pk, customer_id=customer_id, action=AccessAction.PROFILE_VIEWED
    )
    context = {
        **_profile_context(profile),
        "may_handle_rights_requests": may_handle_rights_requests(
            user=request.user, customer=profile.customer
        ),
    }
    return render(request, "customers/profile.html", context)


def _profile_context(profile: selectors.CustomerProfile) -> dict[str, object]:
    return {
        "profile": profile,
        "customer": profile.customer,
        "timeline": profile.timeline,
        "notes": profile.notes,
        "wishlist": profile.wishlist,
        "sizes": profile.sizes,
        "preferences": profile.preferences,
        "panels": profile_panels(),
        **_choices(),
    }


def _choices() -> dict[str, object]:
    return {
        "channel_choices": InteractionChannel.choices,
        "kind_choices": InteractionKind.choices,
        "size_choices": SizeCategory.choices,
        "preference_choices": PreferenceKind.choices,
    }


@login_required
@require_GET
def timeline(request: StaffRequest, customer_id: int) -> HttpResponse:
    """A page of the timeline: "load more" and the channel/kind filters ask for this."""
    customer = selectors.customer_get_findable(user=request.user, customer_id=customer_id)
    channel = request.GET.get("channel", "")
    kind = request.GET.get("kind", "")
    if channel not in {"", *InteractionChannel.values} or kind not in {"", *InteractionKind.values}:
        return HttpResponseBadRequest(_("Unknown channel or kind."))
    try:
        page = selectors.customer_timeline(
            customer=customer, channel=channel, kind=kind, cursor=request.GET.get("cursor")
        )
    except ValueError as error:
        return HttpResponseBadRequest(str(error))
    personal_data_access_record(
        staff_id=request.user.pk, customer_id=customer.pk, action=AccessAction.TIMELINE_READ
    )
    context = {"customer": customer, "timeline": page, **_choices()}
    if request.htmx:
        # "Load more" appends rows; a new filter replaces the whole list.
        fragment = "timeline-rows" if request.GET.get("cursor") else "timeline"
        return render(request, f"customers/timeline.html#{fragment}", context)
    return render(request, "customers/timeline.html", context)


@login_required
@require_GET
def panel(request: StaffRequest, customer_id: int, key: str) -> HttpResponse:
    customer = selectors.customer_get_findable(user=request.user, customer_id=customer_id)
    found = profile_panel(key)
    if found is None:
        raise Http404(_("No such panel."))
    context = _panel_context(request.user, customer, found)
    template = "customers/panel.html#panel" if request.htmx else "customers/panel.html"
    return render(request, template, context)


@login_required
@require_GET
def panels(request: StaffRequest, customer_id: int) -> HttpResponse:
    """Every panel of the profile in one answer: the profile fetches them with one request
    instead of one per panel, which on a store's slow Wi-Fi saves round trips and on the
    tablet saves one swap (parse, htmx processing, layout) per panel."""
    customer = selectors.customer_get_findable(user=request.user, customer_id=customer_id)
    sections = [
        render_to_string(
            "customers/panel.html#panel",
            _panel_context(request.user, customer, found),
            request=request,
        )
        for found in profile_panels()
    ]
    context = {"customer": customer, "sections": sections}
    template = "customers/panels.html#panels" if request.htmx else "customers/panels.html"
    return render(request, template, context)


def _panel_context(user: User, customer: Customer, found: ProfilePanel) -> dict[str, object]:
    extra = found.context(user, customer) if found.is_live and found.context else {}
    return {"customer": customer, "panel": found, **extra}


# --- Edits -------------------------------------------------------------------------------


def _section_or_back(
    request: StaffRequest, customer: Customer, section: str, error: str = ""
) -> HttpResponse:
    """Under htmx, the refreshed section (with the error, if any); otherwise back to the page."""
    if request.htmx:
        context = {
            "customer": customer,
            "notes": list(selectors.customer_notes(customer=customer)),
            "wishlist": list(customer.wishlist.select_related("added_by").order_by("-added_at")),
            "sizes": list(customer.sizes.select_related("updated_by").order_by("category")),
            "preferences": list(
                customer.preferences.select_related("updated_by").order_by("kind", "value")
            ),
            "error": error,
            **_choices(),
        }
        return render(request, f"customers/profile.html#{section}", context)
    if error:
        messages.error(request, error)
    return redirect(reverse("customers:profile", args=[customer.pk]) + f"#{section}")


def _edit_section(
    request: StaffRequest, customer_id: int, section: str, edit: Callable[[Customer], object]
) -> HttpResponse:
    """The shape of every profile edit: the customer in scope, the service, the section back.

    A refused edit (ValidationError) comes back as the section with its message.
    """
    customer = selectors.customer_get_findable(user=request.user, customer_id=customer_id)
    try:
        edit(customer)
    except ValidationError as error:
        return _section_or_back(request, customer, section, _error_text(error))
    return _section_or_back(request, customer, section)


@login_required
@require_POST
@idempotent_view
def note_add(request: StaffRequest, customer_id: int) -> HttpResponse:
    return _edit_section(
        request,
        customer_id,
        "notes",
        lambda customer: services.note_create(
            customer=customer,
            author=request.user,
            body=request.POST.get("body", ""),
            pinned=request.POST.get("pinned") == "on",
        ),
    )


def _visible_note(request: StaffRequest, customer_id: int, note_id: int) -> CustomerNote:
    customer = selectors.customer_get_findable(user=request.user, customer_id=customer_id)
    return get_object_or_404(
        CustomerNote.objects.select_related("customer"), pk=note_id, customer=customer
    )


@login_required
def note_edit(request: StaffRequest, customer_id: int, note_id: int) -> HttpResponse:
    note = _visible_note(request, customer_id, note_id)
    if note.author_id != request.user.pk:
        raise PermissionDenied(_("Only the author can edit this note."))
    error = ""
    if request.method == "POST":
        try:
            services.note_update(note=note, editor=request.user, body=request.POST.get("body", ""))
        except ValidationError as problem:
            error = _error_text(problem)
        else:
            return _section_or_back(request, note.customer, "notes")
    return render(
        request,
        "customers/note_edit.html",
        {"note": note, "customer": note.customer, "error": error},
    )


@login_required
@require_POST
def note_pin(request: StaffRequest, customer_id: int, note_id: int) -> HttpResponse:
    note = _visible_note(request, customer_id, note_id)
    services.note_pin(note=note, pinned=request.POST.get("pinned") == "true")
    return _section_or_back(request, note.customer, "notes")


@login_required
@require_POST
@idempotent_view
def check_in(request: StaffRequest, customer_id: int) -> HttpResponse:
    """The customer has just arrived at the associate's store: the store's tablets are told."""
    customer = selectors.customer_get_findable(user=request.user, customer_id=customer_id)
    store = primary_store_for(request.user)
    if store is None:
        messages.error(request, _("You work in no store, so there is nowhere to check in at."))
    else:
        services.customer_check_in(customer=customer, store=store, by=request.user)
        messages.success(
            request,
            _("%(name)s is checked in at %(store)s.")
            % {"name": customer.full_name, "store": store.name},
        )
    return redirect("customers:profile", customer.pk)


@login_required
@require_POST
def wishlist_add(request: StaffRequest, customer_id: int) -> HttpResponse:
    return _edit_section(
        request,
        customer_id,
        "wishlist",
        lambda customer: services.wishlist_item_add(
            customer=customer,
            description=request.POST.get("description", ""),
            added_by=request.user,
        ),
    )


@login_required
@require_POST
def wishlist_remove(request: StaffRequest, customer_id: int, item_id: int) -> HttpResponse:
    return _edit_section(
        request,
        customer_id,
        "wishlist",
        lambda customer: services.wishlist_item_remove(customer=customer, item_id=item_id),
    )


@login_required
@require_POST
def size_set(request: StaffRequest, customer_id: int) -> HttpResponse:
    return _edit_section(
        request,
        customer_id,
        "fit",
        lambda customer: services.customer_size_set(
            customer=customer,
            category=request.POST.get("category", ""),
            size=request.POST.get("size", ""),
            by=request.user,
        ),
    )


@login_required
@require_POST
def preference_add(request: StaffRequest, customer_id: int) -> HttpResponse:
    return _edit_section(
        request,
        customer_id,
        "fit",
        lambda customer: services.customer_preference_add(
            customer=customer,
            kind=request.POST.get("kind", ""),
            value=request.POST.get("value", ""),
            by=request.user,
        ),
    )


@login_required
@require_POST
def preference_remove(request: StaffRequest, customer_id: int, preference_id: int) -> HttpResponse:
    return _edit_section(
        request,
        customer_id,
        "fit",
        lambda customer: services.customer_preference_remove(
            customer=customer, preference_id=preference_id, by=request.user
        ),
    )


def _optional_date(raw: str | None, name: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        message = _("%(raw)s is not a date (YYYY-MM-DD).") % {"raw": repr(raw)}
        raise ValidationError({name: message}) from None


@login_required
@require_POST
def dates_set(request: StaffRequest, customer_id: int) -> HttpResponse:
    return _edit_section(
        request,
        customer_id,
        "fit",
        lambda customer: services.customer_important_dates_set(
            customer=customer,
            birthday=_optional_date(request.POST.get("birthday"), "birthday"),
            anniversary=_optional_date(request.POST.get("anniversary"), "anniversary"),
            by=request.user,
        ),
    )


# --- Duplicates and merges (managers) ---------------------------------------------------------


def _require_reviewer(request: StaffRequest) -> None:
    if not selectors.can_review_duplicates(request.user):
        # Not a 404: the page exists for managers, and the associate is told who can use it.
        raise PermissionDenied(_("Only store managers review duplicate customers."))


@login_required
@require_GET
def duplicates(request: StaffRequest) -> HttpResponse:
    _require_reviewer(request)
    queue = list(selectors.duplicate_queue(user=request.user)[:100])
    merges = list(selectors.merges_visible_to(user=request.user)[:20])
    return render(request, "customers/duplicates.html", {"queue": queue, "merges": merges})


@login_required
def duplicate_review(request: StaffRequest, candidate_id: int) -> HttpResponse:
    """Side by side: for each field, which record's value survives; then merge."""
    _require_reviewer(request)
    candidate = selectors.duplicate_candidate_get(user=request.user, candidate_id=candidate_id)
    # The record with more history survives by default: fewer rows move.
    first, second = candidate.customer, candidate.other
    if second.order_count > first.order_count:
        first, second = second, first
    error = ""
    if request.method == "POST":
        # Not int(): a forged "abc" or "²" would be a 500 rather than this 400.
        chosen = request.POST.get("survivor")
        survivor_id = id_from_text(chosen) if chosen else first.pk
        if survivor_id not in {first.pk, second.pk}:
            return HttpResponseBadRequest(_("The survivor must be one of the two customers."))
        loser_id = second.pk if survivor_id == first.pk else first.pk
        # Each differing field is ticked "first" or "second" (a column); take the loser's.
        loser_column = "second" if loser_id == second.pk else "first"
        take = [name for name in merging.MERGEABLE_FIELDS if request.POST.get(name) == loser_column]
        try:
            merge = services.customers_merge(
                survivor_id=survivor_id,
                loser_id=loser_id,
                merged_by=request.user,
                take_from_loser=take,
                candidate_id=candidate.pk,
            )
        except services.MergeRefused as refusal:
            error = str(refusal)
        else:
            messages.success(
                request,
                _("Merged. %(merged)s now opens as %(kept)s.")
                % {"merged": merge.loser.number, "kept": merge.survivor.number},
            )
            return redirect("customers:profile", merge.survivor_id)
    rows = [
        {
            "name": name,
            "label": str(merging.model_field(Customer, name).verbose_name).capitalize(),
            "first": getattr(first, name),
            "second": getattr(second, name),
            "differs": getattr(first, name) != getattr(second, name),
        }
        for name in merging.MERGEABLE_FIELDS
    ]
    context = {
        "candidate": candidate,
        "first": first,
        "second": second,
        "rows": rows,
        "error": error,
    }
    return render(request, "customers/duplicate_review.html", context, status=409 if error else 200)


@login_required
@require_POST
def duplicate_dismiss(request: StaffRequest, candidate_id: int) -> HttpResponse:
    _require_reviewer(request)
    candidate = selectors.duplicate_candidate_get(user=request.user, candidate_id=candidate_id)
    services.duplicate_candidate_dismiss(candidate=candidate, by=request.user)
    messages.success(request, _("Marked as two different people."))
    return redirect("customers:duplicates")


@login_required
@require_POST
def merge_undo(request: StaffRequest, merge_id: int) -> HttpResponse:
    _require_reviewer(request)
    merge = selectors.merges_visible_to(user=request.user).filter(pk=merge_id).first()
    if merge is None:
        raise Http404(_("No such merge."))
    try:
        services.customers_merge_undo(merge_id=merge.pk, undone_by=request.user)
    except services.MergeRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request,
            _("Merge undone: %(number)s is a separate customer again.")
            % {"number": merge.loser.number},
        )
    return redirect("customers:duplicates")
