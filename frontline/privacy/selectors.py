"""Reads of the privacy domain."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext

from frontline.customers.models import Customer
from frontline.privacy.models import (
    AccessAction,
    ErasureRequest,
    ErasureStep,
    PersonalDataAccess,
)
from frontline.privacy.registry import rows
from frontline.staff.models import User
from frontline.staff.selectors import is_manager_of, stores_for

# How far back "recent customers" looks: the last this-many profile reads of the staff member.
RECENT_WINDOW = 200
PROFILE_READS = [AccessAction.PROFILE_VIEWED, AccessAction.PROFILE_READ_API]


def recently_viewed_customer_ids(*, staff: User, limit: int = 10) -> list[int]:
    """The customers this staff member opened lately, most recent first, each once."""
    latest_reads = (
        PersonalDataAccess.objects.filter(
            staff=staff, action__in=PROFILE_READS, customer__isnull=False
        )
        .order_by("-accessed_at", "-id")
        .values_list("customer_id", flat=True)[:RECENT_WINDOW]
    )
    return list(dict.fromkeys(latest_reads))[:limit]


def accesses_to_customer(*, customer_id: int) -> QuerySet[PersonalDataAccess]:
    """Who looked at this customer's data, newest first (audit, data export)."""
    return (
        PersonalDataAccess.objects.filter(customer_id=customer_id)
        .select_related("staff")
        .order_by("-accessed_at", "-id")
    )


def privacy_personal_data_export(customer_id: int) -> dict[str, Any]:
    """The privacy domain's part of an export: who accessed the data, and erasure requests."""
    erasures = ErasureRequest.objects.filter(customer_id=customer_id)
    return {
        "audit_trail": rows(PersonalDataAccess.objects.filter(customer_id=customer_id)),
        "erasure_requests": rows(erasures),
        "erasure_steps": rows(ErasureStep.objects.filter(request__in=erasures)),
    }


def customer_for_rights_request(*, user: User, customer_id: int) -> Customer:
    """The customer whose export or erasure this staff member asks for, if they may.

    Managers of the customer's store and admins only. Out of the staff member's stores (or no
    such customer): Http404, as everywhere, so nothing leaks; in their stores without the
    manager's role: PermissionDenied. Customers hidden from the app (erased, or deleted by
    every source) are still found: their remaining data can be exported, and a second erasure
    is refused with a clear message rather than a 404.
    """
    customer = (
        Customer.objects.select_related("preferred_store")
        .filter(pk=customer_id, merged_into__isnull=True)
        .first()
    )
    if customer is None:
        raise Http404(gettext("No such customer."))
    if user.is_superuser:
        return customer
    store = customer.preferred_store
    if store is None or not stores_for(user).filter(pk=store.pk).exists():
        raise Http404(gettext("No such customer."))
    if not is_manager_of(user, store):
        raise PermissionDenied(gettext("Only a manager of the customer's store can do this."))
    return customer


def erasure_for_customer(*, customer_id: int) -> ErasureRequest | None:
    return ErasureRequest.objects.filter(customer_id=customer_id).prefetch_related("steps").first()


def may_handle_rights_requests(*, user: User, customer: Customer) -> bool:
    """Whether to offer the export and erasure buttons on the profile."""
    store = customer.preferred_store
    return user.is_superuser or (store is not None and is_manager_of(user, store))


def names_match(typed: str, name: str) -> bool:
    """The confirmation of an erasure: the customer's name, whatever its case and spacing."""
    return " ".join(typed.casefold().split()) == " ".join(name.casefold().split())


def erasure_visible(*, user: User, erasure_id: int) -> ErasureRequest | None:
    """The erasure request, if this staff member may follow it (as they may make it).

    Raises PermissionDenied for a staff member of the store without the manager's role.
    """
    erasure = (
        ErasureRequest.objects.select_related("requested_by")
        .prefetch_related("steps")
        .filter(pk=erasure_id)
        .first()
    )
    if erasure is None:
        return None
    if erasure.customer_id is None:
        return erasure if user.is_superuser else None
    customer_for_rights_request(user=user, customer_id=erasure.customer_id)
    return erasure
