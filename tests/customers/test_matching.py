"""Identity resolution: probable duplicates with a score and the reasons, stored for review."""

from __future__ import annotations

import pytest

from frontline.customers.models import CandidateStatus, DuplicateCandidate
from frontline.customers.services import duplicate_candidates_detect
from frontline.customers.tasks import detect_duplicates_task
from tests.factories import CustomerFactory, IdentityFactory

pytestmark = pytest.mark.django_db


def detect(customer) -> dict[int, DuplicateCandidate]:
    found = duplicate_candidates_detect(customer_id=customer.pk)
    return {({c.customer_id, c.other_id} - {customer.pk}).pop(): c for c in found}


def test_the_same_email_and_a_similar_name_is_a_strong_candidate(store):
    ada = CustomerFactory(
        first_name="Ada", last_name="Lovelace", email="ada@example.com", preferred_store=store
    )
    twin = CustomerFactory(
        first_name="ADA", last_name="Lovelace-King", email="ada@example.com", preferred_store=store
    )
    candidate = detect(twin)[ada.pk]
    assert candidate.score >= 0.8
    assert "same e-mail" in candidate.reasons
    assert any(reason.startswith("similar name") for reason in candidate.reasons)


def test_the_same_phone_from_a_source_identity_counts(store):
    ada = CustomerFactory(first_name="Ada", last_name="Lovelace", phone="", preferred_store=store)
    IdentityFactory(customer=ada, source="pos", phone="+447700900123")
    twin = CustomerFactory(
        first_name="Ada", last_name="Lovelace", phone="+447700900123", preferred_store=store
    )
    assert "same phone" in detect(twin)[ada.pk].reasons


def test_a_similar_name_at_the_same_postcode_is_a_candidate(store):
    jose = CustomerFactory(
        first_name="José", last_name="Núñez", postcode="SW1A 1AA", preferred_store=store
    )
    twin = CustomerFactory(
        first_name="Jose", last_name="Nunez", postcode="sw1a1aa", preferred_store=store
    )
    reasons = detect(twin)[jose.pk].reasons
    assert "same postcode" in reasons and any(r.startswith("similar name") for r in reasons)


def test_a_common_name_alone_is_not_a_candidate(store):
    CustomerFactory(first_name="John", last_name="Smith", postcode="N1 1AA", preferred_store=store)
    other = CustomerFactory(
        first_name="John", last_name="Smith", postcode="E1 6AN", preferred_store=store
    )
    assert detect(other) == {}


def test_a_shared_household_email_with_a_different_name_is_flagged_with_a_low_score(store):
    ada = CustomerFactory(
        first_name="Ada", last_name="Lovelace", email="home@example.com", preferred_store=store
    )
    william = CustomerFactory(
        first_name="William", last_name="King", email="home@example.com", preferred_store=store
    )
    candidate = detect(william)[ada.pk]
    assert candidate.score <= 0.5
    assert any("shared household" in reason for reason in candidate.reasons)


def test_detection_is_idempotent_and_keeps_a_managers_verdict(store):
    ada = CustomerFactory(
        first_name="Ada", last_name="Lovelace", email="ada@example.com", preferred_store=store
    )
    twin = CustomerFactory(
        first_name="Ada", last_name="Lovelace", email="ada@example.com", preferred_store=store
    )
    detect(twin)
    detect(ada)
    assert DuplicateCandidate.objects.count() == 1
    DuplicateCandidate.objects.update(status=CandidateStatus.DISMISSED)
    detect(twin)
    assert DuplicateCandidate.objects.get().status == CandidateStatus.DISMISSED


def test_merged_customers_are_never_candidates(store):
    ada = CustomerFactory(
        first_name="Ada", last_name="Lovelace", email="ada@example.com", preferred_store=store
    )
    CustomerFactory(
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        preferred_store=store,
        merged_into=ada,
    )
    assert detect(ada) == {}


def test_the_task_tolerates_a_customer_that_is_gone():
    assert detect_duplicates_task(customer_id=987654) == 0
