"""Factories of the appointments domain: a stylist who works 09:00-17:00, Monday to Saturday."""

from __future__ import annotations

from datetime import time, timedelta

import factory
from django.utils import timezone

from frontline.appointments.models import Booking, Service, Stylist, WorkingHours
from frontline.staff.models import StaffRole
from tests.factories import CustomerFactory, StoreAssignmentFactory, StoreFactory, UserFactory


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ["slug"]

    slug = "virtual-styling"
    name = "Virtual styling"
    kind = Service.Kind.VIDEO
    duration_minutes = 45


class StylistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stylist
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    store = factory.SubFactory(StoreFactory)
    buffer_minutes = 15
    minimum_notice_minutes = 120
    horizon_days = 60
    slot_interval_minutes = 30

    @factory.post_generation
    def setup(self, create: bool, extracted: object, **kwargs: object) -> None:
        """Works at the store as a stylist, offers the default service, and has weekly hours
        (``hours=[]`` for none)."""
        if not create:
            return
        StoreAssignmentFactory(user=self.user, store=self.store, role=StaffRole.STYLIST)
        self.services.add(ServiceFactory())
        hours = kwargs.get("hours", [(weekday, time(9), time(17)) for weekday in range(6)])
        for weekday, starts, ends in hours:  # type: ignore[attr-defined]
            WorkingHours.objects.create(stylist=self, weekday=weekday, starts=starts, ends=ends)


class BookingFactory(factory.django.DjangoModelFactory):
    """A confirmed video session starting in five minutes (times are not checked here)."""

    class Meta:
        model = Booking

    customer = factory.SubFactory(CustomerFactory)
    stylist = factory.SubFactory(StylistFactory)
    store = factory.SelfAttribute("stylist.store")
    service = factory.SubFactory(ServiceFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=5))
    ends_at = factory.LazyAttribute(lambda b: b.starts_at + timedelta(minutes=45))
    blocks_until = factory.LazyAttribute(lambda b: b.ends_at + timedelta(minutes=15))
    name = "Grace Hopper"
    email = "grace@example.com"
    customer_time_zone = "Europe/London"
    scheduled_at = factory.LazyFunction(timezone.now)
