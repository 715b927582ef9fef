"""What sync hands over to the other domains reaches them: duplicates review, back in stock,
and the managers when a run fails."""

from __future__ import annotations

import pytest

from clienteling.celery import app as celery_app
from frontline.catalog.models import BackInStockWatch
from frontline.customers.models import CustomerIdentity, DuplicateCandidate
from frontline.notifications.models import Notification
from frontline.staff.models import StaffRole
from frontline.sync import engine, seams
from frontline.sync.models import Run
from tests.factories import (
    CustomerFactory,
    StoreAssignmentFactory,
    StoreFactory,
    VariantFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager_tasks(monkeypatch):
    """Run Celery tasks in-process: what matters here is what they do, not the transport."""
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)


def test_an_uncertain_match_is_put_before_a_manager_as_a_duplicate_candidate(
    erp, drop, eager_tasks, django_capture_on_commit_callbacks
):
    # The newcomer's e-mail is one customer's and its phone another's: sync cannot tell.
    owns_email = CustomerFactory(
        first_name="Ada", last_name="Lovelace", email="ada@example.com", phone="+447700911111"
    )
    owns_phone = CustomerFactory(first_name="Ada", last_name="Lovelace", phone="+447700922222")
    drop(
        "customers-1.csv",
        [
            {
                "external_id": "E1", "number": "", "first_name": "Ada", "last_name": "Lovelace",
                "email": "ADA@example.com", "phone": "+447700922222", "postcode": "N1 9GU",
                "country": "GB", "tier": "gold",
            },
            {
                "external_id": "E2", "number": "", "first_name": "Grace", "last_name": "Hopper",
                "email": "grace@example.com", "phone": "+447700933333", "postcode": "N1 9GU",
                "country": "GB", "tier": "member",
            },
        ],
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        engine.run_sync(source=erp, entity="customers")

    newcomer = CustomerIdentity.objects.get(external_id="E1").customer
    assert newcomer not in (owns_email, owns_phone)
    pairs = {
        frozenset((candidate.customer_id, candidate.other_id)): candidate
        for candidate in DuplicateCandidate.objects.all()
    }
    assert frozenset((newcomer.pk, owns_email.pk)) in pairs
    assert frozenset((newcomer.pk, owns_phone.pk)) in pairs
    assert all(candidate.reasons for candidate in pairs.values())
    grace = CustomerIdentity.objects.get(external_id="E2").customer
    assert not any(grace.pk in pair for pair in pairs)


def test_stock_that_sync_makes_available_wakes_the_watch_on_that_size(
    erp, drop, django_capture_on_commit_callbacks
):
    store = StoreFactory(code="store-1")
    variant = VariantFactory(sku="COAT-M", size="M")
    watch = BackInStockWatch.objects.create(
        customer=CustomerFactory(preferred_store=store), product=variant.product, size="M"
    )
    other_size = BackInStockWatch.objects.create(
        customer=CustomerFactory(preferred_store=store), product=variant.product, size="L"
    )
    drop("stock-1.csv", [{"sku": "COAT-M", "store": "store-1", "on_hand": 2}])

    with django_capture_on_commit_callbacks(execute=True):
        run = engine.run_sync(source=erp, entity="stock")
    assert run.status == "succeeded"

    watch.refresh_from_db()
    other_size.refresh_from_db()
    assert watch.notified_at is not None
    assert other_size.notified_at is None


def test_a_failed_run_tells_every_store_manager_and_no_associate(erp):
    manager = StoreAssignmentFactory(role=StaffRole.MANAGER).user
    associate = StoreAssignmentFactory(role=StaffRole.ASSOCIATE).user
    run = Run.objects.create(source=erp, entity="customers", status="failed", error="HTTP 503")

    seams.run_failed(run=run)
    seams.run_failed(run=run)  # a retried hand-over does not tell anyone twice

    [notification] = Notification.objects.filter(kind="sync.run_failed")
    recipients = set(notification.recipients.values_list("recipient_id", flat=True))
    assert recipients == {manager.pk}
    assert associate.pk not in recipients
    assert "HTTP 503" in notification.body
    assert notification.link == f"/sync/runs/{run.pk}/"
