"""Managers merge duplicates: everything moves to the survivor; audited and undoable."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import close_old_connections, connection
from django.urls import reverse
from django.utils import timezone

from frontline.customers.merging import customer_relations
from frontline.customers.models import CandidateStatus, Customer, CustomerMerge, DuplicateCandidate
from frontline.customers.services import MergeRefused, customers_merge, customers_merge_undo
from frontline.privacy.models import AccessAction, PersonalDataAccess
from tests.factories import (
    ConsentFactory,
    CustomerFactory,
    CustomerPreferenceFactory,
    CustomerSizeFactory,
    IdentityFactory,
    InteractionFactory,
    NoteFactory,
    OrderFactory,
    StoreAssignmentFactory,
    WishlistItemFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(store):
    survivor = CustomerFactory(
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        preferred_store=store,
        lifetime_value=Decimal("100.00"),
        order_count=2,
        last_purchase_at=timezone.now() - timedelta(days=30),
    )
    loser = CustomerFactory(
        first_name="Ada",
        last_name="King",
        email="ada@example.com",
        phone="+447700900555",
        preferred_store=store,
        lifetime_value=Decimal("50.00"),
        order_count=1,
        last_purchase_at=timezone.now() - timedelta(days=2),
    )
    return survivor, loser


def give_history(customer, marker: str):
    return {
        "identity": IdentityFactory(customer=customer, external_id=f"crm-{marker}"),
        "order": OrderFactory(customer=customer),
        "interaction": InteractionFactory(customer=customer, summary=marker),
        "note": NoteFactory(customer=customer, body=marker),
        "wish": WishlistItemFactory(customer=customer, description=marker),
        "preference": CustomerPreferenceFactory(customer=customer, value=marker),
    }


def test_every_relation_moves_to_the_survivor(manager, pair):
    survivor, loser = pair
    moved = give_history(loser, "from loser")
    customers_merge(survivor_id=survivor.pk, loser_id=loser.pk, merged_by=manager)
    for row in moved.values():
        row.refresh_from_db()
        assert row.customer_id == survivor.pk, row
    loser.refresh_from_db()
    assert loser.merged_into_id == survivor.pk


def test_relations_are_discovered_so_a_future_domain_moves_without_changes_here():
    keys = {relation.key for relation in customer_relations()}
    assert {
        "orders.Order.customer",
        "customers.Interaction.customer",
        "customers.CustomerNote.customer",
        "customers.WishlistItem.customer",
        "customers.Consent.customer",
        "customers.CustomerSize.customer",
        "customers.CustomerPreference.customer",
        "customers.CustomerIdentity.customer",
    } <= keys


def test_the_manager_picks_surviving_values_field_by_field(manager, pair):
    survivor, loser = pair
    customers_merge(
        survivor_id=survivor.pk, loser_id=loser.pk, merged_by=manager, take_from_loser=["phone"]
    )
    survivor.refresh_from_db()
    assert survivor.last_name == "Lovelace" and survivor.phone == "+447700900555"
    assert survivor.lifetime_value == Decimal("150.00") and survivor.order_count == 3
    assert survivor.last_purchase_at == loser.last_purchase_at


def test_a_clash_keeps_one_row_and_the_newest_consent_wins(manager, pair):
    survivor, loser = pair
    CustomerSizeFactory(customer=survivor, category="tops", size="M")
    CustomerSizeFactory(customer=loser, category="tops", size="L")
    ConsentFactory(
        customer=survivor,
        channel="email",
        purpose="marketing",
        granted=True,
        recorded_at=timezone.now() - timedelta(days=10),
    )
    ConsentFactory(
        customer=loser,
        channel="email",
        purpose="marketing",
        granted=False,
        recorded_at=timezone.now() - timedelta(days=1),
    )
    merge = customers_merge(survivor_id=survivor.pk, loser_id=loser.pk, merged_by=manager)
    assert survivor.sizes.get().size == "M"
    assert survivor.consents.get().granted is False  # withdrawn later: the withdrawal holds
    assert len(merge.removed) == 2


def test_the_merge_is_audit_logged(manager, pair):
    survivor, loser = pair
    customers_merge(survivor_id=survivor.pk, loser_id=loser.pk, merged_by=manager)
    logged = PersonalDataAccess.objects.filter(staff=manager, action=AccessAction.CUSTOMERS_MERGED)
    assert set(logged.values_list("customer_id", flat=True)) == {survivor.pk, loser.pk}


def test_undo_puts_both_records_back_as_they_were(manager, pair):
    survivor, loser = pair
    CustomerSizeFactory(customer=survivor, category="tops", size="M")
    CustomerSizeFactory(customer=loser, category="tops", size="L")
    moved = give_history(loser, "from loser")
    kept = give_history(survivor, "survivor's own")
    merge = customers_merge(
        survivor_id=survivor.pk, loser_id=loser.pk, merged_by=manager, take_from_loser=["phone"]
    )
    after_merge = InteractionFactory(customer=survivor, summary="after the merge")
    customers_merge_undo(merge_id=merge.pk, undone_by=manager)
    survivor.refresh_from_db()
    loser.refresh_from_db()
    assert loser.merged_into_id is None
    assert survivor.phone != "+447700900555" and survivor.lifetime_value == Decimal("100.00")
    for row in moved.values():
        row.refresh_from_db()
        assert row.customer_id == loser.pk
    for row in kept.values():
        row.refresh_from_db()
        assert row.customer_id == survivor.pk
    assert loser.sizes.get().size == "L" and survivor.sizes.get().size == "M"
    after_merge.refresh_from_db()
    assert after_merge.customer_id == survivor.pk  # what happened since stays
    assert PersonalDataAccess.objects.filter(action=AccessAction.MERGE_UNDONE).count() == 2


def test_undoing_twice_is_refused(manager, pair):
    merge = customers_merge(survivor_id=pair[0].pk, loser_id=pair[1].pk, merged_by=manager)
    customers_merge_undo(merge_id=merge.pk, undone_by=manager)
    with pytest.raises(MergeRefused, match="already undone"):
        customers_merge_undo(merge_id=merge.pk, undone_by=manager)


def test_merging_a_customer_into_itself_is_refused(manager, pair):
    with pytest.raises(MergeRefused, match="cannot be merged into itself"):
        customers_merge(survivor_id=pair[0].pk, loser_id=pair[0].pk, merged_by=manager)


def test_merging_an_already_merged_customer_is_refused(manager, pair, store):
    survivor, loser = pair
    third = CustomerFactory(preferred_store=store)
    customers_merge(survivor_id=survivor.pk, loser_id=loser.pk, merged_by=manager)
    with pytest.raises(MergeRefused, match="already merged"):
        customers_merge(survivor_id=third.pk, loser_id=loser.pk, merged_by=manager)
    with pytest.raises(MergeRefused, match="already merged"):
        customers_merge(survivor_id=loser.pk, loser_id=third.pk, merged_by=manager)


def test_an_associate_cannot_merge(associate, pair):
    with pytest.raises(PermissionDenied):
        customers_merge(survivor_id=pair[0].pk, loser_id=pair[1].pk, merged_by=associate)
    assert not CustomerMerge.objects.exists()


def test_a_manager_of_another_store_cannot_merge(pair, other_store):
    elsewhere = StoreAssignmentFactory(store=other_store, role="manager").user
    with pytest.raises(PermissionDenied):
        customers_merge(survivor_id=pair[0].pk, loser_id=pair[1].pk, merged_by=elsewhere)


# --- The review queue ---------------------------------------------------------------------


@pytest.fixture
def candidate(pair):
    low, high = sorted(pair, key=lambda c: c.pk)
    return DuplicateCandidate.objects.create(
        customer=low, other=high, score=0.9, reasons=["same e-mail", "similar name (90%)"]
    )


def test_the_manager_reviews_side_by_side_and_merges(manager_client, candidate, pair):
    survivor, loser = pair
    queue = manager_client.get(reverse("customers:duplicates")).content.decode()
    assert "same e-mail" in queue
    review = manager_client.get(reverse("customers:duplicate_review", args=[candidate.pk]))
    html = review.content.decode()
    assert "Lovelace" in html and "King" in html and 'class="differs"' in html
    response = manager_client.post(
        reverse("customers:duplicate_review", args=[candidate.pk]),
        {"survivor": survivor.pk, "last_name": "second" if candidate.other == loser else "first"},
    )
    assert response.status_code == 302
    survivor.refresh_from_db()
    candidate.refresh_from_db()
    assert survivor.last_name == "King"
    assert candidate.status == CandidateStatus.MERGED


@pytest.mark.parametrize("survivor", ["abc", "\u00b2", "99999999999999999999999", "\x00"])
def test_a_forged_survivor_is_refused_not_a_500(manager_client, candidate, survivor):
    url = reverse("customers:duplicate_review", args=[candidate.pk])
    assert manager_client.post(url, {"survivor": survivor}).status_code == 400
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.OPEN


def test_an_associate_is_told_the_queue_is_for_managers(associate_client, candidate):
    assert associate_client.get(reverse("customers:duplicates")).status_code == 403
    assert (
        associate_client.post(
            reverse("customers:duplicate_review", args=[candidate.pk])
        ).status_code
        == 403
    )


def test_a_refused_merge_is_explained_on_the_page(manager_client, candidate, pair, store, manager):
    survivor, loser = pair
    customers_merge(survivor_id=survivor.pk, loser_id=loser.pk, merged_by=manager)
    DuplicateCandidate.objects.filter(pk=candidate.pk).update(status=CandidateStatus.OPEN)
    # The loser is merged: the pair leaves the queue...
    assert (
        manager_client.get(reverse("customers:duplicate_review", args=[candidate.pk])).status_code
        == 404
    )


def test_dismissing_a_candidate_keeps_both_records(manager_client, candidate):
    manager_client.post(reverse("customers:duplicate_dismiss", args=[candidate.pk]))
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.DISMISSED
    assert Customer.objects.filter(merged_into__isnull=False).count() == 0


def test_the_manager_undoes_a_merge_from_the_history(manager_client, manager, pair):
    merge = customers_merge(survivor_id=pair[0].pk, loser_id=pair[1].pk, merged_by=manager)
    assert "Undo merge" in manager_client.get(reverse("customers:duplicates")).content.decode()
    manager_client.post(reverse("customers:merge_undo", args=[merge.pk]))
    merge.refresh_from_db()
    assert merge.undone_at is not None


# --- Concurrency ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_merges_of_the_same_pair_leave_one_consistent_result(manager, pair):
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: real concurrent transactions with row locks (SQLite serialises "
            "all writers, so there is no race to test)"
        )
    survivor, loser = pair
    give_history(loser, "from loser")
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def merge(first: Customer, second: Customer) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes.append(
                customers_merge(survivor_id=first.pk, loser_id=second.pk, merged_by=manager)
            )
        except MergeRefused as refusal:
            outcomes.append(refusal)
        finally:
            close_old_connections()
            connection.close()  # each thread had its own connection; give it back

    # The same pair, in both directions: without locking in id order this could deadlock or
    # merge each into the other.
    threads = [
        threading.Thread(target=merge, args=(survivor, loser)),
        threading.Thread(target=merge, args=(loser, survivor)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    merges = [o for o in outcomes if isinstance(o, CustomerMerge)]
    refusals = [o for o in outcomes if isinstance(o, MergeRefused)]
    assert len(merges) == 1 and len(refusals) == 1, outcomes
    assert "already merged" in str(refusals[0])
    winner = merges[0]
    assert Customer.objects.filter(merged_into__isnull=False).count() == 1
    assert Customer.objects.get(pk=winner.loser_id).merged_into_id == winner.survivor_id
    assert Customer.objects.get(pk=winner.survivor_id).merged_into_id is None
    assert CustomerMerge.objects.count() == 1
