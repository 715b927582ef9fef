"""An offline tablet's queue may send a write twice (its first answer lost on the way): with the
same Idempotency-Key it takes effect once, and the retry gets the first answer again."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from frontline.customers.models import CustomerNote, Interaction
from frontline.followups.models import FollowUp
from frontline.tablet.models import IdempotentRequest
from tests.factories import FollowUpFactory

pytestmark = pytest.mark.django_db


def post_note(client: Client, customer, key: str | None, body: str = "Loves linen"):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(
        reverse("api:customers:notes", args=[customer.pk]),
        data=json.dumps({"body": body}),
        content_type="application/json",
        headers=headers,
    )


def test_the_same_key_twice_makes_one_note_and_the_same_answer(associate_client, customer):
    first = post_note(associate_client, customer, "3f1c-aaaa")
    again = post_note(associate_client, customer, "3f1c-aaaa")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert CustomerNote.objects.filter(customer=customer).count() == 1


def test_the_key_may_come_as_a_structured_field_string(associate_client, customer):
    post_note(associate_client, customer, '"quoted-key"')
    again = post_note(associate_client, customer, "quoted-key")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert CustomerNote.objects.count() == 1


def test_different_keys_are_different_notes(associate_client, customer):
    post_note(associate_client, customer, "one")
    post_note(associate_client, customer, "two")
    assert CustomerNote.objects.filter(customer=customer).count() == 2


def test_without_a_key_every_post_is_a_new_note(associate_client, customer):
    post_note(associate_client, customer, None)
    post_note(associate_client, customer, None)
    assert CustomerNote.objects.count() == 2
    assert not IdempotentRequest.objects.exists()


def test_a_key_reused_for_another_request_is_refused_with_422(associate_client, customer):
    post_note(associate_client, customer, "k1", body="First words")
    refused = post_note(associate_client, customer, "k1", body="Other words")
    assert refused.status_code == 422
    assert refused.json()["code"] == "idempotency_key_reused"
    assert list(CustomerNote.objects.values_list("body", flat=True)) == ["First words"]


def test_a_key_still_in_use_is_refused_with_409(associate_client, customer, associate):
    from frontline.tablet.idempotency import fingerprint_of

    # The first request with this key is still running (its claim has no answer yet).
    same_request = _request_like(customer, body="Loves linen")
    IdempotentRequest.objects.create(
        staff=associate, key="busy", fingerprint=fingerprint_of(same_request), path="/"
    )
    refused = post_note(associate_client, customer, "busy")
    assert refused.status_code == 409
    assert refused.json()["code"] == "idempotency_key_in_use"
    assert refused["Retry-After"] == "2"  # sent again later, it gets the first answer
    assert not CustomerNote.objects.exists()


def test_the_page_says_a_key_in_use_in_plain_words(associate_client, customer, associate):
    from django.test import RequestFactory

    from frontline.tablet.idempotency import fingerprint_of

    url = reverse("customers:note_add", args=[customer.pk])
    first = RequestFactory().post(url, {"body": "Prefers navy"})
    IdempotentRequest.objects.create(
        staff=associate, key="busy", fingerprint=fingerprint_of(first), path=url
    )
    headers = {"Idempotency-Key": "busy", "HX-Request": "true"}
    refused = associate_client.post(url, {"body": "Prefers navy"}, headers=headers)
    assert refused.status_code == 409
    assert refused["Retry-After"] == "2"
    assert refused["Content-Type"].startswith("text/plain")
    assert (
        refused.content.decode()
        == "This change is still being saved. Wait a moment, then look again."
    )
    assert not CustomerNote.objects.exists()


def test_a_claim_left_by_a_process_that_died_is_taken_over(associate_client, customer, associate):
    """Its write rolled back with it (the write and the kept answer commit together)."""
    from datetime import timedelta

    from django.utils import timezone

    from frontline.tablet.idempotency import fingerprint_of

    same_request = _request_like(customer, body="Loves linen")
    IdempotentRequest.objects.create(
        staff=associate, key="orphan", fingerprint=fingerprint_of(same_request), path="/"
    )
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(minutes=6))
    answer = post_note(associate_client, customer, "orphan")
    assert answer.status_code == 201
    assert notes_count(customer) == 1
    assert post_note(associate_client, customer, "orphan").json() == answer.json()
    assert notes_count(customer) == 1


def notes_count(customer) -> int:
    return CustomerNote.objects.filter(customer=customer).count()


def _request_like(customer, body: str):
    from django.test import RequestFactory

    return RequestFactory().post(
        reverse("api:customers:notes", args=[customer.pk]),
        data=json.dumps({"body": body}),
        content_type="application/json",
    )


@pytest.mark.parametrize("key", ["", " " * 3, "é-not-ascii", "x" * 256])
def test_a_malformed_key_is_refused_naming_the_header(associate_client, customer, key):
    refused = post_note(associate_client, customer, key)
    assert refused.status_code == 400
    assert "Idempotency-Key" in refused.json()["errors"]
    assert not CustomerNote.objects.exists()


def test_keys_belong_to_the_staff_member_who_sent_them(associate_client, customer, colleague):
    post_note(associate_client, customer, "shared-key")
    other = Client()
    other.force_login(colleague)
    theirs = post_note(other, customer, "shared-key")
    assert theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs.headers
    assert CustomerNote.objects.count() == 2


def test_a_refused_write_keeps_no_answer_and_can_be_sent_again(associate_client, customer):
    empty = post_note(associate_client, customer, "k-empty", body="   ")
    assert empty.status_code == 400
    assert not IdempotentRequest.objects.exists()


def test_the_page_form_honours_the_key_too(associate_client, customer):
    """The tablet's outbox replays the page's own form, with the same key."""
    url = reverse("customers:note_add", args=[customer.pk])
    headers = {"Idempotency-Key": "form-key", "HX-Request": "true"}
    first = associate_client.post(url, {"body": "Prefers navy"}, headers=headers)
    again = associate_client.post(url, {"body": "Prefers navy"}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"
    assert CustomerNote.objects.filter(customer=customer).count() == 1


def test_a_check_in_replayed_is_one_visit(associate_client, customer):
    url = reverse("customers:check_in", args=[customer.pk])
    for _ in range(2):
        response = associate_client.post(url, headers={"Idempotency-Key": "visit-1"})
        assert response.status_code == 302
        assert response["Location"] == reverse("customers:profile", args=[customer.pk])
    assert Interaction.objects.filter(customer=customer, kind="visit").count() == 1


def test_a_follow_up_outcome_replayed_through_the_api_completes_it_once(
    associate_client, associate, customer
):
    followup = FollowUpFactory(customer=customer, assignee=associate)
    url = reverse("api:followups:complete", args=[followup.pk])
    payload = json.dumps({"outcome": "reached", "note": "Coming Saturday"})
    answers = [
        associate_client.post(
            url, data=payload, content_type="application/json", headers={"Idempotency-Key": "f1"}
        )
        for _ in range(2)
    ]
    assert [answer.status_code for answer in answers] == [200, 200]
    assert answers[1].json() == answers[0].json()
    assert FollowUp.objects.get(pk=followup.pk).status == "done"
    assert Interaction.objects.filter(customer=customer, summary__contains="Saturday").count() == 1


def test_an_answer_is_forgotten_after_a_day(associate_client, customer, settings):
    from datetime import timedelta

    from django.utils import timezone

    post_note(associate_client, customer, "old-key")
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(hours=25))
    post_note(associate_client, customer, "another-key")
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["another-key"]


def test_erasing_a_customer_drops_the_answers_kept_about_them(associate_client, customer, store):
    from frontline.privacy.services import customer_erase
    from tests.factories import CustomerFactory, staff_at

    other = CustomerFactory(preferred_store=store)
    post_note(associate_client, customer, "about-ada")
    post_note(associate_client, other, "about-someone-else")
    manager = staff_at(store, role="manager")
    customer_erase(by=manager, customer_id=customer.pk)
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["about-someone-else"]


def test_a_key_freed_by_a_refused_first_send_is_claimed_again_not_a_server_error(
    associate_client, associate, customer, monkeypatch
):
    """The second send's insert met the first's claim, which was then deleted (the first was
    refused, and a refusal keeps nothing) before the second read it: it claims the key anew."""
    from django.db import IntegrityError

    followup = FollowUpFactory(customer=customer, assignee=associate)
    url = reverse("followups:complete", args=[followup.pk])
    claims = IdempotentRequest.objects
    real_create = claims.create
    met = []

    def create_meeting_a_claim_that_then_went(**fields):
        if not met:  # the other claim was there for the insert, and gone before the read
            met.append(fields["key"])
            raise IntegrityError("duplicate key value violates unique constraint")
        return real_create(**fields)

    monkeypatch.setattr(claims, "create", create_meeting_a_claim_that_then_went)
    answer = associate_client.post(
        url,
        {"outcome": "appointment_booked", "note": "Saturday at 11", "channel": "phone"},
        headers={"Idempotency-Key": "freed-key"},
    )
    assert met == ["freed-key"]
    assert answer.status_code == 302
    assert FollowUp.objects.get(pk=followup.pk).status == "done"
    assert Interaction.objects.filter(summary__contains="Saturday at 11").count() == 1
    assert IdempotentRequest.objects.get(key="freed-key").status_code == 302
