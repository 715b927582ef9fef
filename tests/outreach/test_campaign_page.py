"""The campaign page: a store manager's audience, preview with reasons, a launch queued through
the outbox in batches (idempotent), progress; other stores' managers and associates see none."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from frontline.outreach import campaigns
from frontline.outreach.models import Campaign, CampaignStatus, Message, Status
from frontline.outreach.selectors import campaign_progress
from frontline.staff.models import StaffRole
from tests.factories import CustomerFactory, IdentityFactory, StoreFactory, staff_at
from tests.outreach.conftest import consent

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(store):
    return staff_at(store, StaffRole.MANAGER, first_name="Mia", last_name="Lopez")


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def audience(store, outreach_settings):
    """Three VIPs who agreed to marketing e-mail, and one VIP each left out for a reason."""
    outreach_settings.OUTREACH_MARKETING_PER_WEEK = 1
    reachable = [CustomerFactory(preferred_store=store, tier="vip") for _ in range(3)]
    for customer in reachable:
        consent(customer, "email", "marketing")
    no_consent = CustomerFactory(preferred_store=store, tier="vip")
    consent(no_consent, "email", "service")
    no_address = CustomerFactory(preferred_store=store, tier="vip", email="")
    consent(no_address, "email", "marketing")
    capped = CustomerFactory(preferred_store=store, tier="vip")
    consent(capped, "email", "marketing")
    Message.objects.create(
        customer=capped,
        channel="email",
        direction="outbound",
        purpose="marketing",
        status="sent",
        body="Earlier",
        to_address=capped.email,
    )
    # Not in the audience: another tier, and another store's VIP.
    consent(CustomerFactory(preferred_store=store, tier="member"), "email", "marketing")
    consent(CustomerFactory(tier="vip"), "email", "marketing")
    return reachable


def form(store, **fields):
    return {
        "store": store.pk,
        "name": "Autumn evening",
        "tiers": ["vip"],
        "channel": "email",
        "purpose": "marketing",
        "subject": "An evening for you, {{ first_name }}",
        "body": "Hello {{ first_name }}, join us at {{ store_name }}.",
        **fields,
    }


def test_the_preview_counts_who_gets_it_and_who_not_and_why(manager, store, audience):
    response = login(manager).post(reverse("outreach:campaign_new"), form(store, action="preview"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "6 customers match: <strong>3 would receive it</strong>, 3 are left out." in html
    for reason in (
        "no consent for this channel and purpose",
        "no address for this channel",
        "frequency cap reached",
    ):
        assert reason in html
    assert "Hello " + audience[0].first_name in html  # a sample, rendered
    from frontline.privacy.models import PersonalDataAccess

    seen = PersonalDataAccess.objects.filter(staff=manager, action="listed")
    assert set(seen.values_list("customer_id", flat=True)) == {c.pk for c in audience}
    assert (
        not Campaign.objects.exists()
        and Message.objects.filter(campaign__isnull=False).count() == 0
    )


def test_the_audience_can_be_the_customers_the_shop_tagged(manager, store, audience):
    IdentityFactory(customer=audience[0], source="ecommerce", tags=["Wholesale"])
    IdentityFactory(customer=audience[1], source="crm", tags=["wholesale", "Press"])
    client = login(manager)
    response = client.post(
        reverse("outreach:campaign_new"), form(store, action="preview", tags="WHOLESALE")
    )
    assert "2 customers match: <strong>2 would receive it</strong>" in response.content.decode()
    assert 'name="tags" maxlength="2000" value="WHOLESALE"' in response.content.decode()
    saved = client.post(
        reverse("outreach:campaign_new"), form(store, action="save", tags="wholesale")
    )
    campaign = Campaign.objects.get()
    assert saved["Location"] == reverse("outreach:campaign", args=[campaign.pk])
    assert campaign.criteria["tags"] == ["wholesale"]
    campaigns.campaign_launch(by=manager, campaign_id=campaign.pk)
    assert any(campaigns.campaign_queue_batch(campaign_id=campaign.pk) for _ in range(3))
    assert set(Message.objects.filter(campaign=campaign).values_list("customer_id", flat=True)) == {
        audience[0].pk,
        audience[1].pk,
    }


def test_quiet_hours_leave_out_sms_at_night_where_the_customer_is(
    manager, store, outreach_settings
):
    outreach_settings.OUTREACH_QUIET_HOURS = "21:00-09:00"
    customer = CustomerFactory(preferred_store=store, tier="vip", phone="+447911123456")
    consent(customer, "sms", "marketing")
    london = ZoneInfo("Europe/London")
    late = datetime.combine(timezone.localdate() + timedelta(days=1), datetime.min.time(), london)
    preview = campaigns.campaign_preview(
        by=manager,
        store_id=store.pk,
        criteria={"tiers": ["vip"]},
        channel="sms",
        purpose="marketing",
        subject="",
        body="Hi {{ first_name }}",
        send_at=late.replace(hour=23),
    )
    assert (preview.receiving, dict(preview.excluded)) == (0, {"quiet_hours": 1})


def test_a_text_wrong_for_everyone_is_refused_on_the_form(manager, store, audience):
    response = login(manager).post(
        reverse("outreach:campaign_new"),
        form(store, body="Hello {{ shoe_size }}", action="preview"),
    )
    assert response.status_code == 400
    assert "Unknown template variable" in response.content.decode()


def test_launching_queues_through_the_outbox_once_however_often_it_is_launched(
    smtp, manager, store, audience, django_capture_on_commit_callbacks, tasks_run, monkeypatch
):
    monkeypatch.setattr(campaigns, "LAUNCH_BATCH", 2)  # several batches for six customers
    client = login(manager)
    saved = client.post(reverse("outreach:campaign_new"), form(store, action="save"))
    campaign = Campaign.objects.get()
    assert saved["Location"] == reverse("outreach:campaign", args=[campaign.pk])
    assert campaign.status == CampaignStatus.DRAFT and not Message.objects.filter(campaign=campaign)
    launch = reverse("outreach:campaign_launch", args=[campaign.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(launch)
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(launch, follow=True)
    assert "This campaign was launched already." in again.content.decode()
    assert tasks_run.count("frontline.outreach.tasks.queue_campaign_task") == 1
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.QUEUED
    assert campaign.queued_count == 3
    assert campaign.excluded == {"no_consent": 1, "no_address": 1, "frequency_cap": 1}
    assert sorted(str(m["To"]) for m in smtp.received) == sorted(c.email for c in audience)
    progress = campaign_progress(campaign=campaign)
    assert (progress.sent, progress.waiting, progress.failed, progress.excluded_count) == (
        3,
        0,
        0,
        3,
    )
    assert progress.finished
    # The progress panel, as htmx polls it: only the panel, and no more polling once done.
    panel = client.get(reverse("outreach:campaign", args=[campaign.pk]), HTTP_HX_REQUEST="true")
    html = panel.content.decode()
    assert "<html" not in html and 'id="campaign-sent">3<' in html
    assert "hx-trigger" not in html


def test_a_launch_interrupted_mid_way_resumes_without_writing_to_anyone_twice(
    manager, store, audience, monkeypatch
):
    monkeypatch.setattr(campaigns, "LAUNCH_BATCH", 2)
    campaign = campaigns.campaign_create(
        by=manager,
        store_id=store.pk,
        name="Autumn",
        criteria={"tiers": ["vip"]},
        channel="email",
        purpose="marketing",
        subject="Hi",
        body="Hello",
    )
    campaigns.campaign_launch(by=manager, campaign_id=campaign.pk)
    # The first worker queued one batch and died; a redelivered task and a second one both run.
    assert campaigns.campaign_queue_batch(campaign_id=campaign.pk) is False
    assert campaigns.campaign_queue_for(campaign_id=campaign.pk) is True
    assert campaigns.campaign_queue_for(campaign_id=campaign.pk) is True
    queued = Message.objects.filter(campaign=campaign)
    assert queued.count() == 3
    assert queued.values("customer").distinct().count() == 3
    assert all(message.status == Status.QUEUED for message in queued)


def test_the_outbox_sweep_restarts_a_launch_whose_task_was_lost(
    smtp, manager, store, audience, django_capture_on_commit_callbacks, tasks_run
):
    from frontline.outreach.tasks import dispatch_due_messages_task

    campaign = campaigns.campaign_create(
        by=manager,
        store_id=store.pk,
        name="Autumn",
        criteria={"tiers": ["vip"]},
        channel="email",
        purpose="marketing",
        subject="Hi",
        body="Hello",
    )
    # Launched, but its task never ran (the callbacks are not executed: lost with a worker).
    with django_capture_on_commit_callbacks(execute=False):
        campaigns.campaign_launch(by=manager, campaign_id=campaign.pk)
    assert campaigns.campaigns_stalled() == []  # not yet: it may merely be slow
    Campaign.objects.filter(pk=campaign.pk).update(
        progressed_at=timezone.now() - timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        dispatch_due_messages_task()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.QUEUED and campaign.queued_count == 3
    assert len(smtp.received) == 3


def test_a_scheduled_campaign_waits_in_the_outbox(manager, store, audience):
    later = timezone.now() + timedelta(days=2)
    campaign = campaigns.campaign_create(
        by=manager,
        store_id=store.pk,
        name="Later",
        criteria={"tiers": ["vip"]},
        channel="email",
        purpose="marketing",
        subject="Hi",
        body="Hello",
        send_at=later,
    )
    campaigns.campaign_launch(by=manager, campaign_id=campaign.pk)
    campaigns.campaign_queue_for(campaign_id=campaign.pk)
    statuses = set(Message.objects.filter(campaign=campaign).values_list("status", "not_before"))
    assert statuses == {(Status.SCHEDULED, later)}


def test_only_the_stores_managers_see_and_launch_its_campaigns(manager, store, associate):
    campaign = Campaign.objects.create(store=store, name="Ours", channel="email", body="Hi")
    other_manager = staff_at(StoreFactory(), StaffRole.MANAGER)
    detail = reverse("outreach:campaign", args=[campaign.pk])
    launch = reverse("outreach:campaign_launch", args=[campaign.pk])
    assert login(other_manager).get(detail).status_code == 404
    assert login(other_manager).post(launch).status_code == 404
    assert login(associate).get(reverse("outreach:campaigns")).status_code == 404
    assert login(associate).post(launch).status_code == 404
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT
    # And a manager cannot write to another store's customers by naming it.
    response = login(other_manager).post(
        reverse("outreach:campaign_new"), form(store, action="save")
    )
    assert response.status_code == 404
    listed = login(manager).get(reverse("outreach:campaigns")).content.decode()
    assert "Ours" in listed


def test_bad_input_is_a_400_with_a_message(manager, store):
    client = login(manager)
    response = client.post(
        reverse("outreach:campaign_new"),
        form(store, channel="whatsapp", action="save"),
    )
    assert response.status_code == 400
    response = client.post(
        reverse("outreach:campaign_new"),
        form(store, last_purchase_within_days="-4", action="preview"),
    )
    assert response.status_code == 400
    assert "A number of days from 1 to 3650." in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_a_launched_campaign_once(smtp, store, tmp_path):
    if not django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        pytest.skip("the worker process needs the shared PostgreSQL test database")
    from clienteling.celery import app as celery_app
    from tests.conftest import REPO, database_url_for_subprocesses

    manager = staff_at(store, StaffRole.MANAGER)
    customers = [CustomerFactory(preferred_store=store, tier="gold") for _ in range(25)]
    for customer in customers:
        consent(customer, "email", "marketing")
    campaign = campaigns.campaign_create(
        by=manager,
        store_id=store.pk,
        name="Gold",
        criteria={"tiers": ["gold"]},
        channel="email",
        purpose="marketing",
        subject="For you",
        body="Hello {{ first_name }}",
    )
    # Tasks other tests queued with no worker to run them would stand in front of ours.
    celery_app.control.purge()
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "clienteling", "worker", "--pool=solo",
         "--without-mingle", "--without-gossip", "--loglevel=INFO"],
        cwd=REPO,
        env={
            **os.environ,
            **database_url_for_subprocesses(),
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        campaigns.campaign_launch(by=manager, campaign_id=campaign.pk)
        campaigns.campaign_launch(by=manager, campaign_id=campaign.pk)
        deadline = time.monotonic() + 120
        while not campaign_progress(campaign=Campaign.objects.get(pk=campaign.pk)).finished:
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()
            time.sleep(0.3)
    finally:
        worker.terminate()
        worker.wait(timeout=20)
    received = sorted(str(message["To"]) for message in smtp.received)
    assert received == sorted(customer.email for customer in customers)
    assert campaign_progress(campaign=Campaign.objects.get(pk=campaign.pk)).sent == 25
