"""Retention: interactions past the retention period keep what they were, not what was said."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from frontline.customers.models import Interaction
from frontline.privacy.retention import interactions_retention_apply
from frontline.privacy.tasks import apply_interaction_retention_task
from tests.factories import CustomerFactory, InteractionFactory

pytestmark = pytest.mark.django_db

YEAR = timedelta(days=365)


def test_old_interactions_are_summarised_and_recent_ones_kept_as_they_are():
    customer = CustomerFactory()
    old = InteractionFactory(
        customer=customer,
        kind="complaint",
        channel="phone",
        sentiment="negative",
        summary="Grace called from +44 7700 900123 about her husband's coat",
        occurred_at=timezone.now() - 4 * YEAR,
    )
    recent = InteractionFactory(
        customer=customer, summary="Loved the navy coat", occurred_at=timezone.now() - YEAR
    )
    assert interactions_retention_apply(retention_days=3 * 365) == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.summary == "Complaint (Phone); details removed after the retention period"
    assert (old.kind, old.channel, old.sentiment) == ("complaint", "phone", "negative")
    assert old.details_removed_at is not None
    assert (recent.summary, recent.details_removed_at) == ("Loved the navy coat", None)
    assert Interaction.objects.filter(customer=customer).count() == 2


def test_the_job_works_in_chunks_and_resumes_where_it_stopped():
    long_ago = timezone.now() - 5 * YEAR
    InteractionFactory.create_batch(5, summary="raw", occurred_at=long_ago)
    # A run cut short after one chunk (max_chunks) has committed that chunk; the next goes on.
    runs = [
        interactions_retention_apply(retention_days=365, chunk_size=2, max_chunks=1)
        for _ in range(4)
    ]
    assert runs == [2, 2, 1, 0]
    assert not Interaction.objects.filter(summary="raw").exists()


def test_a_retention_of_zero_keeps_everything():
    InteractionFactory(summary="raw", occurred_at=timezone.now() - 20 * YEAR)
    assert interactions_retention_apply(retention_days=0) == 0
    assert Interaction.objects.get().summary == "raw"


def test_the_nightly_task_uses_the_configured_period(settings):
    settings.INTERACTION_RETENTION_DAYS = 30
    InteractionFactory(summary="raw", occurred_at=timezone.now() - timedelta(days=31))
    InteractionFactory(summary="fresh", occurred_at=timezone.now() - timedelta(days=29))
    assert apply_interaction_retention_task() == 1
    assert set(Interaction.objects.values_list("summary", flat=True)) >= {"fresh"}
    assert not Interaction.objects.filter(summary="raw").exists()
