"""The personal-data audit trail: who read which customer's data, when, and what."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory

from frontline.privacy.models import AccessAction, PersonalDataAccess
from frontline.privacy.selectors import accesses_to_customer, recently_viewed_customer_ids
from frontline.privacy.services import personal_data_access_record
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
