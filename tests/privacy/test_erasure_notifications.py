"""Erasure scrubs what staff were told about the customer: the notifications naming them keep
their place in everyone's list, without the name or anything else about the person."""

from __future__ import annotations

import importlib

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from frontline.customers.services import customer_check_in
from frontline.followups.services import followup_create
from frontline.notifications.models import Notification, NotificationRecipient
from frontline.notifications.personal_data import ERASED_TITLE
from frontline.privacy.services import customer_erase
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_notifications_naming_the_customer_lose_their_personal_data(household):
    customer = household.customer
    bystander = CustomerFactory(first_name="Ada", last_name="Lovelace")
    for person in (customer, bystander):
        customer_check_in(customer=person, store=household.store, by=household.manager)
    assert Notification.objects.filter(title__contains="Grace Hopper").exists()
    read_marks = NotificationRecipient.objects.count()

    customer_erase(by=household.manager, customer_id=customer.pk)

    scrubbed = Notification.objects.get(customer=customer)
    assert (scrubbed.title, scrubbed.body, scrubbed.link) == (ERASED_TITLE, "", "")
    assert not Notification.objects.filter(title__contains="Grace").exists()
    assert not Notification.objects.filter(body__contains="Grace").exists()
    # Another customer's notification and everyone's list are as they were.
    assert Notification.objects.get(customer=bystander).title == "Ada Lovelace checked in"
    assert NotificationRecipient.objects.count() == read_marks
    api = APIClient()
    api.force_authenticate(household.associate)
    listed = api.get(reverse("api:notifications:list")).content.decode()
    assert "Grace" not in listed and "Ada Lovelace checked in" in listed


def test_every_notification_about_work_for_the_customer_names_them(household):
    """Follow-ups (and holds, bookings, messages) tell staff by the customer's name: each such
    notification carries the customer, so that erasure finds it."""
    followup_create(
        by=household.manager,
        customer_id=household.customer.pk,
        assignee_id=household.associate.pk,
        due_on=timezone.localdate(),
        reason="thank_you",
    )
    told = Notification.objects.get(kind="followup.assigned")
    assert "Grace Hopper" in told.title and told.customer_id == household.customer.pk


def test_notifications_raised_before_they_named_the_customer_get_it_from_their_link(household):
    """Raised before notifications/0002 they have no customer; 0003 reads it from the link (a
    profile, a follow-up; a hold or a styling session alike), so that erasure finds them."""
    from django.apps import apps

    backfill = importlib.import_module("frontline.notifications.migrations.0003_customer_from_link")
    customer = household.customer
    followup = followup_create(
        by=household.manager,
        customer_id=customer.pk,
        assignee_id=household.associate.pk,
        due_on=timezone.localdate(),
        reason="thank_you",
    )
    old = {
        link: Notification.objects.create(kind="customer.checked_in", title=title, link=link)
        for link, title in (
            (f"/customers/{customer.pk}/", "Grace Hopper checked in"),
            (f"/followups/{followup.pk}/", "Call Grace Hopper"),
            ("/sync/runs/1/", "Sync finished"),  # names nobody
            (f"/customers/{2**70}/", "Nobody"),  # past any id: names nobody, and is no error
        )
    }

    backfill.customer_from_link(apps, None)

    named = {link: n.customer_id for link, n in old.items() if (n.refresh_from_db() or True)}
    assert named == {
        f"/customers/{customer.pk}/": customer.pk,
        f"/followups/{followup.pk}/": customer.pk,
        "/sync/runs/1/": None,
        f"/customers/{2**70}/": None,
    }
    customer_erase(by=household.manager, customer_id=customer.pk)
    assert not Notification.objects.filter(title__contains="Grace").exists()
