from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from frontline.customers.criteria import CustomerCriteria, customers_matching
from frontline.customers.models import Customer
from frontline.followups import bulk
from frontline.followups.models import BulkAssignment, FollowUp, FollowUpEvent
from frontline.notifications.models import NotificationRecipient
from tests.factories import (
    CustomerFactory,
    CustomerPreferenceFactory,
    CustomerSizeFactory,
    FollowUpFactory,
    IdentityFactory,
)
from tests.followups.conftest import client_for


def criteria(**values) -> CustomerCriteria:
    return CustomerCriteria.parse(values)


@pytest.fixture
def vips(store):
    """Six VIPs not seen for 100 days, two seen yesterday, and three members."""
    long_ago = timezone.now() - timedelta(days=100)
    lapsed = [
        CustomerFactory(preferred_store=store, tier="vip", last_visit_at=long_ago) for _ in range(6)
    ]
    recent = timezone.now() - timedelta(days=1)
    for _ in range(2):
        CustomerFactory(preferred_store=store, tier="vip", last_purchase_at=recent)
    for _ in range(3):
        CustomerFactory(preferred_store=store, tier="member")
    return lapsed


def test_the_filter_combines_tier_last_seen_spend_size_and_brand(manager, store, vips):
    assert customers_matching(by=manager, store=store, criteria=criteria()).count() == 11
    lapsed = criteria(tiers=["vip"], not_seen_days="90")
    assert set(customers_matching(by=manager, store=store, criteria=lapsed)) == set(vips)
    Customer.objects.filter(pk=vips[0].pk).update(lifetime_value=Decimal("5000"))
    CustomerSizeFactory(customer=vips[1], category="tops", size="M")
    CustomerPreferenceFactory(customer=vips[2], kind="brand", value="Acme")
    for extra, expected in [
        ({"min_lifetime_value": "1000"}, vips[0]),
        ({"size_category": "tops", "size": "m"}, vips[1]),
        ({"brand": "acme"}, vips[2]),
    ]:
        found = customers_matching(
            by=manager, store=store, criteria=criteria(tiers=["vip"], **extra)
        )
        assert list(found) == [expected]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"tiers": ["platinum"]}, "tiers"),
        ({"not_seen_days": "soon"}, "not_seen_days"),
        ({"min_lifetime_value": "-5"}, "min_lifetime_value"),
        ({"size": "M"}, "size_category"),
    ],
)
def test_a_bad_filter_names_the_field(values, field):
    with pytest.raises(ValidationError) as error:
        CustomerCriteria.parse(values)
    assert field in error.value.message_dict


def test_the_preview_shares_by_open_load_and_creates_nothing(
    manager, associate, colleague, customer, store, vips
):
    for _ in range(3):  # Alex already has three open follow-ups; Cleo none.
        FollowUpFactory(customer=customer, assignee=associate)
    preview = bulk.bulk_preview(
        by=manager,
        store_id=store.pk,
        criteria=criteria(tiers=["vip"], not_seen_days=90),
        assignee_ids=[associate.pk, colleague.pk],
    )
    assert (preview.matched, preview.already_followed, preview.to_create) == (6, 0, 6)
    # Cleo gets three first to catch up with Alex, then they alternate.
    assert preview.new_per_assignee == {colleague.pk: 4, associate.pk: 2}
    assert FollowUp.objects.count() == 3 and not BulkAssignment.objects.exists()


def test_spread_evens_out_loads_before_growing_them():
    assert bulk.spread(5, {1: 3, 2: 0, 3: 1}) == [2, 2, 3, 2, 3]


def test_creating_spreads_records_history_tells_each_person_once_and_undo_cancels(
    manager, associate, colleague, store, vips, tomorrow
):
    FollowUpFactory(customer=vips[0], assignee=colleague)  # already looked after: left out
    batch = bulk.bulk_assign(
        by=manager,
        store_id=store.pk,
        criteria=criteria(tiers=["vip"], not_seen_days=90),
        assignee_ids=[associate.pk, colleague.pk],
        due_on=tomorrow,
        reason="event_invite",
        reason_text="Winter preview",
    )
    created = FollowUp.objects.filter(bulk_assignment=batch)
    assert batch.created_count == created.count() == 5
    assert sorted(created.values_list("customer_id", flat=True)) == sorted(c.pk for c in vips[1:])
    per_person = {f.assignee_id for f in created}
    assert per_person == {associate.pk, colleague.pk}
    assert created.filter(assignee=associate).count() == 3  # Cleo had one open already
    events = FollowUpEvent.objects.filter(followup__in=created, kind="created")
    assert events.count() == 5 and {event.by for event in events} == {manager}
    first = created.order_by("pk").first()
    assert first.history.get().data == {
        "assignee": first.assignee_id,
        "due_on": tomorrow.isoformat(),
        "reason": "event_invite",
        "bulk_assignment": batch.pk,
    }
    told = NotificationRecipient.objects.filter(notification__title__endswith="new follow-ups")
    assert sorted(told.values_list("recipient__username", flat=True)) == [
        "associate",
        "colleague",
    ]
    # One of them is done meanwhile: undo leaves it, cancels the rest, and only once.
    worked = created.filter(assignee=associate).first()
    FollowUp.objects.filter(pk=worked.pk).update(status="done", outcome="reached")
    assert bulk.bulk_assignment_undo(by=manager, bulk_id=batch.pk) == 4
    assert set(created.values_list("status", flat=True)) == {"done", "cancelled"}
    undone = FollowUpEvent.objects.filter(followup__in=created, kind="cancelled")
    assert undone.count() == 4 and worked.history.filter(kind="cancelled").count() == 0
    assert undone.first().data == {
        "assignee": undone.first().followup.assignee_id,
        "reason": "bulk assignment undone",
        "bulk_assignment": batch.pk,
    }
    with pytest.raises(ValidationError):
        bulk.bulk_assignment_undo(by=manager, bulk_id=batch.pk)


def test_a_filter_matching_nobody_creates_nothing(manager, associate, store, vips, tomorrow):
    with pytest.raises(ValidationError) as error:
        bulk.bulk_assign(
            by=manager,
            store_id=store.pk,
            criteria=criteria(tiers=["gold"]),
            assignee_ids=[associate.pk],
            due_on=tomorrow,
            reason="thank_you",
        )
    assert "matches nobody" in str(error.value)
    assert not BulkAssignment.objects.exists() and not FollowUp.objects.exists()


def test_more_than_the_limit_needs_confirmation(
    manager, associate, store, vips, tomorrow, monkeypatch
):
    monkeypatch.setattr(bulk, "CONFIRM_ABOVE", 5)
    asked = {
        "by": manager,
        "store_id": store.pk,
        "criteria": criteria(tiers=["vip"]),
        "assignee_ids": [associate.pk],
        "due_on": tomorrow,
        "reason": "new_arrivals",
    }
    with pytest.raises(ValidationError) as error:
        bulk.bulk_assign(**asked)
    assert error.value.error_dict["confirmed"][0].code == "confirm"
    assert "creates 8 follow-ups" in str(error.value)
    assert not FollowUp.objects.exists()
    assert bulk.bulk_assign(**asked, confirmed=True).created_count == 8


def test_only_managers_of_the_store_and_only_its_staff(
    manager, associate, outsider, other_manager, store, vips, tomorrow
):
    asked = {
        "store_id": store.pk,
        "criteria": criteria(),
        "due_on": tomorrow,
        "reason": "thank_you",
    }
    for by in (associate, other_manager):
        with pytest.raises(ValidationError) as error:
            bulk.bulk_assign(by=by, assignee_ids=[associate.pk], **asked)
        assert error.value.message_dict == {"store": ["Choose a store you manage."]}
    with pytest.raises(ValidationError) as error:
        bulk.bulk_assign(by=manager, assignee_ids=[outsider.pk], **asked)
    assert error.value.message_dict == {"assignees": ["Choose people who work at London."]}
    assert not FollowUp.objects.exists()


def test_the_page_previews_then_creates_then_undoes(
    manager, associate, colleague, store, vips, tomorrow
):
    client = client_for(manager)
    form = {
        "store": store.pk,
        "tiers": ["vip"],
        "not_seen_days": "90",
        "assignees": [associate.pk, colleague.pk],
        "reason": "check_in",
        "due_on": tomorrow.isoformat(),
        "priority": "2",
    }
    preview = client.post(reverse("followups:bulk"), {**form, "step": "preview"})
    assert "6 customers match" in preview.content.decode()
    assert not FollowUp.objects.exists()
    created = client.post(reverse("followups:bulk"), {**form, "step": "create"})
    batch = BulkAssignment.objects.get()
    assert created["Location"] == reverse("followups:bulk_detail", args=[batch.pk])
    detail = client.get(created["Location"]).content.decode()
    assert "Undo" in detail and "Alex Reed" in detail
    client.post(reverse("followups:bulk_undo", args=[batch.pk]))
    assert set(FollowUp.objects.values_list("status", flat=True)) == {"cancelled"}
    nobody = client.post(reverse("followups:bulk"), {**form, "tiers": ["gold"], "step": "create"})
    assert nobody.status_code == 400 and "matches nobody" in nobody.content.decode()
    assert client_for(associate).get(reverse("followups:bulk")).status_code == 404


def test_the_api_previews_creates_and_undoes(manager, associate, store, vips, tomorrow):
    client = APIClient()
    client.force_authenticate(manager)
    asked = {
        "store_id": store.pk,
        "criteria": {"tiers": ["vip"], "not_seen_days": 90},
        "assignee_ids": [associate.pk],
    }
    preview = client.post("/api/followups/bulk/preview/", asked, format="json").json()
    assert (preview["to_create"], preview["shares"][0]["new"]) == (6, 6)
    bad = client.post(
        "/api/followups/bulk/preview/", {**asked, "criteria": {"size": "M"}}, format="json"
    )
    assert bad.status_code == 400 and "size_category" in bad.json()["errors"]["criteria"]
    IdentityFactory(customer=vips[0], source="ecommerce", tags=["Wholesale"])
    tagged = {**asked, "criteria": {**asked["criteria"], "tags": ["wholesale"]}}
    preview = client.post("/api/followups/bulk/preview/", tagged, format="json").json()
    assert preview["to_create"] == 1
    made = client.post(
        "/api/followups/bulk/",
        {**asked, "due_on": tomorrow.isoformat(), "reason": "thank_you"},
        format="json",
    )
    assert made.status_code == 201 and made.json()["created_count"] == 6
    undo = client.post(f"/api/followups/bulk/{made.json()['id']}/undo/")
    assert undo.json() == {"cancelled": 6}
    assert client.post(f"/api/followups/bulk/{made.json()['id']}/undo/").status_code == 400
    other = APIClient()
    other.force_authenticate(associate)
    assert other.post(f"/api/followups/bulk/{made.json()['id']}/undo/").status_code == 404
    assert other.post("/api/followups/bulk/preview/", asked, format="json").status_code == 403
