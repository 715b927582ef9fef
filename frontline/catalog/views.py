"""Stock lookup and holds pages for the associate's tablet (htmx partials, work without JS)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from frontline.catalog import selectors, services
from frontline.catalog.forms import DeclineForm, ExtendForm, HoldForm, WatchForm
from frontline.catalog.models import HoldRequest, Product, Variant
from frontline.core.converters import id_from_text
from frontline.customers.models import Customer
from frontline.staff.models import Store, User
from frontline.staff.selectors import primary_store_for, stores_for


def _is_htmx(request: HttpRequest) -> bool:
    """True for requests made by htmx (django-htmx's middleware sets ``request.htmx``)."""
    return bool(getattr(request, "htmx", False))


def _int_param(request: HttpRequest, name: str) -> int | None:
    return id_from_text(request.GET.get(name))


def _customer_from_query(request: HttpRequest) -> Customer | None:
    customer_id = _int_param(request, "customer")
    if customer_id is None:
        return None
    customer = selectors.findable_customer(request.user, customer_id=customer_id)  # type: ignore[arg-type]
    if customer is None:
        raise Http404(_("No such customer among the customers you look after."))
    return customer


def _my_store(request: HttpRequest) -> Store | None:
    """The store the page is about: ?store= if it is one of mine, else my primary store."""
    user: User = request.user  # type: ignore[assignment]
    store_id = _int_param(request, "store")
    if store_id is not None:
        store = stores_for(user).filter(pk=store_id).first()
        if store is not None:
            return store
    return primary_store_for(user)


def _with_customer(url: str, customer: Customer | None, **extra: object) -> str:
    params = {key: str(value) for key, value in extra.items() if value}
    if customer is not None:
        params["customer"] = str(customer.pk)
    return f"{url}?{urlencode(params)}" if params else url


@login_required
@require_GET
def lookup(request: HttpRequest) -> HttpResponse:
    """Find a product by name, SKU or barcode; an exact code opens the product at once."""
    customer = _customer_from_query(request)
    query = request.GET.get("q", "").strip()
    exact = selectors.variant_by_code(query) if query else None
    if exact is not None and not _is_htmx(request):
        url = reverse("catalog:product", args=[exact.product_id])
        return redirect(_with_customer(url, customer, variant=exact.pk))
    products = selectors.products_search(query) if query else []
    context = {"query": query, "products": products, "customer": customer, "exact": exact}
    template = "catalog/lookup.html#results" if _is_htmx(request) else "catalog/lookup.html"
    return render(request, template, context)


@login_required
@require_GET
def product_stock(request: HttpRequest, product_id: int) -> HttpResponse:
    product = get_object_or_404(Product.objects.select_related("brand"), pk=product_id)
    customer = _customer_from_query(request)
    store = _my_store(request)
    size = selectors.customer_size_for(customer, product) if customer else None
    show_all = request.GET.get("sizes") == "all"
    matrix = selectors.stock_matrix(
        product=product, store=store, sizes=[size] if size and not show_all else None
    )
    context = {
        "product": product,
        "matrix": matrix,
        "store": store,
        "customer": customer,
        "customer_size": size,
        "show_all": show_all,
        "selected_variant": _int_param(request, "variant"),
    }
    template = "catalog/product.html#matrix" if _is_htmx(request) else "catalog/product.html"
    return render(request, template, context)


def _variant_page(
    request: HttpRequest,
    variant: Variant,
    *,
    form: HoldForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    customer = _customer_from_query(request)
    store = _my_store(request)
    overview = selectors.variant_stock_overview(variant=variant, origin=store)
    if form is None:
        form = HoldForm(
            initial={
                "customer_id": customer.pk if customer else None,
                "store": store.pk if store else None,
                "quantity": 1,
            }
        )
    context = {
        "variant": variant,
        "product": variant.product,
        "overview": overview,
        "store": store,
        "customer": customer,
        "form": form,
        "error": error,
        "my_store_ids": set(stores_for(user).values_list("pk", flat=True)),
    }
    if _is_htmx(request) and form.is_bound:
        # htmx does not swap 4xx answers in by default: the refusal is shown as a fragment.
        return render(request, "catalog/variant.html#hold-form", context)
    return render(request, "catalog/variant.html", context, status=status)


@login_required
@require_GET
def variant_stock(request: HttpRequest, variant_id: int) -> HttpResponse:
    variant = get_object_or_404(Variant.objects.select_related("product__brand"), pk=variant_id)
    return _variant_page(request, variant)


@login_required
@require_POST
def hold_create(request: HttpRequest, variant_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    variant = get_object_or_404(Variant.objects.select_related("product__brand"), pk=variant_id)
    form = HoldForm(request.POST)
    if not form.is_valid():
        return _variant_page(request, variant, form=form, status=400)
    data = form.cleaned_data
    customer = selectors.findable_customer(
        user, customer_id=data["customer_id"], number=data["customer_number"]
    )
    store = Store.objects.filter(pk=data["store"], is_active=True).first()
    try:
        if customer is None:
            raise services.NotFound(_("No such customer among the customers you look after."))
        if store is None:
            raise services.NotFound(_("No such store."))
        hold = services.hold_create(
            user=user,
            customer=customer,
            variant=variant,
            store=store,
            quantity=data["quantity"],
            pickup_note=data["pickup_note"],
            hours=data["hours"],
        )
    except services.CatalogError as error:
        return _variant_page(
            request, variant, form=form, error=error.message, status=error.status_code
        )
    messages.success(request, _hold_placed_message(hold))
    url = reverse("catalog:holds") + f"?store={hold.requested_from_id or hold.store_id}"
    if _is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def _hold_placed_message(hold: services.Hold) -> str:
    where = hold.store.name
    # In the time zone of the store keeping it, which the associate reads the rest of the app in.
    zone = hold.store.time_zone
    until = date_format(timezone.localtime(hold.expires_at, zone), "D j M H:i T")
    text = _("Held for %(name)s at %(store)s until %(until)s.") % {
        "name": hold.customer.full_name,
        "store": where,
        "until": until,
    }
    if hold.requested_from_id:
        text += " " + _("%(store)s has been asked to put it aside.") % {"store": where}
    # Only a live check that was asked and did not answer is worth a word (basis_detail says).
    if hold.basis == "synced" and hold.basis_detail:
        as_of = (
            date_format(timezone.localtime(hold.basis_as_of, zone), "j M H:i T")
            if hold.basis_as_of
            else _("an unknown time")
        )
        text += " " + _(
            "Based on the synced figure as of %(as_of)s: the live stock check did not answer."
        ) % {"as_of": as_of}
    return text


@login_required
@require_GET
def holds_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    store = selectors.store_for_holds(user, _int_param(request, "store"))
    if store is None:
        raise Http404(_("You are not assigned to that store."))
    context = {
        "store": store,
        "stores": stores_for(user),
        "holds": selectors.holds_for_store(user=user, store=store),
        "requests": selectors.hold_requests_waiting(user=user, store=store),
    }
    template = "catalog/holds.html#holds" if _is_htmx(request) else "catalog/holds.html"
    return render(request, template, context)


@login_required
@require_GET
def hold_detail(request: HttpRequest, hold_id: int) -> HttpResponse:
    hold = selectors.hold_for(request.user, hold_id)  # type: ignore[arg-type]
    if hold is None:
        raise Http404(_("No such hold at your stores."))
    return render(request, "catalog/hold.html", {"hold": hold, "extend_form": ExtendForm()})


@login_required
@require_POST
def hold_action(request: HttpRequest, hold_id: int, action: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    hold = selectors.hold_for(user, hold_id)
    if hold is None:
        raise Http404(_("No such hold at your stores."))
    try:
        if action == "extend":
            form = ExtendForm(request.POST)
            if not form.is_valid():
                raise services.InvalidRequest(_("Say for how many more hours (1 to 336)."))
            services.hold_extend(user=user, hold=hold, hours=form.cleaned_data["hours"])
            messages.success(request, _("The hold is extended."))
        elif action == "cancel":
            services.hold_cancel(user=user, hold=hold)
            messages.success(request, _("The hold is cancelled and the stock released."))
        elif action == "complete":
            order = services.hold_complete(user=user, hold=hold)
            messages.success(
                request,
                _("Sold: order %(number)s recorded for the customer.") % {"number": order.number},
            )
        else:
            raise Http404(_("No such action."))
    except services.CatalogError as error:
        messages.error(request, error.message)
    back = request.POST.get("next", "")
    # Only a page of this site: a forged form must not send the associate elsewhere.
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("catalog:hold", args=[hold.pk])
    return redirect(back)


@login_required
@require_POST
def hold_request_action(request: HttpRequest, request_id: int, action: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    hold_request = get_object_or_404(HoldRequest.objects.select_related("hold"), pk=request_id)
    if selectors.hold_for(user, hold_request.hold_id) is None:
        raise Http404(_("No such request at your stores."))
    try:
        if action == "accept":
            services.hold_request_accept(user=user, hold_request=hold_request)
            messages.success(request, _("Accepted: the item is put aside."))
        elif action == "decline":
            form = DeclineForm(request.POST)
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            services.hold_request_decline(user=user, hold_request=hold_request, reason=reason)
            messages.success(request, _("Declined: the requesting store is told."))
        else:
            raise Http404(_("No such action."))
    except services.CatalogError as error:
        if error.status_code == 404:
            # Not theirs to answer (the requesting store): a 404, as the API answers.
            raise Http404(error.message) from None
        messages.error(request, error.message)
    return redirect(reverse("catalog:holds") + f"?store={hold_request.hold.store_id}")


@login_required
@require_POST
def watch_create(request: HttpRequest, product_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    product = get_object_or_404(Product, pk=product_id)
    form = WatchForm(request.POST)
    url = reverse("catalog:product", args=[product.pk])
    if not form.is_valid():
        messages.error(request, _("Say which size the customer is waiting for."))
        return redirect(url)
    data = form.cleaned_data
    customer = selectors.findable_customer(
        user, customer_id=data["customer_id"], number=data["customer_number"]
    )
    try:
        if customer is None:
            raise services.NotFound(_("No such customer among the customers you look after."))
        services.watch_create(user=user, customer=customer, product=product, size=data["size"])
        messages.success(
            request,
            _("%(name)s will be told when %(size)s is back in stock.")
            % {"name": customer.full_name, "size": data["size"]},
        )
    except services.CatalogError as error:
        messages.error(request, error.message)
    return redirect(_with_customer(url, customer))
