"""HTML views of the privacy domain: a customer's data export and erasure, for managers of the
customer's store and admins (``customer_for_rights_request`` decides)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from frontline.privacy import selectors, services
from frontline.privacy.forms import ErasureConfirmForm
from frontline.staff.models import User


class StaffRequest(HttpRequest):
    user: User


@login_required
@require_GET
def customer_export(request: StaffRequest, customer_id: int) -> HttpResponse:
    """Everything held about the customer, downloaded as one JSON file."""
    customer = selectors.customer_for_rights_request(user=request.user, customer_id=customer_id)
    bundle = services.customer_data_export(by=request.user, customer=customer)
    response = JsonResponse(bundle, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = (
        f'attachment; filename="customer-{customer.pk}-personal-data.json"'
    )
    # A file of personal data: never kept by a shared tablet's browser or a proxy.
    response["Cache-Control"] = "no-store"
    return response


@login_required
def customer_erase(request: StaffRequest, customer_id: int) -> HttpResponse:
    """GET: what an erasure does, and the confirmation; POST: erase (the name typed again)."""
    customer = selectors.customer_for_rights_request(user=request.user, customer_id=customer_id)
    erasure = selectors.erasure_for_customer(customer_id=customer.pk)
    form = ErasureConfirmForm(request.POST or None, expected_name=customer.full_name)
    status = 200
    # Erased already: the service refuses, and says so, whatever was typed.
    if request.method == "POST" and (erasure is not None or form.is_valid()):
        try:
            erasure = services.customer_erase(by=request.user, customer_id=customer.pk)
        except services.ErasureRefused as refusal:
            messages.error(request, str(refusal))
            status = 409
        else:
            messages.success(
                request,
                _("Customer %(number)s was erased.") % {"number": erasure.customer_number},
            )
            return redirect("privacy:erasure", erasure.pk)
    elif request.method == "POST":
        status = 400
    context = {"customer": customer, "erasure": erasure, "form": form}
    return render(request, "privacy/erase.html", context, status=status)


@login_required
@require_GET
def erasure(request: StaffRequest, erasure_id: int) -> HttpResponse:
    """An erasure request and where each system stands."""
    found = selectors.erasure_visible(user=request.user, erasure_id=erasure_id)
    if found is None:
        raise Http404(_("No such erasure request."))
    steps = sorted(found.steps.all(), key=lambda step: step.system)
    return render(request, "privacy/erasure.html", {"erasure": found, "steps": steps})
