"""An erased customer stays erased whatever a sync brings back, on both paths of a file drop.

Frontline erases its copy at once (frontline.privacy), but a connected system may still hold its
own for a while, and send it again: by the identity Frontline knows it by, or by the brand's
customer number under a new record. Neither the page-by-page path (customers_land) nor the
PostgreSQL fast path for big files (customers_land_staged) may land that record.
"""

from __future__ import annotations

import pytest
from django.db import connection

from frontline.customers.models import Customer, CustomerIdentity
from frontline.privacy.services import customer_erase
from frontline.sync import engine
from frontline.sync.models import Run
from tests.factories import CustomerFactory, IdentityFactory, UserFactory
from tests.sync import generate

pytestmark = pytest.mark.django_db

OTTOLINE = {
    "first_name": "Ottoline",
    "last_name": "Quillfeather",
    "email": "ottoline.q@example.com",
    "phone": "+447700900123",
    "postcode": "N1 9GU",
    "country": "GB",
    "tier": "gold",
}

PATHS = [
    pytest.param(10**12, id="page-by-page"),
    pytest.param(
        0,
        id="fast-path",
        marks=pytest.mark.skipif(
            connection.vendor != "postgresql", reason="the fast path is PostgreSQL's own"
        ),
    ),
]


@pytest.fixture
def erased(erp) -> Customer:
    customer = CustomerFactory(number="N-OTTOLINE", **OTTOLINE)
    IdentityFactory(customer=customer, source=erp.record_source, external_id="E-OTTOLINE")
    customer_erase(by=UserFactory(is_superuser=True), customer_id=customer.pk)
    return customer


def sync_customers(erp, drop, capture, rows: list[dict[str, str]]) -> Run:
    # Other customers in the same file: the file is landed, only the erased person is left out.
    others = [
        dict(zip(generate.CUSTOMER_COLUMNS, generate.customer_row(n), strict=True))
        for n in range(3)
    ]
    drop("customers-1.csv", [*rows, *others])
    with capture(execute=True):
        return engine.run_sync(source=erp, entity="customers")


def assert_still_erased(customer: Customer) -> None:
    customer.refresh_from_db()
    assert (customer.first_name, customer.last_name, customer.email, customer.phone) == (
        "Erased customer",
        "",
        "",
        "",
    )
    assert customer.erased_at is not None and customer.deleted_at is not None
    assert not Customer.objects.filter(email=OTTOLINE["email"]).exists()
    assert not Customer.objects.filter(last_name=OTTOLINE["last_name"]).exists()
    assert not CustomerIdentity.objects.filter(email=OTTOLINE["email"]).exists()


# The record that comes back carries either the erased customer's identity at the source or,
# under a new source id, their customer number: neither may bring them back.
COMING_BACK = {
    "identity": {"external_id": "E-OTTOLINE", "number": ""},
    "customer number": {"external_id": "E-NEW-RECORD", "number": "N-OTTOLINE"},
}


@pytest.mark.parametrize("fast_path_min_bytes", PATHS)
@pytest.mark.parametrize("known_by", COMING_BACK)
def test_a_record_of_an_erased_customer_does_not_bring_them_back(
    erp, drop, erased, settings, django_capture_on_commit_callbacks, fast_path_min_bytes, known_by
):
    settings.SYNC_FAST_PATH_MIN_BYTES = fast_path_min_bytes
    keys = COMING_BACK[known_by]
    run = sync_customers(erp, drop, django_capture_on_commit_callbacks, [{**keys, **OTTOLINE}])
    assert run.status == "succeeded"
    assert_still_erased(erased)
    assert (run.created, run.unchanged) == (3, 1)
    if keys["external_id"] != "E-OTTOLINE":
        assert not CustomerIdentity.objects.filter(external_id=keys["external_id"]).exists()
