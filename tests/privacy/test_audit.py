"""The personal-data audit trail: who read which customer's data, when, and what."""

from __future__ import annotations

import logging

import pytest
from django.contrib.admin.sites import site
from django.db import DatabaseError, connection, transaction
from django.test import Client, RequestFactory

from frontline.customers.services import customer_size_set
from frontline.privacy.masking import PersonalDataLogFilter
from frontline.privacy.models import AccessAction, PersonalDataAccess
from frontline.privacy.selectors import accesses_to_customer, recently_viewed_customer_ids
from frontline.privacy.services import (
    personal_data_access_record,
    personal_data_listing_record,
    personal_data_search_record,
)
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_read_is_recorded_with_who_which_customer_when_and_what():
    staff, customer = UserFactory(), CustomerFactory()
    personal_data_access_record(
        staff_id=staff.pk, customer_id=customer.pk, action=AccessAction.PROFILE_VIEWED
    )
    access = accesses_to_customer(customer_id=customer.pk).get()
    assert (access.staff, access.customer, access.action) == (
        staff, customer, AccessAction.PROFILE_VIEWED,
    )  # fmt: skip
    assert access.accessed_at is not None


@pytest.mark.django_db(transaction=True)  # outside a test's transaction: an empty one shows
def test_a_listing_records_a_row_per_customer_and_costs_no_statement_when_empty(
    django_assert_num_queries,
):
    staff, first, second = UserFactory(), CustomerFactory(), CustomerFactory()
    with django_assert_num_queries(0):  # not even an empty transaction
        personal_data_listing_record(staff_id=staff.pk, customer_ids=iter([]))
    personal_data_listing_record(staff_id=staff.pk, customer_ids=iter([first.pk, second.pk]))
    listed = PersonalDataAccess.objects.filter(staff=staff, action=AccessAction.LISTED)
    assert sorted(listed.values_list("customer_id", flat=True)) == sorted([first.pk, second.pk])


def test_recently_viewed_lists_each_customer_once_newest_first():
    staff = UserFactory()
    first, second = CustomerFactory(), CustomerFactory()
    for customer in (first, second, first):
        personal_data_access_record(
            staff_id=staff.pk, customer_id=customer.pk, action=AccessAction.PROFILE_VIEWED
        )
    assert recently_viewed_customer_ids(staff=staff) == [first.pk, second.pk]


def test_merges_and_edits_are_not_profile_reads_for_recent_customers():
    staff, customer = UserFactory(), CustomerFactory()
    personal_data_access_record(
        staff_id=staff.pk, customer_id=customer.pk, action=AccessAction.CUSTOMERS_MERGED
    )
    assert recently_viewed_customer_ids(staff=staff) == []


def test_nobody_can_change_or_delete_the_trail_in_the_back_office():
    admin_user = UserFactory(is_superuser=True, is_staff=True)
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    model_admin = site._registry[PersonalDataAccess]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


# --- Accountability: searches, edits, sign-ins, refusals, from where ----------------------

ADDRESS = "203.0.113.9"


def _signed_in(user) -> Client:
    client = Client(REMOTE_ADDR=ADDRESS)
    client.force_login(user)
    return client


def test_a_search_is_recorded_with_the_query_masked_and_the_address(associate):
    _signed_in(associate).get("/customers/search/", {"q": "jane.doe@example.com"})
    search = PersonalDataAccess.objects.get(staff=associate, action=AccessAction.SEARCHED)
    assert search.detail == "j***@e***.com"
    assert search.ip_address == ADDRESS


def test_an_api_search_for_a_name_keeps_only_initials(associate):
    response = _signed_in(associate).get("/api/customers/", {"q": "Ada Lovelace"})
    assert response.status_code == 200
    search = PersonalDataAccess.objects.get(staff=associate, action=AccessAction.SEARCHED)
    assert search.detail == "A*** L***"


def test_the_recent_customers_list_is_no_search(associate):
    _signed_in(associate).get("/customers/search/", {"q": ""})
    assert not PersonalDataAccess.objects.filter(action=AccessAction.SEARCHED).exists()


def test_an_edit_is_recorded_naming_the_field_never_the_value(associate):
    customer = CustomerFactory(preferred_store=associate.assignments.get().store)
    customer_size_set(customer=customer, category="tops", size="XL", by=associate)
    edit = PersonalDataAccess.objects.get(customer=customer, action=AccessAction.PROFILE_EDITED)
    assert (edit.staff, edit.detail) == (associate, "size:tops")


def test_an_api_profile_read_records_where_it_came_from(associate):
    customer = CustomerFactory(preferred_store=associate.assignments.get().store)
    assert _signed_in(associate).get(f"/api/customers/{customer.pk}/").status_code == 200
    read = PersonalDataAccess.objects.get(customer=customer, action=AccessAction.PROFILE_READ_API)
    assert read.ip_address == ADDRESS


def test_sign_ins_and_failures_are_recorded_with_the_address(associate, password):
    client = Client(REMOTE_ADDR=ADDRESS)
    client.post("/accounts/login/", {"username": associate.username, "password": "wrong"})
    client.post("/accounts/login/", {"username": associate.username, "password": password})
    rows = PersonalDataAccess.objects.filter(staff=associate).order_by("id")
    assert [(row.action, row.ip_address) for row in rows] == [
        (AccessAction.SIGN_IN_FAILED, ADDRESS),
        (AccessAction.SIGNED_IN, ADDRESS),
    ]


def test_a_failed_sign_in_to_no_account_keeps_nothing_that_was_typed(db):
    Client(REMOTE_ADDR=ADDRESS).post(
        "/accounts/login/", {"username": "my-secret-password", "password": "x"}
    )
    failure = PersonalDataAccess.objects.get(action=AccessAction.SIGN_IN_FAILED)
    assert (failure.staff, failure.detail) == (None, "unknown account")
    assert "secret" not in str(list(PersonalDataAccess.objects.values()))


def test_a_refused_profile_is_recorded_against_the_customer(associate):
    stranger = CustomerFactory(merged_into=CustomerFactory())  # found by nobody
    assert _signed_in(associate).get(f"/customers/{stranger.pk}/").status_code == 404
    denial = PersonalDataAccess.objects.get(action=AccessAction.ACCESS_DENIED)
    assert (denial.staff, denial.customer, denial.ip_address) == (associate, stranger, ADDRESS)
    assert denial.detail == f"GET /customers/{stranger.pk}/ 404"


def test_a_refused_api_read_of_no_customer_is_recorded_without_one(associate):
    assert _signed_in(associate).get("/api/customers/99999999/").status_code == 404
    denial = PersonalDataAccess.objects.get(action=AccessAction.ACCESS_DENIED)
    assert (denial.staff, denial.customer) == (associate, None)


def test_refusals_elsewhere_are_not_personal_data_denials(associate):
    assert _signed_in(associate).get("/sync/runs/").status_code == 403
    assert not PersonalDataAccess.objects.filter(action=AccessAction.ACCESS_DENIED).exists()


def test_log_lines_have_emails_and_phone_numbers_masked():
    handlers = [
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(found, PersonalDataLogFilter) for found in handler.filters)
    ]
    assert handlers, "the console handler masks personal data"
    record = logging.LogRecord(
        "frontline", logging.INFO, __file__, 1, "sent to %s and %s at %s",
        ("ada@example.com", "+44 7700 900123", "2026-12-06 10:00:00"), None,
    )  # fmt: skip
    handlers[0].filter(record)
    assert record.getMessage() == "sent to a***@e***.com and ***23 at 2026-12-06 10:00:00"


def test_admins_filter_and_search_the_trail(associate, admin_client):
    personal_data_search_record(staff_id=associate.pk, query="Ada")
    response = admin_client.get(
        "/admin/privacy/personaldataaccess/",
        {"action__exact": "searched", "q": associate.username},
    )
    assert response.status_code == 200
    assert b"A***" in response.content


# --- Append-only in the database (PostgreSQL) ----------------------------------------------

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger is PostgreSQL's (migration 0003)"
)


@postgresql_only
def test_the_database_refuses_to_change_or_delete_the_trail():
    staff, customer = UserFactory(), CustomerFactory()
    access = personal_data_access_record(
        staff_id=staff.pk, customer_id=customer.pk, action=AccessAction.PROFILE_VIEWED
    )
    rows = PersonalDataAccess.objects.filter(pk=access.pk)
    for change in (
        lambda: rows.update(detail="nothing to see"),
        lambda: rows.update(staff=UserFactory()),
        lambda: rows.delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            change()
    assert rows.get().detail == ""


@postgresql_only
def test_deleting_a_staff_member_or_customer_keeps_their_rows_naming_nobody():
    staff, customer = UserFactory(), CustomerFactory()
    access = personal_data_access_record(
        staff_id=staff.pk, customer_id=customer.pk, action=AccessAction.PROFILE_VIEWED
    )
    staff.delete()
    customer.delete()
    access.refresh_from_db()
    assert (access.staff_id, access.customer_id, access.action) == (
        None, None, AccessAction.PROFILE_VIEWED,
    )  # fmt: skip


def test_token_sign_ins_and_failures_are_recorded_with_the_address(associate, password):
    client = Client(REMOTE_ADDR=ADDRESS)
    url = "/api/auth/token/"
    assert (
        client.post(url, {"username": associate.username, "password": "wrong"}).status_code == 400
    )
    assert (
        client.post(url, {"username": associate.username, "password": password}).status_code == 200
    )
    rows = PersonalDataAccess.objects.filter(staff=associate).order_by("id")
    assert [(row.action, row.ip_address, row.detail) for row in rows] == [
        (AccessAction.SIGN_IN_FAILED, ADDRESS, ""),
        (AccessAction.SIGNED_IN, ADDRESS, "API token"),
    ]


def test_a_failed_token_sign_in_to_no_account_keeps_nothing_that_was_typed(db):
    Client(REMOTE_ADDR=ADDRESS).post(
        "/api/auth/token/", {"username": "my-secret-password", "password": "x"}
    )
    failure = PersonalDataAccess.objects.get(action=AccessAction.SIGN_IN_FAILED)
    assert (failure.staff, failure.detail, failure.ip_address) == (None, "unknown account", ADDRESS)
    assert "secret" not in str(list(PersonalDataAccess.objects.values()))
