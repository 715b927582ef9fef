"""The customers domain's part of a data export and of an erasure (see frontline.privacy.registry).

Erasure anonymises the customer in place: the row stays (orders, lifetime value and the audit
trail keep pointing at it), its personal fields are emptied, free texts go, and what describes
the person (consents, preferences, sizes, wishlist, edit history) is deleted. Interactions stay
as dated, typed events without their text, so the brand's figures keep their history.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone

from frontline.customers.models import (
    Consent,
    Customer,
    CustomerEdit,
    CustomerIdentity,
    CustomerMerge,
    CustomerNote,
    CustomerPreference,
    CustomerSize,
    DuplicateCandidate,
    Interaction,
    SentimentMonth,
    WishlistItem,
)
from frontline.privacy.registry import rows

ERASED_NAME = "Erased customer"

RELATIONS = [
    "customers.Customer.merged_into",
    "customers.CustomerIdentity.customer",
    "customers.Consent.customer",
    "customers.CustomerSize.customer",
    "customers.CustomerPreference.customer",
    "customers.Interaction.customer",
    "customers.SentimentMonth.customer",
    "customers.CustomerNote.customer",
    "customers.WishlistItem.customer",
    "customers.CustomerEdit.customer",
    "customers.DuplicateCandidate.customer",
    "customers.DuplicateCandidate.other",
    "customers.CustomerMerge.survivor",
    "customers.CustomerMerge.loser",
]


def customer_personal_data_export(customer_id: int) -> dict[str, Any]:
    of_customer = Q(customer_id=customer_id)
    customer = rows(Customer.objects.filter(pk=customer_id), exclude=["search_name"])
    return {
        "customer": customer[0] if customer else None,
        "identities": rows(CustomerIdentity.objects.filter(of_customer)),
        "consents": rows(Consent.objects.filter(of_customer)),
        "preferences": rows(CustomerPreference.objects.filter(of_customer)),
        "sizes": rows(CustomerSize.objects.filter(of_customer)),
        "notes": rows(CustomerNote.objects.filter(of_customer)),
        "interactions": rows(Interaction.objects.filter(of_customer)),
        "sentiment_by_month": rows(SentimentMonth.objects.filter(of_customer)),
        "wishlist": rows(WishlistItem.objects.filter(of_customer)),
        "profile_edits": rows(CustomerEdit.objects.filter(of_customer)),
        "records_merged_in": list(
            Customer.objects.filter(merged_into_id=customer_id)
            .order_by("pk")
            .values_list("pk", flat=True)
        ),
        "duplicate_reviews": rows(
            DuplicateCandidate.objects.filter(Q(customer_id=customer_id) | Q(other_id=customer_id))
        ),
        "merges": rows(
            CustomerMerge.objects.filter(Q(survivor_id=customer_id) | Q(loser_id=customer_id))
        ),
    }


def customer_personal_data_erase(customer_id: int) -> None:
    now = timezone.now()
    Customer.objects.filter(pk=customer_id).update(
        first_name=ERASED_NAME,
        last_name="",
        email="",
        phone="",
        postcode="",
        birthday=None,
        anniversary=None,
        preferred_associate=None,
        field_sources=None,
        # Hidden wherever hidden customers are (search, profile, matching), and never brought
        # back by a sync of a source that still has the record (customers.loading).
        erased_at=now,
        deleted_at=now,
        updated_at=now,
    )
    # The identities stay, emptied: they say which record in which system is to be erased,
    # and let sync recognise (and drop) that record until the system has erased it.
    CustomerIdentity.objects.filter(customer_id=customer_id).update(email="", phone="", tags=None)
    for model in (Consent, CustomerPreference, CustomerSize, WishlistItem, CustomerNote):
        model._default_manager.filter(customer_id=customer_id).delete()
    # The edit history holds old values of the fields just emptied.
    CustomerEdit.objects.filter(customer_id=customer_id).delete()
    Interaction.objects.filter(customer_id=customer_id).update(summary="")
    DuplicateCandidate.objects.filter(Q(customer_id=customer_id) | Q(other_id=customer_id)).delete()
    # A merge's snapshots hold both records' field values; the merge cannot be undone now.
    CustomerMerge.objects.filter(Q(survivor_id=customer_id) | Q(loser_id=customer_id)).update(
        survivor_before={}, survivor_after={}, removed=[]
    )
