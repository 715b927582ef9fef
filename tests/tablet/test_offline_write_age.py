"""A write kept on an offline tablet goes at most a shift late: the server refuses an older one
with 410 and words the associate can act on, unless it went through before (its answer was
lost), when it gets that first answer again."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from frontline.customers.models import CustomerNote
from frontline.tablet.models import IdempotentRequest

pytestmark = pytest.mark.django_db

WRITTEN_AT = "X-Frontline-Written-At"


def written(ago: timedelta) -> str:
    return (timezone.now() - ago).isoformat()


def post_note(client, customer, key: str, written_at: str, body: str = "Loves linen"):
    return client.post(
        reverse("api:customers:notes", args=[customer.pk]),
        data=json.dumps({"body": body}),
        content_type="application/json",
        headers={"Idempotency-Key": key, WRITTEN_AT: written_at},
    )


def test_a_write_from_within_the_shift_goes_through(associate_client, customer):
    answer = post_note(associate_client, customer, "fresh", written(timedelta(hours=11)))
    assert answer.status_code == 201
    assert CustomerNote.objects.filter(customer=customer).count() == 1


def test_an_older_write_is_refused_with_410_and_nothing_is_kept(
    associate_client, customer, settings
):
    settings.OFFLINE_WRITE_MAX_AGE_SECONDS = 12 * 3600
    refused = post_note(associate_client, customer, "stale", written(timedelta(hours=13)))
    assert refused.status_code == 410
    assert refused.json()["code"] == "written_too_long_ago"
    assert "more than 12\xa0hours ago" in refused.json()["detail"]
    assert not CustomerNote.objects.exists()
    assert not IdempotentRequest.objects.exists()


def test_the_page_form_says_so_in_the_associates_words(associate_client, customer):
    refused = associate_client.post(
        reverse("customers:note_add", args=[customer.pk]),
        {"body": "Prefers navy"},
        headers={
            "Idempotency-Key": "old-note",
            "HX-Request": "true",
            WRITTEN_AT: written(timedelta(days=2)),
        },
    )
    assert refused.status_code == 410
    assert refused["Content-Type"].startswith("text/plain")
    assert refused.content.decode() == (
        "Written on this tablet more than 12\xa0hours ago, while it was offline: too old to "
        "send now. Enter it again if it still applies."
    )
    assert not CustomerNote.objects.exists()


def test_a_write_that_went_through_gets_its_answer_however_late_it_asks(associate_client, customer):
    """Its answer was lost; the tablet asks again past the limit: it was saved, so say so."""
    written_at = written(timedelta(hours=1))
    first = post_note(associate_client, customer, "saved-once", written_at)
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(hours=12))
    later = post_note(associate_client, customer, "saved-once", written_at)
    assert first.status_code == 201
    # The same request (its written-at is not part of what it asks for) gets the same answer.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.conf.settings.OFFLINE_WRITE_MAX_AGE_SECONDS", 60)
        much_later = post_note(associate_client, customer, "saved-once", written_at)
    assert later.json() == much_later.json() == first.json()
    assert much_later["Idempotent-Replayed"] == "true"
    assert CustomerNote.objects.count() == 1


@pytest.mark.parametrize("value", ["yesterday", "2026-12-06 10:00", "2026-13-45T10:00:00Z"])
def test_a_malformed_time_is_refused_naming_the_header(associate_client, customer, value):
    refused = post_note(associate_client, customer, "bad-time", value)
    assert refused.status_code == 400
    assert WRITTEN_AT in refused.json()["errors"]
    assert not CustomerNote.objects.exists()


def test_the_page_tells_the_tablet_how_long_a_write_may_wait(associate_client, settings):
    settings.OFFLINE_WRITE_MAX_AGE_SECONDS = 3600
    page = associate_client.get("/").content.decode()
    assert '<meta name="frontline-offline-max-age" content="3600">' in page
